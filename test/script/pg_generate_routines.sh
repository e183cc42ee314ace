#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL with routines beside functions:
# procedures (new, changed, dropped, overloaded, SECURITY DEFINER) and
# aggregates (their support functions made first and dropped last, a
# FINALFUNC, an ordered-set one). Each plan is proved by the generator
# (its down back to the live schema, its up to the desired one), then
# applied here and compared with the desired schema's fingerprint.
set -eu
db=dbcare_generate_routines
. "$(dirname "$0")/lib/pg.sh"
# case_ NAME LIVE DESIRED: the plan from LIVE to DESIRED (drops allowed)
# into $work/plan.txt (step | statement | hazard | reverse), applied in
# the same session, compared with DESIRED's fingerprint
case_() {
  fresh_db
  q -c "SET client_min_messages = warning" -c "$3" >/dev/null
  local want
  want=$(q -c "SELECT dbschema_fingerprint()")
  fresh_db
  q -c "SET client_min_messages = warning" -c "$2" >/dev/null
  q -v "desired=$3" > "$work/plan.txt" 2>&1 <<'SQL' || fail "$1: $(grep -m1 -A1 ERROR "$work/plan.txt")"
CREATE TEMP TABLE plan AS SELECT * FROM dbmigrate_generate(:'desired', '{"allow_drop": true}');
SELECT step || ' | ' || statement || ' | ' || coalesce(hazard, '') || ' | ' || coalesce(reverse, '')
  FROM plan ORDER BY step;
SELECT statement FROM plan WHERE statement NOT LIKE '-- %' ORDER BY step \gexec
SQL
  [ "$(q -c "SELECT dbschema_fingerprint()")" = "$want" ] || fail "$1: the up does not reach the desired schema"
  echo "$1: planned, proved and applied"
}
has() { grep -qF -- "$2" "$work/plan.txt" || { cat "$work/plan.txt"; fail "$1: the plan has no \"$2\""; }; }
T='CREATE TABLE t (a int);'
P='CREATE PROCEDURE p(x int) LANGUAGE sql AS $$ INSERT INTO t VALUES (x) $$;'

# a new procedure (beside two functions): made, its down drops it by its
# identity arguments
case_ procedure_added "$T" "$T $P
CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql SECURITY DEFINER AS \$\$ SELECT x \$\$;
CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql AS \$\$ SELECT x \$\$;"
has procedure_added "CREATE PROCEDURE p(x int)"
has procedure_added "DROP PROCEDURE public.p(IN x integer)"

# a SECURITY DEFINER procedure, the only object that changes (a rule
# beside it is not planned): planned, with its hazard, never left out
case_ secdef_procedure "$T" "$T
CREATE PROCEDURE p(x int) LANGUAGE sql SECURITY DEFINER AS \$\$ INSERT INTO t VALUES (x) \$\$;
CREATE RULE t_keep AS ON DELETE TO t DO INSTEAD NOTHING;"
has secdef_procedure "CREATE PROCEDURE p(x int) LANGUAGE sql SECURITY DEFINER"
has secdef_procedure "makes a SECURITY DEFINER function"
has secdef_procedure "-- not planned: rule"

# a procedure's body changed: made again (CREATE OR REPLACE, or dropped
# and made)
case_ procedure_changed "$T $P" "$T
CREATE PROCEDURE p(x int) LANGUAGE sql AS \$\$ INSERT INTO t VALUES (x + 1) \$\$;"
has procedure_changed "(x + 1)"

# a procedure the desired schema no longer has: dropped, its down makes
# it again
case_ procedure_dropped "$T $P" "$T"
has procedure_dropped "DROP PROCEDURE public.p(IN x integer)"

# overloaded procedures: one added beside the live one, made from its
# catalog definition (the name alone does not tell which statement is whose)
case_ procedure_overloaded "$T $P" "$T $P
CREATE PROCEDURE p(x text) LANGUAGE sql AS \$\$ INSERT INTO t VALUES (length(x)) \$\$;"
has procedure_overloaded "CREATE OR REPLACE PROCEDURE public.p(IN x text)"
has procedure_overloaded "DROP PROCEDURE public.p(IN x text)"
case_ procedure_overload_changed "$T $P
CREATE PROCEDURE p(x text) LANGUAGE sql AS \$\$ INSERT INTO t VALUES (length(x)) \$\$;" "$T $P
CREATE PROCEDURE p(x text) LANGUAGE sql AS \$\$ INSERT INTO t VALUES (length(x) * 2) \$\$;"
has procedure_overload_changed "length(x) * 2"

# an aggregate after its state function, dropped before it in the down
SFN='CREATE FUNCTION sfn(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + $2 $$;'
case_ aggregate_added "$T" "$T $SFN
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, INITCOND = 0);"
has aggregate_added "DROP AGGREGATE public.mysum(integer)"
# with a final function
FIN='CREATE FUNCTION fin(int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$;'
case_ aggregate_finalfunc "$T" "$T $SFN $FIN
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, FINALFUNC = fin, INITCOND = 0);"
# dropped with its functions: the aggregate first, its functions after,
# and the down makes them again in the other order
case_ aggregate_dropped "$T $SFN $FIN
CREATE AGGREGATE mysum(int) (SFUNC = sfn, STYPE = int, FINALFUNC = fin, INITCOND = 0);" "$T"
# an ordered-set aggregate
case_ aggregate_ordered_set "$T" "$T
CREATE FUNCTION os_add(float8[], float8) RETURNS float8[] LANGUAGE sql IMMUTABLE AS \$\$ SELECT \$1 || \$2 \$\$;
CREATE FUNCTION os_fin(float8[], float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS \$\$ SELECT \$1[1] * \$2 \$\$;
CREATE AGGREGATE my_os(float8 ORDER BY float8) (SFUNC = os_add, STYPE = float8[], FINALFUNC = os_fin, INITCOND = '{}');"
has aggregate_ordered_set "DROP AGGREGATE public.my_os(double precision ORDER BY double precision)"
echo "PASS"
