#!/usr/bin/env bash
# dbcare's --db values and stdout, where they went wrong: a glob followed by
# more --db values (the list of databases outgrew its memory and the command
# crashed), a SQLite file with '=' or glob characters in its name (read as a
# conninfo string, or as a glob matching nothing), and output that never
# reached stdout (a full disk: exit 0 with a cut file); a duration of "nan"
# or "inf" (a wait that never ended); --json documents of check, orphans,
# schema diff and script without "engine", and check's and orphans' sample
# as a string on SQLite (an array on PostgreSQL), maintain's
# outside_transaction as 0/1 (true/false on PostgreSQL); schema diff of a
# folder (read as an empty file: "not valid JSON").
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
mkdir m
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' >m/V1__t.sql

# a glob of one file, then thirty more --db values: every one runs
sqlite3 g1.db 'PRAGMA user_version = 1'
sqlite3 x.db 'PRAGMA user_version = 1'
more=()
for i in $(seq 1 30); do more+=(--db x.db); done
run 0 status --db 'sqlite:g*.db' "${more[@]}" --dir m --json
[ "$(json 'len(d["databases"]), d["failed"], d["exit"]')" = "31 0 0" ] ||
  fail "glob then more --db: $(json 'd["failed"]') failed; $(head -c 300 err)"

# an explicit sqlite: path with '=' is a SQLite file, not a conninfo string
sqlite3 'k=v.db' 'PRAGMA user_version = 1'
run 0 migrate --db 'sqlite:k=v.db' --dir m
db='k=v.db'
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '1'")" = applied ] ||
  fail "sqlite:k=v.db not migrated"

# a file whose name holds glob characters is that file (not a fleet)
sqlite3 'tenant[1].db' 'PRAGMA user_version = 1'
run 0 migrate --db 'sqlite:tenant[1].db' --dir m --json
[ "$(json 'd["applied"]')" = 1 ] || fail "tenant[1].db: $(cat out)"
# a glob matching nothing is still refused
run 1 status --db 'sqlite:nothing*.db' --dir m
has 'no database file matches "nothing*.db"' err

# stdout on a full disk: exit 1 and a dbcare: message, single and fleet
set +e
"$cli" schema snapshot --db x.db >/dev/full 2>err; rc=$?
set -e
[ "$rc" = 1 ] || fail "schema snapshot >/dev/full: exit $rc, want 1"
has 'dbcare: cannot write the output: No space left on device' err
set +e
"$cli" new more --dir m >/dev/full 2>err; rc=$?
set -e
[ "$rc" = 1 ] || fail "new >/dev/full: exit $rc, want 1"
set +e
"$cli" history --db x.db --db g1.db >/dev/full 2>err; rc=$?
set -e
[ "$rc" = 1 ] || fail "fleet >/dev/full: exit $rc, want 1"
grep -qF 'dbcare: cannot write the output' err || fail "fleet >/dev/full: $(cat err)"

# --json: "database", "engine" and the rows; a sample is JSON, not a string
db=x.db
q "CREATE TABLE p (id INTEGER PRIMARY KEY, n INTEGER CHECK (n > 0));
   PRAGMA ignore_check_constraints = 1; INSERT INTO p VALUES (1, -1);"
run 3 check --db x.db --json
[ "$(json 'd["engine"], [type(c["sample"]).__name__ for c in d["constraints"] if c["violations"]]')" = \
  "sqlite ['list']" ] || fail "check --json: $(cat out)"
run 0 orphans --db x.db --json
[ "$(json 'd["engine"], d["orphans"]')" = "sqlite []" ] || fail "orphans --json: $(cat out)"
run 0 schema snapshot --db x.db
cp out snap.json
run 0 schema diff snap.json snap.json --db x.db --json
[ "$(json 'd["engine"], d["changes"]')" = "sqlite []" ] || fail "schema diff --json: $(cat out)"
run 1 schema diff m snap.json --db x.db
has 'dbcare: cannot read m: Is a directory' err
run 1 schema diff snap.json missing.json --db x.db
has 'dbcare: cannot read missing.json: No such file or directory' err
run 0 script --db x.db --dir m --json
[ "$(json 'sorted(d)')" = "['database', 'engine', 'script']" ] || fail "script --json: $(cat out)"
q "CREATE INDEX p_n1 ON p (n); CREATE INDEX p_n2 ON p (n);"
run 0 maintain --db x.db --dry-run --mode full --json
[ "$(json '[r["outside_transaction"] for r in d["plan"] if r["action"] == "drop_index"]')" = \
  "[True]" ] || fail "maintain --dry-run --json: $(cat out)"

# durations strtod reads but no deadline can be made of: usage errors
for d in nan inf 1e400 400d 9000h; do
  run 2 wait --db x.db --timeout "$d"
  has "--timeout needs a duration" err
done
run 2 retain --db x.db --budget nan
has "--budget needs a duration" err
echo ok
