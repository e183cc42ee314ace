#!/usr/bin/env bash
# `dbcare generate --append-columns` on SQLite (docs/schema-as-code.md):
# SQLite has no column reorder to turn off (a column written among the
# others makes the table again, a checked rebuild, whatever the option
# says), so the option, and dbmigrate_generate's reorder_columns false,
# are refused with a `dbcare:` error and nothing is written, instead of
# being ignored in silence; without it the plan is made as before.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (a INT, c INT); INSERT INTO t VALUES (1, 3)"
printf 'CREATE TABLE t (a INT, b INT, c INT);\n' > want.sql
rc=0; out=$("$cli" generate --to want.sql add_b --dir mig --db "sqlite:$db" --module "$module" --append-columns 2>&1) || rc=$?
[ $rc = 1 ] || fail "--append-columns on SQLite: exit $rc: $out"
echo "$out" | grep -q "^dbcare: reorder_columns false (dbcare generate --append-columns) is for PostgreSQL: this engine has no column reorder to turn off" ||
  fail "--append-columns on SQLite: $out"
[ ! -e mig ] || fail "files written: $(ls -R mig)"
out=$(q "SELECT count(*) FROM dbmigrate_generate(CAST(readfile('want.sql') AS TEXT), '{\"reorder_columns\": false}')" 2>&1) &&
  fail "dbmigrate_generate with reorder_columns false: $out"
echo "$out" | grep -q "reorder_columns false .* is for PostgreSQL" || fail "dbmigrate_generate: $out"
echo "ok: refused: $out"
"$cli" generate --to want.sql add_b --dir mig --db "sqlite:$db" --module "$module" > /dev/null 2>&1 || fail "generate without the option"
grep -q "rebuilds table t" mig/V1__add_b.sql || fail "the plan without the option: $(cat mig/V1__add_b.sql)"
echo "ok: without --append-columns, the rebuild as before"
