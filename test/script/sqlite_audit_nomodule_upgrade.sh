#!/usr/bin/env bash
# A file at bookkeeping version 5 (dbcare 0.3.3), with audited tables whose
# triggers call dbcare's functions and entries in the log, upgrades to
# version 6 (issue 36, item 15): before, a write without the module is
# refused and a read upgrades nothing; the first changing call adds the
# index of pending entries and makes every audited table's triggers again
# in the form that needs no dbcare function; then connections with and
# without the module both record, the old entries stay as they were, and
# verify is clean over old and new.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/v5.db"
q "CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT);
   CREATE TABLE chained (id INTEGER PRIMARY KEY, v TEXT);
   SELECT dbaudit_enable('plain'); SELECT dbaudit_enable('chained', '{\"hash_chain\": true}');" > /dev/null
# version 5's triggers (audit_sql.c of 0.3.3): dbcare's functions, the link after the insert
head="(SELECT c.last_hash FROM dbcare_audit_chain AS c WHERE c.chain = '')"
link="UPDATE dbcare_audit_log SET prev_hash = $head, hash = dbaudit_hash($head, at, txid, db_user, actor,
      operation, table_name, key, old_values, new_values) WHERE id = last_insert_rowid();"
v5() { # $1 table, $2 the link statement or nothing
  local ins="INSERT INTO dbcare_audit_log (at, txid, actor, operation, table_name, key, old_values, new_values)
             VALUES (dbaudit_now(), dbaudit_txid(), dbaudit_actor(),"
  echo "DROP TRIGGER dbcare_audit_insert_$1; DROP TRIGGER dbcare_audit_update_$1; DROP TRIGGER dbcare_audit_delete_$1;
    CREATE TRIGGER main.\"dbcare_audit_insert_$1\" AFTER INSERT ON \"$1\" BEGIN $ins 'insert', '$1',
      dbaudit_json(NULL, 'id', NEW.\"id\"), NULL, dbaudit_json(NULL, 'id', NEW.\"id\", 'v', NEW.\"v\")); $2 END;
    CREATE TRIGGER main.\"dbcare_audit_update_$1\" AFTER UPDATE ON \"$1\" WHEN OLD.\"v\" IS NOT NEW.\"v\" BEGIN
      $ins 'update', '$1', dbaudit_json(NULL, 'id', NEW.\"id\"), dbaudit_json_changed(NULL, 0, 'v', OLD.\"v\", NEW.\"v\"),
      dbaudit_json_changed(NULL, 1, 'v', OLD.\"v\", NEW.\"v\")); $2 END;
    CREATE TRIGGER main.\"dbcare_audit_delete_$1\" AFTER DELETE ON \"$1\" BEGIN $ins 'delete', '$1',
      dbaudit_json(NULL, 'id', OLD.\"id\"), dbaudit_json(NULL, 'id', OLD.\"id\", 'v', OLD.\"v\"), NULL); $2 END;"
}
sqlite3 "$db" "DROP INDEX dbcare_audit_log_pending; UPDATE dbcare_bookkeeping SET version = 5;
  $(v5 plain '') $(v5 chained "$link")"
writes() { # $1 first id
  echo "INSERT INTO plain VALUES ($1, 'a'), ($(($1 + 1)), 'b'); UPDATE plain SET v = 'c' WHERE id = $1;
        DELETE FROM plain WHERE id = $(($1 + 1));
        INSERT INTO chained VALUES ($1, 'a'), ($(($1 + 1)), 'b'); UPDATE chained SET v = 'c' WHERE id = $1;
        DELETE FROM chained WHERE id = $(($1 + 1));"
}
verify() { q "SELECT checked || ' ' || coalesce(broken_id, '-') || ' ' || coalesce(problem, '-') FROM dbaudit_verify"; }
q "$(writes 1)" > /dev/null
out=$(sqlite3 "$db" "$(writes 10)" 2>&1) && fail "version 5's triggers ran without the module"
case "$out" in *"no such function: dbaudit_"*) ;; *) fail "without the module at version 5: $out" ;; esac
[ "$(verify)" = "4 - -" ] || fail "verify at version 5: $(verify)"
[ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = 5 ] || fail "a read upgraded the file"
old=$(sqlite3 "$db" "SELECT group_concat(id || key || coalesce(old_values, '') || coalesce(new_values, '') || coalesce(hash, ''), ' ') FROM dbcare_audit_log")

# the first changing call upgrades
q "SELECT dbcare_set('audit.hash_chain', 'off')" > /dev/null
# the current version: a fresh file's
db="$work/current.db" q "SELECT dbcare_set('audit.hash_chain', 'off')" > /dev/null
current=$(sqlite3 "$work/current.db" "SELECT version FROM dbcare_bookkeeping")
[ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = "$current" ] || fail "not upgraded to $current"
[ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE name = 'dbcare_audit_log_pending'")" = 1 ] || fail "no pending index"
[ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'dbcare_audit_%' AND sql LIKE '%dbaudit%'")" = 0 ] ||
  fail "triggers still call dbcare's functions"
[ "$(q "SELECT count(*) FROM dbaudit_tables WHERE recording AND problem IS NULL")" = 2 ] ||
  fail "tables after the upgrade: $(q "SELECT * FROM dbaudit_tables")"
[ "$(sqlite3 "$db" "SELECT group_concat(id || key || coalesce(old_values, '') || coalesce(new_values, '') || coalesce(hash, ''), ' ') FROM dbcare_audit_log")" = "$old" ] ||
  fail "the upgrade changed old entries"

# both kinds record from now on
sqlite3 "$db" "$(writes 10)" || fail "a write without the module after the upgrade"
q "SELECT dbaudit_actor('ann'); $(writes 20)" > /dev/null
sqlite3 "$db" "$(writes 30)"
[ "$(verify)" = "16 - -" ] || fail "verify after the upgrade: $(verify)"
[ "$(q "SELECT count(*) || ' ' || count(actor) || ' ' || sum(txid <= 0) FROM dbcare_audit_log")" = "32 8 0" ] ||
  fail "entries after the upgrade: $(q "SELECT count(*), count(actor), sum(txid <= 0) FROM dbcare_audit_log")"
[ "$(q "SELECT group_concat(operation || ':' || coalesce(old_values, '') || '>' || coalesce(new_values, ''), ' ')
        FROM dbaudit_history('chained', '{\"id\": 10}')")" = 'insert:>{"id":10,"v":"a"} update:{"v":"a"}>{"v":"c"}' ] ||
  fail "history of a row written without the module: $(q "SELECT * FROM dbaudit_history('chained', '{\"id\": 10}')")"
# pending values in both forms: a blob as its hex (shared triggers of 0.3.9
# builds before the quote() form) and as quote() writes it (X'hex'), a
# NULL with and without its text; both sides of an update compared as read
[ "$(q "SELECT dbaudit_decode('P{\"a\":b00FF,\"b\":bX''00FF'',\"c\":bX'''',\"d\":b,\"e\":nNULL,\"f\":n}', NULL),
               dbaudit_decode('C{\"a\":bX''00FF'',\"b\":i1}', 'C{\"a\":bX''00FF'',\"b\":i2}')")" = \
  '{"a":"00FF","b":"00FF","c":"","d":"","e":null,"f":null}|{"b":1}' ] ||
  fail "pending values of either form: $(q "SELECT dbaudit_decode('P{\"b\":bX''00FF''}', NULL)")"

# a file whose shared triggers an earlier build of bookkeeping version 19
# made (their text, hence their token, differs from this build's: here
# the token changed by hand) gets them made again by the first changing
# call, so its connections with dbcare write entries finished again
db="$work/v19.db"
q "CREATE TABLE t19 (id INTEGER PRIMARY KEY, v TEXT); SELECT dbaudit_enable('t19')" > /dev/null
made=$(sqlite3 "$db" "SELECT group_concat(sql, ';') FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 't19'")
case "$made" in *dbcare-direct:*) ;; *) fail "no token in the shared triggers (test premise): $made" ;; esac
sqlite3 "$db" "PRAGMA writable_schema = ON;
  UPDATE sqlite_schema SET sql = replace(sql, 'dbcare-direct:', 'dbcare-direct:9')
    WHERE type = 'trigger' AND tbl_name = 't19';
  UPDATE dbcare_bookkeeping SET version = 19;"
[ "$(sqlite3 "$db" "SELECT group_concat(sql, ';') FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 't19'")" != "$made" ] ||
  fail "the triggers were not changed (test premise)"
q "SELECT dbcare_set('audit.hash_chain', 'off')" > /dev/null
[ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = "$current" ] || fail "version 19 not upgraded to $current"
[ "$(sqlite3 "$db" "SELECT group_concat(sql, ';') FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 't19'")" = "$made" ] ||
  fail "the upgrade from version 19 kept an earlier build's shared triggers"
echo ok
