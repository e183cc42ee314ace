#!/usr/bin/env bash
# dbmigrate_rebuild_script(table, new_create_sql) writes SQLite's documented
# table rebuild; the script, run by the sqlite3 shell, changes a real-shaped
# table (a name with a quote, a space and non-ASCII letters; an index, a
# trigger, a view, a foreign key from a child table and one to a parent) and
# keeps its rows, indexes, triggers, views and foreign keys, foreign
# enforcement back on. A violation stops it before the commit; new_create_sql
# must be one CREATE TABLE of that table, so nothing else can ride along.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db=$work/rebuild.db
t='or"der lïnes'

q <<'SQL'
PRAGMA foreign_keys = ON;
CREATE TABLE parent (id INTEGER PRIMARY KEY);
INSERT INTO parent VALUES (1), (2);
CREATE TABLE "or""der lïnes" (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id),
                              qty INTEGER, "nöte it" TEXT);
CREATE INDEX "or""der lïnes_qty" ON "or""der lïnes" (qty);
CREATE TABLE audit (n INTEGER);
CREATE TRIGGER "or""der lïnes_ins" AFTER INSERT ON "or""der lïnes" BEGIN INSERT INTO audit VALUES (NEW.qty); END;
CREATE VIEW "big or""ders" AS SELECT id, qty FROM "or""der lïnes" WHERE qty > 1;
CREATE TABLE child (id INTEGER PRIMARY KEY, line_id INTEGER REFERENCES "or""der lïnes"(id));
INSERT INTO "or""der lïnes" (parent_id, qty, "nöte it") VALUES (1, 1, 'a'), (2, 5, 'b''c');
INSERT INTO child (line_id) VALUES (1), (2);
SQL

new='CREATE TABLE "or""der lïnes" (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), qty INTEGER NOT NULL CHECK (qty > 0), "nöte it" TEXT)'
script=$(q "PRAGMA foreign_keys = ON" "SELECT dbmigrate_rebuild_script('$(printf %s "$t" | sed "s/'/''/g")', '$(printf %s "$new" | sed "s/'/''/g")')")
echo "$script"
[ "$(head -n 1 <<<"$script")" = "-- dbcare:no-transaction" ] || fail "the script is not marked no-transaction"

# run it as the sqlite3 shell would run a migration (foreign keys on, as the application has them)
printf '.bail on\nPRAGMA foreign_keys = ON;\n%s\nSELECT foreign_keys FROM pragma_foreign_keys;\n' "$script" |
  sqlite3 -batch "$db" > "$work/run.out" 2>&1 || { cat "$work/run.out"; fail "the script failed"; }
[ "$(tail -n 1 "$work/run.out")" = 1 ] || fail "foreign keys are not back on: $(cat "$work/run.out")"

sql_of() { sqlite3 "$db" "SELECT sql FROM sqlite_schema WHERE name = '$1'"; }
case "$(sql_of "$(sed "s/'/''/g" <<<"$t")")" in *"CHECK (qty > 0)"*) ;; *) fail "the new definition is not in place" ;; esac
[ "$(sqlite3 "$db" "SELECT group_concat(qty || ':' || \"nöte it\", ',') FROM \"or\"\"der lïnes\"")" = "1:a,5:b'c" ] || fail "rows lost"
[ -n "$(sql_of 'or"der lïnes_qty')" ] || fail "the index is gone"
[ -n "$(sql_of 'or"der lïnes_ins')" ] || fail "the trigger is gone"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM "big or""ders"')" = 1 ] || fail "the view is gone or wrong"
[ "$(sqlite3 "$db" 'PRAGMA foreign_key_check')" = "" ] || fail "foreign keys broken"
[ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%dbcare_rebuild%'")" = 0 ] || fail "leftovers"
# two rows went in before the rebuild (the copy fires no trigger), one now
sqlite3 "$db" 'PRAGMA foreign_keys = ON; INSERT INTO "or""der lïnes" (parent_id, qty) VALUES (1, 3); SELECT count(*) FROM audit' |
  grep -qx 3 || fail "the trigger does not fire"
if sqlite3 "$db" 'INSERT INTO "or""der lïnes" (parent_id, qty) VALUES (1, 0)' 2>/dev/null; then
  fail "the new CHECK is not enforced"
fi

# a foreign key violation stops the script before its commit: nothing changes
sqlite3 "$db" 'PRAGMA foreign_keys = OFF; INSERT INTO child (line_id) VALUES (99)'
before=$(sqlite3 "$db" "SELECT sql FROM sqlite_schema ORDER BY name")
script=$(q "PRAGMA foreign_keys = ON" "SELECT dbmigrate_rebuild_script('child', 'CREATE TABLE child (id INTEGER PRIMARY KEY, line_id INTEGER NOT NULL REFERENCES \"or\"\"der lïnes\"(id))')")
if printf '.bail on\nPRAGMA foreign_keys = ON;\n%s\n' "$script" | sqlite3 -batch "$db" > "$work/bad.out" 2>&1; then
  fail "a foreign key violation did not stop the script"
fi
grep -q "foreign_key_violations" "$work/bad.out" || fail "the failure does not name the check: $(cat "$work/bad.out")"
[ "$(sqlite3 "$db" "SELECT sql FROM sqlite_schema ORDER BY name")" = "$before" ] || fail "a failed rebuild changed the schema"

# nothing but one CREATE TABLE of that table is accepted
for bad in "CREATE TABLE child (id INTEGER); DROP TABLE parent" \
           "CREATE TABLE other (id INTEGER)" \
           "DROP TABLE parent" \
           "CREATE TEMP TABLE child (id INTEGER)" \
           "CREATE TABLE child AS SELECT 1"; do
  if out=$(q "SELECT dbmigrate_rebuild_script('child', '$(sed "s/'/''/g" <<<"$bad")')" 2>&1); then
    fail "accepted: $bad"
  fi
  case "$out" in *"dbcare: new_create_sql"*) ;; *) fail "unexpected error for $bad: $out" ;; esac
done
# a table name is only ever quoted into the script
out=$(q "SELECT dbmigrate_rebuild_script('x\"; DROP TABLE parent; --', 'CREATE TABLE \"x\"\"; DROP TABLE parent; --\" (a)')" 2>&1) &&
  fail "a missing table was accepted"
case "$out" in *"dbcare: table"*"does not exist"*) ;; *) fail "unexpected: $out" ;; esac
[ "$(sqlite3 "$db" "SELECT count(*) FROM parent")" = 2 ] || fail "parent was touched"
echo ok
