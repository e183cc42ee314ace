#!/usr/bin/env bash
# Writes from connections without dbcare loaded (issue 36, item 15;
# docs/audit.md, "Connections without dbcare"): the sqlite3 shell with no
# .load and Python's sqlite3 without loading anything INSERT, UPDATE and
# DELETE audited tables (a plain one, a hash-chained one, one with
# "updates": "full", one statement of 100,000 rows), with
# trusted_schema = OFF. Every write succeeds and is recorded once: a
# connection with dbcare then finds in the log exactly what a twin
# database written through dbcare holds (same ids, operations, keys, old
# and new values), verify reports no break, history and row_at work, and
# its own writes are recorded after them. A table whose CHECK calls a
# dbjson_* function stays refused without the module (docs/json.md).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/nm.db"
twin="$work/twin.db"
t0=$(date +%s)
bare() { sqlite3 -batch -cmd "PRAGMA trusted_schema = OFF" "$db" "$@" 2>&1; }
setup="CREATE TABLE plain (id INTEGER PRIMARY KEY, v, w TEXT);
   CREATE TABLE chained (id INTEGER PRIMARY KEY, v);
   CREATE TABLE \"odd \"\"name\" (k TEXT, n INTEGER, \"col,}\" TEXT, PRIMARY KEY (k, n));
   CREATE TABLE big (id INTEGER PRIMARY KEY, v INTEGER);
   CREATE TABLE doc (id INTEGER PRIMARY KEY,
                     body TEXT CHECK (dbjson_valid(body, '{\"type\": \"object\"}')));
   INSERT INTO plain VALUES (1, 'a', 'keep'); INSERT INTO chained VALUES (1, 'a');
   SELECT dbaudit_enable('plain'); SELECT dbaudit_enable('chained', '{\"hash_chain\": true}');
   SELECT dbaudit_enable('odd \"name', '{\"updates\": \"full\", \"hash_chain\": true}');
   SELECT dbaudit_enable('big');
   INSERT INTO doc VALUES (1, '{}');"
db=$twin q "$setup" >/dev/null
q "$setup" >/dev/null

# the same statements on both files: without dbcare on nm.db, with it on the twin
writes="INSERT INTO plain VALUES (2, 'it''s', 'x'), (3, 0.1, NULL), (4, x'00ff10', 'y'),
          (5, 'nul' || char(0) || 'byte', 'é ü \"q\" \\ ' || char(10)), (6, 1e300, NULL),
          (7, 9223372036854775807, NULL), (8, -1.5e-7, NULL), (9, 9e999, NULL);
        UPDATE plain SET v = 'changed' WHERE id = 1;
        UPDATE plain SET w = 'keep' WHERE id = 1;
        UPDATE plain SET v = 1.0 WHERE id = 3;
        UPDATE plain SET v = 1 WHERE id = 3;
        DELETE FROM plain WHERE id = 4;
        BEGIN; INSERT INTO chained VALUES (2, 'b'), (3, 'c'); UPDATE chained SET v = 'B' WHERE id = 2; COMMIT;
        DELETE FROM chained WHERE id = 1;
        INSERT INTO \"odd \"\"name\" VALUES ('a,b}', 1, 'x'), ('\"', 2, NULL);
        UPDATE \"odd \"\"name\" SET \"col,}\" = 'z' WHERE n = 1;
        UPDATE \"odd \"\"name\" SET \"col,}\" = 'z' WHERE n = 1;
        DELETE FROM \"odd \"\"name\" WHERE n = 2;
        INSERT INTO big (id, v) WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 100000)
          SELECT g, g FROM g;
        UPDATE big SET v = v + 1 WHERE id % 2 = 0;"
bare "$writes" || fail "writes without the module failed: $(bare "$writes")"
db=$twin q "$writes" >/dev/null
# Python's sqlite3, no extension loaded
pywrites="INSERT INTO chained VALUES (10, 'py'); UPDATE plain SET v = 'py' WHERE id = 2; DELETE FROM big WHERE id <= 3"
"$py" - "$db" "$pywrites" <<'EOF' || fail "Python's writes without the module failed"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA trusted_schema = OFF")
c.executescript(sys.argv[2])
c.close()
EOF
db=$twin q "$pywrites" >/dev/null

# the JSON CHECK stays refused without the module, and changes nothing
out=$(bare "INSERT INTO doc VALUES (2, '{}')") && fail "a dbjson_* CHECK ran without the module"
case "$out" in *"unknown function: dbjson_valid()"*) ;; *) fail "CHECK without the module: $out" ;; esac
[ "$(bare "SELECT count(*) FROM doc")" = 1 ] || fail "the refused CHECK left a row"

pending=$(bare "SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0")
[ "$pending" -gt 150000 ] || fail "only $pending pending entries"
# a module connection: verify completes them, then the log is the twin's
t1=$(date +%s)
verify() { q "SELECT checked || ' ' || coalesce(broken_id, '-') || ' ' || coalesce(problem, '-') FROM dbaudit_verify"; }
chained=$(db=$twin q "SELECT count(*) FROM dbcare_audit_log WHERE hash IS NOT NULL")
[ "$(verify)" = "$chained - -" ] || fail "verify after writes without the module: $(verify) (want $chained)"
echo "completed $pending pending entries in $(($(date +%s) - t1)) s"
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0 OR (txid IS NULL)")" = 0 ] || fail "entries left pending"
cols="id, operation, table_name, key, old_values, new_values, prev_hash IS NULL, hash IS NULL"
log_of() { sqlite3 -batch "$1" "SELECT $cols FROM dbcare_audit_log ORDER BY id" > "$2"; }
log_of "$db" "$work/nm.log"; log_of "$twin" "$work/twin.log"
cmp -s "$work/nm.log" "$work/twin.log" || fail "the log differs from the twin's:
$(diff "$work/nm.log" "$work/twin.log" | head -10)"
[ "$(wc -l < "$work/nm.log")" -gt 150000 ] || fail "the log has $(wc -l < "$work/nm.log") entries"
# entries of one statement share a txid; the statements of the
# transaction without the module got txids of their own
[ "$(q "SELECT count(DISTINCT txid) FROM dbcare_audit_log WHERE table_name = 'big' AND operation = 'insert'")" = 1 ] ||
  fail "a statement's entries have more than one txid"
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE actor IS NOT NULL")" = 0 ] || fail "an actor was invented"
[ "$(q "SELECT group_concat(operation || ':' || coalesce(new_values, old_values), ' ')
        FROM dbaudit_history('plain', '{\"id\": 3}')")" = 'insert:{"id":3,"v":0.1,"w":null} update:{"v":1.0}' ] ||
  fail "history: $(q "SELECT operation, old_values, new_values FROM dbaudit_history('plain', '{\"id\": 3}')")"
[ "$(q "SELECT dbaudit_row_at('plain', '{\"id\": 5}', '2999-01-01')")" = '{"id":5,"v":"nul\u0000byte","w":"é ü \"q\" \\ \n"}' ] ||
  fail "row_at: $(q "SELECT dbaudit_row_at('plain', '{\"id\": 5}', '2999-01-01')")"
[ "$(q "SELECT dbaudit_row_at('chained', '{\"id\": 2}', '2999-01-01')")" = '{"id":2,"v":"B"}' ] ||
  fail "row_at of a chained row: $(q "SELECT dbaudit_row_at('chained', '{\"id\": 2}', '2999-01-01')")"
[ "$(q "SELECT count(*) FROM dbaudit_log('big')")" = 150003 ] || fail "big: $(q "SELECT count(*) FROM dbaudit_log('big')")"

# both kinds keep recording: a write without, then one with (which completes
# the first in id order before its own), then verify
bare "INSERT INTO chained VALUES (20, 'bare')" >/dev/null
q "SELECT dbaudit_actor('ann'); INSERT INTO chained VALUES (21, 'module')" >/dev/null
[ "$(bare "SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0")" = 0 ] || fail "the module's write left an entry pending"
[ "$(bare "SELECT group_concat(coalesce(actor, '-') || ':' || new_values, ' ') FROM dbcare_audit_log WHERE table_name = 'chained' AND id > (SELECT max(id) - 2 FROM dbcare_audit_log)")" = '-:{"id":20,"v":"bare"} ann:{"id":21,"v":"module"}' ] ||
  fail "the last two entries: $(bare "SELECT actor, new_values FROM dbcare_audit_log ORDER BY id DESC LIMIT 2")"
[ "$(verify)" = "$((chained + 2)) - -" ] || fail "verify after both kinds wrote: $(verify)"
out=$(q "INSERT INTO doc VALUES (3, '[]')" 2>&1) && fail "the module's CHECK let [] in"
# the file's own code cannot complete entries (dbaudit_complete is DIRECTONLY),
# and the shared triggers call no dbcare function
out=$(q "CREATE VIEW finish AS SELECT dbaudit_complete(1000000000) AS x; SELECT x FROM finish" 2>&1) &&
  fail "a view called dbaudit_complete: $out"
case "$out" in *"unsafe use of dbaudit_complete()"*) ;; *) fail "view calling dbaudit_complete: $out" ;; esac
# nor make a shared trigger skip a row, nor complete entries, through
# dbaudit_direct (which completes the pending entries before its row)
out=$(q "CREATE VIEW due AS SELECT dbaudit_direct('0000000000000000') AS x; SELECT x FROM due" 2>&1) &&
  fail "a view called dbaudit_direct: $out"
case "$out" in *"unsafe use of dbaudit_direct()"*) ;; *) fail "view calling dbaudit_direct: $out" ;; esac
[ "$(bare "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND sql LIKE '%dbaudit%'")" = 0 ] ||
  fail "a stored trigger calls a dbcare function"
# a UTF-16 file: hex() gives its text's UTF-16 bytes, the log holds UTF-8 JSON
for enc in UTF-16le UTF-16be; do
  db="$work/$enc.db"
  sqlite3 "$db" "PRAGMA encoding = '$enc'; CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT)"
  q "SELECT dbaudit_enable('u'); INSERT INTO u VALUES (1, 'é 😀')" > /dev/null
  bare "INSERT INTO u VALUES (2, 'bare é 😀'); UPDATE u SET v = v || '!' WHERE id = 1" > /dev/null
  [ "$(q "SELECT group_concat(coalesce(old_values, '') || '>' || new_values, ' ') FROM dbaudit_log('u')")" = \
    '>{"id":1,"v":"é 😀"} >{"id":2,"v":"bare é 😀"} {"v":"é 😀"}>{"v":"é 😀!"}' ] ||
    fail "$enc: $(q "SELECT old_values, new_values FROM dbaudit_log('u')")"
done
echo "ok ($(($(date +%s) - t0)) s)"
