#!/usr/bin/env bash
# Wal mode after a standby is promoted (issue 54, docs/audit.md, "A standby
# promoted"): a physical standby made with pg_basebackup from a primary
# auditing a table in wal mode replays the log; the primary stops and the
# standby is promoted. PostgreSQL 15 copies no logical slot to a standby, so
# the promoted server has the log as far as the primary's worker wrote it
# and no slot: the health check says so and a change is not recorded. Then
# the recovery of docs/audit.md, run as the doc writes it (the SQL is read
# from the doc), makes a new slot, logs each row once as a baseline
# snapshot, records the changes from there on, dbaudit_row_at rebuilds
# every row, and the chain verifies. A database restored from a dump of it
# (docs/audit.md names both cases) recovers the same way.
set -eu
db=dbcare_audit_wal_standby
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_logical.sh"
start=$(date +%s)
doc="$(cd "$(dirname "$0")/../.." && pwd)/docs/audit.md"
L -c "SELECT dbcare_set('audit.hash_chain', 'on')" \
  -c "CREATE TABLE tw (id int PRIMARY KEY, v int NOT NULL, pad text)" \
  -c "SELECT dbaudit_enable('tw', mode => 'wal')" \
  -c "INSERT INTO tw SELECT g, 0, repeat('x', 50) FROM generate_series(1, 500) g" >/dev/null
[ "$(L -c "SELECT count(*) FROM dbaudit_log('tw')")" = 500 ] || fail "the primary's log"

# the standby: a base backup of the primary, streaming from it
sb=$lg/standby
sb_port=$((lg_port + 1))
"${AS_PG[@]}" "$B/pg_basebackup" -D "$sb" -R -X stream -c fast -h "$lg/sock" -p "$lg_port" -U postgres >"$lg/basebackup.log" 2>&1 ||
  { cat "$lg/basebackup.log"; fail "pg_basebackup failed"; }
cat >>"$sb/postgresql.auto.conf" <<CONF
port = $sb_port
CONF
S() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$lg/sock" -p "$sb_port" -U postgres -d app "$@"; }
sb_stop() { "${AS_PG[@]}" "$B/pg_ctl" -D "$sb" -m immediate -w -t 120 stop >/dev/null 2>&1 || true; }
trap 'sb_stop; lg_stop immediate; cleanup' EXIT
"${AS_PG[@]}" env "${lg_env[@]}" "$B/pg_ctl" -D "$sb" -l "$lg/standby.log" -w -t 120 start >/dev/null ||
  { tail -n 30 "$lg/standby.log"; fail "the standby did not start"; }
[ "$(S -c "SELECT pg_is_in_recovery()")" = t ] || fail "not a standby"

# more changes on the primary, decoded there, replayed here
L -c "UPDATE tw SET v = v + 1 WHERE id <= 100" -c "DELETE FROM tw WHERE id > 450" >/dev/null
[ "$(L -c "SELECT count(*) FROM dbaudit_log('tw')")" = 650 ] || fail "the primary's log after the changes"
target=$(L -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 300); do
  [ "$(S -c "SELECT pg_last_wal_replay_lsn() >= '$target'")" = t ] && break
  sleep 0.1
done
[ "$(S -c "SELECT count(*) FROM dbaudit_log('tw')")" = 650 ] || fail "the standby's log"
# a reader on the standby neither waits nor fails: its log is the primary's
S -c "SELECT count(*) FROM dbaudit_history('tw', '{\"id\": 1}')" >/dev/null || fail "a reader on the standby"

# the primary is lost; the standby promoted
lg_stop fast
"${AS_PG[@]}" "$B/pg_ctl" -D "$sb" -w -t 120 promote >/dev/null || fail "promote failed"
[ "$(S -c "SELECT pg_is_in_recovery()")" = f ] || fail "not promoted"
[ "$(S -c "SELECT count(*) FROM pg_replication_slots")" = 0 ] || fail "a slot on the promoted server"
[ "$(S -c "SELECT count(*) FROM dbcare.audit_log")" = 650 ] || fail "the promoted log"
S -c "SELECT problem FROM dbaudit_tables() WHERE \"table\" = 'public.tw'" |
  grep -qx "audited in wal mode, but the database's replication slot is gone: its changes are not recorded" ||
  fail "no problem named: $(S -c "SELECT * FROM dbaudit_tables()")"
S -c "SELECT status || ': ' || message FROM dbhealth_checks('quick') WHERE name = 'audit'" |
  grep -q "^warning: .*public.tw (audited in wal mode, but the database's replication slot is gone" ||
  fail "the health check: $(S -c "SELECT * FROM dbhealth_checks('quick') WHERE name = 'audit'")"
# a change now is not recorded (documented); a reader does not wait for it
S -c "UPDATE tw SET v = v + 10 WHERE id = 1" >/dev/null
[ "$(S -c "SELECT count(*) FROM dbaudit_log('tw')")" = 650 ] || fail "a change recorded without a slot"

# the recovery, as docs/audit.md writes it
awk '/^<!-- doctest: skip \(needs a promoted standby/ { on = 1; next }
     on && /^```sql/ { inblock = 1; next }
     inblock && /^```/ { exit }
     inblock { print }' "$doc" >"$work/recover.sql"
grep -q 'dbaudit_enable' "$work/recover.sql" || fail "the recovery is not in docs/audit.md: $(cat "$work/recover.sql")"
S -f "$work/recover.sql" >/dev/null || fail "the documented recovery failed"
[ "$(S -c "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical'")" = 1 ] || fail "no new slot"
[ "$(S -c "SELECT options->>'mode' FROM dbaudit_tables() WHERE \"table\" = 'public.tw'")" = wal ] || fail "not in wal mode again"
[ "$(S -c "SELECT count(*) FROM dbaudit_tables() WHERE problem IS NOT NULL")" = 0 ] || fail "still a problem"
rows=$(S -c "SELECT count(*) FROM tw")
[ "$(S -c "SELECT count(*) FROM dbaudit_log('tw') WHERE operation = 'snapshot'")" = "$rows" ] || fail "not one snapshot a row"
# recorded again from the WAL, by the promoted server's own worker
S -c "BEGIN" -c "SET LOCAL dbcare.actor = 'after'" -c "UPDATE tw SET v = v + 1 WHERE id <= 20" \
  -c "INSERT INTO tw VALUES (1000, 7, 'new')" -c "COMMIT" >/dev/null
[ "$(S -c "SELECT count(*) FROM dbaudit_log('tw') WHERE actor = 'after'")" = 21 ] || fail "the changes after the recovery"
[ -n "$(S -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dbcare audit wal'")" ] || fail "no worker"
bad=$(S -c "SELECT count(*) FROM tw WHERE dbaudit_row_at('tw', jsonb_build_object('id', id), '2999-01-01') IS DISTINCT FROM to_jsonb(tw)")
[ "$bad" = 0 ] || fail "$bad rows do not rebuild from the log"
[ "$(S -c "SELECT count(*) FROM dbaudit_verify() WHERE broken_id IS NOT NULL")" = 0 ] ||
  fail "the chain: $(S -c "SELECT * FROM dbaudit_verify()")"

# a database restored from a dump: the same state (no slot of its own, the
# problem named) and the same recovery
"$B/psql" -X -q -h "$lg/sock" -p "$sb_port" -U postgres -d postgres -c "CREATE DATABASE app2" >/dev/null
"$B/pg_dump" -h "$lg/sock" -p "$sb_port" -U postgres -d app -Fc -f "$work/app.dump"
"$B/pg_restore" -h "$lg/sock" -p "$sb_port" -U postgres -d app2 "$work/app.dump" 2>"$work/restore.err" ||
  { cat "$work/restore.err"; fail "pg_restore failed"; }
R() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$lg/sock" -p "$sb_port" -U postgres -d app2 "$@"; }
entries=$(S -c "SELECT count(*) FROM dbcare.audit_log")
[ "$(R -c "SELECT count(*) FROM dbcare.audit_log")" = "$entries" ] || fail "the restored log"
R -c "SELECT problem FROM dbaudit_tables() WHERE \"table\" = 'public.tw'" | grep -q "replication slot is gone" ||
  fail "no problem named in the restored database: $(R -c "SELECT * FROM dbaudit_tables()")"
R -f "$work/recover.sql" >/dev/null || fail "the documented recovery failed in the restored database"
R -c "UPDATE tw SET v = v + 1 WHERE id = 2" >/dev/null
[ "$(R -c "SELECT count(*) FROM dbaudit_history('tw', '{\"id\": 2}') WHERE operation = 'update'")" = \
  "$(($(S -c "SELECT count(*) FROM dbaudit_history('tw', '{\"id\": 2}') WHERE operation = 'update'") + 1))" ] ||
  fail "the restored database does not record: $(R -c "SELECT id, operation, new_values FROM dbaudit_history('tw', '{\"id\": 2}')")"
[ "$(R -c "SELECT count(*) FROM dbaudit_verify() WHERE broken_id IS NOT NULL")" = 0 ] ||
  fail "the restored chain: $(R -c "SELECT * FROM dbaudit_verify()")"
[ "$(S -c "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical'")" = 2 ] || fail "not a slot per database"
echo "pg_audit_wal_standby: $(($(date +%s) - start)) s"
