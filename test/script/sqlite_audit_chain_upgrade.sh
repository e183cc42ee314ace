#!/usr/bin/env bash
# A file at bookkeeping version 4 (dbcare 0.3.2) with a chained audit log
# upgrades to version 6 (issue 36, item 3a): it is verified before the
# upgrade (no head to compare yet), its first changing call makes the chain's
# head at the newest chained entry, and entries linked afterwards (by the
# table's trigger, made again by the step to version 6) move the head, so
# verify stays clean; deleting the newest entry is then reported.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/old.db"
q "SELECT dbcare_set('audit.hash_chain', 'on');
   CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
   SELECT dbaudit_enable('t');
   INSERT INTO t VALUES (1, 'a'), (2, 'b');" > /dev/null
# back to version 4's layout: no head table, and the insert trigger of 0.3.2
# (it links to the newest chained entry)
sqlite3 "$db" "
  DROP TRIGGER dbcare_audit_chain_head; DROP TABLE dbcare_audit_chain;
  DROP INDEX dbcare_audit_log_pending;
  UPDATE dbcare_bookkeeping SET version = 4;
  DROP TRIGGER dbcare_audit_insert_t;
  CREATE TRIGGER \"dbcare_audit_insert_t\" AFTER INSERT ON \"t\" BEGIN INSERT INTO dbcare_audit_log
   (at, txid, actor, operation, table_name, key, old_values, new_values) VALUES (dbaudit_now(),
   dbaudit_txid(), dbaudit_actor(), 'insert', 't', dbaudit_json(NULL, 'id', NEW.\"id\"), NULL,
   dbaudit_json(NULL, 'id', NEW.\"id\", 'v', NEW.\"v\")); UPDATE dbcare_audit_log SET prev_hash =
   (SELECT p.hash FROM dbcare_audit_log AS p WHERE p.hash IS NOT NULL AND p.id < last_insert_rowid()
   ORDER BY p.id DESC LIMIT 1), hash = dbaudit_hash((SELECT p.hash FROM dbcare_audit_log AS p
   WHERE p.hash IS NOT NULL AND p.id < last_insert_rowid() ORDER BY p.id DESC LIMIT 1), at, txid,
   db_user, actor, operation, table_name, key, old_values, new_values) WHERE id = last_insert_rowid(); END;"
verify() { q "SELECT checked || ' ' || coalesce(broken_id, '-') || ' ' || coalesce(problem, '-') FROM dbaudit_verify"; }
q "INSERT INTO t VALUES (3, 'c')" > /dev/null
[ "$(verify)" = "3 - -" ] || fail "verify at version 4: $(verify)"
[ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = 4 ] || fail "a read upgraded the file"
# the first changing call upgrades: the head starts at the newest entry
q "SELECT dbcare_set('audit.hash_chain', 'on')" > /dev/null
# the current version: a fresh file's
db="$work/current.db" q "SELECT dbcare_set('audit.hash_chain', 'off')" > /dev/null
current=$(sqlite3 "$work/current.db" "SELECT version FROM dbcare_bookkeeping")
[ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = "$current" ] || fail "not upgraded to $current"
[ "$(sqlite3 "$db" "SELECT last_id = (SELECT max(id) FROM dbcare_audit_log) FROM dbcare_audit_chain WHERE chain = ''")" = 1 ] ||
  fail "the head does not name the newest entry"
# the remade trigger's entries move the head
q "INSERT INTO t VALUES (4, 'd'), (5, 'e')" > /dev/null
[ "$(verify)" = "5 - -" ] || fail "verify after the upgrade: $(verify)"
last=$(q "SELECT max(id) FROM dbcare_audit_log")
q "DELETE FROM dbcare_audit_log WHERE id = $last" > /dev/null
verify | grep -q "^4 $last the newest entries of the log's chain were deleted" || fail "deleted newest entry: $(verify)"

# A file at bookkeeping version 21, whose shared triggers write pending
# entries into the log itself, upgrades to 22 (issue 63: pending views):
# entries written before, with and without the module, keep verifying, the
# audit objects are then a fresh file's, and the chain links on through
# both paths.
db="$work/v21.db"
audit_objects() {
  sqlite3 "$db" "SELECT group_concat(type || ' ' || name || ' ' || sql, ';') FROM (SELECT * FROM sqlite_schema
                 WHERE name LIKE 'dbcare\_audit\_%' ESCAPE '\' ORDER BY type, name)"
}
q "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
   SELECT dbaudit_enable('t', '{\"hash_chain\": true}'); INSERT INTO t VALUES (1, 'a')" > /dev/null
fresh=$(audit_objects)
case "$fresh" in *"view dbcare_audit_pending_insert_t"*) ;; *) fail "no pending view (test premise): $fresh" ;; esac
sqlite3 "$db" <<'SQL'
DROP TRIGGER dbcare_audit_insert_t; DROP TRIGGER dbcare_audit_update_t; DROP TRIGGER dbcare_audit_delete_t;
DROP VIEW dbcare_audit_pending_insert_t; DROP VIEW dbcare_audit_pending_update_t;
DROP VIEW dbcare_audit_pending_delete_t; DROP VIEW dbcare_audit_written;
CREATE TRIGGER main."dbcare_audit_insert_t" AFTER INSERT ON "t"
 WHEN NOT sqlite_compileoption_used('dbcare-direct:0123456789abcdef') BEGIN
 INSERT INTO dbcare_audit_log (at, txid, operation, table_name, key, old_values, new_values)
 VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), -1, 'insert', 't', '{' || '"id":' || NEW."id" || '}',
 NULL, printf('P{"id":i%s,"v":%.1s%s}', NEW."id", typeof(NEW."v"),
 CASE WHEN typeof(NEW."v") IN ('text', 'blob') THEN hex(NEW."v") ELSE quote(NEW."v") END)); END;
UPDATE dbcare_bookkeeping SET version = 21;
SQL
# version 21: pending without the module, completed in the statement with it
sqlite3 "$db" "INSERT INTO t VALUES (2, 'b')"
q "SELECT dbaudit_actor('ann'); INSERT INTO t VALUES (3, 'c')" > /dev/null
[ "$(sqlite3 "$db" "SELECT count(*) || ' ' || count(actor) FROM dbcare_audit_log WHERE txid > 0")" = "3 1" ] ||
  fail "entries at version 21: $(sqlite3 "$db" "SELECT id, txid, actor FROM dbcare_audit_log")"
[ "$(verify)" = "3 - -" ] || fail "verify at version 21: $(verify)"
q "SELECT dbcare_set('audit.hash_chain', 'on')" > /dev/null
[ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = "$current" ] || fail "version 21 not upgraded to $current"
[ "$(audit_objects)" = "$fresh" ] || fail "the audit objects after the upgrade: $(audit_objects)"
[ "$(verify)" = "3 - -" ] || fail "verify after the upgrade from 21: $(verify)"
sqlite3 "$db" "INSERT INTO t VALUES (4, 'd'); UPDATE t SET v = 'e' WHERE id = 4"
q "SELECT dbaudit_actor('bob'); INSERT INTO t VALUES (5, 'f'); DELETE FROM t WHERE id = 1" > /dev/null
[ "$(sqlite3 "$db" "SELECT count(*) || ' ' || sum(txid <= 0) || ' ' || group_concat(coalesce(actor, '-'), ',')
                    FROM dbcare_audit_log")" = "7 0 -,-,ann,-,-,bob,bob" ] ||
  fail "entries after the upgrade from 21: $(sqlite3 "$db" "SELECT id, txid, actor FROM dbcare_audit_log")"
[ "$(verify)" = "7 - -" ] || fail "verify after writes on version 22: $(verify)"
echo ok
