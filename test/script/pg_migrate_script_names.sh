#!/usr/bin/env bash
# Registered text never becomes a line of its own in dbmigrate_script()'s
# psql script (issue 19, finding 5): a migration name with a newline and a
# psql meta-command after it is refused at registration; a row written into
# the registry by hand (bypassing registration) with such a name, or an up
# script holding a meta-command line, makes dbmigrate_script() refuse rather
# than emit it; running whatever was generated never runs the command. A
# backslash psql would read outside a string with standard_conforming_strings
# off is refused too.
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

# psql reads '...' with backslash escapes while standard_conforming_strings is
# off, whether the script sets it or the database does, and follows each SET
# as it runs: in 'x\' || '\! ...' the backslash dbcare read inside a string
# then stands outside every string and runs as a meta-command. Refused at
# registration, whatever the setting. (A database of its own: the history
# above has applied migrations whose rows were deleted.)
fresh_db
cat > "$work/esc.sql" <<SQL
SELECT dbmigrate_add('6', 'legacy', \$m\$SET standard_conforming_strings = off;
SELECT 'x\' || '\! touch $pwned #';\$m\$);
SQL
if q -f "$work/esc.sql" > "$work/esc.out" 2>&1; then
  run_script "standard_conforming_strings off"
  fail "dbmigrate_add accepted a backslash psql reads outside a string with standard_conforming_strings off"
fi
grep -q "dbcare: migration 6 (legacy) reads differently from line 2 when standard_conforming_strings is off" "$work/esc.out" ||
  fail "escaped reading: $(cat "$work/esc.out")"
# psql switches readings at the script's own SET, part way: text before it
# can hide the rest from a reading that is off from the start (here, by
# opening a comment), while the reading that is on from the start sees the
# \! inside a string. Refused: the two readings lex it differently.
cat > "$work/hybrid.sql" <<SQL
SELECT dbmigrate_add('8', 'hybrid', \$m\$SELECT 'x\', '/*';
SET standard_conforming_strings = off;
SELECT '\'' \! touch $pwned
' */
;\$m\$);
SQL
if q -f "$work/hybrid.sql" > "$work/hybrid.out" 2>&1; then
  run_script "a reading switched part way"
  fail "dbmigrate_add accepted a script whose readings differ"
fi
grep -q "dbcare: migration 8 (hybrid) reads differently from line 1" "$work/hybrid.out" ||
  fail "hybrid: $(cat "$work/hybrid.out")"
# Backslashes that stay inside strings under both readings are accepted, and
# the generated script runs. (A '...' string ending in a
# backslash ends elsewhere under the second reading: it is written E'\\'.)
cat > "$work/ok_esc.sql" <<'SQL'
SELECT dbmigrate_add('7', 'backslashes', $m$CREATE TABLE t7 AS
SELECT replace('a\b', E'\\', '/') AS p, E'\\' AS one, 'c:\dir' AS win;$m$);
SQL
q -f "$work/ok_esc.sql" > /dev/null || fail "backslashes inside strings were refused"
q -c "SELECT dbmigrate_script()" > "$work/esc_ok.sql"
"$B/psql" -X -q -v ON_ERROR_STOP=1 -d $db -f "$work/esc_ok.sql" > "$work/esc_run.out" 2>&1 ||
  fail "backslash script: $(cat "$work/esc_run.out")"
[ "$(q -c "SELECT p || ' ' || one || ' ' || win FROM t7")" = 'a/b \ c:\dir' ] || fail "t7: $(q -c 'TABLE t7')"
q -c "DELETE FROM dbcare.migrations" > /dev/null

echo "dbmigrate_script names in psql: ok"
