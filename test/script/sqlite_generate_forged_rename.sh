#!/usr/bin/env bash
# A rename log row inserted by hand is not followed (issue 49, item 10;
# docs/schema-as-code.md): anyone who may write the file can add a row to
# dbcare_migrations_renames, with the live table's true identity, saying
# migration 1 renamed "archive" to "journal". Migration 1 made both tables
# and renamed nothing, so the row is not followed: the generate for a
# desired schema holding "archive" plans no rename of the live "journal"
# (it would have been renamed, credited to migration 1), and still follows a rename a migration did make.
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
# the forged row, as the runner would have written it
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
echo ok
