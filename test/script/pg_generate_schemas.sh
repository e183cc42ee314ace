#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL (docs/schema-as-code.md): the schema
# names of a desired file as schema files write them. A file that creates
# its schemas (CREATE SCHEMA "Sales", a schema the live database has) is
# applied in the scratch place as written; a string naming a relation by a
# qualified name ('public.t', E'PUBLIC.t', '"public".t', '"Sales".x') is
# read in the scratch place, as regclass reads it, not on the live tables;
# a LANGUAGE sql function reading a new table is made after that table.
# The plan is proved, applied, and reaches the schema of a fresh database
# made from the same file.
set -eu
db=dbcare_generate_schemas
. "$(dirname "$0")/lib/pg.sh"
fresh_db

fp_of() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_want" -c "CREATE DATABASE ${db}_want" >/dev/null
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "${db}_want" -c "CREATE EXTENSION dbcare" -f "$1" >/dev/null
  "$B/psql" -X -q -At -d "${db}_want" -c "SELECT dbschema_fingerprint()"
  "$B/psql" -X -q -d postgres -c "DROP DATABASE ${db}_want" >/dev/null
}
q <<'SQL' > /dev/null
CREATE SCHEMA "Sales";
CREATE TABLE "Sales".orders (id int PRIMARY KEY, total int);
CREATE TABLE item (id int PRIMARY KEY);
INSERT INTO "Sales".orders SELECT g, g FROM generate_series(1, 100) g;
SQL
cat > "$work/want.sql" <<'SQL'
CREATE SCHEMA "Sales";
CREATE TABLE "Sales".orders (id int PRIMARY KEY, total int, note text);
CREATE TABLE "Sales".refund (id int PRIMARY KEY, order_id int REFERENCES "Sales".orders (id));
CREATE TABLE item (id int PRIMARY KEY);
CREATE TABLE stock (item_id int REFERENCES item (id), n int);
CREATE FUNCTION stock_total() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT sum(n) FROM public.stock $$;
CREATE VIEW totals AS SELECT stock_total() AS total;
CREATE VIEW lookups AS
  SELECT 'public.stock'::regclass AS plain, E'PUBLIC.stock'::regclass AS escaped,
         '"public".stock'::regclass AS quoted, '"Sales".refund'::regclass AS mixed_case,
         to_regclass('"Sales".refund') AS looked_up;
SQL
q -v "desired=$(cat "$work/want.sql")" > "$work/plan.txt" 2> "$work/err.txt" <<'SQL' || { cat "$work/err.txt"; fail "the schema file does not generate"; }
SELECT statement FROM dbmigrate_generate(:'desired') ORDER BY step \gexec
SQL
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$(fp_of "$work/want.sql")" ] || { cat "$work/plan.txt"; fail "not the desired schema"; }
[ "$(q -c "SELECT plain::text || ' ' || escaped::text || ' ' || quoted::text || ' ' || mixed_case::text || ' ' || looked_up::text FROM lookups")" = \
  'stock stock stock "Sales".refund "Sales".refund' ] || fail "the view's names: $(q -c "SELECT * FROM lookups")"
[ "$(q -c "SELECT count(*) FROM \"Sales\".orders")" = 100 ] || fail "rows lost"
# a LANGUAGE sql function reading a new table (PostgreSQL checks its body
# when it is created) comes after the table, before the view calling it
q -c "INSERT INTO item VALUES (1)" -c "INSERT INTO stock VALUES (1, 5), (1, 7)" >/dev/null
[ "$(q -c "SELECT total FROM totals")" = 12 ] || fail "the function does not read the new table"
[ "$(q -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'dbcare_gen_%'")" = 0 ] || fail "a scratch schema stayed"
echo ok
