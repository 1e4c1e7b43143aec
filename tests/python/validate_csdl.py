"""Validates a CSDL document (read from stdin) against the OASIS OData CSDL XML schemas (XSD 1.1).

Usage: validate_csdl.py <directory with edmx.xsd and edm.xsd> < metadata.xml
Exit status 0 and "valid" when the document conforms; 1 and the reasons otherwise.
"""
import os
import sys

import xmlschema


def main() -> int:
    schema_dir = sys.argv[1]
    schema = xmlschema.XMLSchema11(os.path.join(schema_dir, "edmx.xsd"))
    document = sys.stdin.read()
    errors = list(schema.iter_errors(document))
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
