#!/usr/bin/env bash
# Renames dbcare recorded (docs/schema-as-code.md, issue 40), SQLite: the
# migration runner logs each table and column rename and drop a migration
# makes, with the table's identity (its sqlite_schema row and root page, a
# column's position). dbmigrate_generate then renames a live table or column
# back to a name the log says it had, without a mark, and loses no row of
# 200,000; a table dropped and made again by hand under the same name is
# another object: its drop is refused as any drop. The rollback's renames
# are logged too, dbmigrate_verify logs nothing, a failed migration leaves
# nothing, and a logged drop ends the name's history.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/r.db"
n=200000
desired_old="CREATE TABLE keep (id INTEGER PRIMARY KEY);
CREATE TABLE customer (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT);"
desired_new="CREATE TABLE keep (id INTEGER PRIMARY KEY);
CREATE TABLE client (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);"
plan() { # DESIRED -> the plan's statements and hazards, or the error
  q -cmd ".parameter set :d \"$(sed 's/"/""/g' <<<"$1")\"" \
    "SELECT step || ' | ' || statement || ' | ' || coalesce(hazard, '') FROM dbmigrate_generate(:d) ORDER BY step" 2>&1 || true
}
apply_plan() { # DESIRED: runs the plan's statements in one transaction
  "$py" - "$db" "$module" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.enable_load_extension(True); db.load_extension(sys.argv[2])
rows = db.execute("SELECT statement FROM dbmigrate_generate(?) ORDER BY step", (sys.argv[3],)).fetchall()
db.execute("BEGIN")
for (s,) in rows:
    db.execute(s)
db.execute("COMMIT")
PY
}
rows_digest() { sqlite3 "$db" "SELECT count(*) || ':' || sum(id) || ':' || sum(length($1)) FROM $2"; }

q > /dev/null <<SQL
CREATE TABLE keep (id INTEGER PRIMARY KEY);
SELECT dbmigrate_add('1', 'customers', 'CREATE TABLE customer (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT);', 'DROP TABLE customer;');
SELECT dbmigrate_add('2', 'to clients', 'ALTER TABLE customer RENAME TO client;
ALTER TABLE "client" RENAME COLUMN full_name TO name;', 'ALTER TABLE client RENAME COLUMN name TO full_name;
ALTER TABLE client RENAME TO customer;');
SELECT dbmigrate_apply('1');
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $n)
INSERT INTO customer SELECT i, 'name ' || i, 'e' || i FROM g;
SELECT dbmigrate_apply();
SQL
[ "$(q "SELECT group_concat(op || ' ' || table_name || coalesce('.' || column_name, '') || ' ' || new_name, ', ') FROM (SELECT * FROM dbcare_migrations_renames ORDER BY id)")" = \
  "rename customer client, rename client.full_name name" ] || fail "the log: $(q 'SELECT * FROM dbcare_migrations_renames')"
before=$(rows_digest name client)
[ "${before%%:*}" = "$n" ] || fail "the table does not hold its $n rows: $before"

# verify proves the migrations in rolled-back savepoints: nothing logged
q "SELECT count(*) FROM dbmigrate_verify()" > /dev/null
[ "$(q 'SELECT count(*) FROM dbcare_migrations_renames')" = 2 ] || fail "dbmigrate_verify logged renames"

# a failed migration's renames go with it
q "SELECT dbmigrate_add('3', 'fails', 'ALTER TABLE keep RENAME TO kept; SELECT * FROM no_such_table;')" > /dev/null
q "SELECT dbmigrate_apply()" > /dev/null 2>&1 && fail "migration 3 should fail"
[ "$(q 'SELECT count(*) FROM dbcare_migrations_renames')" = 2 ] || fail "a failed migration left rows in the log"
q "DELETE FROM dbcare_migrations WHERE version = '3'" > /dev/null

# the desired schema still says customer.full_name: renamed back, no drop
out=$(plan "$desired_old")
grep -q 'ALTER TABLE "client" RENAME TO "customer"' <<<"$out" || fail "no table rename: $out"
grep -q 'RENAME COLUMN "name" TO "full_name"' <<<"$out" || fail "no column rename: $out"
grep -q "dbcare's rename log has customer renamed to client by migration 2," <<<"$out" || fail "the hazard does not say why: $out"
grep -qi 'DROP TABLE\|DROP COLUMN' <<<"$out" && fail "a recorded rename became a drop: $out"
apply_plan "$desired_old"
[ "$(rows_digest full_name customer)" = "$before" ] || fail "rows lost in the rename: $(rows_digest full_name customer), was $before"
[ "$(plan "$desired_old")" = "" ] || fail "the desired schema is not reached: $(plan "$desired_old")"

# the rename back ran by hand, outside dbcare: the log does not follow it,
# so renaming to client again needs a mark (a drop is refused)
out=$(plan "$desired_new")
grep -q 'allow_drop' <<<"$out" || fail "a rename the runner never saw was followed: $out"

# a rollback's renames are logged: migration 2's down, then its up again
q "ALTER TABLE customer RENAME TO client; ALTER TABLE client RENAME COLUMN full_name TO name" > /dev/null
q "SELECT dbmigrate_rollback('1')" > /dev/null
[ "$(q "SELECT count(*) FROM dbcare_migrations_renames WHERE direction = 'down'")" = 2 ] || fail "the down's renames were not logged"
out=$(plan "$desired_new")
grep -q 'ALTER TABLE "customer" RENAME TO "client"' <<<"$out" || fail "the down's rename was not followed: $out"
grep -q 'RENAME COLUMN "full_name" TO "name"' <<<"$out" || fail "the down's column rename was not followed: $out"
grep -q "by migration 2 (its down script)" <<<"$out" || fail "a down's rename is not named so: $out"
q "SELECT dbmigrate_apply()" > /dev/null

# dropped and made again by hand under the same name: another object
sqlite3 "$db" "DROP TABLE client; CREATE TABLE client (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT); INSERT INTO client VALUES (1, 'x', 'y')"
out=$(plan "$desired_old")
grep -q 'allow_drop' <<<"$out" || fail "a table made again by hand took the old one's names: $out"

# a logged drop ends the history: migration 4 drops client and makes it again
q "SELECT dbmigrate_add('4', 'remake', 'DROP TABLE client; CREATE TABLE client (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);')" > /dev/null
q "SELECT dbmigrate_apply()" > /dev/null
[ "$(q "SELECT count(*) FROM dbcare_migrations_renames WHERE op = 'drop' AND version = '4'")" = 1 ] || fail "the drop was not logged"
out=$(plan "$desired_old")
grep -q 'allow_drop' <<<"$out" || fail "names carried over a logged drop: $out"
# what a name resolves to before the statement is what is logged: a
# temporary table or one of an attached database renamed to the name of a
# table of main is not that table (nothing logged, main's table untouched)
sqlite3 "$db" "CREATE TABLE u (id INTEGER PRIMARY KEY, secret TEXT); INSERT INTO u VALUES (1, 's')"
rows=$(q 'SELECT count(*) FROM dbcare_migrations_renames')
q "SELECT dbmigrate_add('5', 'temp', 'CREATE TEMP TABLE t5 (id INTEGER PRIMARY KEY); ALTER TABLE t5 RENAME TO u;')" \
  "SELECT dbmigrate_apply()" > /dev/null
q "ATTACH '$work/aux.db' AS aux" "CREATE TABLE aux.staging (id INTEGER)" \
  "SELECT dbmigrate_add('6', 'attached', 'ALTER TABLE staging RENAME TO u;')" "SELECT dbmigrate_apply()" > /dev/null
[ "$(q 'SELECT count(*) FROM dbcare_migrations_renames')" = "$rows" ] ||
  fail "a temporary or attached table's rename was logged: $(q "SELECT * FROM dbcare_migrations_renames WHERE id > 0 ORDER BY id DESC LIMIT 2")"
out=$(plan "$desired_old
CREATE TABLE t5 (id INTEGER PRIMARY KEY, secret TEXT);")
grep -q 'RENAME TO "t5"' <<<"$out" && fail "main.u was taken for the temporary table: $out"

# dbcare's own tables are not followed
q "SELECT dbmigrate_add('7', 'own', 'ALTER TABLE dbcare_relations RENAME TO dbcare_relations_x; ALTER TABLE dbcare_relations_x RENAME TO dbcare_relations;')" \
  "SELECT dbmigrate_apply()" > /dev/null
[ "$(q "SELECT count(*) FROM dbcare_migrations_renames WHERE table_name LIKE 'dbcare%'")" = 0 ] || fail "dbcare's own table was logged"
# a former name two live tables had is followed for neither: here the
# authors' a (now b) and the titles that held a on their way to c
db="$work/amb.db"
q > /dev/null <<'SQL'
CREATE TABLE a (id INTEGER PRIMARY KEY, author_name TEXT);
CREATE TABLE y (id INTEGER PRIMARY KEY, title TEXT);
INSERT INTO a VALUES (1, 'ann'); INSERT INTO y VALUES (1, 'dune');
SELECT dbmigrate_add('1', 'm1', 'ALTER TABLE y RENAME TO y2;');
SELECT dbmigrate_add('2', 'm2', 'ALTER TABLE a RENAME TO b;');
SELECT dbmigrate_add('3', 'm3', 'ALTER TABLE y2 RENAME TO a;');
SELECT dbmigrate_add('4', 'm4', 'ALTER TABLE a RENAME TO c;');
SELECT dbmigrate_apply();
SQL
out=$(plan "CREATE TABLE a (id INTEGER PRIMARY KEY, author_name TEXT);
CREATE TABLE y2 (id INTEGER PRIMARY KEY, title TEXT);")
grep -q 'allow_drop' <<<"$out" || fail "a name two tables had was followed: $out"
grep -q 'RENAME TO' <<<"$out" && fail "a name two tables had was followed: $out"

# a drop naming its column by a string (SQLite takes one) is logged, so a
# column added again under the name is not taken for the renamed one
q > /dev/null <<'SQL'
CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, email TEXT);
SELECT dbmigrate_add('5', 'm5', 'ALTER TABLE t RENAME COLUMN email TO contact;');
SELECT dbmigrate_add('6', 'm6', 'ALTER TABLE t DROP COLUMN ''contact''; ALTER TABLE t ADD COLUMN contact INTEGER;');
SELECT dbmigrate_apply();
SQL
[ "$(q "SELECT op || ' ' || table_name || '.' || column_name FROM dbcare_migrations_renames WHERE version = '6'")" = "drop t.contact" ] ||
  fail "the drop of a column named by a string was not logged: $(q 'SELECT * FROM dbcare_migrations_renames')"
out=$(plan "CREATE TABLE b (id INTEGER PRIMARY KEY, author_name TEXT);
CREATE TABLE c (id INTEGER PRIMARY KEY, title TEXT);
CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, email INTEGER);")
grep -q 'RENAME COLUMN' <<<"$out" && fail "a column added again was taken for the dropped one: $out"
echo "ok: recorded renames followed both ways, $n rows kept; verify, failures, hand changes and drops leave no false history"
