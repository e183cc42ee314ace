#!/usr/bin/env bash
# A rename log row written by anyone but the runner is not followed (issue
# 49, item 10; docs/schema-as-code.md). Two layers:
#   1. the log's own write path: an INSERT or UPDATE of a row is refused
#      on a connection with the module (outside the runner's insert) and on
#      one without it (Python's sqlite3, the shell), with the registry and
#      the applied list forged alongside, as a writer who can insert
#      anywhere would;
#   2. behind it, a row planted by a writer who drops the guards (who may
#      change the file's schema), with the live table's true identity,
#      saying migration 1 renamed "archive" to "journal": migration 1 made
#      both tables and renamed nothing, so the row is not followed; the
#      generate for a desired schema holding "archive" plans no rename of
#      the live "journal", and still follows a rename a migration made.
# A file of bookkeeping version 17 gets the guards on its next changing call.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/f.db"
q > /dev/null <<'SQL'
SELECT dbmigrate_add('1', 'books', 'CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER);
CREATE TABLE journal (id INTEGER PRIMARY KEY, note TEXT);', 'DROP TABLE journal; DROP TABLE ledger;');
SELECT dbmigrate_add('2', 'entries', 'ALTER TABLE ledger RENAME TO entries;', 'ALTER TABLE entries RENAME TO ledger;');
SELECT dbmigrate_apply();
INSERT INTO journal (note) VALUES ('kept'), ('kept too');
SQL
[ "$(q "SELECT count(*) FROM dbcare_migrations_renames")" = 1 ] || fail "the log: $(q 'SELECT * FROM dbcare_migrations_renames')"
forge_row="INSERT INTO dbcare_migrations_renames (version, direction, op, schema_name, table_name, new_name, identity)
   SELECT '1', 'up', 'rename', 'main', 'archive', 'journal', s.rowid || ':' || s.rootpage
   FROM main.sqlite_schema s WHERE s.name = 'journal'"
# 1. the write path: refused with the module and without it, the registry
# forged too (a migration 1.5 whose script makes the rename, applied)
script='ALTER TABLE archive RENAME TO journal;'
sum=$(printf '%s' "$script" | sha256sum | cut -d' ' -f1)
forge_all="INSERT INTO dbcare_migrations (version, name, kind, script, checksum)
             VALUES ('1.5', 'forged', 'versioned', '$script', 'v1:sha256:$sum');
           INSERT INTO dbcare_migrations_applied (kind, version, name) VALUES ('versioned', '1.5', 'forged');
           $forge_row"
before=$(md5sum "$db")
out=$(q "BEGIN; $forge_all; COMMIT;" 2>&1) && fail "a forged row was written with the module loaded"
echo "$out" | grep -q 'dbcare: the rename log is written only by the migration runner' ||
  fail "the refusal does not say why: $out"
out=$(sqlite3 -batch "$db" "BEGIN; $forge_all; COMMIT;" 2>&1) && fail "a forged row was written without the module"
echo "$out" | grep -q 'dbmigrate_renames_writer' || fail "the refusal without the module: $out"
cat > "$work/forge.py" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
try:
    c.executescript("BEGIN; " + sys.argv[2] + "; COMMIT;")
except sqlite3.Error as e:
    print("refused:", e)
    sys.exit(1)
PY
out=$("$py" "$work/forge.py" "$db" "$forge_all" 2>&1) && fail "a forged row was written by Python's sqlite3"
echo "$out" | grep -q '^refused:' || fail "Python: $out"
[ "$(md5sum "$db")" = "$before" ] || fail "a refused forgery changed the file"
q "UPDATE dbcare_migrations_renames SET new_name = 'archive'" 2>/dev/null && fail "a row was updated by hand"
q "DELETE FROM dbcare_migrations_renames" 2>/dev/null && fail "a row was deleted by hand"
[ "$(q "SELECT count(*) FROM dbcare_migrations_renames")" = 1 ] || fail "the log lost its row"
# a migration's own trigger on the log, fired by the runner's row, writes
# no second row through the runner's path (on a copy: the migration fails)
cp "$db" "$work/relay.db"
main_db=$db db="$work/relay.db"
q "SELECT dbmigrate_add('3', 'relay', 'CREATE TEMP TRIGGER relay AFTER INSERT ON dbcare_migrations_renames
     BEGIN INSERT INTO dbcare_migrations_renames (version, direction, op, schema_name, table_name, new_name)
     VALUES (''1'', ''up'', ''rename'', ''main'', ''archive'', ''journal''); END;
   ALTER TABLE entries RENAME TO ledger2;', 'ALTER TABLE ledger2 RENAME TO entries;');
   SELECT dbmigrate_apply();" >/dev/null 2>&1 && fail "a migration's trigger wrote through the runner's path"
[ "$(q "SELECT count(*) FROM dbcare_migrations_renames WHERE table_name = 'archive'")" = 0 ] ||
  fail "a migration's trigger wrote a row"
db=$main_db
[ "$(q "SELECT count(*) FROM dbcare_migrations_renames WHERE version = '1.5' OR new_name = 'archive'")" = 0 ] ||
  fail "a forged row is in the log"
echo "ok: the log is written only by the runner"

# 2. a writer who may change the schema: the guards dropped, the row planted
q "DROP TRIGGER dbcare_migrations_renames_insert_guard"
q "INSERT INTO dbcare_migrations_renames (version, direction, op, schema_name, table_name, new_name, identity)
   SELECT '1', 'up', 'rename', 'main', 'archive', 'journal', s.rowid || ':' || s.rootpage
   FROM main.sqlite_schema s WHERE s.name = 'journal'"
desired="CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER);
CREATE TABLE archive (id INTEGER PRIMARY KEY, note TEXT);"
got=$(q -cmd ".parameter set :d \"$desired\"" \
  "SELECT step || ' | ' || statement || ' | ' || coalesce(hazard, '') FROM dbmigrate_generate(:d, '{\"allow_drop\": true}') ORDER BY step" 2>&1 || true)
echo "$got" | grep -qi 'RENAME TO "\?archive' && fail "the forged row was followed: $got"
echo "$got" | grep -q 'drops table journal' || fail "the plan does not drop journal as any drop: $got"
# the rename migration 2 made is followed: entries was ledger
echo "$got" | grep -q 'renames table entries to ledger' ||
  fail "the rename migration 2 made is not followed: $got"
[ "$(q "SELECT group_concat(note) FROM journal")" = "kept,kept too" ] || fail "the live rows changed"
echo "ok: a planted row is not followed"

# a file of bookkeeping version 17 (no guards) gets them on its next changing call
q "DROP TRIGGER IF EXISTS dbcare_migrations_renames_update_guard; DROP TRIGGER IF EXISTS dbcare_migrations_renames_delete_guard;
   UPDATE dbcare_bookkeeping SET version = 17"
q "SELECT dbcare_set('health.fragmentation.warn', '32')" > /dev/null
[ "$(q "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'trigger'
        AND tbl_name = 'dbcare_migrations_renames' ORDER BY name)")" = \
  "dbcare_migrations_renames_delete_guard dbcare_migrations_renames_insert_guard dbcare_migrations_renames_update_guard" ] ||
  fail "the upgrade did not make the guards"
q "$forge_row" 2>/dev/null && fail "a row was written after the upgrade"
echo ok
