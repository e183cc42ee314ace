#!/usr/bin/env bash
# Registered text never becomes a line of its own in dbmigrate_script()'s
# sqlite3 script (issue 19, finding 5): a migration file named
# "V1__ok<newline>.shell touch pwned.sql" is refused by dbmigrate_load, as are
# control characters given to dbmigrate_add; a name written into the registry
# by hand, or an up script holding a dot-command line, makes dbmigrate_script()
# refuse rather than emit it; running whatever was generated never runs the
# command.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"
cd "$work"

run_script() { # generates the script and pipes it into sqlite3; pwned must not appear
  q "SELECT dbmigrate_script();" > "$work/s.sql" 2> "$work/gen.err" || true
  q < "$work/s.sql" > "$work/run.out" 2>&1 || true
  [ ! -e "$work/pwned" ] || fail "$1: the generated script ran a shell command: $(cat "$work/s.sql")"
}

mkdir "$work/mig"
printf 'CREATE TABLE t1 (id INTEGER);\n' > "$work/mig/V1__ok
.shell touch pwned.sql"
if q "SELECT dbmigrate_load('$work/mig');" > "$work/load.out" 2>&1; then
  run_script "dbmigrate_load"
  fail "dbmigrate_load accepted a file name with a newline"
fi
grep -q 'control character' "$work/load.out" || fail "load message: $(cat "$work/load.out")"
if q "SELECT dbmigrate_add('2', 'ok' || char(10) || '.shell touch pwned', 'CREATE TABLE t2 (id INTEGER)');" > "$work/add.out" 2>&1; then
  run_script "dbmigrate_add"
  fail "dbmigrate_add accepted a name with a newline"
fi
grep -q 'dbcare: .*control character' "$work/add.out" || fail "add message: $(cat "$work/add.out")"
if q "SELECT dbmigrate_add_repeatable('v' || char(13) || '.shell touch pwned', 'CREATE VIEW v AS SELECT 1');" > "$work/rep.out" 2>&1; then
  run_script "dbmigrate_add_repeatable"
  fail "dbmigrate_add_repeatable accepted a name with a carriage return"
fi
grep -q 'dbcare: .*control character' "$work/rep.out" || fail "repeatable message: $(cat "$work/rep.out")"

# A name written into the registry by hand, bypassing registration.
sum=$(q "SELECT dbmigrate_add('3', 'plain', 'CREATE TABLE t3 (id INTEGER);');")
q "UPDATE dbcare_migrations SET name = 'ok' || char(10) || '.shell touch pwned' WHERE version = '3';"
run_script "hand-written name"
grep -q 'dbcare: .*control character' "$work/gen.err" || fail "generator message: $(cat "$work/gen.err") $(cat "$work/s.sql")"
q "DELETE FROM dbcare_migrations;"

# A dot-command line inside an up script.
q "SELECT dbmigrate_add('4', 'sneaky', 'CREATE TABLE t4 (id INTEGER);' || char(10) || '.shell touch pwned' || char(10));" > /dev/null 2>&1 || true
run_script "dot-command in the script"
q "DELETE FROM dbcare_migrations;"

# A script left inside an open string would swallow the generator's next
# lines, and the next script's string would then close it: a dot-command line
# that was inside a string for that script alone would run. Refused at
# registration, and by the generator when written into the registry by hand.
if q "SELECT dbmigrate_add('6', 'open', 'CREATE TABLE t6 (id INTEGER);' || char(10) || 'SELECT ''x');" > "$work/open.out" 2>&1; then
  fail "dbmigrate_add accepted a script ending inside a string"
fi
grep -q "dbcare: migration 6 (open) ends inside the string, quoted name or comment opened at line 2" "$work/open.out" ||
  fail "open-string message: $(cat "$work/open.out")"
q "SELECT dbmigrate_add('6', 'open', 'CREATE TABLE t6 (id INTEGER);');" > /dev/null
q "SELECT dbmigrate_add('7', 'closed', 'SELECT 1 WHERE ''x'' <> ''' || char(10) || '.shell touch pwned' || char(10) || ''';');" > /dev/null
q "UPDATE dbcare_migrations SET script = script || char(10) || 'SELECT ''x' WHERE version = '6';"
run_script "open string before a string holding a dot-command"
grep -q 'dbcare: migration 6 (open) ends inside' "$work/gen.err" || fail "generator message: $(cat "$work/gen.err")"
q "DELETE FROM dbcare_migrations;"
for open in "/* open" '"open' "[open" '`open'; do
  if q "SELECT dbmigrate_add('8', 'open', 'SELECT 1; SELECT $open');" > "$work/open.out" 2>&1; then
    fail "dbmigrate_add accepted a script ending inside $open"
  fi
  grep -q "ends inside" "$work/open.out" || fail "$open: $(cat "$work/open.out")"
done

# The shell ends a statement at a line "go" or "/" as well: a dot-command
# after one is a dot-command, whatever the SQL lexer thinks of the statement.
for end in go /; do
  if q "SELECT dbmigrate_add('9', 'go', 'SELECT 1' || char(10) || '$end' || char(10) || '.shell touch pwned' || char(10));" > "$work/go.out" 2>&1; then
    run_script "dot-command after a '$end' line"
    fail "dbmigrate_add accepted a dot-command after a '$end' line"
  fi
  grep -q 'dot-command' "$work/go.out" || fail "'$end' line: $(cat "$work/go.out")"
done

# Ordinary names still produce a working script.
[ -n "$sum" ] || fail "no checksum"
q "SELECT dbmigrate_add('5', 'plain – unicode ok', 'CREATE TABLE t5 (id INTEGER)');" > /dev/null
q "SELECT dbmigrate_script();" > "$work/ok.sql"
q < "$work/ok.sql" > "$work/ok.out" 2>&1 || fail "plain script: $(cat "$work/ok.out")"
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '5'")" = applied ] || fail "plain script did not apply"
echo "dbmigrate_script names in sqlite3: ok"
