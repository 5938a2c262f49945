"""Cross-implementation check with Apache Avro for Python (Debian's python3-avro).

Reads a JSON list of cases from stdin: {"name", "schema", "data" (hex)}.
For each case it decodes the bytes the Go generated code wrote, describes a
few decoded values, and encodes the decoded datum again. It prints a JSON
list of {"name", "data" (hex, python's encoding), "summary"}; the Go test
decodes python's bytes with the generated code and compares.
"""
import decimal
import io
import json
import sys
import warnings

import avro.io
import avro.schema


def describe(v):
    """A JSON-friendly description of a decoded datum."""
    if isinstance(v, dict):
        return {k: describe(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [describe(x) for x in v]
    if isinstance(v, bytes):
        return "bytes:" + v.hex()
    if isinstance(v, decimal.Decimal):
        return "decimal:" + str(v)
    if isinstance(v, float):
        return "float:" + repr(v)
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if hasattr(v, "isoformat"):
        return type(v).__name__ + ":" + v.isoformat()
    return type(v).__name__ + ":" + str(v)


def main():
    # Logical types this version does not know (local-timestamp-*, duration,
    # the test's own) fall back to their base types, as the spec says.
    warnings.simplefilter("ignore")
    out = []
    for case in json.load(sys.stdin):
        schema = avro.schema.parse(case["schema"])
        decoder = avro.io.BinaryDecoder(io.BytesIO(bytes.fromhex(case["data"])))
        datum = avro.io.DatumReader(schema).read(decoder)
        buf = io.BytesIO()
        avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
        out.append({
            "name": case["name"],
            "data": buf.getvalue().hex(),
            "summary": describe(datum),
        })
    json.dump(out, sys.stdout)


main()
