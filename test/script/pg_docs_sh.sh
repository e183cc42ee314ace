#!/usr/bin/env bash
# The PostgreSQL shell examples of README.md and docs/*.md that run dbcare
# (issue 38): the blocks marked `doctest: sh, pg` run, in order, per document
# in a fresh folder, with every postgres:// URL made this test's database
# (the SQLite ones run in test/script/sqlite_docs_sh.sh).
set -eu
db=dbc_docs_sh
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$root/build/cli/dbcare" ] || fail "build/cli/dbcare is missing (make cli)"
[ -f "$root/build/sqlite/dbcare.so" ] || fail "build/sqlite/dbcare.so is missing (make sqlite)"
fresh_db
cd "$root"
DBCARE_SQLITE_MODULE="$root/build/sqlite/dbcare" DBCARE_DOC_PG_URL="postgres:///$db" \
  /usr/bin/python3 test/script/lib/doctest_sh.py --engine pg "$root" "$work" README.md docs/*.md \
  >"$work/out" 2>&1 || { cat "$work/out"; fail "a PostgreSQL example failed"; }
cat "$work/out"
n=$(sed -n 's/^\([0-9]*\) pg block(s) run$/\1/p' "$work/out")
[ "${n:-0}" -ge 2 ] || fail "only ${n:-0} PostgreSQL block(s) ran"
# every PostgreSQL example that runs dbcare runs: the skips left name the
# system (an install), or the script test or journey that runs the same commands (a
# pgBackRest stanza of its own)
/usr/bin/python3 - README.md docs/*.md <<'PY'
import os, re, sys
bad = []
for path in sys.argv[1:]:
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, l in enumerate(lines[:-1]):
        m = re.match(r"^\s*<!--\s*doctest:\s*(skip.*?)\s*-->\s*$", l)
        if not m or not re.match(r"^\s*```(sh|bash|shell)\s*$", lines[i + 1]):
            continue
        j = i + 2
        body = []
        while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
            body.append(lines[j])
            j += 1
        text = "\n".join(body)
        runner = re.search(r"test/(script|journeys)/[\w.-]+\.sh", m.group(1))
        if runner and not os.path.exists(runner.group(0)):
            bad.append("%s:%d names %s, which does not exist" % (path, i + 1, runner.group(0)))
        elif re.search(r"postgres(ql)?://", text) and "install" not in m.group(1) and not runner:
            bad.append("%s:%d %s" % (path, i + 1, m.group(1)))
if bad:
    print("FAIL: PostgreSQL examples skipped: " + "; ".join(bad))
    sys.exit(1)
PY
echo ok
