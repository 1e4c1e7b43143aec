"""Reads an OData v4 feed with a real client library (python-odata), the way a BI tool would:
it reflects the entity types from $metadata, then iterates the entity set, following
@odata.nextLink pages. Prints JSON: the entity set names, the properties of the Issue type,
and the Key and Updated of every issue read.

Usage: odata_client.py <service root URL ending in /> <user name> <password>
"""
import json
import sys

from requests.auth import HTTPBasicAuth
from odata import ODataService


def main() -> int:
    url, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
    service = ODataService(url, auth=HTTPBasicAuth(user, password), reflect_entities=True, quiet_progress=True)
    issue = service.entities["Issues"]
    properties = [prop["name"] for prop in issue.__odata_schema__["properties"]]
    rows = []
    for entity in service.query(issue):
        updated = entity.Updated
        rows.append({"Key": entity.Key, "Updated": updated.isoformat() if updated is not None else None})
    print(json.dumps({"entity_sets": sorted(service.entities.keys()), "properties": properties, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
