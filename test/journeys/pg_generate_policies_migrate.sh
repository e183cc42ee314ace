#!/usr/bin/env bash
# Row-level security through the command only (issue 66): a desired schema
# that enables and forces RLS, adds policies (one calling a function the
# same migration makes), changes one, drops a rule and adds another.
# `dbcare generate` writes them into the migration, `dbcare migrate`
# applies it, and the migrated database is the desired one: the same
# schema fingerprint as a database made from the desired file, the same
# policies and rules; a second generate plans nothing. Before, each policy
# and rule was a "-- not planned" comment and migrate ended elsewhere.
set -eu
db=dbcare_j_generate_policies
want_db=${db}_want
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
drop_want() { "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $want_db" >/dev/null 2>&1 || true; }
trap 'drop_want; cleanup' EXIT
fresh_db
cd "$work"

mkdir migrations
cat >migrations/V1__init.sql <<'SQL'
CREATE TABLE doc (id bigint PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY doc_owner ON doc USING (owner = current_user);
CREATE TABLE log (id bigint PRIMARY KEY, what text);
CREATE RULE log_keep AS ON DELETE TO log DO INSTEAD NOTHING;
SQL
run 0 migrate --db "$url"
q -c "INSERT INTO doc SELECT g, 'u' || g, 'b' FROM generate_series(1, 100) g" >/dev/null

cat >schema.sql <<'SQL'
CREATE FUNCTION may_read(who text) RETURNS boolean LANGUAGE sql STABLE
  AS $$ SELECT who = current_user OR who = 'everyone' $$;
CREATE TABLE doc (id bigint PRIMARY KEY, owner text NOT NULL, body text);
ALTER TABLE doc ENABLE ROW LEVEL SECURITY;
ALTER TABLE doc FORCE ROW LEVEL SECURITY;
CREATE POLICY doc_owner ON doc USING (may_read(owner));
CREATE POLICY doc_add ON doc AS RESTRICTIVE FOR INSERT WITH CHECK (owner = current_user);
CREATE TABLE log (id bigint PRIMARY KEY, what text);
CREATE RULE log_frozen AS ON UPDATE TO log DO INSTEAD NOTHING;
SQL
n0=$(ls migrations | wc -l)
run 0 generate --to schema.sql add_row_security --db "$url"
[ "$(ls migrations | wc -l)" -gt "$n0" ] || fail "generate wrote no migration: $(cat "$work/out" "$work/err")"
grep -rq -- "not planned" migrations && fail "a policy or rule is left as a comment: $(cat migrations/*)"
for want in "CREATE POLICY doc_owner ON public.doc AS PERMISSIVE FOR ALL TO public USING (public.may_read(owner))" \
            "CREATE POLICY doc_add ON public.doc AS RESTRICTIVE FOR INSERT TO public WITH CHECK ((owner = CURRENT_USER))" \
            "DROP RULE log_keep ON public.log" "CREATE RULE log_frozen AS"; do
  grep -rqF -- "$want" migrations || fail "not in the migration: $want
$(cat migrations/*)"
done

run 0 migrate --db "$url"
run 0 status --db "$url" --exit-code

# the desired file made into a database of its own: the same schema
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $want_db" -c "CREATE DATABASE $want_db" >/dev/null
"$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$want_db" -c "SET client_min_messages = warning" \
  -c "CREATE EXTENSION dbcare" -f schema.sql >/dev/null
security="SELECT string_agg(x, E'\n' ORDER BY x) FROM (
  SELECT format('policy %s %s %s %s %s %s %s', tablename, policyname, permissive, cmd, roles, qual, with_check) FROM pg_policies WHERE schemaname = 'public'
  UNION ALL SELECT format('rule %s', definition) FROM pg_rules WHERE schemaname = 'public'
  UNION ALL SELECT format('rls %s %s %s', relname, relrowsecurity, relforcerowsecurity) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
  UNION ALL SELECT format('fn %s', pg_get_functiondef(p.oid)) FROM pg_proc p WHERE pronamespace = 'public'::regnamespace) s(x)"
got=$(q -c "$security")
want=$("$B/psql" -X -q -At -d "$want_db" -c "$security")
[ "$got" = "$want" ] || fail "the migrated policies and rules differ from the desired:
migrated: $got
desired:  $want"
echo "$got" | grep -q "policy doc doc_add RESTRICTIVE INSERT" || fail "no doc_add policy: $got"
fp=$(q -c "SELECT dbschema_fingerprint()")
want_fp=$("$B/psql" -X -q -At -d "$want_db" -c "SELECT dbschema_fingerprint()")
[ "$fp" = "$want_fp" ] || fail "the migrated fingerprint $fp is not the desired $want_fp"
[ "$(q -c "SELECT count(*) FROM doc")" = 100 ] || fail "rows lost"

# nothing left to plan: a second generate writes no migration
n1=$(ls migrations | wc -l)
run 0 generate --to schema.sql again --db "$url"
[ "$(ls migrations | wc -l)" = "$n1" ] || fail "a second generate wrote: $(cat "$work/out") $(ls migrations)"
echo ok
