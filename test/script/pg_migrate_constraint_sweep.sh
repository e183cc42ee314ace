#!/usr/bin/env bash
# An application's own table named "migrations" (Laravel, many others) and a
# migration that sweeps pg_constraint for that table's UNIQUE constraints by
# bare relname and renames them unqualified (issue 36, item 18): dbcare's own
# dbcare.migrations must not be found by the sweep, so the migration applies.
# And dbcare depends on no constraint name of its own: after every one of its
# constraints is renamed (qualified, as a careful sweep would), registering,
# applying, settings and the history still work.
set -eu
db=dbcare_migrate_constraint_sweep
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE migrations (id serial PRIMARY KEY, migration varchar(255) CONSTRAINT migrations_migration_unique UNIQUE, batch int)" \
  -c "INSERT INTO migrations (migration, batch) VALUES ('2014_10_12_create_users', 1)" > /dev/null

q -c "SELECT dbmigrate_add('1', 'rename unique constraints', \$\$DO \$do\$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           WHERE t.relname = 'migrations' AND c.contype = 'u' LOOP
    EXECUTE format('ALTER TABLE migrations RENAME CONSTRAINT %I TO %I', r.conname, r.conname || '_v2');
  END LOOP;
END
\$do\$;\$\$)" > /dev/null
q -c "SELECT dbmigrate_apply()" > "$work/apply.out" 2>&1 || fail "the sweep failed: $(cat "$work/apply.out")"
[ "$(q -c "SELECT string_agg(conname, ',') FROM pg_constraint WHERE conrelid = 'public.migrations'::regclass AND contype = 'u'")" = migrations_migration_unique_v2 ] ||
  fail "the user's constraint was not renamed"
# dbcare's version is still unique
if q -c "INSERT INTO dbcare.migrations (kind, version, name, script, checksum) SELECT kind, version, name, script, checksum FROM dbcare.migrations" > /dev/null 2>&1; then
  fail "dbcare.migrations.version is no longer unique"
fi

# every constraint of every dbcare table renamed: dbcare still works
q -c "DO \$do\$ DECLARE r record; BEGIN
  FOR r IN SELECT c.conname, c.conrelid::regclass AS rel FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'dbcare' LOOP
    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', r.rel, r.conname, 'x_' || r.conname);
  END LOOP; END \$do\$" > /dev/null
[ "$(q -c "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'dbcare' AND conname NOT LIKE 'x\\_%' AND conrelid <> 0")" = 0 ] ||
  fail "not every constraint was renamed"
q -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (id int)')" \
  -c "SELECT dbmigrate_add_repeatable('v', 'CREATE OR REPLACE VIEW v AS SELECT 1 AS one')" \
  -c "SELECT dbmigrate_apply()" \
  -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (id int)')" \
  -c "SELECT dbcare_set('migrate.lint', 'off')" \
  -c "SELECT dbcare_set('migrate.lint', 'warn')" > "$work/after.out" 2>&1 || fail "after the renames: $(cat "$work/after.out")"
[ "$(q -c "SELECT string_agg(version || ':' || direction, ',' ORDER BY id) FROM dbmigrate_history() WHERE version IS NOT NULL")" = 1:up,2:up ] ||
  fail "history: $(q -c "SELECT * FROM dbmigrate_history()")"
[ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE state <> 'applied'")" = 0 ] || fail "status"
echo ok
