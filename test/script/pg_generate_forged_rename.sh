#!/usr/bin/env bash
# A rename log row the runner did not write is not followed on PostgreSQL
# either (issue 49, item 10; docs/schema-as-code.md): a role the caller
# trusts (here the superuser itself, by hand) inserts a row with the live
# table's true identity saying migration 1 renamed "archive" to "journal".
# Migration 1 made both tables and renamed nothing, so the generate for a
# desired schema holding "archive" plans no rename of the live "journal"
# and says why; the rename migration 2 made is still followed.
set -eu
db=dbcare_generate_forged
. "$(dirname "$0")/lib/pg.sh"
fresh_db
q > /dev/null <<'SQL'
SELECT dbmigrate_add('1', 'books', 'CREATE TABLE ledger (id integer PRIMARY KEY, amount integer);
CREATE TABLE journal (id integer PRIMARY KEY, note text);', 'DROP TABLE journal; DROP TABLE ledger;');
SELECT dbmigrate_add('2', 'entries', 'ALTER TABLE ledger RENAME TO entries;', 'ALTER TABLE entries RENAME TO ledger;');
SELECT dbmigrate_apply();
INSERT INTO journal (id, note) VALUES (1, 'kept'), (2, 'kept too');
INSERT INTO dbcare.migrations_renames (version, direction, op, schema_name, table_name, new_name, identity)
SELECT '1', 'up', 'rename', 'public', 'archive', 'journal', 'journal'::regclass::oid::text;
SQL
got=$("$B/psql" -X -q -At -d "$db" 2>&1 <<'SQL'
SELECT step || ' | ' || coalesce(hazard, '') FROM dbmigrate_generate('
CREATE TABLE ledger (id integer PRIMARY KEY, amount integer);
CREATE TABLE archive (id integer PRIMARY KEY, note text);', '{"allow_drop": true}') ORDER BY step;
SQL
)
echo "$got" | grep -q 'renames table journal to archive' && fail "the forged row was followed: $got"
echo "$got" | grep -q 'drops table public.journal' || fail "journal is not dropped as any drop: $got"
echo "$got" | grep -q "1 rename(s) of the rename log name a migration whose script makes no such rename" ||
  fail "no warning about the forged row: $got"
echo "$got" | grep -q 'renames table entries to ledger' || fail "migration 2's rename is not followed: $got"
[ "$(q -c "SELECT string_agg(note, ',' ORDER BY id) FROM journal")" = "kept,kept too" ] || fail "the live rows changed"
echo ok
