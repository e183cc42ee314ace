#!/usr/bin/env bash
# dbcare dump on PostgreSQL writes the same file for the same schema, so a
# committed db/schema.sql shows no diff: pg_dump (15.14 and later) writes a
# random key in its "\restrict KEY" / "\unrestrict KEY" lines on every run,
# which dbcare replaces by one derived from the script. The file still
# restores with psql (both lines carry the same key), a text in the schema
# that looks like those lines is left alone, and another schema gets
# another key.
set -eu
db=dbcare_cli_dump_stable
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
export PATH="$B:$PATH"   # the pg_dump of the server under test
fresh_db
q -c "CREATE TABLE account (id int PRIMARY KEY, email text NOT NULL)" \
  -c "CREATE FUNCTION shout() RETURNS text LANGUAGE sql AS \$f\$SELECT '
\\unrestrict notthekey
'\$f\$"
run 0 dump "$work/a.sql" --db "$url"
run 0 dump "$work/b.sql" --db "$url"
cmp "$work/a.sql" "$work/b.sql" || { diff "$work/a.sql" "$work/b.sql" | head; fail "two dumps of one schema differ"; }
key=$(sed -n 's/^\\restrict \([0-9a-f]\{64\}\)$/\1/p' "$work/a.sql")
if pg_dump --help | grep -q -- --restrict-key; then
  [ -n "$key" ] || fail "no stable \\restrict line: $(head -5 "$work/a.sql")"
  [ "$(grep -c "^\\\\unrestrict $key\$" "$work/a.sql")" = 1 ] || fail "the \\unrestrict line lacks the key"
fi
grep -qx '\\unrestrict notthekey' "$work/a.sql" || fail "the function's text was changed"
# it restores: psql leaves restricted mode at the end, with the same key
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_r" -c "CREATE DATABASE ${db}_r"
"$B/psql" -X -q -v ON_ERROR_STOP=1 -d "${db}_r" -f "$work/a.sql" >/dev/null 2>"$work/restore.err" ||
  { cat "$work/restore.err"; fail "the dump does not restore"; }
[ "$("$B/psql" -X -At -d "${db}_r" -c "SELECT shout() LIKE '%notthekey%'")" = t ] || fail "restored function"
"$B/psql" -X -q -d postgres -c "DROP DATABASE ${db}_r"
# another schema, another file and another key
q -c "ALTER TABLE account ADD COLUMN name text"
run 0 dump "$work/c.sql" --db "$url"
! cmp -s "$work/a.sql" "$work/c.sql" || fail "a changed schema dumps the same"
[ -z "$key" ] || ! grep -q "$key" "$work/c.sql" || fail "a changed schema keeps the key"
echo ok
