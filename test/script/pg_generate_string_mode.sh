#!/usr/bin/env bash
# The desired schema's statements are judged by the server's parser before
# any runs (issue 49), and each one judged must be the one that runs. With
# standard_conforming_strings off, a backslash in '...' escapes the next
# character, so a string ends elsewhere: a file that turns it off (a SET
# SESSION the dump blanking does not know, or code of its own calling
# set_config while a default is computed), or a session that has it off
# while the file turns it on, had text the parser read as a COMMENT's string
# run as a DO of its own. dbmigrate_generate and dbcare generate refuse a
# file that lexes differently under the two readings, naming the line;
# nothing of it runs; a backslash that reads alike either way still
# generates.
set -eu
db=dbcare_generate_string_mode
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
fresh_db
q -c "CREATE TABLE acct (id integer)" >/dev/null
base='CREATE TABLE acct (id integer);'
# code that must never run: a DO the parser saw as a string's text
sneak='DO $$BEGIN RAISE WARNING USING MESSAGE = $m$file code ran as $m$ || current_user; END$$; --'

# generate SCS FILE: one session with standard_conforming_strings SCS; the
# call, then whether the session is as it was
generate() {
  "$B/psql" -X -q -At -d "$db" -v "scs=$1" -v "desired=$(cat "$2")" 2>&1 <<'SQL'
SET standard_conforming_strings = :scs;
SELECT count(*) FROM dbmigrate_generate(:'desired');
SELECT 'usable:' || current_setting('standard_conforming_strings') || ':' || (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'dbcare\_gen\_%');
SQL
}
# refused SCS NAME LINE: $work/NAME.sql is refused at LINE, nothing of it ran
refused() {
  local got
  got=$(generate "$1" "$work/$2.sql")
  echo "$got" | grep -q "file code ran" && fail "$2: the file's hidden statement ran: $got"
  echo "$got" | grep -q "ERROR:  dbcare: the desired schema reads differently from line $3 when standard_conforming_strings is off" ||
    fail "$2: not refused at line $3: $got"
  echo "$got" | grep -qx "usable:$1:0" || fail "$2: the session is not as it was: $got"
}

# a SET the file makes
printf '%s\n%s\n%s\n' "$base" "SET SESSION standard_conforming_strings = off;" \
  "COMMENT ON TABLE acct IS 'a\\''; $sneak';" > "$work/set.sql"
refused on set 3
# set_config called by the file's own code, while a default is computed
cat > "$work/code.sql" <<SQL
$base
CREATE FUNCTION flip() RETURNS integer LANGUAGE sql VOLATILE AS
  \$f\$SELECT 1 FROM pg_catalog.set_config('standard_conforming_strings', 'off', false)\$f\$;
ALTER TABLE acct ADD COLUMN w integer DEFAULT flip();
COMMENT ON TABLE acct IS 'a\\''; $sneak';
SQL
refused on code 5
# the session has it off, the file turns it on
printf '%s\n%s\n%s\n' "$base" "SET SESSION standard_conforming_strings = on;" \
  "COMMENT ON TABLE acct IS 'a\\'; $sneak';" > "$work/on.sql"
refused off on 3

# the command says the same and writes no migration
mkdir "$work/mig"
if "$cli" --db "dbname=$db" generate --to "$work/set.sql" sneak --dir "$work/mig" > "$work/cli.out" 2>&1; then
  fail "dbcare generate took the file"
fi
grep -q "file code ran" "$work/cli.out" && fail "the command ran the hidden statement: $(cat "$work/cli.out")"
grep -q "dbcare: the desired schema reads differently from line 3" "$work/cli.out" ||
  fail "no clear error from the command: $(cat "$work/cli.out")"
[ -z "$(ls -A "$work/mig")" ] || fail "the command wrote a migration"

# a backslash that lexes alike under both readings generates
cat > "$work/alike.sql" <<'SQL'
CREATE TABLE acct (id integer);
CREATE TABLE code (c text CHECK (c ~ '^\d+$'), e text DEFAULT E'it\'s');
SQL
got=$(generate on "$work/alike.sql")
echo "$got" | grep -q ERROR && fail "a backslash read alike either way was refused: $got"
[ "$(echo "$got" | head -n 1)" = 1 ] || fail "no plan for the alike file: $got"
echo ok
