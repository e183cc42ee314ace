#!/usr/bin/env bash
# dbcare backup on PostgreSQL shows pg_dump's progress (the megabytes
# written, the seconds gone) and verify each migration it proves, on a
# terminal only: a log, --quiet and --json get none. A stand-in pg_dump on
# PATH waits a second before running the real one, so that the wait is
# drawn at least once. Other clients get no progress notices unless their
# session sets dbcare.progress.
set -eu
db=dbcare_cli_step_progress
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
fresh_db
q -c "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g"
mkdir shim
printf '#!/usr/bin/env bash\nsleep 1.2\nexec "%s/pg_dump" "$@"\n' "$B" >shim/pg_dump
chmod +x shim/pg_dump
export PATH="$work/shim:$PATH"
TERM=xterm script -qec "'$cli' backup --db '$url' a.dump" /dev/null >tty.out 2>&1 || true
grep -qE 'pg_dump: [0-9.]+ MB written, [0-9]+ s' tty.out || { cat tty.out; fail "no pg_dump progress on a terminal"; }
[ -s a.dump ] || { cat tty.out; fail "no dump"; }
TERM=xterm script -qec "'$cli' backup --db '$url' b.dump --quiet" /dev/null >tty.out 2>&1 || true
! grep -q 'MB written' tty.out || { cat tty.out; fail "pg_dump progress with --quiet"; }
run 0 backup --db "$url" c.dump
! grep -q 'MB written' err || fail "pg_dump progress in a log: $(cat err)"

mkdir m
for i in 1 2 3; do
  printf 'CREATE TABLE t%s (id int PRIMARY KEY);\n' $i >m/V${i}__t$i.sql
  printf 'DROP TABLE t%s;\n' $i >m/U${i}__t$i.sql
done
TERM=xterm script -qec "'$cli' verify --db '$url' --dir m" /dev/null >tty.out 2>&1 || true
grep -qF '1/3 verifying 1 (t1)' tty.out && grep -qF '3/3 verifying 3 (t3)' tty.out ||
  { cat tty.out; fail "no verify progress on a terminal"; }
! grep -q 'NOTICE' tty.out || { cat tty.out; fail "progress notices printed as notices"; }
TERM=xterm script -qec "'$cli' verify --db '$url' --dir m --quiet" /dev/null >tty.out 2>&1 || true
! grep -q 'verifying' tty.out || { cat tty.out; fail "verify progress with --quiet"; }
run 0 verify --db "$url" --dir m
! grep -q 'verifying' err || fail "verify progress in a log: $(cat err)"
# a client that did not ask gets no notice per step; one that did, one each
for i in 1 2 3; do
  q -c "SELECT dbmigrate_add('$i', 't$i', 'CREATE TABLE t$i (id int)', 'DROP TABLE t$i')" >/dev/null
done
q -c "SELECT count(*) FROM dbmigrate_verify()" >/dev/null 2>psql.err
! grep -q 'dbcare progress' psql.err || fail "progress notices without dbcare.progress: $(cat psql.err)"
q -c "SET dbcare.progress = on" -c "SELECT count(*) FROM dbmigrate_verify()" >/dev/null 2>psql.err
[ "$(grep -c 'NOTICE:  dbcare progress: [0-9]/3 verifying' psql.err)" = 3 ] ||
  fail "with dbcare.progress on: $(cat psql.err)"
echo ok
