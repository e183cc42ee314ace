#!/usr/bin/env bash
# A big JSON document costs dbjson_valid a small multiple of its size, in
# memory and in time. The document (about 8 MB: 50,000 objects of a few
# members, strings, numbers, a nested array) is validated in a process of
# its own, whose peak resident size (getrusage) is read before and after
# the call: the growth must stay under 6 times the document (it was 46
# times when jansson's tree and a copy of it were both built). The time
# must stay under 10 s (a 50 MB document took over 60 s).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" <<'PY'
import json, resource, sqlite3, sys, time

mod = sys.argv[1]
FACTOR, SECONDS = 6, 10
doc = json.dumps([{"id": i, "name": "customer %d" % i, "price": i / 7, "tags": ["a", "bb", "ccc"],
                   "active": i % 2 == 0, "address": {"city": "Lyon", "zip": "69%03d" % (i % 1000)}}
                  for i in range(50000)])
schema = json.dumps({"type": "array", "items": {
    "type": "object", "required": ["id", "name"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "tags": {"type": "array", "items": {"type": "string"}},
                   "address": {"type": "object", "properties": {"zip": {"pattern": "^[0-9]+$"}}}}}})
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
c.load_extension(mod)
# the binding's own copy of the document, and the module's first call, before measuring
c.execute("SELECT length(?), dbjson_valid('1', '{}')", (doc,)).fetchone()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t = time.monotonic()
for sql in ("SELECT dbjson_valid(?, ?)", "SELECT count(*) FROM dbjson_errors(?, ?)"):
    row = c.execute(sql, (doc, schema)).fetchone()
    if row[0] != (1 if "valid" in sql else 0):
        print(f"FAIL: {sql} gave {row[0]}")
        sys.exit(1)
took = time.monotonic() - t
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
print(f"document {len(doc) / 1e6:.1f} MB: peak grew {grew / 1e6:.1f} MB "
      f"({grew / len(doc):.2f}x), {took:.2f} s for two calls")
if grew > FACTOR * len(doc):
    print(f"FAIL: the peak grew {grew / len(doc):.1f} times the document (at most {FACTOR})")
    sys.exit(1)
if took > SECONDS:
    print(f"FAIL: {took:.1f} s")
    sys.exit(1)
PY
