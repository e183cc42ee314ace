#!/usr/bin/env bash
# dbmigrate_generate reads the desired schema as `pg_dump --schema-only`
# writes it (issue 52, kind 7): its \restrict line, SET lines, search_path
# set_config and comments, and functions written before the tables their
# LANGUAGE sql bodies read. The plan reaches the dumped database's schema,
# and the bodies are checked again by the proof: the session keeps its own
# check_function_bodies, and the max_parallel_maintenance_workers the
# scratch place turns off for its builds.
set -eu
db=dbcare_generate_dump
. "$(dirname "$0")/lib/pg.sh"
src=${db}_src
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $src" -c "CREATE DATABASE $src" >/dev/null
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $src" >/dev/null 2>&1; cleanup' EXIT
"$B/psql" -X -q -v ON_ERROR_STOP=1 -d $src <<'SQL'
CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);
CREATE FUNCTION order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.orders';
COMMENT ON TABLE orders IS 'one row per order';
SQL
"$B/pg_dump" -s --no-owner --no-privileges -n public -d $src > "$work/schema.sql"
# what pg_dump writes around the schema is there, and the function first
grep -q '^SET check_function_bodies = false;$' "$work/schema.sql" || fail "no SET line in the dump"
grep -q "^SELECT pg_catalog.set_config('search_path', '', false);$" "$work/schema.sql" || fail "no set_config"
[ "$(grep -n 'CREATE FUNCTION' "$work/schema.sql" | cut -d: -f1)" -lt "$(grep -n 'CREATE TABLE' "$work/schema.sql" | cut -d: -f1)" ] ||
  fail "pg_dump wrote the table first"
fresh_db
q -v "desired=$(cat "$work/schema.sql")" > "$work/gen.out" <<'SQL'
SET check_function_bodies = on;
SET max_parallel_maintenance_workers = 3;
SELECT statement FROM dbmigrate_generate(:'desired') ORDER BY step \gexec
SHOW check_function_bodies;
SHOW max_parallel_maintenance_workers;
SHOW search_path;
SQL
tail -3 "$work/gen.out" | tr '\n' ' ' | grep -q '^on 3 "\$user", public $' ||
  fail "the session's settings changed: $(tail -3 "$work/gen.out" | tr '\n' ' ')"
[ "$(q -c 'SELECT dbschema_fingerprint()')" = \
  "$("$B/psql" -X -q -At -d $src -c 'CREATE EXTENSION dbcare' -c 'SELECT dbschema_fingerprint()')" ] ||
  fail "the plan does not reach the dumped schema"
[ "$(q -c 'SELECT order_count()')" = 0 ] || fail "the function does not run"
echo ok
