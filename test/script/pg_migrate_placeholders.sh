#!/usr/bin/env bash
# Flyway-style ${placeholders} are refused when a migration is registered
# (dbmigrate_add, dbmigrate_load), with a dbcare: error naming the placeholder
# and its line, instead of registering silently and failing at apply (issue
# 36, item 19); "${" inside a string, dollar quote, quoted name or comment is
# text and registers and applies.
set -eu
db=dbcare_migrate_placeholders
. "$(dirname "$0")/lib/pg.sh"
fresh_db

refused() { # $1 version, $2 script, $3 the placeholder, $4 line
  if q -c "SELECT dbmigrate_add('$1', 'p', \$body\$$2\$body\$)" > "$work/add.out" 2>&1; then
    fail "registered a placeholder: $2"
  fi
  grep -qF "dbcare: migration $1 (p) has the placeholder $3 at line $4, which dbcare does not replace" "$work/add.out" ||
    fail "message for $2: $(cat "$work/add.out")"
}
refused 1 'CREATE TABLE ${schema}.t (id int);' '${schema}' 1
refused 1 'CREATE TABLE t (id int);
INSERT INTO t VALUES (${flyway:timestamp});' '${flyway:timestamp}' 2
refused 1 'CREATE TABLE app_${env} (id int);' '${env}' 1
refused 1 'CREATE TABLE t (id int);

CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT ${n}; END;' '${n}' 3
[ "$(q -c "SELECT count(*) FROM dbmigrate_status()")" = 0 ] || fail "a refused migration was registered"

# text, not placeholders: registered and applied
q -c "SELECT dbmigrate_add('1', 'text', \$body\$-- the path is \${root}/x
/* \${also} a comment */
CREATE TABLE \"\${weird}\" (v text DEFAULT '\${not}' , w text DEFAULT E'\${nor}\\\\n');
CREATE FUNCTION g() RETURNS text LANGUAGE sql AS \$f\$ SELECT '\${inside}' \$f\$;
INSERT INTO \"\${weird}\" VALUES ('\${x}', \$\$\${y}\$\$);\$body\$)" > "$work/ok.out" 2>&1 ||
  fail "text refused: $(cat "$work/ok.out")"
q -c "SELECT dbmigrate_apply()" > /dev/null
[ "$(q -c "SELECT v || w FROM \"\${weird}\"")" = '${x}${y}' ] || fail "applied rows"

# dbmigrate_load refuses the file too
mkdir -p "$work/mig" && chmod 755 "$work" "$work/mig"
printf 'CREATE TABLE t2 (id int);\nCREATE INDEX ON ${schema}.t2 (id);\n' > "$work/mig/V2__ph.sql"
chmod 644 "$work/mig/V2__ph.sql"
if q -c "SELECT dbmigrate_load('$work/mig')" > "$work/load.out" 2>&1; then fail "load registered a placeholder"; fi
grep -qF 'has the placeholder ${schema} at line 2' "$work/load.out" || fail "load: $(cat "$work/load.out")"

echo ok
