#!/usr/bin/env bash
# A database with no table in wal mode costs the worker nothing (issue 63):
# the slot made by the first table enabled in wal mode used to stay when the
# last one left, and its worker went on decoding every write of the
# database. Now the worker writes the entries of every change made while a
# table was in wal mode, then drops the slot and ends:
#  - the changes written right before the disable are all in the log;
#  - the slot and the worker are gone, and stay gone while unaudited
#    tables are written (no decoding: nothing reads the WAL);
#  - a table enabled in wal mode again makes a new slot and is recorded;
#  - while another table is still in wal mode, the slot stays.
set -eu
db=dbcare_audit_wal_retire
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_logical.sh"
start=$(date +%s)
slots() { L -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'dbcare_audit_%'"; }
workers() { L -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dbcare audit wal'"; }
# wait_for WHAT VALUE: polls WHAT (a function) until it prints VALUE, 30 s at most
wait_for() {
  for _ in $(seq 1 300); do
    [ "$("$1")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

L -c "CREATE TABLE w (id int PRIMARY KEY, v text)" -c "CREATE TABLE keep (id int PRIMARY KEY)" \
  -c "CREATE TABLE u (id int PRIMARY KEY, v text)"
L -c "SELECT dbaudit_enable('w', mode => 'wal')" >/dev/null
[ "$(slots)" = 1 ] || fail "enabling wal mode made no slot"
# written and disabled at once: the worker has decoded none of it yet
L -c "INSERT INTO w SELECT g, 'v' || g FROM generate_series(1, 2000) g" \
  -c "UPDATE w SET v = 'changed' WHERE id <= 500" \
  -c "SELECT dbaudit_disable('w')" >/dev/null
wait_for slots 0 || fail "the slot stayed with no table in wal mode: $(L -c "SELECT slot_name, confirmed_flush_lsn FROM pg_replication_slots")"
wait_for workers 0 || fail "the worker runs on with no slot"
got=$(L -c "SELECT count(*) FILTER (WHERE operation = 'insert') || ' ' || count(*) FILTER (WHERE operation = 'update')
            FROM dbaudit_log('w')")
[ "$got" = "2000 500" ] || fail "the changes before the disable are not all in the log (inserts, updates): $got"
grep -q "no table is audited in wal mode any more: the audit slot dbcare_audit_[0-9]* was dropped" "$lg/server.log" ||
  fail "the server log does not say why the slot went"

# unaudited writes: nothing decodes them
L -c "INSERT INTO u SELECT g, 'x' FROM generate_series(1, 20000) g" -c "UPDATE u SET v = 'y'" >/dev/null
sleep 0.5
[ "$(slots)/$(workers)" = 0/0 ] || fail "a slot or a worker came back for unaudited writes: $(slots)/$(workers)"

# wal mode again: a new slot, the changes recorded
L -c "SELECT dbaudit_enable('w', mode => 'wal')" >/dev/null
[ "$(slots)" = 1 ] || fail "enabling wal mode again made no slot"
L -c "INSERT INTO w VALUES (5000, 'again')" >/dev/null
[ "$(L -c "SELECT count(*) FROM dbaudit_history('w', '{\"id\": 5000}')")" = 1 ] ||
  fail "the change after wal mode came back is not recorded"

# another table still in wal mode: the slot stays when one leaves
L -c "SELECT dbaudit_enable('keep', mode => 'wal')" -c "SELECT dbaudit_disable('w')" >/dev/null
sleep 1
[ "$(slots)" = 1 ] || fail "the slot went while a table is still in wal mode"
L -c "INSERT INTO keep VALUES (1)" >/dev/null
[ "$(L -c "SELECT count(*) FROM dbaudit_history('keep', '{\"id\": 1}')")" = 1 ] ||
  fail "the table left in wal mode is not recorded"
[ "$(L -c "SELECT count(*) FROM dbaudit_verify() WHERE broken_id IS NOT NULL")" = 0 ] ||
  fail "verify: $(L -c "SELECT * FROM dbaudit_verify()")"
echo "pg_audit_wal_retire: $(($(date +%s) - start)) s"
