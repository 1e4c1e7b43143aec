"""Reads an OData v4 feed with a real client library (python-odata), the way a BI tool would:
it reflects the entity types from $metadata, then iterates the entity set, following
@odata.nextLink pages. Prints JSON: the entity set names, the properties of the Issue type,
and the Key and Updated of every issue read.

With a fourth argument, an entity set name, it reads that set instead and prints its
properties and every row (all properties, as text).

Usage: odata_client.py <service root URL ending in /> <user name> <password> [<entity set>]
"""
import json
import sys

from requests.auth import HTTPBasicAuth
from odata import ODataService


def _text(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def main() -> int:
    url, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
    service = ODataService(url, auth=HTTPBasicAuth(user, password), reflect_entities=True, quiet_progress=True)
    if len(sys.argv) > 4:
        entity = service.entities[sys.argv[4]]
        names = [prop["name"] for prop in entity.__odata_schema__["properties"]]
        rows = []
        for item in service.query(entity):
            rows.append({name: _text(getattr(item, name)) for name in names})
        print(json.dumps({"entity_sets": sorted(service.entities.keys()), "properties": names, "rows": rows}))
        return 0
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
