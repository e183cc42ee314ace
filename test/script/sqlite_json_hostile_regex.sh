#!/usr/bin/env bash
# A document's regular expression work is bounded as a whole (issue 64,
# item 8; docs/json.md, Limits): 20,000 strings that each take a pattern
# near the per-match limit (200,000 steps) cost seconds for one CHECK;
# now the document's matches longer than 1,000 steps share a budget of
# 10,000,000 steps, and passing it is an error naming the pattern's schema
# location and the budget, in well under a second (the budget's error is
# what is asserted: a wall-clock bound would fail on a loaded machine and
# say nothing the step count does not). Through a CHECK of a
# table (the sqlite3 shell) and through Python's sqlite3, for pattern and
# patternProperties; a document of 20,000 strings under a cheap pattern,
# and one with 40 near-limit strings, validate as before.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"
# 24 a's: the pattern's first branch backtracks near the per-match limit
# before the second matches (every string matches: validation goes on)
slow='aaaaaaaaaaaaaaaaaaaaaaaa'
items_schema='{"items": {"type": "string", "pattern": "^((a|aa)+c|.*)$"}}'
"$py" -c "import json; print(json.dumps(['$slow'] * 20000))" > "$work/many.json"
q "CREATE TABLE docs (doc text CHECK (dbjson_valid(doc, '$items_schema')))"
start=$(date +%s%N)
out=$(q "INSERT INTO docs VALUES (readfile('$work/many.json'))" 2>&1) && fail "20,000 near-limit matches were run to the end"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q "dbcare: the regular expressions of the schema took more than 10000000 steps on one document (the pattern at #/items/pattern was running)" <<<"$out" ||
  fail "not the document budget's error: $out"
echo "20,000 near-limit strings refused in $ms ms"

"$py" - "$mod" "$slow" <<'PY'
import json, sqlite3, sys, time
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
c.load_extension(sys.argv[1])
slow = sys.argv[2]
def valid(doc, schema):
    return c.execute("SELECT dbjson_valid(?, ?)", (json.dumps(doc), json.dumps(schema))).fetchone()[0]
# patternProperties: each member name is matched
pp = {"patternProperties": {"^((a|aa)+c|.*)$": True}}
doc = {slow + str(i): 1 for i in range(20000)}
t = time.time()
try:
    valid(doc, pp)
    sys.exit("FAIL: 20,000 near-limit member names were matched to the end")
except sqlite3.Error as e:
    if "took more than 10000000 steps on one document (the pattern at #/patternProperties/^((a|aa)+c|.*)$ was running)" not in str(e):
        sys.exit("FAIL: not the budget's error: %s" % e)
    if "HINT" not in str(e):
        sys.exit("FAIL: no hint: %s" % e)
print("20,000 near-limit member names refused in %.2f s" % (time.time() - t))
# what the budget leaves alone: cheap matches, and some near-limit ones
schema = {"items": {"type": "string", "pattern": "^((a|aa)+c|.*)$"}}
if valid(["aaaa"] * 20000, schema) != 1:
    sys.exit("FAIL: 20,000 cheap matches refused")
if valid([slow] * 40 + ["b"], schema) != 1:
    sys.exit("FAIL: 40 near-limit strings were not judged")
PY
echo ok
