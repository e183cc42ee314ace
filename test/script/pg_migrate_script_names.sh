#!/usr/bin/env bash
# Registered text never becomes a line of its own in dbmigrate_script()'s
# psql script (issue 19, finding 5): a migration name with a newline and a
# psql meta-command after it is refused at registration; a row written into
# the registry by hand (bypassing registration) with such a name, or an up
# script holding a meta-command line, makes dbmigrate_script() refuse rather
# than emit it; running whatever was generated never runs the command.
set -eu
db=dbcare_migrate_script_names
. "$(dirname "$0")/lib/pg.sh"
fresh_db
chmod 777 "$work"
pwned="$work/pwned"

run_script() { # generates the script and runs it with psql; the file must not appear
  q -c "SELECT dbmigrate_script()" > "$work/s.sql" 2> "$work/gen.err" || true
  "$B/psql" -X -q -d $db -f "$work/s.sql" > "$work/run.out" 2>&1 || true
  [ ! -e "$pwned" ] || fail "$1: the generated script ran a shell command: $(cat "$work/s.sql")"
}

# Registration refuses control characters in names.
if q -c "SELECT dbmigrate_add('1', E'ok\n\\\\! touch $pwned', 'CREATE TABLE t1 (id int)')" > "$work/add.out" 2>&1; then
  run_script "dbmigrate_add"
  fail "dbmigrate_add accepted a name with a newline"
fi
grep -q 'dbcare: .*control character' "$work/add.out" || fail "add message: $(cat "$work/add.out")"
if q -c "SELECT dbmigrate_add_repeatable(E'view\n\\\\! touch $pwned', 'CREATE VIEW v AS SELECT 1')" > "$work/rep.out" 2>&1; then
  run_script "dbmigrate_add_repeatable"
  fail "dbmigrate_add_repeatable accepted a name with a newline"
fi
grep -q 'dbcare: .*control character' "$work/rep.out" || fail "repeatable message: $(cat "$work/rep.out")"
[ "$(q -c "SELECT count(*) FROM dbmigrate_status()")" = 0 ] || fail "something was registered"

# A name written into the registry by hand, bypassing registration.
q -c "INSERT INTO dbcare.migrations (kind, version, version_text, name, script, checksum)
      SELECT 'versioned', '1', '1', E'ok\n\\\\! touch $pwned', 'CREATE TABLE t1 (id int);', checksum
      FROM (SELECT dbmigrate_add('9', 'probe', 'CREATE TABLE t1 (id int);') AS checksum) c" > /dev/null
q -c "DELETE FROM dbcare.migrations WHERE version = '9'" > /dev/null
run_script "hand-written name"
grep -q 'dbcare: .*control character' "$work/gen.err" || fail "generator message: $(cat "$work/gen.err") $(cat "$work/s.sql")"
q -c "DELETE FROM dbcare.migrations" > /dev/null

# A psql meta-command inside an up script.
q -c "SELECT dbmigrate_add('2', 'sneaky', E'CREATE TABLE t2 (id int);\n\\\\! touch $pwned\n')" > /dev/null 2>&1 || true
run_script "meta-command in the script"

# Ordinary names still produce a working script.
q -c "DELETE FROM dbcare.migrations" > /dev/null
q -c "SELECT dbmigrate_add('3', 'plain – unicode ok', 'CREATE TABLE t3 (id int)')" > /dev/null
q -c "SELECT dbmigrate_script()" > "$work/ok.sql"
"$B/psql" -X -q -v ON_ERROR_STOP=1 -d $db -f "$work/ok.sql" > "$work/ok.out" 2>&1 || fail "plain script: $(cat "$work/ok.out")"
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '3'")" = applied ] || fail "plain script did not apply"
# A script left inside an open dollar quote, string or comment would swallow
# the generator's next lines, and the next script could close it: a
# meta-command that was inside that script's own string would then run.
# Refused at registration.
for open in "\$\$ open" "'open" "/* open /* nested */" "E'open\\'"; do
  if q -c "SELECT dbmigrate_add('5', 'open', \$m\$CREATE TABLE t5 (id int);
SELECT $open\$m\$)" > "$work/open.out" 2>&1; then
    fail "dbmigrate_add accepted a script ending inside $open"
  fi
  grep -q 'dbcare: migration 5 (open) ends inside the string, quoted name or comment opened at line 2' "$work/open.out" ||
    fail "$open: $(cat "$work/open.out")"
done
q -c "SELECT dbmigrate_add('5', 'closed', \$m\$SELECT 1 WHERE 'x' <> '
\\! touch $pwned
';\$m\$)" > /dev/null || fail "a meta-command inside a string was refused"
run_script "meta-command inside a string"
q -c "DELETE FROM dbcare.migrations" > /dev/null

echo "dbmigrate_script names in psql: ok"
