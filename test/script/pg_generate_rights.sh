#!/usr/bin/env bash
# dbmigrate_generate plans the rights a desired schema writes (issue 64):
# before, GRANT and REVOKE were left out of the scratch run and the plan,
# so the safe idiom "CREATE FUNCTION ... SECURITY DEFINER; REVOKE ALL ON
# FUNCTION ... FROM PUBLIC" planned the function alone: applied, any role
# called it with its owner's rights, and generating again said nothing was
# left to do. Now the rights of the desired tables, columns, sequences,
# functions and schemas are compared with the live ones (the owner's own
# left aside) and each difference is a GRANT or REVOKE step with its
# reverse; applied, the plan leaves nothing to do. ALTER DEFAULT
# PRIVILEGES and role membership are refused by name.
set -eu
db=dbcare_generate_rights
. "$(dirname "$0")/lib/pg.sh"
reader=${db}_reader
cleanup_roles() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $reader" >/dev/null 2>&1 || true
  cleanup
}
trap cleanup_roles EXIT
fresh_db
"$B/psql" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $reader" -c "CREATE ROLE $reader" >/dev/null
q -c "CREATE TABLE acct (id int PRIMARY KEY, owner text, cents int)" \
  -c "GRANT SELECT ON acct TO $reader" >/dev/null
plan() { q -v "desired=$1" <<'SQL'
SELECT statement || ' | ' || coalesce(reverse, '-') FROM dbmigrate_generate(:'desired') ORDER BY step
SQL
}
desired="CREATE TABLE acct (id int PRIMARY KEY, owner text, cents int);
GRANT SELECT ON acct TO $reader;
CREATE FUNCTION pay(n int) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT n';
REVOKE ALL ON FUNCTION pay(int) FROM PUBLIC;"
got=$(plan "$desired")
echo "$got" | grep -q '^CREATE FUNCTION pay(n int)' || fail "the function is not planned: $got"
echo "$got" | grep -qxF 'REVOKE EXECUTE ON FUNCTION public.pay(n integer) FROM PUBLIC | GRANT EXECUTE ON FUNCTION public.pay(n integer) TO PUBLIC' ||
  fail "the REVOKE is not planned: $got"
# applied step by step, a role without a grant may not call the function,
# and generating again plans nothing
q -v "desired=$desired" >/dev/null <<'SQL'
SELECT set_config('my.desired', :'desired', false);
DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT statement FROM dbmigrate_generate(current_setting('my.desired')) ORDER BY step
  LOOP EXECUTE s; END LOOP; END $$;
SQL
[ "$(q -c "SELECT has_function_privilege('$reader', 'pay(int)', 'EXECUTE')")" = f ] ||
  fail "applied, the reader may call the SECURITY DEFINER function"
got=$(plan "$desired")
[ -z "$got" ] || fail "generating again plans: $got"
# a changed function is dropped and made again, with a new function's
# rights (EXECUTE for PUBLIC): its REVOKE is planned again after it, and
# applied, the reader still may not call it
changed=$(printf '%s\n' "$desired" | sed "s/AS 'SELECT n'/AS 'SELECT n + 0'/")
got=$(plan "$changed")
echo "$got" | grep -q '^DROP FUNCTION public.pay(n integer)' || fail "the changed function is not made again: $got"
echo "$got" | grep -qxF 'REVOKE EXECUTE ON FUNCTION public.pay(n integer) FROM PUBLIC | GRANT EXECUTE ON FUNCTION public.pay(n integer) TO PUBLIC' ||
  fail "the REVOKE of the function made again is not planned: $got"
q -v "desired=$changed" >/dev/null <<'SQL'
SELECT set_config('my.desired', :'desired', false);
DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT statement FROM dbmigrate_generate(current_setting('my.desired')) ORDER BY step
  LOOP EXECUTE s; END LOOP; END $$;
SQL
[ "$(q -c "SELECT has_function_privilege('$reader', 'pay(int)', 'EXECUTE')")" = f ] ||
  fail "applied, the reader may call the function made again"
# a grant taken back, a column grant and one to PUBLIC: each a step
got=$(plan "CREATE TABLE acct (id int PRIMARY KEY, owner text, cents int);
GRANT SELECT (id, owner) ON acct TO $reader;
GRANT SELECT ON acct TO PUBLIC;
CREATE FUNCTION pay(n int) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT n';
REVOKE ALL ON FUNCTION pay(int) FROM PUBLIC;")
for want in "REVOKE SELECT ON TABLE public.acct FROM $reader | GRANT SELECT ON TABLE public.acct TO $reader" \
            "GRANT SELECT (id) ON TABLE public.acct TO $reader | REVOKE SELECT (id) ON TABLE public.acct FROM $reader" \
            "GRANT SELECT (owner) ON TABLE public.acct TO $reader | REVOKE SELECT (owner) ON TABLE public.acct FROM $reader" \
            "GRANT SELECT ON TABLE public.acct TO PUBLIC | REVOKE SELECT ON TABLE public.acct FROM PUBLIC"; do
  echo "$got" | grep -qxF -- "$want" || fail "missing: $want
in: $got"
done
# rights the plan does not model are refused by name
for stmt in "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO $reader;" "GRANT $reader TO CURRENT_USER;"; do
  if got=$(plan "CREATE TABLE acct (id int PRIMARY KEY, owner text, cents int);
$stmt" 2>&1); then fail "not refused: $stmt: $got"; fi
  echo "$got" | grep -q "ERROR:  dbcare: the desired schema may hold only schema statements: line 2" ||
    fail "not refused by name: $stmt: $got"
done
# rights are planned only for an object the desired file writes rights
# for (its ACL in the scratch place is not NULL): a hand-written schema
# that writes none leaves the rights a DBA gave by hand as they are.
# Before, each live grant was a REVOKE step and the plan cut the reader off.
q -c "GRANT UPDATE (owner) ON acct TO $reader" -c "GRANT EXECUTE ON FUNCTION pay(int) TO $reader" >/dev/null
bare="CREATE TABLE acct (id int PRIMARY KEY, owner text, cents int);
CREATE FUNCTION pay(n int) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT n + 0';"
got=$(plan "$bare")
[ -z "$got" ] || fail "a desired file writing no rights plans: $got"
# one REVOKE written: that table's rights are planned, whole; the
# function's, not written, still are not
got=$(plan "$bare
REVOKE SELECT ON acct FROM $reader;")
[ "$got" = "REVOKE SELECT ON TABLE public.acct FROM $reader | GRANT SELECT ON TABLE public.acct TO $reader
REVOKE UPDATE (owner) ON TABLE public.acct FROM $reader | GRANT UPDATE (owner) ON TABLE public.acct TO $reader" ] ||
  fail "the written REVOKE is not planned alone: $got"
# a function the plan makes again while the file writes no rights for it
# gets its live rights back: PUBLIC's EXECUTE taken again, the reader's given
changed=$(printf '%s\n' "$bare" | sed "s/AS 'SELECT n + 0'/AS 'SELECT n + 1'/")
got=$(plan "$changed")
echo "$got" | grep -q '^DROP FUNCTION public.pay(n integer)' || fail "the changed function is not made again: $got"
for want in "REVOKE EXECUTE ON FUNCTION public.pay(n integer) FROM PUBLIC | GRANT EXECUTE ON FUNCTION public.pay(n integer) TO PUBLIC" \
            "GRANT EXECUTE ON FUNCTION public.pay(n integer) TO $reader | REVOKE EXECUTE ON FUNCTION public.pay(n integer) FROM $reader"; do
  echo "$got" | grep -qxF -- "$want" || fail "the function made again does not get back: $want
in: $got"
done
q -v "desired=$changed" >/dev/null <<'SQL'
SELECT set_config('my.desired', :'desired', false);
DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT statement FROM dbmigrate_generate(current_setting('my.desired')) ORDER BY step
  LOOP EXECUTE s; END LOOP; END $$;
SQL
[ "$(q -c "SELECT has_function_privilege('$reader', 'pay(int)', 'EXECUTE'), pay(1)")" = 't|2' ] ||
  fail "applied, the function made again lost the reader's EXECUTE"
[ "$(q -c "SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a WHERE p.proname = 'pay' AND a.grantee = 0")" = 0 ] ||
  fail "applied, PUBLIC may call the SECURITY DEFINER function made again"
got=$(plan "$changed")
[ -z "$got" ] || fail "generating again after the function made again plans: $got"
# a view the plan makes again, the file writing no rights for it, gets its
# live rights back, but for a column it no longer has
q -c "CREATE VIEW acct_v AS SELECT id, owner FROM acct" -c "GRANT SELECT, UPDATE (id), UPDATE (owner) ON acct_v TO $reader" >/dev/null
got=$(plan "$changed
CREATE VIEW acct_v AS SELECT id FROM acct;")
echo "$got" | grep -q '^DROP VIEW public.acct_v' || fail "the changed view is not made again: $got"
[ "$(echo "$got" | grep -E '^(GRANT|REVOKE)')" = "GRANT SELECT ON TABLE public.acct_v TO $reader | REVOKE SELECT ON TABLE public.acct_v FROM $reader
GRANT UPDATE (id) ON TABLE public.acct_v TO $reader | REVOKE UPDATE (id) ON TABLE public.acct_v FROM $reader" ] ||
  fail "the view made again does not get its live rights back alone: $got"
q -c "DROP VIEW acct_v" >/dev/null
# the SECURITY DEFINER idiom on a live function PUBLIC may call: planned
q -c "GRANT EXECUTE ON FUNCTION pay(int) TO PUBLIC" >/dev/null
got=$(plan "$changed
REVOKE ALL ON FUNCTION pay(int) FROM PUBLIC;")
echo "$got" | grep -qxF 'REVOKE EXECUTE ON FUNCTION public.pay(n integer) FROM PUBLIC | GRANT EXECUTE ON FUNCTION public.pay(n integer) TO PUBLIC' ||
  fail "the idiom's REVOKE on a live function is not planned: $got"
q -c "REVOKE EXECUTE ON FUNCTION pay(int) FROM PUBLIC" >/dev/null
# a pg_dump file writes every right that is not its object's default: it
# plans nothing against its own database, and a right given since is taken
"$B/pg_dump" --schema-only -n public -d "$db" > "$work/dump.sql"
grep -q "GRANT UPDATE(owner) ON TABLE public.acct TO $reader" "$work/dump.sql" || fail "the dump holds no column grant: $(cat "$work/dump.sql")"
got=$(plan "$(cat "$work/dump.sql")")
[ -z "$got" ] || fail "a pg_dump file plans against its own database: $got"
q -c "GRANT INSERT ON acct TO $reader" >/dev/null
got=$(plan "$(cat "$work/dump.sql")")
[ "$got" = "REVOKE INSERT ON TABLE public.acct FROM $reader | GRANT INSERT ON TABLE public.acct TO $reader" ] ||
  fail "a right given since the dump is not taken: $got"
echo ok
