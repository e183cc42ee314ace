#!/usr/bin/env bash
# dbmigrate_generate plans extensions (issue 66, Umami's pgcrypto): one the
# desired file makes that the database has not is made by the plan first
# (after the schema it goes to), as the caller, by PostgreSQL's rule: a
# role that is not a superuser gets a trusted one (pgcrypto) planned and
# an untrusted one (file_fdw) refused, naming it and the remedy; a
# superuser gets both. The proof makes it in the scratch place and
# nothing stays (no extension, no scratch schema). The extension's script
# runs in a scratch schema of its own the file's code cannot write to;
# a function of the file's that the extension has too (which the
# separate schemas would hide) is refused by name.
set -eu
db=dbcare_generate_extensions
. "$(dirname "$0")/lib/pg.sh"
fresh_db
caller=${db}_call
"$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $caller" 2>/dev/null
cleanup_roles() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $caller" >/dev/null 2>&1 || true
  cleanup
}
trap cleanup_roles EXIT
q <<SQL >/dev/null
CREATE ROLE $caller;
GRANT CREATE ON DATABASE $db TO $caller;
GRANT CREATE, USAGE ON SCHEMA public TO $caller;
GRANT EXECUTE ON FUNCTION dbmigrate_generate(text, jsonb) TO $caller;
CREATE TABLE public.users (id int PRIMARY KEY, pw text);
ALTER TABLE public.users OWNER TO $caller;
SQL
# plan ROLE DESIRED: the plan's statements, as ROLE
plan() { q -v "role=$1" -v "desired=$2" <<'SQL'
SET ROLE :"role";
SELECT statement FROM dbmigrate_generate(:'desired') ORDER BY step;
SQL
}
left() { # nothing of the place stays
  [ "$(q -c "SELECT count(*) FROM pg_extension WHERE extname NOT IN ('plpgsql', 'dbcare')")" = 0 ] ||
    fail "an extension stayed: $(q -c 'SELECT extname FROM pg_extension')"
  [ "$(q -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'dbcare\_gen\_%'")" = 0 ] ||
    fail "a scratch schema stayed"
}
want="CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE users (id int PRIMARY KEY, pw text, salt text DEFAULT gen_salt('bf'));"
for role in "$caller" postgres; do
  out=$(plan "$role" "$want")
  [ "$(echo "$out" | head -1)" = "CREATE EXTENSION pgcrypto WITH SCHEMA public VERSION '1.3'" ] ||
    fail "$role: pgcrypto is not made first: $out"
  left
done
echo "a trusted extension: planned for a role with CREATE on the database, and a superuser"

# an untrusted one: refused for the role (dbcare migrate, as that role,
# would fail), naming it and the remedy; planned for a superuser
if out=$(plan "$caller" "CREATE EXTENSION file_fdw; CREATE TABLE users (id int PRIMARY KEY, pw text);" 2>&1); then fail "file_fdw was planned for $caller: $out"; fi
echo "$out" | grep -qF "dbcare: the desired schema makes extension file_fdw, which this database has not, and the generating role cannot make it" &&
  echo "$out" | grep -qF "CREATE EXTENSION file_fdw" || fail "not refused by name: $out"
left
out=$(plan postgres "CREATE EXTENSION file_fdw; CREATE TABLE users (id int PRIMARY KEY, pw text);")
echo "$out" | grep -qF "CREATE EXTENSION file_fdw WITH SCHEMA public" || fail "file_fdw not planned for a superuser: $out"
left
echo "an untrusted extension: refused for the role, naming it; planned for a superuser"

# the file makes a function pgcrypto has, in the schema pgcrypto goes to:
# each stands in a schema of its own in the place, so the proof would
# pass and the migration fail on the clash: refused, naming it
clash="CREATE EXTENSION pgcrypto;
CREATE FUNCTION gen_random_bytes(integer) RETURNS bytea LANGUAGE sql AS 'SELECT NULL::bytea';
CREATE TABLE users (id int PRIMARY KEY, pw text);"
if out=$(plan "$caller" "$clash" 2>&1); then fail "the clash was planned: $out"; fi
echo "$out" | grep -qF "dbcare: the desired schema makes function gen_random_bytes(integer) in schema public, which an extension it makes there has already" ||
  fail "not refused by name: $out"
left
# written qualified, the name is the extension's, in its own schema,
# which the file's code may not write to: it does not apply
if out=$(plan "$caller" "${clash/FUNCTION gen_/FUNCTION public.gen_}" 2>&1); then fail "the clash was planned: $out"; fi
echo "$out" | grep -qF "dbcare: the desired schema does not apply at line 2: permission denied for schema public" ||
  fail "not refused: $out"
left
echo ok
