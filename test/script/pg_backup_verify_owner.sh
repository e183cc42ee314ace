#!/usr/bin/env bash
# dbcare backup and dbcare verify run a table owner's code with the owner's
# rights at most (docs/security.md, docs/backups.md). A non-superuser owner
# plants functions that, run by a superuser, make the owner a superuser and
# create a role: in a CHECK constraint and a domain check (evaluated while
# COPY loads the rows; the code first tries RESET ROLE, which escapes a
# SET ROLE / pg_restore --role), an index expression and a generated column,
# a materialized view, and a cast of its table's row type to text (which a
# reader that casts rows to text would call). A superuser takes the backup
# and verifies it: the owner stays an ordinary role, no role is created, the
# planted code ran during verify as the scratch role only, and the backup
# verifies. Code that fails without a superuser's rights makes verify fail
# (the dump does not restore as its owner). A verify killed with SIGKILL in
# the middle of the restore leaves its scratch database and role, which the
# next verify drops. A role without CREATEROLE is told what verify needs.
set -eu
db=dbcare_owner_code
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
pq() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
scratch_dbs() { pq -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbcare_verify_%'"; }
scratch_roles() { pq -c "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dbcare_verify_%'"; }
status() { q -c "SELECT status FROM dbcare.backups WHERE path = '$work/$1'"; }
# the planted code's effects are global (roles, files the server writes),
# so they show wherever it ran; a read-only transaction still lets a
# superuser write a server file
marks=$(mktemp -d)
chmod 777 "$marks"
escalated() {
  pq -c "SELECT string_agg(rolname, ' ') FROM pg_roles
         WHERE rolname LIKE 'owner_planted_%' OR (rolname = 'dbcare_planter' AND rolsuper)"
  ls "$marks"
}
trap 'pq -c "DROP ROLE IF EXISTS dbcare_planter" -c "DROP ROLE IF EXISTS dbcare_plain_verifier" \
  -c "SELECT format($$DROP ROLE %I$$, rolname) FROM pg_roles WHERE rolname LIKE $$owner_planted_%$$" \
  >/dev/null 2>&1 || true; rm -rf "$marks"; cleanup' EXIT
t_start=$(date +%s%N)

fresh_db
pq -c "DROP ROLE IF EXISTS dbcare_planter" -c "CREATE ROLE dbcare_planter LOGIN"
q -c "CREATE EXTENSION citext" \
  -c "GRANT CREATE ON SCHEMA public TO dbcare_planter" \
  -c "CREATE FUNCTION noop_event() RETURNS event_trigger LANGUAGE plpgsql AS \$\$BEGIN END\$\$" \
  -c "CREATE EVENT TRIGGER admins_trigger ON ddl_command_end EXECUTE FUNCTION noop_event()"
# planted: plant() does, with whatever rights it runs with, RESET ROLE, then
# ALTER ROLE dbcare_planter SUPERUSER, CREATE ROLE owner_planted_<where> and
# COPY to a server file named <where>;
# each step that is refused is skipped, so the code never fails. Restored
# with the table slow_rows (the verify killed below), it notes in ran_as
# where and as whom it ran. test.setup (set only while planting) keeps it
# quiet while the rows go in.
q -c "SET test.setup = 'on'" -c "SET ROLE dbcare_planter" -c "
CREATE FUNCTION plant(what text) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN
  IF current_setting('test.setup', true) = 'on' THEN RETURN true; END IF;
  BEGIN EXECUTE 'RESET ROLE'; EXCEPTION WHEN OTHERS THEN NULL; END;
  IF current_database() LIKE 'dbcare_verify_%' AND to_regclass('public.slow_rows') IS NOT NULL THEN
    INSERT INTO public.ran_as VALUES (what, current_user);
  END IF;
  BEGIN EXECUTE 'ALTER ROLE dbcare_planter SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
  BEGIN EXECUTE format('CREATE ROLE %I', 'owner_planted_' || what);
  EXCEPTION WHEN OTHERS THEN NULL; END;
  BEGIN EXECUTE format('COPY (SELECT 1) TO %L', '$marks/' || what);
  EXCEPTION WHEN OTHERS THEN NULL; END;
  RETURN true;
END \$\$;
CREATE TABLE ran_as (what text, who text);
CREATE FUNCTION in_check(int) RETURNS boolean LANGUAGE sql AS \$\$ SELECT public.plant('check') \$\$;
CREATE FUNCTION in_domain(int) RETURNS boolean LANGUAGE sql AS \$\$ SELECT public.plant('domain') \$\$;
CREATE FUNCTION in_index(int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS \$\$ BEGIN PERFORM public.plant('index'); RETURN \$1; END \$\$;
CREATE FUNCTION in_generated(int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS \$\$ BEGIN PERFORM public.plant('generated'); RETURN \$1; END \$\$;
CREATE DOMAIN checked_int AS int CHECK (public.in_domain(VALUE));
CREATE TABLE planted (id int PRIMARY KEY, a int CHECK (public.in_check(a)), b checked_int,
  c citext, g int GENERATED ALWAYS AS (public.in_generated(a)) STORED);
INSERT INTO planted (id, a, b, c) SELECT i, i, i, 'row ' || i FROM generate_series(1, 1000) i;
CREATE INDEX planted_expr ON planted (public.in_index(a));
CREATE MATERIALIZED VIEW planted_view AS SELECT id FROM planted WHERE public.plant('matview');
CREATE FUNCTION planted_text(planted) RETURNS text LANGUAGE plpgsql
  AS \$\$ BEGIN PERFORM public.plant('cast'); RETURN 'x'; END \$\$;
CREATE CAST (planted AS text) WITH FUNCTION planted_text(planted);
CREATE TABLE hidden (k int);
INSERT INTO hidden SELECT generate_series(1, 10);
ALTER TABLE hidden ENABLE ROW LEVEL SECURITY;
ALTER TABLE hidden FORCE ROW LEVEL SECURITY;
CREATE POLICY only_some ON hidden USING (k < 5 AND public.plant('policy'));"
[ -z "$(escalated)" ] || fail "the planting itself escalated: $(escalated)"

# --- the backup: the content record reads every row as the superuser
run 0 backup good.dump --db "$url" --json
[ -z "$(escalated)" ] || fail "dbcare backup ran the owner's code as a superuser: $(escalated)"
[ "$(q -c "SELECT t ->> 1 FROM dbcare.backups, jsonb_array_elements(content -> 'tables') t
              WHERE path = '$work/good.dump' AND t ->> 0 = 'public.hidden'")" = 10 ] ||
  fail "the content of the table with forced row security is not all its rows"

# --- verify as the superuser: the owner's code runs as the scratch role
t0=$(date +%s%N)
run 0 verify good.dump --db "$url" --json
echo "verify of the planted dump: $((($(date +%s%N) - t0) / 1000000)) ms"
[ -z "$(escalated)" ] || fail "dbcare verify ran the owner's code with more rights: $(escalated)"
[ "$(json "d['verify']['verified']")" = True ] || fail "the planted dump did not verify: $(cat out err)"
[ "$(json "d['verify']['tables']")" = 3 ] || fail "verify did not compare the three tables: $(cat out)"
[ "$(status good.dump)" = verified ] || fail "the planted dump's row is not verified"
[ "$(scratch_dbs)" = 0 ] && [ "$(scratch_roles)" = 0 ] || fail "verify left its scratch database or role"
# the admin's event trigger was not restored (the scratch role cannot, and
# would run it): verify passed above with it in the dump

# --- killed with SIGKILL in the middle of the restore: the leftovers are
# found and dropped by the next verify
q -c "SET test.setup = 'on'" -c "SET ROLE dbcare_planter" -c "
CREATE FUNCTION slow(int) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN
  IF current_setting('test.setup', true) IS DISTINCT FROM 'on' THEN PERFORM pg_sleep(0.1); END IF;
  RETURN true;
END \$\$;
CREATE TABLE slow_rows (k int CHECK (public.slow(k)));
INSERT INTO slow_rows SELECT generate_series(1, 40)"
run 0 backup slow.dump --db "$url"
"$cli" verify slow.dump --db "$url" >"$work/killed.out" 2>&1 &
vpid=$!
for _ in $(seq 1 300); do
  [ "$(pq -c "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'dbcare_verify_%'
              AND query LIKE 'COPY public.slow_rows%'")" = 1 ] && break
  sleep 0.05
done
[ "$(scratch_dbs)" = 1 ] || { cat "$work/killed.out"; fail "the killed verify never reached the restore"; }
kill -KILL "$vpid"
wait "$vpid" 2>/dev/null || true
[ "$(scratch_roles)" = 1 ] || fail "no scratch role while the restore ran"
# the leftover shows the planted code ran during the restore, as the role
left=$(pq -c "SELECT datname FROM pg_database WHERE datname LIKE 'dbcare_verify_%'")
ran=$("$B/psql" -X -q -At -d "$left" -c "SELECT string_agg(DISTINCT what || ' as ' || who, ', ') FROM ran_as")
for where in check domain generated; do
  case ", $ran," in *", $where as $left,"*) ;; *) fail "the planted $where code did not run as $left: $ran" ;; esac
done
! echo "$ran" | tr ',' '\n' | grep -v " as $left\$" | grep -q . || fail "planted code ran as another role: $ran"
run 0 verify good.dump --db "$url"
[ "$(scratch_dbs)" = 0 ] && [ "$(scratch_roles)" = 0 ] ||
  fail "the next verify did not drop the killed verify's leftovers: $(scratch_dbs) databases, $(scratch_roles) roles"
[ -z "$(escalated)" ] || fail "escalated: $(escalated)"
q -c "DROP TABLE slow_rows"

# --- code that needs a superuser's rights: the dump does not restore as its
# owner, verify fails and says so, and leaves nothing
q -c "SET ROLE dbcare_planter" -c "
CREATE FUNCTION needs_super(int) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN
  IF current_setting('test.setup', true) = 'on' THEN RETURN true; END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'not a superuser';
  END IF;
  RETURN true;
END \$\$;
SET test.setup = 'on';
CREATE TABLE needy (k int CHECK (public.needs_super(k)));
INSERT INTO needy VALUES (1)"
run 0 backup needy.dump --db "$url"
run 1 verify needy.dump --db "$url"
has "dbcare: backup $work/needy.dump failed verification: pg_restore into the scratch database failed; the dump does not restore" err
has "not a superuser" err
[ "$(status needy.dump)" = failed ] || fail "the dump that does not restore is not failed"
[ "$(scratch_dbs)" = 0 ] && [ "$(scratch_roles)" = 0 ] || fail "a failed verify left its scratch database or role"
[ -z "$(escalated)" ] || fail "escalated: $(escalated)"

# --- a verifier without CREATEROLE is told what verify needs
pq -c "DROP ROLE IF EXISTS dbcare_plain_verifier" -c "CREATE ROLE dbcare_plain_verifier LOGIN CREATEDB"
q -c "GRANT USAGE ON SCHEMA dbcare TO dbcare_plain_verifier" \
  -c "GRANT SELECT, UPDATE ON dbcare.backups TO dbcare_plain_verifier"
run 1 verify good.dump --db "postgresql://dbcare_plain_verifier@/$db?host=$PGHOST&port=$PGPORT"
has "dbcare: verify restores the dump as a role of its own: dbcare_plain_verifier needs CREATEROLE and CREATEDB (or superuser)" err
[ "$(scratch_dbs)" = 0 ] && [ "$(scratch_roles)" = 0 ] || fail "the refused verify left something"
q -c "REVOKE ALL ON dbcare.backups FROM dbcare_plain_verifier" \
  -c "REVOKE ALL ON SCHEMA dbcare FROM dbcare_plain_verifier"
echo "ok: the owner's code ran as the scratch role only ($((($(date +%s%N) - t_start) / 1000000)) ms)"
