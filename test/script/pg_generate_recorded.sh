#!/usr/bin/env bash
# Renames dbcare recorded (docs/schema-as-code.md, issue 40), PostgreSQL:
# the migration runner logs each table and column rename and drop a
# migration makes, with the table's OID (a column's attnum after it).
# dbmigrate_generate then renames a live table or column back to a name
# the log says it had, without a mark, and loses no row of 10^6; a table
# dropped and made again by hand under the same name is another object: its
# drop is refused as any drop. Unqualified names resolve where the
# migration's search_path does (a table of the same name in another schema
# is not taken). The rollback's renames are logged too, dbmigrate_verify
# logs nothing, a failed migration leaves nothing, a logged drop ends the
# name's history, and a monitor may read the log but not write it.
set -eu
db=dbcare_generate_recorded
. "$(dirname "$0")/lib/pg.sh"
fresh_db
n=1000000
desired_old="CREATE SCHEMA other;
CREATE TABLE other.customer (id int);
CREATE TABLE customer (id bigint PRIMARY KEY, full_name text NOT NULL, email text);"
desired_new="CREATE SCHEMA other;
CREATE TABLE other.customer (id int);
CREATE TABLE client (id bigint PRIMARY KEY, name text NOT NULL, email text);"
plan() { # DESIRED -> the plan's statements and hazards, or the error
  "$B/psql" -X -q -At -d "$db" -v "d=$1" 2>&1 <<'SQL' || true
SELECT step || ' | ' || statement || ' | ' || coalesce(hazard, '') FROM dbmigrate_generate(:'d') ORDER BY step
SQL
}
apply_plan() { # DESIRED: the plan's statements, each at top level
  q -v "d=$1" > /dev/null <<'SQL'
SELECT statement FROM dbmigrate_generate(:'d') ORDER BY step \gexec
SQL
}
digest() { q -c "SELECT count(*) || ':' || sum(id) || ':' || sum(length($1)) FROM $2"; }
log() { q -c "SELECT string_agg(op || ' ' || schema_name || '.' || table_name || coalesce('.' || column_name, '') || coalesce(' ' || new_name, ''), ', ' ORDER BY id) FROM dbcare.migrations_renames $1"; }

q > /dev/null <<'SQL'
CREATE SCHEMA other;
CREATE TABLE other.customer (id int);
SELECT dbmigrate_add('1', 'customers', 'CREATE TABLE customer (id bigint PRIMARY KEY, full_name text NOT NULL, email text);', 'DROP TABLE customer;');
SELECT dbmigrate_add('2', 'to clients', 'ALTER TABLE customer RENAME TO client;
ALTER TABLE public."client" RENAME COLUMN full_name TO name;', 'ALTER TABLE client RENAME COLUMN name TO full_name;
ALTER TABLE client RENAME TO customer;');
SELECT dbmigrate_apply('1');
SQL
q -c "INSERT INTO customer SELECT g, 'name ' || g, 'e' || g FROM generate_series(1, $n) g" > /dev/null
q -c "SELECT dbmigrate_apply()" > /dev/null
[ "$(log "")" = "rename public.customer client, rename public.client.full_name name" ] || fail "the log: $(log "")"
[ "$(q -c "SELECT count(*) FROM dbcare.migrations_renames r JOIN pg_class c ON c.oid = split_part(r.identity, ':', 1)::oid WHERE c.oid = 'public.client'::regclass")" = 2 ] ||
  fail "the log's identities are not the table's OID: $(q -c 'SELECT * FROM dbcare.migrations_renames')"
before=$(digest name client)
[ "${before%%:*}" = "$n" ] || fail "the table does not hold its $n rows: $before"

# verify proves the migrations in rolled-back savepoints: nothing logged
q -c "SELECT count(*) FROM dbmigrate_verify()" > /dev/null
[ "$(q -c 'SELECT count(*) FROM dbcare.migrations_renames')" = 2 ] || fail "dbmigrate_verify logged renames"

# a failed migration's renames go with it
q -c "SELECT dbmigrate_add('3', 'fails', 'ALTER TABLE other.customer RENAME TO kept; SELECT * FROM no_such_table;')" > /dev/null
q -c "SELECT dbmigrate_apply()" > /dev/null 2>&1 && fail "migration 3 should fail"
[ "$(q -c 'SELECT count(*) FROM dbcare.migrations_renames')" = 2 ] || fail "a failed migration left rows in the log"
q -c "DELETE FROM dbcare.migrations WHERE version = '3'" > /dev/null

# a monitor reads the log, writes nothing
q -c "CREATE ROLE rn_monitor LOGIN IN ROLE pg_monitor" > /dev/null
"$B/psql" -X -q -At -U rn_monitor -d "$db" -c "SELECT count(*) FROM dbcare.migrations_renames" | grep -qx 2 || fail "pg_monitor cannot read the log"
"$B/psql" -X -q -At -U rn_monitor -d "$db" -c "INSERT INTO dbcare.migrations_renames (direction, op, table_name) VALUES ('up', 'rename', 'x')" 2>/dev/null &&
  fail "pg_monitor wrote to the log"

# the desired schema still says customer.full_name: renamed back, no drop;
# other.customer (another table of the old name) is not touched
out=$(plan "$desired_old")
grep -q 'ALTER TABLE public.client RENAME TO customer' <<<"$out" || fail "no table rename: $out"
grep -q 'RENAME COLUMN name TO full_name' <<<"$out" || fail "no column rename: $out"
grep -q "dbcare's rename log has customer renamed to client by migration 2," <<<"$out" || fail "the hazard does not say why: $out"
grep -qi 'DROP TABLE\|DROP COLUMN' <<<"$out" && fail "a recorded rename became a drop: $out"
grep -q 'other' <<<"$out" && fail "the other schema's table was touched: $out"
apply_plan "$desired_old"
[ "$(digest full_name customer)" = "$before" ] || fail "rows lost in the rename: $(digest full_name customer), was $before"
[ -z "$(plan "$desired_old")" ] || fail "the desired schema is not reached: $(plan "$desired_old")"

# the rename back ran outside dbcare: the log does not follow it, so
# renaming to client again needs a mark (a drop is refused)
grep -q 'allow_drop' <<<"$(plan "$desired_new")" || fail "a rename the runner never saw was followed: $(plan "$desired_new")"

# a rollback's renames are logged: migration 2's down, then its up again
q -c "ALTER TABLE customer RENAME TO client" -c "ALTER TABLE client RENAME COLUMN full_name TO name" > /dev/null
q -c "SELECT dbmigrate_rollback('1')" > /dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.migrations_renames WHERE direction = 'down'")" = 2 ] || fail "the down's renames were not logged"
out=$(plan "$desired_new")
grep -q 'ALTER TABLE public.customer RENAME TO client' <<<"$out" || fail "the down's rename was not followed: $out"
grep -q 'RENAME COLUMN full_name TO name' <<<"$out" || fail "the down's column rename was not followed: $out"
grep -q "by migration 2 (its down script)" <<<"$out" || fail "a down's rename is not named so: $out"
q -c "SELECT dbmigrate_apply()" > /dev/null

# dropped and made again by hand under the same name: another object
q -c "DROP TABLE client" -c "CREATE TABLE client (id bigint PRIMARY KEY, name text NOT NULL, email text)" > /dev/null
grep -q 'allow_drop' <<<"$(plan "$desired_old")" || fail "a table made again by hand took the old one's names: $(plan "$desired_old")"

# a logged drop ends the history: migration 4 drops client and makes it again
q -c "SELECT dbmigrate_add('4', 'remake', 'DROP TABLE client; CREATE TABLE client (id bigint PRIMARY KEY, name text NOT NULL, email text);')" -c "SELECT dbmigrate_apply()" > /dev/null
[ "$(log "WHERE version = '4'")" = "drop public.client" ] || fail "the drop was not logged: $(log "WHERE version = '4'")"
grep -q 'allow_drop' <<<"$(plan "$desired_old")" || fail "names carried over a logged drop: $(plan "$desired_old")"

# a migrator granted before the log existed applies its renames still,
# warned that they are not logged (no row, no failure)
q > /dev/null <<'SQL'
CREATE ROLE rn_migrator LOGIN;
GRANT USAGE, CREATE ON SCHEMA public TO rn_migrator;
GRANT USAGE ON SCHEMA dbcare TO rn_migrator;
GRANT SELECT, INSERT, UPDATE, DELETE ON dbcare.migrations, dbcare.migrations_applied, dbcare.migrations_history TO rn_migrator;
GRANT SELECT, INSERT, UPDATE ON dbcare.migrations_lock TO rn_migrator;
GRANT SELECT ON dbcare.config TO rn_migrator;
GRANT USAGE ON SEQUENCE dbcare.migrations_history_id_seq TO rn_migrator;
GRANT EXECUTE ON FUNCTION dbmigrate_add(text, text, text, text), dbmigrate_apply(text) TO rn_migrator;
SQL
rows=$(q -c "SELECT count(*) FROM dbcare.migrations_renames")
"$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U rn_migrator -d "$db" \
  -c "SELECT dbmigrate_add('5', 'own table', 'CREATE TABLE public.mine (x int); ALTER TABLE public.mine RENAME TO ours;')" \
  -c "SELECT dbmigrate_apply()" > "$work/m.out" 2>&1 || fail "a migrator without the log's grant cannot apply: $(cat "$work/m.out")"
grep -q 'the rename of public.mine is not logged' "$work/m.out" || fail "no warning: $(cat "$work/m.out")"
[ "$(q -c "SELECT count(*) FROM dbcare.migrations_renames")" = "$rows" ] || fail "a row was logged without the grant"
[ "$(q -c "SELECT to_regclass('public.ours') IS NOT NULL")" = t ] || fail "the migration did not run"

# what a name resolves to before the statement is what is logged: with
# app ahead of public on the path, public.t5 renamed to u5 is logged as
# public's, not as app.u5 (another table already bearing the new name);
# a temporary table renamed to a name public holds is not logged at all
q > /dev/null <<'SQL'
CREATE SCHEMA app;
CREATE TABLE app.u5 (id int PRIMARY KEY, secret text);
INSERT INTO app.u5 VALUES (1, 's');
CREATE TABLE public.t5 (id int PRIMARY KEY, v text);
CREATE TABLE public.u6 (id int PRIMARY KEY, secret text);
SELECT dbmigrate_add('6', 'paths', 'SET LOCAL search_path = app, public; ALTER TABLE t5 RENAME TO u5;
CREATE TEMP TABLE t6 (id int); ALTER TABLE t6 RENAME TO u6;');
SELECT dbmigrate_apply();
SQL
[ "$(log "WHERE version = '6'")" = "rename public.t5 u5" ] || fail "the path's rename was logged as: $(log "WHERE version = '6'")"
out=$(plan "$desired_new
CREATE TABLE public.ours (x int);
CREATE TABLE public.t5 (id int PRIMARY KEY, v text);
CREATE SCHEMA app;
CREATE TABLE app.u5 (id int PRIMARY KEY, secret text);
CREATE TABLE public.u6 (id int PRIMARY KEY, secret text);")
grep -q 'ALTER TABLE public.u5 RENAME TO t5' <<<"$out" || fail "public.u5 not renamed back: $out"
grep -q 'app.u5 RENAME' <<<"$out" && fail "app.u5 was taken for public.t5: $out"

# a row forged by a role without the caller's rights is not followed
q -c "GRANT SELECT, INSERT ON dbcare.migrations_renames TO rn_migrator" \
  -c "GRANT USAGE ON SEQUENCE dbcare.migrations_renames_id_seq TO rn_migrator" \
  -c "CREATE TABLE public.salaries (id int PRIMARY KEY, amount numeric)" > /dev/null
"$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U rn_migrator -d "$db" -c "INSERT INTO dbcare.migrations_renames
  (version, direction, op, schema_name, table_name, new_name, identity, registered_by)
  SELECT '7', 'up', 'rename', 'public', 'public_report', 'salaries', 'public.salaries'::regclass::oid::text, 'postgres'" > /dev/null
[ "$(q -c "SELECT registered_by FROM dbcare.migrations_renames WHERE version = '7'")" = rn_migrator ] || fail "registered_by was written by hand"
out=$(plan "$desired_new
CREATE TABLE public.ours (x int);
CREATE TABLE public.t5 (id int PRIMARY KEY, v text);
CREATE SCHEMA app;
CREATE TABLE app.u5 (id int PRIMARY KEY, secret text);
CREATE TABLE public.u6 (id int PRIMARY KEY, secret text);
CREATE TABLE public_report (id int PRIMARY KEY, amount numeric);" 2>&1)
grep -q 'salaries RENAME' <<<"$out" && fail "a forged row was followed: $out"
grep -q 'written by roles without your rights' <<<"$out" || fail "no warning about the forged row: $out"
q -c "DROP OWNED BY rn_migrator" -c "DROP ROLE rn_migrator" -c "DROP ROLE rn_monitor" > /dev/null
echo "ok: recorded renames followed both ways, $n rows kept; verify, failures, hand changes and drops leave no false history"
