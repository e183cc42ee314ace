#!/usr/bin/env bash
# The day the database is gone, on PostgreSQL (issue 50, docs/backups.md
# "The day the database is gone"): a pg_dump that `dbcare backup` made of
# the Pagila sample, the database dropped, restored by pg_restore into a
# new database; and a pgBackRest stanza that `dbcare backup` filled (a
# full backup, then --incremental, which is pgBackRest's incr), the
# cluster stopped and its data directory deleted, restored by pgbackrest
# into a new directory and started there with the archived WAL replayed.
# Each time every table's row count and content hash is the source's.
set -eu
db=dbcare_backup_disaster
. "$(dirname "$0")/lib/pg.sh"
fresh_db
load_sample pagila # before lib/cli.sh, which moves into the work directory
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3

# every user table: its name, row count and the md5 of its rows' text, sorted
state() { # psql connection options...
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 "$@" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || coalesce(md5(string_agg(x::text, E''\n'' ORDER BY x::text)), ''-'') FROM %s AS x',
              c.oid::regclass::text, c.oid::regclass)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare')
   AND n.nspname NOT LIKE 'pg_toast%'
 ORDER BY 1 \gexec
SQL
}

# --- pg_dump: the database dropped, the dump restored into a new one
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
run 0 backup "$work/app.dump" --db "$url"
state -d "$db" >want.pg_dump
[ "$(wc -l <want.pg_dump)" -ge 10 ] || fail "pagila has $(wc -l <want.pg_dump) tables"
grep -q ' 0 -$' want.pg_dump && fail "an empty table in the sample: $(grep ' 0 -$' want.pg_dump)"
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
new=${db}_restored
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $new" -c "CREATE DATABASE $new" >/dev/null
"$B/pg_restore" --no-owner --exit-on-error -d "$new" "$work/app.dump" || fail "pg_restore failed"
state -d "$new" >got.pg_dump
"$B/psql" -X -q -d postgres -c "DROP DATABASE $new" >/dev/null
cmp -s want.pg_dump got.pg_dump || fail "pg_dump: the restored rows differ: $(diff want.pg_dump got.pg_dump | head -5)"
echo "pg_dump: $(wc -l <got.pg_dump) tables restored identical into a new database"

# --- pgBackRest: the data directory deleted, restored into a new one
. "$root/test/script/lib/pgbackrest.sh"
P -d app -c "CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric)" \
  -c "INSERT INTO orders SELECT g, md5(g::text), g * 1.5 FROM generate_series(1, 20000) g"
run 0 backup --type full --db "$url" --json
[ "$(json "d['backup']['type']")" = full ] || fail "not a full backup: $(cat out)"
P -d app -c "UPDATE orders SET note = 'changed' WHERE id % 7 = 0" \
  -c "INSERT INTO t (id, batch) SELECT g, 'B' FROM generate_series(1001, 2000) g"
run 0 backup --incremental --db "$url" --json
[ "$(json "d['backup']['type']")" = incr ] || fail "--incremental is not pgBackRest's incr: $(cat out)"
# after the last backup: in the archived WAL only
P -d app -c "DELETE FROM orders WHERE id % 11 = 0" -c "INSERT INTO t (id, batch) SELECT g, 'C' FROM generate_series(2001, 2500) g"
state -h "$r/sock" -p "$port" -U postgres -d app >want.pgbackrest
pgbr_ship_wal gone
"${AS_PG[@]}" env PGBACKREST_CONFIG="$PGBACKREST_CONFIG" pgbackrest --stanza=app --pg1-path="$r/restored" restore || fail "pgbackrest restore failed"
"${AS_PG[@]}" "$B/pg_ctl" -D "$r/restored" -l "$r/restored.log" \
  -o "-c port=$port2 -c unix_socket_directories='$r/sock2' -c archive_mode=off" -w start >/dev/null ||
  { tail -20 "$r/restored.log"; fail "the restored cluster did not start"; }
R() { "$B/psql" -X -q -At -h "$r/sock2" -p "$port2" -U postgres -d app "$@"; }
for _ in $(seq 600); do [ "$(R -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && break; sleep 0.1; done
[ "$(R -c "SELECT pg_is_in_recovery()")" = f ] || { tail -20 "$r/restored.log"; fail "recovery did not end"; }
state -h "$r/sock2" -p "$port2" -U postgres -d app >got.pgbackrest
cmp -s want.pgbackrest got.pgbackrest ||
  fail "pgBackRest: the restored rows differ: $(diff want.pgbackrest got.pgbackrest | head -5)"
echo "pgBackRest: $(wc -l <got.pgbackrest) tables restored identical into a new data directory"
echo "ok"
