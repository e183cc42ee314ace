#!/usr/bin/env bash
# A fleet's summary tells pending, failed and unreachable databases apart
# (status --exit-code exits 1 on pending, yet pending is not an error) in
# the table, the summary line (counted by schema version) and --json;
# migrate --canary N runs N databases first and stops when one fails;
# --max-failures K stops after K; the progress line is drawn on a
# terminal only, never written into a log.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
mkdir m
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' >m/V1__t.sql
echo 'CREATE TABLE u (id INTEGER PRIMARY KEY);' >m/V2__u.sql
for i in 1 2 3 4 5 6 7 8; do run 0 migrate --db sqlite:d$i.db --dir m --quiet; done
echo 'CREATE TABLE w (id INTEGER PRIMARY KEY);' >m/V3__w.sql
run 0 migrate --db sqlite:d1.db --db sqlite:d2.db --db sqlite:d3.db --dir m --quiet
echo 'not a database' >d8.db

# status --exit-code: 3 at 3, 4 at 2 (pending), 1 failed, 1 unreachable
run 1 status --db 'sqlite:d*.db' --db sqlite:gone/x.db --dir m --exit-code
grep -qE '^sqlite:d1\.db +ok +3 ' out || { cat out; fail "d1 row"; }
grep -qE '^sqlite:d4\.db +pending +2 ' out || { cat out; fail "d4 not pending"; }
grep -qE '^sqlite:d8\.db +failed ' out || { cat out; fail "d8 not failed"; }
grep -qE '^sqlite:gone/x\.db +unreachable ' out || { cat out; fail "gone/x.db not unreachable"; }
has '9 database(s): 3 at 3, 4 at 2 (pending), 1 failed, 1 unreachable' out
! grep -q '^\[' err || fail "progress lines in a log: $(cat err)"
run 1 status --db 'sqlite:d*.db' --db sqlite:gone/x.db --dir m --exit-code --json
[ "$(json 'd["states"]["ok"], d["states"]["pending"], d["states"]["failed"], d["states"]["unreachable"], d["failed"], d["exit"]')" = "3 4 1 1 1 1" ] ||
  fail "json states: $(json 'd["states"]')"
[ "$(json '[(v["version"], v["pending"], v["count"]) for v in d["versions"]]')" = "[('3', False, 3), ('2', True, 4)]" ] ||
  fail "json versions: $(json 'd["versions"]')"
[ "$(json '[x["result"] for x in d["databases"]]')" = "['ok', 'ok', 'ok', 'pending', 'pending', 'pending', 'pending', 'failed', 'unreachable']" ] ||
  fail "json results: $(json '[x["result"] for x in d["databases"]]')"
# without --exit-code, pending is still pending (exit 0 for them)
run 1 status --db 'sqlite:d[1-7].db' --db sqlite:d8.db --dir m
has '8 database(s): 3 at 3, 4 at 2 (pending), 1 failed' out

# --canary 2: d4 ok, d5 fails (its w exists already): the rest are not run
rm d8.db
sqlite3 d5.db 'CREATE TABLE w (id INTEGER PRIMARY KEY)'
sqlite3 d7.db 'CREATE TABLE w (id INTEGER PRIMARY KEY)'
run 1 migrate --db sqlite:d4.db --db sqlite:d5.db --db sqlite:d6.db --db sqlite:d7.db --dir m --canary 2
grep -qE '^sqlite:d4\.db +ok +3 ' out && grep -qE '^sqlite:d5\.db +failed ' out &&
  grep -qE '^sqlite:d6\.db +not run ' out || { cat out; fail "canary table"; }
has '4 database(s): 1 at 3, 1 failed, 2 not run' out
has 'dbcare: the fleet stopped (--canary): 2 database(s) not run' err
db=d6.db
[ "$(q 'SELECT dbmigrate_current()')" = 2 ] || fail "d6 migrated behind a failed canary"
# canaries that pass: everything runs
run 0 migrate --db sqlite:d4.db --db sqlite:d6.db --dir m --canary 1
has '2 database(s): 2 at 3' out
# --max-failures 1 (one job): stops at d5, d7 is not run
run 1 migrate --db sqlite:d5.db --db sqlite:d7.db --db sqlite:d1.db --dir m --max-failures 1
grep -qE '^sqlite:d7\.db +not run ' out && grep -qE '^sqlite:d1\.db +not run ' out || { cat out; fail "max-failures table"; }
has 'dbcare: the fleet stopped (--max-failures): 2 database(s) not run' err
run 1 migrate --db sqlite:d5.db --db sqlite:d7.db --db sqlite:d1.db --dir m --max-failures 2 --json
[ "$(json 'd["states"]["failed"], d["states"]["not_run"], d["states"]["ok"]')" = "2 1 0" ] || fail "max-failures 2: $(json 'd["states"]')"
run 2 migrate --db sqlite:d1.db --db sqlite:d2.db --dir m --canary 0
run 2 status --db sqlite:d1.db --db sqlite:d2.db --dir m --canary 1

# the progress line: drawn on a terminal (stderr a tty), absent in a log
TERM=xterm script -qec "'$cli' status --db 'sqlite:d[1-4].db' --dir m" /dev/null >tty.out 2>&1 || true
grep -q '4/4 databases' tty.out || { cat tty.out; fail "no progress line on a terminal"; }
run 0 status --db 'sqlite:d[1-4].db' --dir m
! grep -q 'databases' err || fail "progress line in a log: $(cat err)"
echo ok
