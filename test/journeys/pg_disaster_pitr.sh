#!/usr/bin/env bash
# The day the server is gone, on PostgreSQL with pgBackRest (issue 62;
# docs/backups.md "The day the database is gone" runs these steps): a full
# backup by `dbcare backup`, more writes, a moment noted, more writes; the
# cluster stopped and its data directory deleted; `dbcare restore
# --to-time` from the repository alone (no --db: there is no server) into
# a new directory, started by a plain `pg_ctl start` with no
# PGBACKREST_CONFIG in its environment (the restore_command names the
# configuration itself); the copy holds exactly the rows of that moment.
set -eu
db=dbcare_journey_pitr
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
. "$root/test/script/lib/pgbackrest.sh"

# --- before: a full backup, writes, the moment, more writes
P -d app -c "CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric)" \
  -c "INSERT INTO orders SELECT g, md5(g::text), g * 1.5 FROM generate_series(1, 5000) g"
run 0 backup --type full --db "$url" --json
[ "$(json "d['backup']['type']")" = full ] || fail "not a full backup: $(cat out)"
# pgBackRest keeps a backup's stop time in whole seconds: the moment comes
# a second after it
sleep 1.1
P -d app -c "UPDATE orders SET note = 'changed' WHERE id % 7 = 0" \
  -c "INSERT INTO t (id, batch) SELECT g, 'B' FROM generate_series(1001, 2000) g"
sleep 0.3
target=$(P -d app -c "SELECT clock_timestamp()")
P -d app -c "SELECT 1" >/dev/null
sleep 0.3
orders_then=$(P -d app -c "SELECT count(*) || ' ' || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o")
t_then=$(P -d app -c "SELECT count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY id)) FROM t x")
P -d app -c "DELETE FROM orders WHERE id % 11 = 0" \
  -c "INSERT INTO t (id, batch) SELECT g, 'C' FROM generate_series(2001, 2500) g"

# --- the server is gone: the WAL archived, then stopped, its data directory deleted
pgbr_ship_wal gone

# --- from the repository alone, into a new directory
run 0 restore --to-time "$target" "$r/restored" --stanza app --json
[ "$(json "d['restored']")" = "$r/restored" ] || fail "restored elsewhere: $(cat out)"
grep -q -- "--config=" "$r/restored/postgresql.auto.conf" ||
  fail "the restore_command names no configuration: $(grep restore_command "$r/restored/postgresql.auto.conf")"
# a plain start: the configuration is not in pg_ctl's environment
"${AS_PG[@]}" env -u PGBACKREST_CONFIG "$B/pg_ctl" -D "$r/restored" -l "$r/restored.log" -w start >/dev/null ||
  { tail -20 "$r/restored.log"; fail "the restored cluster did not start"; }
for _ in $(seq 600); do [ "$(P -d app -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && break; sleep 0.1; done
[ "$(P -d app -c "SELECT pg_is_in_recovery()")" = f ] || { tail -20 "$r/restored.log"; fail "recovery did not end"; }
got=$(P -d app -c "SELECT count(*) || ' ' || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o")
[ "$got" = "$orders_then" ] || fail "orders as of $target: $orders_then, the copy holds $got"
got=$(P -d app -c "SELECT count(*) || ' ' || md5(string_agg(x::text, ',' ORDER BY id)) FROM t x")
[ "$got" = "$t_then" ] || fail "t as of $target: $t_then, the copy holds $got"
echo "ok: restored from the repository alone to $target, started by a plain pg_ctl start"
