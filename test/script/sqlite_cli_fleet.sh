#!/usr/bin/env bash
# dbcare on a fleet of 1,000 SQLite files (a glob, --jobs 2): every file
# migrated, a summary row per database, exit code the worst of all (one
# file that is no database makes it 1 and is named), --json per database.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
mkdir -p m tenants
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' >m/V1__t.sql
echo 'ALTER TABLE t ADD COLUMN name TEXT;' >m/V2__name.sql
sqlite3 tenants/0000.db 'PRAGMA user_version = 1'
"$py" -c "
import shutil
for i in range(1, 1000):
    shutil.copyfile('tenants/0000.db', 'tenants/%04d.db' % i)"

"$cli" migrate --db 'sqlite:tenants/*.db' --dir m --jobs 2 >out 2>err || { cat err; fail "fleet migrate"; }
[ "$(grep -c ' ok ' out)" = 1000 ] || { head out; fail "summary: $(grep -c ' ok ' out) ok rows"; }
grep -qF '1,000 database(s): 1,000 at 2' out || fail "summary line: $(tail -1 out)"
for f in tenants/0000.db tenants/0050.db tenants/0999.db; do
  db=$f
  [ "$(q "SELECT group_concat(version || state, ',') FROM dbmigrate_status")" = "1applied,2applied" ] ||
    fail "$f not migrated"
done

# one bad file among a hundred of them: exit 1 (the worst), that file named
echo 'not a database' >tenants/0050.db
set +e
"$cli" status --db 'sqlite:tenants/00*.db' --dir m --jobs 2 --exit-code --json >out 2>err
rc=$?
set -e
[ "$rc" = 1 ] || fail "fleet exit $rc, want 1"
"$py" - "$work/out" <<'PY' || fail "fleet json"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [x for x in d["databases"] if x["exit"] != 0]
assert len(d["databases"]) == 100 and d["failed"] == 1 and d["exit"] == 1, d["failed"]
assert bad[0]["database"] == "sqlite:tenants/0050.db" and "not a database" in bad[0]["errors"], bad
ok = [x for x in d["databases"] if x["exit"] == 0]
assert all(x["output"]["pending"] == 0 for x in ok)
PY
# repeated --db: the same command on each, worst exit code (3 beats 0)
cp tenants/0001.db a.db; cp tenants/0002.db b.db
sqlite3 -cmd ".load $module" b.db "CREATE TABLE p (id INTEGER PRIMARY KEY, n INTEGER CHECK (n > 0));
  PRAGMA ignore_check_constraints = 1; INSERT INTO p VALUES (1, -1);"
set +e
"$cli" check --db a.db --db sqlite:b.db >out 2>err
rc=$?
set -e
[ "$rc" = 3 ] || fail "check fleet exit $rc, want 3"
grep -qE '^a\.db +ok ' out && grep -qE '^sqlite:b\.db +threshold ' out || { cat out; fail "check summary"; }
echo ok
