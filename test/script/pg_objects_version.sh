#!/usr/bin/env bash
# The window between a package upgrade and ALTER EXTENSION dbcare UPDATE: a
# database still holding the objects of an older dbcare (the released 0.1.0
# and 0.3.2 install scripts, test/fixtures/pg) is called with this library.
# Every dbcare call that reads or writes dbcare's objects refuses with 55000
# "dbcare: the dbcare objects in this database are version X, the library is
# Y" and the hint ALTER EXTENSION dbcare UPDATE; (never PostgreSQL's own
# "column ... does not exist" halfway through); the JSON Schema validators
# in a CHECK and the audit trigger keep serving the users' writes; after
# ALTER EXTENSION dbcare UPDATE, in the same session, every call works. A
# match remembered within a transaction does not outlive a DROP/CREATE
# EXTENSION of an older version, nor a rolled-back ALTER EXTENSION UPDATE.
set -eu
db=dbcare_objects_version
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
share=$("$B/pg_config" --sharedir)/extension
trap 'rm -f "$share/dbcare--0.1.0.sql" "$share/dbcare--0.3.2.sql"; cleanup' EXIT
cp "$root/test/fixtures/pg/dbcare--0.1.0.sql" "$share/dbcare--0.1.0.sql"
cp "$root/test/fixtures/pg/dbcare--0.3.2.sql" "$share/dbcare--0.3.2.sql"
cur=$("$B/psql" -X -q -At -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'dbcare'")
[ -n "$cur" ] && [ "$cur" != 0.3.2 ] || fail "unexpected current version '$cur'"
qv() { "$B/psql" -X -q -At -v VERBOSITY=verbose -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# one session that goes on after an error
qs() { "$B/psql" -X -q -At -v VERBOSITY=verbose -d "$db" "$@"; }

# refused OLD SQL: the call fails with the dbcare error and its hint.
refused() {
  local out
  if out=$(qv -c "$2" 2>&1); then fail "ran over $1 objects: $2 -> $out"; fi
  printf '%s\n' "$out" | grep -q "ERROR:  55000: dbcare: the dbcare objects in this database are version $1, the library is $cur\$" ||
    fail "$2 over $1 objects: not the version error: $out"
  printf '%s\n' "$out" | grep -q '^HINT:  ALTER EXTENSION dbcare UPDATE;$' || fail "$2: no hint: $out"
  echo "refused over $1: $2"
}

fresh_old() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare VERSION '$1'"
}

# ---- 0.1.0: the issue's case (dbmigrate_add read down_checksum, missing then)
fresh_old 0.1.0
refused 0.1.0 "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (id int)', 'DROP TABLE t1')"
refused 0.1.0 "SELECT * FROM dbmigrate_plan()"
refused 0.1.0 "SELECT dbmigrate_apply()"
refused 0.1.0 "SELECT dbcare_get('migrate.lock_timeout_ms')"
refused 0.1.0 "SELECT dbschema_fingerprint()"
refused 0.1.0 "SELECT dbhealth_score()"
refused 0.1.0 "SELECT count(*) FROM dbcheck_constraints()"
# dbcare_version reports the library, whatever the objects
[ "$(q -c "SELECT dbcare_version()")" = "$cur" ] || fail "dbcare_version over 0.1.0 objects"
# one session: refused, then the update, then the same call works
out=$(qs -c "SELECT 1 FROM dbmigrate_plan()" -c "ALTER EXTENSION dbcare UPDATE" \
  -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (id int)', 'DROP TABLE t1') IS NOT NULL" \
  -c "SELECT dbmigrate_apply()" -c "SELECT dbmigrate_rollback('0')" 2>&1 || true)
[ "$(printf '%s\n' "$out" | grep -v '^ERROR\|^HINT\|^LOCATION' | tr '\n' ' ')" = "t 1 1 " ] ||
  fail "after ALTER EXTENSION UPDATE in the same session: $out"
[ "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'dbcare'")" = "$cur" ] || fail "not updated"
q -c "SELECT dbschema_fingerprint() IS NOT NULL, dbhealth_score() >= 0" | grep -qx 't|t' || fail "calls after the update"

# ---- 0.3.2: the users' writes go on (CHECK with a validator, an audited table)
fresh_old 0.3.2
refused 0.3.2 "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (id int)')"
refused 0.3.2 "SELECT dbaudit_enable('public.acct')"
refused 0.3.2 "SELECT count(*) FROM dbaudit_log('public.acct')"
refused 0.3.2 "SELECT count(*) FROM dbretain_plan()"
refused 0.3.2 "SELECT dbsoftdelete_enable('public.acct', 'deleted_at')"
refused 0.3.2 "SELECT dbbackup_record('full', '/nonexistent/x')"
refused 0.3.2 "SELECT count(*) FROM dbcheck_json('pg_class'::regclass, 'relname', '{}')"
# The audited table was enabled while the objects were 0.3.2's: with the
# catalog saying the library's version for that one call, as the 0.3.2
# library would have made it (its audit objects are this library's).
q -c "CREATE TABLE acct (id int PRIMARY KEY, plan text)" \
  -c "UPDATE pg_extension SET extversion = '$cur' WHERE extname = 'dbcare'" \
  -c "SELECT dbaudit_enable('public.acct')" \
  -c "UPDATE pg_extension SET extversion = '0.3.2' WHERE extname = 'dbcare'" > /dev/null
q -c "CREATE TABLE docs (d jsonb CHECK (dbjson_valid(d, '{\"type\": \"object\", \"required\": [\"a\"]}')))"
q -c "INSERT INTO docs VALUES ('{\"a\": 1}')" || fail "a valid document refused over 0.3.2 objects"
if q -c "INSERT INTO docs VALUES ('{\"b\": 1}')" 2>"$work/err"; then fail "an invalid document accepted"; fi
grep -q 'violates check constraint' "$work/err" || fail "not the CHECK's refusal: $(cat "$work/err")"
[ "$(q -c "SELECT dbjson_valid('[1]'::jsonb, '{\"type\": \"array\"}')")" = t ] || fail "dbjson_valid over 0.3.2 objects"
q -c "INSERT INTO acct SELECT g, 'free' FROM generate_series(1, 20) g" -c "UPDATE acct SET plan = 'pro' WHERE id = 7" ||
  fail "an audited write refused over 0.3.2 objects"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.acct'")" = 21 ] ||
  fail "the audit trigger did not log the writes over 0.3.2 objects"

# A remembered match ends with the statement that changes the extension.
out=$(qs -c "BEGIN" -c "SAVEPOINT s" -c "ALTER EXTENSION dbcare UPDATE" \
  -c "SELECT dbcare_get('migrate.lock_timeout_ms') IS NOT NULL" -c "ROLLBACK TO s" \
  -c "SELECT dbcare_get('migrate.lock_timeout_ms')" -c "COMMIT" 2>&1 || true)
printf '%s\n' "$out" | grep -qx t || fail "no call after the update in the savepoint: $out"
printf '%s\n' "$out" | grep -q "version 0.3.2, the library is $cur" ||
  fail "a call after ROLLBACK TO the savepoint ran over 0.3.2 objects: $out"

q -c "ALTER EXTENSION dbcare UPDATE"
[ "$(q -c "SELECT string_agg(operation, ' ' ORDER BY id) FROM dbaudit_history('public.acct', '{\"id\": 7}')")" = "insert update" ] ||
  fail "history after the update"
[ "$(q -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (id int)') IS NOT NULL")" = t ] || fail "dbmigrate_add after the update"
out=$(qs -c "BEGIN" -c "SELECT dbcare_get('migrate.lock_timeout_ms') IS NOT NULL" \
  -c "DROP EXTENSION dbcare CASCADE" -c "CREATE EXTENSION dbcare VERSION '0.3.2'" \
  -c "SELECT dbcare_get('migrate.lock_timeout_ms')" -c "ROLLBACK" 2>&1 || true)
printf '%s\n' "$out" | grep -qx t || fail "no call before the drop: $out"
printf '%s\n' "$out" | grep -q "version 0.3.2, the library is $cur" ||
  fail "a call after CREATE EXTENSION VERSION '0.3.2' in the same transaction ran: $out"
echo "ok"
