#!/usr/bin/env bash
# Writes from a connection without dbcare loaded (issue 36, item 15): what
# docs/audit.md ("SQLite specifics") and docs/json.md ("In CHECK
# constraints") promise today. A write to an audited table (plain or
# hash-chained) or to a table whose CHECK calls a dbjson_* function is
# refused with SQLite's error and leaves nothing behind:
# no row changed without its audit entry, no CHECK skipped. Reads need no
# module. The module's connections then find the file as it was: the log
# verifies clean and their own writes are recorded.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/nm.db"
# the system sqlite3 shell with no .load
bare() { sqlite3 -batch "$db" "$@" 2>&1; }
q "CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT);
   CREATE TABLE chained (id INTEGER PRIMARY KEY, v TEXT);
   CREATE TABLE doc (id INTEGER PRIMARY KEY,
                     body TEXT CHECK (dbjson_valid(body, '{\"type\": \"object\"}')));
   INSERT INTO plain VALUES (1, 'a'); INSERT INTO chained VALUES (1, 'a');
   SELECT dbaudit_enable('plain'); SELECT dbaudit_enable('chained', '{\"hash_chain\": true}');
   INSERT INTO doc VALUES (1, '{}');" > /dev/null
log_before=$(q "SELECT count(*) || ':' || max(id) FROM dbcare_audit_log")
state() { bare "SELECT group_concat(id || '=' || v) FROM (SELECT * FROM plain ORDER BY id);
                SELECT group_concat(id || '=' || v) FROM (SELECT * FROM chained ORDER BY id);
                SELECT group_concat(id || '=' || body) FROM doc"; }
before=$(state)
[ "$before" = "1=a
1=a
1={}" ] || fail "reads without the module: $before"

refused() { # $1 statement, $2 the function the error must name
  out=$(bare "$1") && fail "written without the module: $1"
  case "$out" in
    *"$2"*) ;;
    *) fail "$1: want '$2', got: $out" ;;
  esac
  [ "$(state)" = "$before" ] || fail "$1 left a change: $(state)"
}
for t in plain chained; do
  refused "INSERT INTO $t VALUES (2, 'b')" "no such function: dbaudit_"
  refused "UPDATE $t SET v = 'it''s' WHERE id = 1" "no such function: dbaudit_"
  refused "DELETE FROM $t WHERE id = 1" "no such function: dbaudit_"
  # a transaction: the refused statement takes none of its rows with it,
  # and the application's COMMIT commits only what was accepted
  bare "BEGIN; INSERT INTO $t VALUES (3, 'c'); COMMIT;" > /dev/null || true
  [ "$(state)" = "$before" ] || fail "$t: a transaction left a change: $(state)"
done
refused "INSERT INTO doc VALUES (2, '[]')" "unknown function: dbjson_valid()"
refused "INSERT INTO doc VALUES (2, '{}')" "unknown function: dbjson_valid()"
refused "UPDATE doc SET body = '{\"a\": 1}'" "unknown function: dbjson_valid()"

[ "$(q "SELECT count(*) || ':' || max(id) FROM dbcare_audit_log")" = "$log_before" ] ||
  fail "the log changed without the module"
verify() { q "SELECT checked || ' ' || coalesce(broken_id, '-') || ' ' || coalesce(problem, '-')
              FROM dbaudit_verify"; }
[ "$(verify)" = "0 - -" ] || fail "verify after refused writes: $(verify)"
# the module's connections record as before, chain included
q "INSERT INTO chained VALUES (2, 'b'); UPDATE plain SET v = 'z'; INSERT INTO doc VALUES (2, '{}')"
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE table_name IN ('plain', 'chained')
         AND operation IN ('insert', 'update')")" = 2 ] || fail "module writes not recorded"
[ "$(verify)" = "1 - -" ] || fail "verify after module writes: $(verify)"
out=$(q "INSERT INTO doc VALUES (3, '[]')" 2>&1) && fail "the module's CHECK let [] in"
echo "ok"
