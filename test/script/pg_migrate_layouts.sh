#!/usr/bin/env bash
# dbmigrate_load on PostgreSQL with the layouts of real projects (the same
# fixtures as sqlite_migrate_layouts.sh): Flyway callbacks skipped with a
# NOTICE, .SQL suffixes, empty files as no-op migrations, a golang-migrate
# version with only a down file, diesel directories, popx engine infixes
# (the postgres files, never mysql's or cockroach's); a failing statement
# names its first line and the error's line.
set -eu
B="${PG_BIN:?}"
db=dbcare_migrate_layouts
fail() { echo "FAIL: $*"; exit 1; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the server reads the files as its own OS user: give it a readable copy
cp -r "$root/test/fixtures/migrations" "$work/m"
chmod -R a+rX "$work"
q() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
fresh() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
  "$B/psql" -X -q -d postgres -c "CREATE DATABASE $db"
  q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
}

fresh
[ "$(q -c "SELECT dbmigrate_load('$work/m/flyway_callbacks')" 2> "$work/notice")" = 3 ] ||
  fail "flyway: 3 migrations: $(cat "$work/notice")"
grep -qF 'NOTICE:  dbcare: Flyway callback file(s) skipped: afterEachMigrate__count_steps.sql, afterMigrate.sql, beforeMigrate.sql' "$work/notice" ||
  fail "callback notice: $(cat "$work/notice")"
[ "$(q -c "SELECT string_agg(version || '=' || name, ';' ORDER BY version) FROM dbmigrate_status()")" = \
  "1=create shelves;2=add room;3=nothing yet" ] || fail "flyway status"
[ "$(q -c "SELECT dbmigrate_apply()")" = 3 ] || fail "flyway apply"
[ "$(q -c "SELECT to_regclass('callback_ran') IS NULL")" = t ] || fail "a callback ran"
[ "$(q -c "SELECT dbmigrate_load('$work/m/flyway_callbacks')" 2>/dev/null)" = 0 ] || fail "reload is not 0"

fresh
[ "$(q -c "SELECT dbmigrate_load('$work/m/golang_gaps')")" = 6 ] || fail "golang: 6 versions"
[ "$(q -c "SELECT dbmigrate_apply()")" = 6 ] || fail "golang apply"
[ "$(q -c "SELECT dbmigrate_rollback('4')")" = 3 ] || fail "golang rollback over 7, the empty 6 and the down-only 5"
[ "$(q -c "SELECT to_regclass('labels') IS NULL AND to_regclass('lids') IS NOT NULL")" = t ] || fail "golang rollback state"

fresh
[ "$(q -c "SELECT dbmigrate_load('$work/m/diesel')")" = 3 ] || fail "diesel: 3 migrations"
[ "$(q -c "SELECT string_agg(version || '=' || name, ';' ORDER BY version::numeric) FROM dbmigrate_status()")" = \
  "0=initial setup;20260102120000=create posts;20260103080000=add body" ] || fail "diesel status"
[ "$(q -c "SELECT dbmigrate_apply()")" = 3 ] || fail "diesel apply"
[ "$(q -c "SELECT dbmigrate_rollback('20260102120000')")" = 1 ] || fail "diesel rollback"
[ "$(q -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'posts' AND column_name = 'body'")" = 0 ] ||
  fail "diesel down.sql did not run"

fresh
[ "$(q -c "SELECT dbmigrate_load('$work/m/popx')")" = 2 ] || fail "popx: 2 migrations"
[ "$(q -c "SELECT dbmigrate_apply()")" = 2 ] || fail "popx apply"
[ "$(q -c "SELECT data_type FROM information_schema.columns WHERE table_name = 'identities' AND column_name = 'traits'")" = jsonb ] ||
  fail "popx did not take the postgres file"
[ "$(q -c "SELECT to_regclass('identities_traits_idx') IS NOT NULL")" = t ] || fail "popx index"
[ "$(q -c "SELECT dbmigrate_rollback('0')")" = 2 ] || fail "popx rollback"

# A failing statement: the error's line in the message, the statement's
# first line in the context.
fresh
q -c "SELECT dbmigrate_add('1', 'typo', E'CREATE TABLE ok (a int);\nCREATE TABLE t (\n  a int,\n  b nosuchtype\n);')" > /dev/null
if q -c "SELECT dbmigrate_apply()" > "$work/line.out" 2>&1; then fail "typo applied"; fi
grep -qF 'migration 1 (typo) failed at line 4: type "nosuchtype" does not exist' "$work/line.out" || fail "error line: $(cat "$work/line.out")"
grep -qF 'while applying migration 1 (typo), statement starting at line 2' "$work/line.out" || fail "statement line: $(cat "$work/line.out")"
echo "dbmigrate_load layouts on PostgreSQL: ok"
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db"
