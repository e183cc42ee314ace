#!/usr/bin/env bash
# The report's metrics.size_bytes is pg_database_size(current_database()),
# computed by dbcare's own walk of the database's directories: the same
# figure with the default tablespace alone and with a table, its index and
# its TOAST data in a second tablespace.
set -eu
db=dbcare_health_size
. "$(dirname "$0")/lib/pg.sh"
fresh_db

SIZES="SELECT (dbhealth_report('quick')->'metrics'->>'size_bytes')::bigint || ' ' || pg_database_size(current_database());"
size=
same() { # LABEL: the report's size equals pg_database_size; sets $size to it
  local got native
  q -c "SELECT dbhealth_report('quick')" > /dev/null # settles what the report itself writes
  got=$(q -c "$SIZES")
  size=${got% *}
  native=${got#* }
  [ "$size" = "$native" ] || fail "$1: the report says $size bytes, pg_database_size $native"
  echo "ok: $1 ($size bytes)"
}

q -c "CREATE TABLE t (id int PRIMARY KEY, v text)" \
  -c "INSERT INTO t SELECT i, repeat('x', 100) FROM generate_series(1, 20000) i" \
  -c "VACUUM t"
same "default tablespace"
base=$size

# A second tablespace: its directory must belong to the server's user.
mkdir "$work/ts"
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then chown postgres: "$work/ts"; fi
q -c "CREATE TABLESPACE dbcare_test_ts LOCATION '$work/ts'"
trap 'q -c "DROP TABLE IF EXISTS far" -c "DROP TABLESPACE IF EXISTS dbcare_test_ts" >/dev/null 2>&1 || true; cleanup' EXIT
q -c "CREATE TABLE far (id int PRIMARY KEY USING INDEX TABLESPACE dbcare_test_ts, doc text) TABLESPACE dbcare_test_ts" \
  -c "ALTER TABLE far ALTER COLUMN doc SET STORAGE EXTERNAL" \
  -c "INSERT INTO far SELECT i, repeat(md5(i::text), 200) FROM generate_series(1, 2000) i"
far=$(q -c "SELECT pg_total_relation_size('far')")
[ "$far" -gt 1000000 ] || fail "the test table in the second tablespace is only $far bytes (test premise)"
same "a table, its index and TOAST data in a second tablespace"
[ "$size" -ge $((base + far)) ] || fail "with $far bytes in the second tablespace the size grew only from $base to $size"

q -c "DROP TABLE far"
same "the second tablespace emptied"
echo "the report's database size matched pg_database_size"
