#!/usr/bin/env bash
# Audit-log ids never repeat (issue 50, item 7): entries deleted from the
# end, by hand or because the whole log was pruned, leave their ids used,
# with and without dbcare on the writing connection; a file at bookkeeping
# version 12 (the log without AUTOINCREMENT) is upgraded to 13 keeping its
# entries, ids and chain, with a view of the application on the log.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/ids.db"
q "SELECT dbcare_set('audit.hash_chain', 'on');
   CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
   SELECT dbaudit_enable('t');
   INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');" >/dev/null
top=$(q "SELECT max(id) FROM dbcare_audit_log")
q "DELETE FROM dbcare_audit_log WHERE id = $top; INSERT INTO t VALUES (4, 'd')" >/dev/null
[ "$(q "SELECT max(id) FROM dbcare_audit_log")" = $((top + 1)) ] ||
  fail "an id deleted from the end was reused: $(q "SELECT group_concat(id) FROM dbcare_audit_log")"
# the whole log pruned, then a write without dbcare (a pending entry)
q "DELETE FROM dbcare_audit_log" >/dev/null
sqlite3 "$db" "INSERT INTO t VALUES (5, 'e')"
[ "$(sqlite3 "$db" "SELECT id FROM dbcare_audit_log")" = $((top + 2)) ] ||
  fail "an emptied log restarted its ids: $(sqlite3 "$db" "SELECT id FROM dbcare_audit_log")"
# a pending entry copied in with its id keeps that id, completed in place,
# and the next entry follows it
q "INSERT INTO dbcare_audit_log (id, at, txid, operation, table_name, key, new_values)
     VALUES (900, '2026-01-01T00:00:00.000Z', 0, 'insert', 't', '{\"id\":9}', 'P{\"id\":i9,\"v\":t62}');
   INSERT INTO t VALUES (6, 'f')" >/dev/null
[ "$(q "SELECT group_concat(id || ':' || (txid > 0) || ':' || new_values, ' ') FROM dbcare_audit_log WHERE id >= 900")" = \
  '900:1:{"id":9,"v":"b"} 901:1:{"id":6,"v":"f"}' ] ||
  fail "a pending entry with its id: $(q "SELECT group_concat(id || ':' || txid || ':' || new_values, ' ') FROM dbcare_audit_log WHERE id >= 900")"

# --- version 12: the same log without AUTOINCREMENT
db="$work/v12.db"
q "SELECT dbcare_set('audit.hash_chain', 'on');
   CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
   SELECT dbaudit_enable('t');
   INSERT INTO t VALUES (1, 'a'), (2, 'b'); UPDATE t SET v = 'B' WHERE id = 2;" >/dev/null
sqlite3 "$db" "
  PRAGMA legacy_alter_table = ON;
  CREATE TABLE old_log (id INTEGER PRIMARY KEY, at TEXT NOT NULL, txid INTEGER NOT NULL,
    db_user TEXT, actor TEXT, operation TEXT NOT NULL, table_name TEXT NOT NULL, key TEXT,
    old_values TEXT, new_values TEXT, prev_hash TEXT, hash TEXT);
  INSERT INTO old_log SELECT id, at, txid, db_user, actor, operation, table_name, key,
    old_values, new_values, prev_hash, hash FROM dbcare_audit_log;
  DROP TABLE dbcare_audit_log; DELETE FROM sqlite_sequence;
  ALTER TABLE old_log RENAME TO dbcare_audit_log;
  CREATE INDEX dbcare_audit_log_hashed ON dbcare_audit_log (id) WHERE hash IS NOT NULL;
  CREATE INDEX dbcare_audit_log_row ON dbcare_audit_log (table_name, key);
  CREATE INDEX dbcare_audit_log_pending ON dbcare_audit_log (id) WHERE txid <= 0;
  CREATE TRIGGER dbcare_audit_chain_head AFTER UPDATE OF hash ON dbcare_audit_log
   WHEN NEW.hash IS NOT NULL AND length(NEW.hash) = 64 AND NEW.id >=
   coalesce((SELECT last_id FROM dbcare_audit_chain WHERE chain = ''), 0)
   BEGIN INSERT OR REPLACE INTO dbcare_audit_chain (chain, last_hash, last_id)
   VALUES ('', NEW.hash, NEW.id); END;
  CREATE VIEW recent_changes AS SELECT id, operation FROM dbcare_audit_log;
  DROP TRIGGER dbcare_audit_insert_t;
  CREATE TRIGGER dbcare_audit_insert_t AFTER INSERT ON t BEGIN INSERT INTO dbcare_audit_log
   (at, txid, operation, table_name, key, new_values) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
   -1, 'insert', 't', '{\"id\":' || NEW.id || '}', 'P{' || '\"id\":i' || NEW.id || ',\"v\":t' || hex(NEW.v) || '}'); END;
  UPDATE dbcare_bookkeeping SET version = 12;"
before=$(sqlite3 "$db" "SELECT group_concat(id || hash, ',') FROM dbcare_audit_log")
top=$(sqlite3 "$db" "SELECT max(id) FROM dbcare_audit_log")
sqlite3 "$db" "SELECT sql FROM sqlite_schema WHERE name = 'dbcare_audit_log'" | grep -q AUTOINCREMENT &&
  fail "the version 12 log is not what version 12 made"
q "DELETE FROM dbcare_audit_log WHERE id = $top; SELECT dbcare_set('audit.hash_chain', 'on')" >/dev/null
# upgraded through 13 to the current version: a fresh file's
db="$work/current.db" q "SELECT dbcare_set('audit.hash_chain', 'off')" >/dev/null
current=$(sqlite3 "$work/current.db" "SELECT version FROM dbcare_bookkeeping")
[ "$current" -ge 13 ] || fail "a fresh file is at version $current, before the log's AUTOINCREMENT"
[ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = "$current" ] || fail "not upgraded to $current"
sqlite3 "$db" "SELECT sql FROM sqlite_schema WHERE name = 'dbcare_audit_log'" | grep -q AUTOINCREMENT ||
  fail "the upgraded log has no AUTOINCREMENT"
[ "$(sqlite3 "$db" "SELECT group_concat(id || hash, ',') || ',' FROM dbcare_audit_log")" = "$(sed "s/,[^,]*$/,/" <<<"$before")" ] ||
  fail "the upgrade changed the entries"
# the pending entry's printf form, in the trigger of the insert's pending view
[ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'
                    AND name = 'dbcare_audit_pending_insert_t' AND sql LIKE '%printf(%'")" = 1 ] ||
  fail "the upgrade did not make the table's triggers again"
for ix in dbcare_audit_log_hashed dbcare_audit_log_row dbcare_audit_log_pending dbcare_audit_chain_head; do
  [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE name = '$ix'")" = 1 ] || fail "$ix is missing after the upgrade"
done
# the entry deleted before the upgrade stays used; the chain verifies (the
# deleted newest entry is reported), the application's view reads the log
q "INSERT INTO t VALUES (3, 'c')" >/dev/null
[ "$(q "SELECT max(id) FROM dbcare_audit_log")" = $((top + 1)) ] ||
  fail "the upgrade forgot the deleted newest id: $(q "SELECT group_concat(id) FROM dbcare_audit_log")"
[ "$(q "SELECT count(*) FROM recent_changes")" = "$top" ] || fail "the view does not read the upgraded log"
[ "$(q "SELECT txid > 0 FROM dbcare_audit_log WHERE id = $((top + 1))")" = 1 ] ||
  fail "the upgrading connection's entry was left pending"
echo ok
