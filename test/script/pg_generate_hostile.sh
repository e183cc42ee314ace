#!/usr/bin/env bash
# A desired schema is someone else's file (a pull request's schema.sql):
# dbmigrate_generate runs only its schema statements, as the server's
# parser shows them, and runs them with no rights of the caller's (a
# one-time role, whoever the caller is; issue 49, docs/security.md).
# Hostile files, generated from by a superuser and by a table owner: DO
# with a dynamic EXECUTE (ALTER ROLE alice SUPERUSER), COPY TO PROGRAM,
# setval on the live sequence, a session advisory lock, COPY TO a file,
# SET ROLE: each is refused by a dbcare: error naming the statement (by the
# function and by dbcare generate), nothing
# is written, and the session stays usable. Code a file can still reach (a
# default its own function computes) runs as the one-time role, which can
# do none of it, reaches no live object (a partition bound or a default
# that setvals the live sequence by a built name, a search_path or U&"..."
# name of the live schema) and is gone afterwards; a session advisory
# lock it takes is released. A SECURITY DEFINER function in the plan carries a hazard.
set -eu
db=dbcare_generate_hostile
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
fresh_db
owner=${db}_own
cleanup_roles() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $owner" -c "DROP ROLE IF EXISTS ${db}_alice" >/dev/null 2>&1 || true
  cleanup
}
trap cleanup_roles EXIT
alice=${db}_alice
"$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $owner" -c "DROP ROLE IF EXISTS $alice" \
  -c "CREATE ROLE $owner" -c "CREATE ROLE $alice" -c "GRANT CREATE ON DATABASE $db TO $owner" >/dev/null
out="$work/out"; mkdir -m 777 "$out"
q -c "GRANT CREATE ON SCHEMA public TO $owner" \
  -c "GRANT EXECUTE ON FUNCTION dbmigrate_generate(text, jsonb) TO $owner" -c "SET ROLE $owner" \
  -c "CREATE TABLE acct (id serial PRIMARY KEY, owner text, cents integer)" \
  -c "INSERT INTO acct (owner, cents) VALUES ('a', 1), ('b', 2)" >/dev/null
base='CREATE TABLE acct (id serial PRIMARY KEY, owner text, cents integer);'
seq_before=$(q -c "SELECT last_value FROM acct_id_seq")

# generate ROLE FILE: one session; the call, then what the session looks like
generate() {
  "$B/psql" -X -q -At -d "$db" -v "role=$1" -v "desired=$(cat "$2")" 2>&1 <<'SQL'
SET ROLE :"role";
SELECT count(*) FROM dbmigrate_generate(:'desired');
SELECT 'usable:' || current_user || ':' || (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) || ':' || (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dbcare\_gen\_%');
SQL
}
# refused ROLE NAME SQL KIND: the file base + SQL (SQL on line 2) is refused
# before anything runs, the error naming line 2 and the statement's KIND
refused() {
  printf '%s\n%s\n' "$base" "$3" > "$work/$2.sql"
  local got
  got=$(generate "$1" "$work/$2.sql")
  echo "$got" | grep -q "ERROR:  dbcare: the desired schema may hold only schema statements: line 2 (.*) is $4, which" ||
    fail "$1, $2: not refused as $4: $got"
  echo "$got" | grep -qx "usable:$1:0:0" || fail "$1, $2: the session is not as it was: $got"
}
for role in postgres "$owner"; do
  refused "$role" do "DO \$\$BEGIN EXECUTE 'ALTER ROLE ' || '$alice SUPERUSER'; END\$\$;" DO
  refused "$role" program "COPY (SELECT 1) TO PROGRAM 'touch $out/program-$role';" COPY
  refused "$role" setval "SELECT setval('public.acct_id_seq', 1000000);" SELECT
  refused "$role" lock "SELECT pg_advisory_lock(4242);" SELECT
  refused "$role" file "COPY acct TO '$out/copy-$role';" COPY
  refused "$role" terminate "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid();" SELECT
  refused "$role" setrole "SET ROLE postgres;" SET
  refused "$role" rows "INSERT INTO acct (owner, cents) VALUES ('m', 9);" INSERT
  refused "$role" matview "CREATE MATERIALIZED VIEW mv AS SELECT pg_advisory_lock(1);" "CREATE MATERIALIZED VIEW"
  # (CREATE EXTENSION is planned, made by the caller by PostgreSQL's
  # rule, never by the file's role: pg_generate_extensions.sh)
  refused "$role" evtrig "CREATE EVENT TRIGGER et ON ddl_command_start EXECUTE FUNCTION pg_catalog.pg_event_trigger_ddl_commands();" "CREATE EVENT TRIGGER"

  # code the file's own function runs while the file is applied (a default
  # computed once): as the one-time role, for the superuser and for the
  # owner alike; it may not run a program
  cat > "$work/sneak.sql" <<SQL
$base
CREATE FUNCTION sneak_do() RETURNS void LANGUAGE plpgsql VOLATILE AS \$f\$
BEGIN RAISE WARNING 'desired ran as %', current_user;
  EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch $out/sneak-$role''';
END \$f\$;
CREATE FUNCTION sneak() RETURNS integer LANGUAGE plpgsql IMMUTABLE AS
  \$f\$BEGIN PERFORM sneak_do(); RETURN 1; END \$f\$;
CREATE TABLE probe (id integer);
ALTER TABLE probe ADD COLUMN w integer DEFAULT sneak();
SQL
  got=$(generate "$role" "$work/sneak.sql")
  echo "$got" | grep -q "ERROR:  dbcare: the desired schema does not apply at line 9: .*pg_execute_server_program" ||
    fail "$role: the file's function ran a program or failed otherwise: $got"
  ran_as=$(echo "$got" | sed -n 's/.*desired ran as //p' | sort -u)
  case "$ran_as" in dbcare_gen_*_runner_*) ;; *) fail "$role: the generate ran the file as '$ran_as'";; esac
  echo "$got" | grep -qx "usable:$role:0:0" || fail "$role: the session is not as it was after the sneak: $got"
  # code the file reaches while it is applied has no right of the caller's,
  # so it touches no live object, even by a name the scratch mapping cannot
  # see: a partition bound and a default computed once that setval the live
  # sequence by a name built at run time; a search_path the file sets to
  # the live schema, or a U&"..." name of it, then an index and a CHECK
  # that would run the file's function on every live row
  spy='CREATE FUNCTION spy(integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS
  $f$BEGIN RAISE WARNING '"'"'file code ran on live row %'"'"', $1; RETURN 1; END $f$;'
  reach() { # NAME SQL: the file base + SQL reaches nothing live
    printf '%s\n%s\n' "$base" "$2" > "$work/$1.sql"
    got=$(generate "$role" "$work/$1.sql")
    echo "$got" | grep -q "ERROR:  dbcare: the desired schema does not apply at line [0-9]*: \(permission denied\|must be owner\)" ||
      fail "$role, $1: the file reached a live object: $got"
    echo "$got" | grep -q "file code ran on live row" && fail "$role, $1: the file's code ran on live rows: $got"
    echo "$got" | grep -qx "usable:$role:0:0" || fail "$role, $1: the session is not as it was: $got"
    [ "$(q -c "SELECT last_value FROM acct_id_seq")" = "$seq_before" ] || fail "$role, $1: the live sequence moved"
  }
  reach bound "CREATE TABLE p (x bigint) PARTITION BY LIST (x);
CREATE TABLE p1 PARTITION OF p FOR VALUES IN (setval(('pub' || 'lic.acct_id_seq')::regclass, 777));"
  reach default "CREATE FUNCTION f() RETURNS bigint LANGUAGE sql IMMUTABLE AS
  \$f\$SELECT setval(('pub' || 'lic.acct_id_seq')::regclass, 555)\$f\$;
CREATE TABLE z (a integer);
ALTER TABLE z ADD COLUMN b bigint DEFAULT f();"
  reach path "$spy
SET search_path TO public;
CREATE INDEX ON acct ((spy(id)));"
  reach uescape "$spy
ALTER TABLE U&\"\\0070ublic\".acct ADD CONSTRAINT c CHECK (spy(id) = 1);"
  # a session advisory lock taken by such a default does not outlive the call
  cat > "$work/locker.sql" <<SQL
$base
CREATE FUNCTION locker() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1 FROM pg_advisory_lock(4343)';
CREATE TABLE held (id integer);
ALTER TABLE held ADD COLUMN w integer DEFAULT locker();
SQL
  got=$(generate "$role" "$work/locker.sql")
  echo "$got" | grep -q ERROR && fail "$role: the locker's generate failed: $got"
  echo "$got" | grep -qx "usable:$role:0:0" || fail "$role: an advisory lock outlived the generate: $got"
done

# the command says the same, names the statement, and writes no migration
printf '%s\n%s\n' "$base" "COPY (SELECT 1) TO PROGRAM 'touch $out/program-cli';" > "$work/cli.sql"
if "$cli" --db "dbname=$db" generate --to "$work/cli.sql" evil --dir "$work/mig" > "$work/cli.out" 2>&1; then
  fail "dbcare generate took a COPY TO PROGRAM"
fi
grep -q "dbcare: the desired schema may hold only schema statements: line 2 (COPY .*) is COPY" "$work/cli.out" ||
  fail "no clear error from the command: $(cat "$work/cli.out")"
[ -z "$(ls -A "$work/mig" 2>/dev/null)" ] || fail "the command wrote a migration"

# nothing of it happened
[ "$(q -c "SELECT rolsuper FROM pg_roles WHERE rolname = '$alice'")" = f ] || fail "alice became superuser"
[ -z "$(ls -A "$out")" ] || fail "files were written: $(ls "$out")"
[ "$(q -c "SELECT last_value FROM acct_id_seq")" = "$seq_before" ] || fail "the live sequence moved"
[ "$(q -c "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dbcare\_gen\_%'")" = 0 ] || fail "a one-time role is left"
[ "$(q -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'dbcare\_gen\_%'")" = 0 ] || fail "a scratch schema is left"
[ "$(q -c "SELECT string_agg(owner || cents, ',' ORDER BY id) FROM acct")" = a1,b2 ] || fail "the live rows changed"

# a schema dump's preamble, owners and rights are read and left out; a
# SECURITY DEFINER function in the plan carries a hazard
cat > "$work/dump.sql" <<SQL
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
CREATE TABLE public.acct (id serial PRIMARY KEY, owner text, cents integer);
ALTER TABLE public.acct OWNER TO $owner;
CREATE FUNCTION public.elevated() RETURNS integer LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
ALTER FUNCTION public.elevated() OWNER TO $owner;
REVOKE ALL ON FUNCTION public.elevated() FROM PUBLIC;
GRANT SELECT ON TABLE public.acct TO $alice;
SQL
for role in postgres "$owner"; do
  got=$("$B/psql" -X -q -At -d "$db" -v "role=$role" -v "desired=$(cat "$work/dump.sql")" 2>&1 <<'SQL'
SET ROLE :"role";
SET statement_timeout = '5min';
SELECT step || ' ' || coalesce(hazard, '') || ' | ' || statement FROM dbmigrate_generate(:'desired') ORDER BY step;
SHOW statement_timeout;
SQL
)
  echo "$got" | grep -q "^1 makes a SECURITY DEFINER function: it runs with its owner's rights | CREATE FUNCTION public.elevated()" ||
    fail "$role: no hazard on the SECURITY DEFINER function: $got"
  # the dump's rights are planned, never dropped (issue 64): before, the
  # plan held the function alone, callable by PUBLIC once applied
  for want in "REVOKE EXECUTE ON FUNCTION public.elevated() FROM PUBLIC" "GRANT SELECT ON TABLE public.acct TO $alice"; do
    echo "$got" | grep -qx "[23] grants or revokes rights | $want" || fail "$role: not planned with its hazard: $want
in: $got"
  done
  [ "$(echo "$got" | grep -c '^[0-9]* ')" = 3 ] || fail "$role: the plan holds more than the function and its rights: $got"
  echo "$got" | grep -q ERROR && fail "$role: the dump's statements were not taken: $got"
  [ "$(echo "$got" | tail -n 1)" = 5min ] || fail "$role: the dump's SET statement_timeout outlived the call"
done

# a plan that takes rights-limiting settings away hands out rights too:
# row level security turned off or no longer forced, a view that read with
# its caller's rights (security_invoker) made again without: each step
# carries a hazard; a desired schema that keeps them plans nothing
q -c "SET ROLE $owner" -c "CREATE TABLE private (id integer, who text)" \
  -c "ALTER TABLE private ENABLE ROW LEVEL SECURITY" -c "ALTER TABLE private FORCE ROW LEVEL SECURITY" \
  -c "CREATE VIEW mine WITH (security_invoker = true) AS SELECT * FROM private" >/dev/null
rights_plan() {
  "$B/psql" -X -q -At -d "$db" -v "role=$owner" -v "desired=$1" 2>&1 <<'SQL'
SET ROLE :"role";
SELECT regexp_replace(statement, '^SET LOCAL [^;]*;\s*', '') || ' | ' || coalesce(hazard, '-') FROM dbmigrate_generate(:'desired') ORDER BY step;
SQL
}
got=$(rights_plan "$base
CREATE TABLE private (id integer, who text);
CREATE VIEW mine AS SELECT * FROM private;")
echo "$got" | grep -q "DISABLE ROW LEVEL SECURITY | turns row level security off" ||
  fail "no hazard on turning row security off: $got"
echo "$got" | grep -q "NO FORCE ROW LEVEL SECURITY | no longer forces row level security" ||
  fail "no hazard on row security no longer forced: $got"
echo "$got" | grep -q "^DROP VIEW public.mine | drops or replaces a view that reads with its caller's rights" ||
  fail "no hazard on the security_invoker view replaced: $got"
got=$(rights_plan "$base
CREATE TABLE private (id integer, who text);
ALTER TABLE private ENABLE ROW LEVEL SECURITY;
ALTER TABLE private FORCE ROW LEVEL SECURITY;
CREATE VIEW mine WITH (security_invoker = true) AS SELECT * FROM private;")
[ -z "$got" ] || fail "a desired schema keeping row security and the view plans: $got"
# the same options spelled another way (PostgreSQL keeps each reloption's
# text as written): on for true, a table's autovacuum_enabled = off for
# false, plan nothing -- before, "security_invoker=on" against the live
# "=true" rebuilt the view, with the hazard
q -c "ALTER TABLE private SET (autovacuum_enabled = false)" >/dev/null
got=$(rights_plan "$base
CREATE TABLE private (id integer, who text) WITH (autovacuum_enabled = off);
ALTER TABLE private ENABLE ROW LEVEL SECURITY;
ALTER TABLE private FORCE ROW LEVEL SECURITY;
CREATE VIEW mine WITH (security_invoker = on) AS SELECT * FROM private;")
[ -z "$got" ] || fail "boolean reloptions spelled on/off plan a change: $got"
got=$(rights_plan "$base
CREATE TABLE private (id integer, who text) WITH (autovacuum_enabled = off);
ALTER TABLE private ENABLE ROW LEVEL SECURITY;
ALTER TABLE private FORCE ROW LEVEL SECURITY;
CREATE VIEW mine WITH (security_invoker = off) AS SELECT * FROM private;")
echo "$got" | grep -q "^DROP VIEW public.mine | drops or replaces a view that reads with its caller's rights" ||
  fail "security_invoker turned off plans no hazard: $got"
q -c "DROP VIEW mine" -c "DROP TABLE private" >/dev/null
# SECURITY DEFINER given by a later ALTER FUNCTION (issue 64): planned,
# with its hazard; before, the plan made the function without it and the
# proof refused the file
got=$(rights_plan "$base
CREATE FUNCTION quiet() RETURNS integer LANGUAGE sql AS 'SELECT 1';
ALTER FUNCTION quiet() SECURITY DEFINER;")
echo "$got" | grep -q "SECURITY DEFINER" || fail "the ALTER FUNCTION's SECURITY DEFINER is not planned: $got"
echo "$got" | grep -q "| makes a SECURITY DEFINER function: it runs with its owner's rights" ||
  fail "no hazard on the function an ALTER FUNCTION made SECURITY DEFINER: $got"

# the one-time role may still fire the trigger functions of dbcare that
# the live tables use: a table owner (who holds no grant option on schema
# dbcare) generates for a soft-deleted, audited table, the proof making
# its triggers again
q -c "SET ROLE $owner" -c "CREATE TABLE kept (id integer PRIMARY KEY)" >/dev/null
q -c "SELECT dbsoftdelete_enable('kept')" -c "SELECT dbaudit_enable('kept')" >/dev/null
got=$("$B/psql" -X -q -At -d "$db" -v "role=$owner" 2>&1 <<'SQL'
SET ROLE :"role";
SELECT count(*) FROM dbmigrate_generate('CREATE TABLE acct (id serial PRIMARY KEY, owner text, cents integer);
CREATE TABLE kept (id integer PRIMARY KEY, deleted_at timestamptz, note text);');
SQL
)
echo "$got" | grep -q ERROR && fail "the owner cannot generate for its soft-deleted table: $got"
echo ok
