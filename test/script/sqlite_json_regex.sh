#!/usr/bin/env bash
# Unicode property escapes (\p{...}, \P{...}) in pattern and
# patternProperties on SQLite: every case of lib/json_regex_cases.py gives
# its answer (\p{digit}, General_Category=, gc=, long category names were
# refused as invalid patterns).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
"$py" "$(dirname "$0")/lib/json_regex_cases.py" > "$work/cases"
"$py" - "$mod" "$work/cases" <<'PY'
import sqlite3, sys
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
c.load_extension(sys.argv[1])
bad = 0
for line in open(sys.argv[2], encoding="utf-8"):
    schema, doc, want = line.rstrip("\n").split("\t")
    try:
        got = str(c.execute("SELECT dbjson_valid(?, ?)", (doc, schema)).fetchone()[0])
    except sqlite3.Error as e:
        got = "E" if "regular expression" in str(e) else "error: %s" % e
    if got != want:
        print("FAIL: %s on %s: %s, want %s" % (schema, doc, got, want))
        bad += 1
sys.exit(1 if bad else 0)
PY
