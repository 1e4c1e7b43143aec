"""Parses CSV (read from stdin as bytes) with Python's csv module, the way spreadsheet scripts and
pandas-based pipelines read it, and prints the records as a JSON list of lists.

Usage: parse_csv.py < export.csv
A UTF-8 BOM is reported separately (as Excel would consume it) and not left in the first header.
"""
import csv
import io
import json
import sys


def main() -> int:
    raw = sys.stdin.buffer.read()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    print(json.dumps({"bom": bom, "records": records}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
