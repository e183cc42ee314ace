#!/usr/bin/env bash
# dbcare backup on PostgreSQL shows pg_dump's progress (the megabytes
# written, the seconds gone) on a terminal only: a log, --quiet and --json
# get none. A stand-in pg_dump on PATH waits a second before running the
# real one, so that the wait is drawn at least once.
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
echo ok
