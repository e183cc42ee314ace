#!/usr/bin/env bash
# dbmigrate_generate runs none of the live tables' owner code with the
# caller's rights (docs/schema-as-code.md, docs/security.md, issue 40). A
# table's owner plants a trigger, a rule, a row-level policy, a default, a
# domain check and an index expression, each calling a function that warns
# "owner code ran as <user>"; a second trigger and policy come from the
# owner's own session while the generate runs (the desired file sleeps a
# second). The desired SQL is the caller's own code: it runs in scratch
# schemas with the caller's rights; the live table is only read, never
# changed, and a read that row-level security would filter through the
# owner's policies is not made (the drop's counts say so). Called by a
# superuser and by a non-owner with the right to create schemas: no warning.
set -eu
db=dbcare_generate_owner
. "$(dirname "$0")/lib/pg.sh"
fresh_db
owner=${db}_own
caller=${db}_call
"$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $owner" -c "DROP ROLE IF EXISTS $caller" 2>/dev/null
cleanup_roles() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $owner" -c "DROP ROLE IF EXISTS $caller" >/dev/null 2>&1 || true
  cleanup
}
trap cleanup_roles EXIT

cat > "$work/funcs.sql" <<'SQL'
CREATE FUNCTION spy(what text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN RAISE WARNING 'owner code ran as %: %', current_user, what; RETURN true; END $$;
CREATE FUNCTION spy_int(what text) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
BEGIN PERFORM spy(what); RETURN 0; END $$;
CREATE FUNCTION spy_key(x integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN RAISE WARNING 'owner code ran as %: index expression', current_user; RETURN x; END $$;
CREATE FUNCTION spy_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM spy(TG_NAME); RETURN NEW; END $$;
SQL
q <<SQL >/dev/null
CREATE ROLE $owner;
CREATE ROLE $caller;
GRANT CREATE ON DATABASE $db TO $caller;
GRANT CREATE, USAGE ON SCHEMA public TO $owner, $caller;
GRANT EXECUTE ON FUNCTION dbmigrate_generate(text, jsonb) TO $caller;
SET ROLE $owner;
\i $work/funcs.sql
CREATE DOMAIN watched AS integer CHECK (spy('domain check') OR VALUE IS NULL);
CREATE TABLE t (id integer PRIMARY KEY, v integer, w integer,
  d integer DEFAULT spy_int('default'), extra text);
SQL
# rows first (the owner's code runs now, while loading: not during the call)
q -c "INSERT INTO t (id, v, w, extra) SELECT g, g, g, 'x' FROM generate_series(1, 1000) g" >/dev/null 2>&1
q <<SQL >/dev/null
SET ROLE $owner;
CREATE INDEX t_key ON t (spy_key(id));
CREATE TRIGGER t_write BEFORE INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION spy_trg();
CREATE RULE t_rule AS ON UPDATE TO t DO ALSO SELECT spy('rule');
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY t_read ON t FOR SELECT USING (spy('policy'));
GRANT SELECT ON t TO $caller;
SQL
# the caller's desired schema: rewriting type changes (one to the owner's
# domain, whose check a rewrite of the rows would run as the caller), a
# dropped column, a new NOT NULL, a new column with a default
{ cat "$work/funcs.sql"; cat <<'SQL'; } > "$work/want.sql"
CREATE DOMAIN watched AS integer CHECK (spy('domain check') OR VALUE IS NULL);
CREATE TABLE t (id integer PRIMARY KEY, v bigint NOT NULL, w watched,
  d integer DEFAULT spy_int('default'), added integer DEFAULT 7);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE INDEX t_key ON t (spy_key(id));
-- a second's pause while the file is applied: a default evaluated once,
-- by a function that may sleep (a desired schema runs no query of its own)
CREATE FUNCTION pause_a_second() RETURNS integer LANGUAGE plpgsql IMMUTABLE AS
  $p$BEGIN PERFORM pg_sleep(1); RETURN 1; END$p$;
CREATE TABLE paused (id integer);
ALTER TABLE paused ADD COLUMN a integer DEFAULT pause_a_second();
SQL
sum() { q -c "SET ROLE $owner" -c "SELECT count(*) || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM t" 2>/dev/null; }
before=$(sum)

run_as() { # ROLE: the generate as ROLE, the owner planting more code meanwhile
  local role=$1
  q -v "role=$role" -v "desired=$(cat "$work/want.sql")" > "$work/plan.$role" 2> "$work/err.$role" <<'SQL' &
SET ROLE :"role";
SELECT step || ' ' || coalesce(hazard, '') FROM dbmigrate_generate(:'desired', '{"allow_drop": true}') ORDER BY step;
SQL
  local gen=$!
  sleep 0.3
  q 2>/dev/null <<SQL || true
SET ROLE $owner;
DROP TRIGGER IF EXISTS t_late ON t;
CREATE TRIGGER t_late AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON t FOR EACH STATEMENT EXECUTE FUNCTION spy_trg();
DROP POLICY IF EXISTS t_late ON t;
CREATE POLICY t_late ON t USING (spy('late policy'));
SQL
  wait "$gen" || { cat "$work/err.$role"; fail "the generate as $role failed"; }
  if grep -q 'owner code ran' "$work/err.$role"; then
    grep 'owner code ran' "$work/err.$role" | sort | uniq -c | head -5
    fail "owner code ran in the generate called by $role"
  fi
  grep -q "drops column t.extra" "$work/plan.$role" || { cat "$work/plan.$role" "$work/err.$role"; fail "no drop in the plan for $role"; }
}
t0=$(date +%s.%N)
run_as postgres
grep -q 'drops column t.extra (1000 rows, 1000 non-NULL values)' "$work/plan.postgres" ||
  { cat "$work/plan.postgres"; fail "the superuser's counts are not the live ones"; }
run_as "$caller"
grep -q 'drops column t.extra (rows not counted: reading them would run the table.s row-level policies)' "$work/plan.$caller" ||
  { cat "$work/plan.$caller"; fail "the rows were read through the owner's policies"; }
[ "$(sum)" = "$before" ] || fail "the live rows changed"
[ "$(q -c "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'v'")" = integer ] ||
  fail "the live table changed"
echo "two generates with owner code planted: $(echo "$(date +%s.%N) - $t0" | bc) s, none of it ran"
# without CREATE on the database the scratch schemas cannot be made: a
# clear refusal naming the grant, before anything runs
"$B/psql" -X -q -d postgres -c "REVOKE CREATE ON DATABASE $db FROM $caller" >/dev/null
err=$(q -v "role=$caller" -v "desired=$(cat "$work/want.sql")" 2>&1 <<'SQL' || true
SET ROLE :"role";
SELECT count(*) FROM dbmigrate_generate(:'desired', '{"allow_drop": true}');
SQL
)
echo "$err" | grep -q "ERROR:  dbcare: dbmigrate_generate needs CREATE on database $db: it applies the desired schema in scratch schemas of the caller's" \
  || fail "no clear refusal without CREATE on the database: $err"
echo "$err" | grep -q "HINT:  GRANT CREATE ON DATABASE $db TO $caller;" || fail "the refusal does not name the grant: $err"
echo "$err" | grep -q 'owner code ran' && fail "owner code ran in the refused generate"
echo ok
