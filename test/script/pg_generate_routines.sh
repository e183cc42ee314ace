#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL with routines beside functions:
# procedures (new, changed, dropped, overloaded, SECURITY DEFINER) and
# aggregates (their support functions made first and dropped last, a
# FINALFUNC, an ordered-set one). Each plan is proved by the generator
# (its down back to the live schema, its up to the desired one), then
# applied here and compared with the desired schema's fingerprint
# (lib/pg_generate.sh).
set -eu
db=dbcare_generate_routines
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_generate.sh"
T='CREATE TABLE t (a int);'
P='CREATE PROCEDURE p(x int) LANGUAGE sql AS $$ INSERT INTO t VALUES (x) $$;'

# a new procedure (beside two functions): made, its down drops it by its
# identity arguments
generate_case procedure_added "$T" "$T $P
CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql SECURITY DEFINER AS \$\$ SELECT x \$\$;
CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql AS \$\$ SELECT x \$\$;"
plan_has procedure_added "CREATE PROCEDURE p(x int)"
plan_has procedure_added "DROP PROCEDURE public.p(IN x integer)"

# a SECURITY DEFINER procedure beside a new rule: planned, with its
# hazard, never left out; the rule made last (issue 66)
generate_case secdef_procedure "$T" "$T
CREATE PROCEDURE p(x int) LANGUAGE sql SECURITY DEFINER AS \$\$ INSERT INTO t VALUES (x) \$\$;
CREATE RULE t_keep AS ON DELETE TO t DO INSTEAD NOTHING;"
plan_has secdef_procedure "CREATE PROCEDURE p(x int) LANGUAGE sql SECURITY DEFINER"
plan_has secdef_procedure "makes a SECURITY DEFINER function"
plan_has secdef_procedure "CREATE RULE t_keep AS"

# a procedure's body changed: made again (CREATE OR REPLACE, or dropped
# and made)
generate_case procedure_changed "$T $P" "$T
CREATE OR REPLACE PROCEDURE p(x int) LANGUAGE sql AS \$\$ INSERT INTO t VALUES (x + 1) \$\$;"
plan_has procedure_changed "(x + 1)"

# a procedure the desired schema no longer has: dropped, its down makes
# it again
generate_case procedure_dropped "$T $P" "$T"
plan_has procedure_dropped "DROP PROCEDURE public.p(IN x integer)"

# overloaded procedures: one added beside the live one, made from its
# catalog definition (the name alone does not tell which statement is whose)
generate_case procedure_overloaded "$T $P" "$T $P
CREATE PROCEDURE p(x text) LANGUAGE sql AS \$\$ INSERT INTO t VALUES (length(x)) \$\$;"
plan_has procedure_overloaded "CREATE OR REPLACE PROCEDURE public.p(IN x text)"
plan_has procedure_overloaded "DROP PROCEDURE public.p(IN x text)"
generate_case procedure_overload_changed "$T $P
CREATE PROCEDURE p(x text) LANGUAGE sql AS \$\$ INSERT INTO t VALUES (length(x)) \$\$;" "$T $P
CREATE PROCEDURE p(x text) LANGUAGE sql AS \$\$ INSERT INTO t VALUES (length(x) * 2) \$\$;"
plan_has procedure_overload_changed "length(x) * 2"

# an aggregate after its state function, dropped before it in the down
SFN='CREATE FUNCTION sfn(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;'
generate_case aggregate_added "$T" "$T $SFN
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, INITCOND = 0);"
plan_has aggregate_added "DROP AGGREGATE public.mysum(integer)"
# with a final function
FIN='CREATE FUNCTION fin(int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$;'
generate_case aggregate_finalfunc "$T" "$T $SFN $FIN
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, FINALFUNC = fin, INITCOND = 0);"
# dropped with its functions: the aggregate first, its functions after,
# and the down makes them again in the other order
generate_case aggregate_dropped "$T $SFN $FIN
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, FINALFUNC = fin, INITCOND = 0);" "$T"
# its state function changed: the aggregate goes first and comes back
# after it
generate_case aggregate_sfunc_changed "$T $SFN
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, INITCOND = 0);" "$T
CREATE FUNCTION sfn(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS \$\$ SELECT \$1 + \$2 * 2 \$\$;
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, INITCOND = 0);"
plan_has aggregate_sfunc_changed "the down makes the aggregate again from what the schema model holds"
# a view over a changed aggregate, and over a changed function: the view
# goes before the routine is dropped, and comes back after it is made
V='CREATE VIEW v AS SELECT mysum(a), twice(1) FROM t;'
TW='CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT $1 * 2 $$;'
generate_case view_over_changed_routines "$T $SFN $TW
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, INITCOND = 0); $V" "$T $SFN
CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS \$\$ SELECT \$1 + \$1 \$\$;
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, INITCOND = 5); $V"
plan_has view_over_changed_routines "DROP VIEW public.v"
# an ordered-set aggregate, made, then dropped (its down makes it again
# from the model: direct ORDER BY aggregated arguments)
OS="CREATE FUNCTION os_add(float8[], float8) RETURNS float8[] LANGUAGE sql IMMUTABLE AS \$\$ SELECT \$1 || \$2 \$\$;
CREATE FUNCTION os_fin(float8[], float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS \$\$ SELECT \$1[1] * \$2 \$\$;
CREATE AGGREGATE my_os(float8 ORDER BY float8) (SFUNC = os_add, STYPE = float8[], FINALFUNC = os_fin, INITCOND = '{}');"
generate_case aggregate_ordered_set "$T" "$T $OS"
plan_has aggregate_ordered_set "DROP AGGREGATE public.my_os(double precision ORDER BY double precision)"
generate_case aggregate_ordered_set_dropped "$T $OS" "$T"
plan_has aggregate_ordered_set_dropped "CREATE AGGREGATE public.my_os(double precision ORDER BY double precision) (SFUNC = "
# a routine an ALTER FUNCTION of the desired file changes (issue 64):
# before, the plan made it from its CREATE alone and the proof failed on
# the difference (refused); now it is made from the catalog's definition,
# SECURITY DEFINER and its hazard with it, new or changed
SD="CREATE FUNCTION pay(n int) RETURNS int LANGUAGE sql AS 'SELECT n';
ALTER FUNCTION pay(int) SECURITY DEFINER;
ALTER FUNCTION pay(int) SET search_path = pg_catalog;"
generate_case routine_altered "$T" "$T $SD"
plan_has routine_altered " SECURITY DEFINER"
plan_has routine_altered "makes a SECURITY DEFINER function"
generate_case routine_altered_live "$T CREATE FUNCTION pay(n int) RETURNS int LANGUAGE sql AS 'SELECT n';" "$T $SD"
plan_has routine_altered_live " SECURITY DEFINER"
# a domain whose default calls a function (issue 64.11: refused once):
# new beside its function and a table using it, and a live domain whose
# default changes to the call; planned, proved and applied
F='CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT md5(random()::text) $$;'
generate_case domain_default_call "$T $F" "$T $F
CREATE DOMAIN code AS text DEFAULT next_code() CHECK (length(VALUE) > 0);
CREATE TABLE item (id int PRIMARY KEY, c code);"
plan_has domain_default_call "CREATE DOMAIN"
plan_has domain_default_call "next_code()"
generate_case domain_default_new_call "$T" "$T $F
CREATE DOMAIN code AS text DEFAULT next_code();
CREATE TABLE item (id int PRIMARY KEY, c code);"
plan_has domain_default_new_call "CREATE FUNCTION next_code()"
generate_case domain_default_changed "$T $F CREATE DOMAIN code AS text DEFAULT 'x';" "$T $F
CREATE DOMAIN code AS text DEFAULT next_code();"
plan_has domain_default_changed "next_code()"
echo "PASS"
