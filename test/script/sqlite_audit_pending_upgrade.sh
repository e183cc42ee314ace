#!/usr/bin/env bash
# A file at bookkeeping version 22 upgrades to 23 (issue 63: the pending
# views' triggers in fewer expression nodes, sqlite/audit/audit_sql.c):
# pending entries its version-22 triggers wrote, without the module and
# with it (completed in the statement, with the actor), hold an integer, a
# real, a text with a NUL byte, an empty text, a blob and NULL; after the
# first changing call the audit objects are a fresh file's, every entry
# decodes to the JSON the module writes for the same row, the chain
# verifies, and the new triggers write the same pending form again.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/v22.db"
audit_objects() {
  sqlite3 "$db" "SELECT group_concat(type || ' ' || name || ' ' || sql, ';') FROM (SELECT * FROM sqlite_schema
                 WHERE name LIKE 'dbcare\_audit\_%' ESCAPE '\' ORDER BY type, name)"
}
verify() { q "SELECT checked || ' ' || coalesce(broken_id, '-') || ' ' || coalesce(problem, '-') FROM dbaudit_verify"; }
q "CREATE TABLE t (id INTEGER PRIMARY KEY, v);
   SELECT dbaudit_enable('t', '{\"hash_chain\": true}')" > /dev/null
fresh=$(audit_objects)
current=$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")
# version 22's insert triggers (audit_sql.c at 0.3.9's bookkeeping 22: a
# text or blob told by typeof() IN, the key a chain of ||), the shared one
# with a token no TEMP trigger of this build has
sqlite3 "$db" <<'SQL'
DROP TRIGGER dbcare_audit_insert_t; DROP TRIGGER dbcare_audit_pending_insert_t;
CREATE TRIGGER main."dbcare_audit_pending_insert_t" INSTEAD OF INSERT ON "dbcare_audit_pending_insert_t"
 BEGIN INSERT INTO dbcare_audit_log (at, txid, operation, table_name, key, old_values, new_values)
 VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), -1, 'insert', 't', '{' || '"id":' || NEW.n1 || '}', NULL,
 printf('P{"id":i%s,"v":%.1s%s}', NEW.n1, typeof(NEW.n2),
 CASE WHEN typeof(NEW.n2) IN ('text', 'blob') THEN hex(NEW.n2) ELSE quote(NEW.n2) END));
 INSERT INTO dbcare_audit_written (id) VALUES (last_insert_rowid()); END;
CREATE TRIGGER main."dbcare_audit_insert_t" AFTER INSERT ON "t"
 WHEN NOT sqlite_compileoption_used('dbcare-direct:0123456789abcdef') BEGIN
 INSERT INTO "dbcare_audit_pending_insert_t" VALUES (NEW."id", NEW."v"); END;
UPDATE dbcare_bookkeeping SET version = 22;
SQL
[ "$current" -gt 22 ] || fail "the fresh file is at version $current (test premise: above 22)"
values="(1, 7), (2, 2.5), (3, 'a' || char(0) || 'b'), (4, ''), (5, X'00FF'), (6, NULL)"
sqlite3 "$db" "INSERT INTO t VALUES $values"
pending() { sqlite3 "$db" "SELECT group_concat(new_values, ' ') FROM (SELECT new_values FROM dbcare_audit_log
                           WHERE txid = -1 AND operation = 'insert' ORDER BY id)"; }
pend22=$(pending)
[ "$(sqlite3 "$db" "SELECT count(*) FROM dbcare_audit_log WHERE txid = -1")" = 6 ] ||
  fail "version 22 without the module: $(sqlite3 "$db" "SELECT id, txid, new_values FROM dbcare_audit_log")"
q "SELECT dbaudit_actor('ann'); INSERT INTO t VALUES (7, 'c')" > /dev/null
[ "$(sqlite3 "$db" "SELECT count(*) || ' ' || count(actor) FROM dbcare_audit_log WHERE txid > 0")" = "7 1" ] ||
  fail "entries at version 22: $(sqlite3 "$db" "SELECT id, txid, actor FROM dbcare_audit_log")"
[ "$(verify)" = "7 - -" ] || fail "verify at version 22: $(verify)"
old=$(sqlite3 "$db" "SELECT group_concat(id || key || new_values || hash, ' ') FROM dbcare_audit_log")

q "SELECT dbcare_set('audit.hash_chain', 'on')" > /dev/null
[ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = "$current" ] || fail "version 22 not upgraded to $current"
[ "$(audit_objects)" = "$fresh" ] || fail "the audit objects after the upgrade: $(audit_objects)"
[ "$(sqlite3 "$db" "SELECT group_concat(id || key || new_values || hash, ' ') FROM dbcare_audit_log")" = "$old" ] ||
  fail "the upgrade changed old entries"
[ "$(verify)" = "7 - -" ] || fail "verify after the upgrade from 22: $(verify)"

# the same rows again: without the module through the new pending views'
# triggers (the same pending form as version 22's), then with it, finished
sqlite3 "$db" "DELETE FROM t; INSERT INTO t VALUES $values"
[ "$(pending)" = "$pend22" ] || fail "the new triggers' pending form: $(pending), not $pend22"
q "DELETE FROM t; INSERT INTO t VALUES $values" > /dev/null
expect='{"id":1,"v":7} {"id":2,"v":2.5} {"id":3,"v":"a\u0000b"} {"id":4,"v":""} {"id":5,"v":"00FF"} {"id":6,"v":null}'
for round in 0 1 2; do # the inserts at version 22, after the upgrade without the module, with it
  got=$(q "SELECT group_concat(new_values, ' ') FROM (SELECT new_values FROM dbcare_audit_log
           WHERE operation = 'insert' AND key <> '{\"id\":7}' ORDER BY id LIMIT 6 OFFSET $((round * 6)))")
  [ "$got" = "$expect" ] || fail "inserts of round $round: $got"
done
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0")" = 0 ] || fail "entries left pending"
[ "$(verify)" = "32 - -" ] || fail "verify after writes on version $current: $(verify)"
echo ok
