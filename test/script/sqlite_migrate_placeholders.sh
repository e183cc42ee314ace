#!/usr/bin/env bash
# Flyway-style ${placeholders} are refused when a migration is registered on
# SQLite too (dbmigrate_add, dbmigrate_load), naming the placeholder and its
# line (issue 36, item 19); "${" inside a string, a quoted name ("", [], ``),
# a comment or a trigger body's string is text and registers and applies.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"

refused() { # $1 script, $2 the placeholder, $3 line
  if q "SELECT dbmigrate_add('1', 'p', '$1');" > "$work/add.out" 2>&1; then
    fail "registered a placeholder: $1"
  fi
  grep -qF "dbcare: migration 1 (p) has the placeholder $2 at line $3, which dbcare does not replace" "$work/add.out" ||
    fail "message for $1: $(cat "$work/add.out")"
}
refused 'CREATE TABLE ${prefix}t (id INTEGER);' '${prefix}' 1
refused 'CREATE TABLE t (id INTEGER);
INSERT INTO t VALUES (${n});' '${n}' 2
refused 'CREATE TABLE app_${env} (id INTEGER);' '${env}' 1
[ "$(q "SELECT count(*) FROM dbmigrate_status()")" = 0 ] || fail "a refused migration was registered"

q "SELECT dbmigrate_add('1', 'text', '-- the path is \${root}/x
/* \${also} */
CREATE TABLE \"\${weird}\" (v TEXT DEFAULT ''\${not}'', [\${b}] TEXT, \`\${c}\` TEXT);
CREATE TRIGGER tr AFTER INSERT ON \"\${weird}\" BEGIN UPDATE \"\${weird}\" SET [\${b}] = ''\${t}''; END;
INSERT INTO \"\${weird}\" (v) VALUES (''\${x}'');');" > "$work/ok.out" 2>&1 || fail "text refused: $(cat "$work/ok.out")"
q "SELECT dbmigrate_apply();" > /dev/null
[ "$(q "SELECT v || [\${b}] FROM \"\${weird}\";")" = '${x}${t}' ] || fail "applied rows"

mkdir "$work/mig"
printf 'CREATE TABLE t2 (id INTEGER);\nCREATE INDEX i2 ON t2 (${col});\n' > "$work/mig/V2__ph.sql"
if q "SELECT dbmigrate_load('$work/mig');" > "$work/load.out" 2>&1; then fail "load registered a placeholder"; fi
grep -qF 'has the placeholder ${col} at line 2' "$work/load.out" || fail "load: $(cat "$work/load.out")"
echo ok
