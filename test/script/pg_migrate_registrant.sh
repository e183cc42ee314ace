#!/usr/bin/env bash
# Registering SQL never lends the applier's rights to the registrant (issue
# 19, finding 9). A migration role replaces a pending migration the DBA
# registered with ALTER ROLE ... SUPERUSER: the superuser's dbmigrate_apply,
# dbmigrate_verify, dbmigrate_trace, dbmigrate_script and dbmigrate_rollback refuse it with
# 42501 and the role stays an ordinary one; writing registered_by by hand
# does not help; the role may apply its own migrations; the DBA trusts it by
# registering the reviewed SQL again, or by naming it in
# migrate.trusted_registrants, honoured only for a role that cannot change
# dbcare's settings itself. pg_monitor cannot read migration SQL but still
# reads the status and asserts.
set -eu
db=dbcare_migrate_registrant
. "$(dirname "$0")/lib/pg.sh"
fresh_db
su() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$db" "$@"; }
as() { local r=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$db" -c "SET ROLE $r" "$@"; }
"$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS dbc_migrator" -c "DROP ROLE IF EXISTS dbc_watcher" \
  -c "CREATE ROLE dbc_migrator" -c "CREATE ROLE dbc_watcher IN ROLE pg_monitor" > /dev/null
trap 'cleanup; "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS dbc_migrator" -c "DROP ROLE IF EXISTS dbc_watcher" >/dev/null 2>&1 || true' EXIT
su -c "GRANT USAGE ON SCHEMA dbcare TO dbc_migrator" \
   -c "GRANT SELECT, INSERT, UPDATE, DELETE ON dbcare.migrations, dbcare.migrations_applied, dbcare.migrations_history, dbcare.migrations_lock TO dbc_migrator" \
   -c "GRANT SELECT ON dbcare.config TO dbc_migrator" \
   -c "GRANT USAGE ON SEQUENCE dbcare.migrations_history_id_seq TO dbc_migrator" \
   -c "GRANT CREATE ON SCHEMA public TO dbc_migrator" \
   -c "GRANT EXECUTE ON FUNCTION dbmigrate_add(text, text, text, text), dbmigrate_apply(text) TO dbc_migrator" > /dev/null
superuser() { su -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'dbc_migrator'"; }

# the DBA registers 1 and 2; the migration role replaces pending 2
su -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x int)', 'DROP TABLE t1')" \
   -c "SELECT dbmigrate_apply()" \
   -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x int)')" > /dev/null
as dbc_migrator -c "SELECT dbmigrate_add('2', 'two', 'ALTER ROLE dbc_migrator SUPERUSER')" > /dev/null
for call in "dbmigrate_apply()" "dbmigrate_script()" "* FROM dbmigrate_verify()" "* FROM dbmigrate_trace('2')"; do
  if su -c "SELECT $call" > "$work/refused.out" 2>&1; then
    [ "$call" = "dbmigrate_script()" ] && su -c "SELECT dbmigrate_script()" | su > /dev/null 2>&1 || true
    fail "$call ran another role's migration (superuser now: $(superuser))"
  fi
  grep -q '42501' "$work/refused.out" && grep -q 'dbcare: .*dbc_migrator' "$work/refused.out" ||
    fail "$call: $(cat "$work/refused.out")"
done
[ "$(superuser)" = f ] || fail "dbc_migrator became superuser"
[ "$(su -c "SELECT registered_by FROM dbcare.migrations WHERE version = '2'")" = dbc_migrator ] || fail "registrant not recorded"

# writing the registrant by hand does not help
as dbc_migrator -c "UPDATE dbcare.migrations SET registered_by = 'postgres' WHERE version = '2'" > /dev/null
[ "$(su -c "SELECT registered_by FROM dbcare.migrations WHERE version = '2'")" = dbc_migrator ] || fail "registrant forged"
if su -c "SELECT dbmigrate_apply()" > /dev/null 2>&1; then fail "apply after a forged registrant"; fi
[ "$(superuser)" = f ] || fail "dbc_migrator became superuser (forged registrant)"

# a down script replaced by the migration role: rollback refuses too
as dbc_migrator -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x int)')" \
  -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x int)', 'ALTER ROLE dbc_migrator SUPERUSER')" > /dev/null
if su -c "SELECT dbmigrate_repair()" -c "SELECT dbmigrate_rollback()" > "$work/rollback.out" 2>&1; then
  fail "rollback ran another role's down script (superuser now: $(superuser))"
fi
grep -q '42501' "$work/rollback.out" || fail "rollback: $(cat "$work/rollback.out")"
[ "$(superuser)" = f ] || fail "dbc_migrator became superuser (rollback)"

# the DBA restores the down script; the role applies its own migration 2
# with its own rights
su -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x int)', 'DROP TABLE t1')" -c "SELECT dbmigrate_repair()" > /dev/null
[ "$(as dbc_migrator -c "SELECT dbmigrate_apply()")" = 1 ] || fail "the role could not apply its own migration"

# settings: trusted by name only while the role cannot change settings itself
as dbc_migrator -c "SELECT dbmigrate_add('3', 'three', 'CREATE TABLE t3 (x int)')" > /dev/null
if su -c "SELECT dbmigrate_apply()" > /dev/null 2>&1; then fail "applied an untrusted registrant's migration"; fi
su -c "SELECT dbcare_set('migrate.trusted_registrants', 'someone, dbc_migrator')" > /dev/null
su -c "GRANT INSERT, UPDATE ON dbcare.config TO dbc_migrator" > /dev/null
if su -c "SELECT dbmigrate_apply()" > "$work/settable.out" 2>&1; then fail "trusted a role that can change settings itself"; fi
grep -q '42501' "$work/settable.out" || fail "settable: $(cat "$work/settable.out")"
su -c "REVOKE INSERT, UPDATE ON dbcare.config FROM dbc_migrator" > /dev/null
[ "$(su -c "SELECT dbmigrate_apply()")" = 1 ] || fail "trusted registrant refused"
su -c "SELECT dbcare_set('migrate.trusted_registrants', '')" > /dev/null
# the DBA registering the reviewed SQL again makes it the DBA's
as dbc_migrator -c "SELECT dbmigrate_add('4', 'four', 'CREATE TABLE t4 (x int)')" > /dev/null
su -c "SELECT dbmigrate_add('4', 'four', 'CREATE TABLE t4 (x int)')" > /dev/null
[ "$(su -c "SELECT dbmigrate_apply()")" = 1 ] || fail "reviewed migration refused"

# pg_monitor: no migration SQL, but status and assert
if as dbc_watcher -c "SELECT script FROM dbcare.migrations" > "$work/read.out" 2>&1; then fail "pg_monitor read up scripts"; fi
if as dbc_watcher -c "SELECT down_script FROM dbcare.migrations" > /dev/null 2>&1; then fail "pg_monitor read down scripts"; fi
grep -q 'permission denied' "$work/read.out" || fail "read: $(cat "$work/read.out")"
[ "$(as dbc_watcher -c "SELECT count(*) FROM dbmigrate_status()")" = 4 ] || fail "pg_monitor status"
[ "$(as dbc_watcher -c "SELECT dbmigrate_assert('4')")" = t ] || fail "pg_monitor assert"
[ "$(as dbc_watcher -c "SELECT count(*) FROM dbmigrate_validate()")" = 0 ] || fail "pg_monitor validate"
echo "registrants of migrations: ok"
