#!/usr/bin/env bash
# A migration folder in popx's layout (test/fixtures/popx_layout: per-engine
# files NAME.postgres.up.sql, .sqlite3., .cockroach., .mysql., empty files,
# the .autocommit. infix, an enum value added in one migration and used in
# the next) loads and applies through the command: the empty files are
# no-op migrations as dbmigrate_load makes them, .cockroach.autocommit. is
# another engine's file (not a second migration of its version), and
# migrate --commit-each runs each migration in its own transaction (the
# enum value committed before its use) and the .postgres.autocommit. one
# (CREATE INDEX CONCURRENTLY) outside any transaction.
set -eu
db=dbcare_cli_popx
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
fix="$root/test/fixtures/popx_layout"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db

run 0 status --db "$url" --dir "$fix" --json
[ "$(json 'd["pending"], [m["version"][-6:] for m in d["migrations"]]')" = \
  "6 ['000000', '000000', '000000', '000000', '000000', '000000']" ] || fail "status: $(cat out err)"
[ "$(json 'len(set(m["version"] for m in d["migrations"]))')" = 6 ] || fail "a version doubled: $(cat out)"
# without --commit-each the migrations before the .autocommit. one run in
# one transaction: the enum value cannot be used where it was added, and
# nothing is applied (the failing transaction is the first)
run 1 migrate --db "$url" --dir "$fix"
[ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE state = 'applied'")" = 0 ] || fail "a partial apply"
run 0 migrate --db "$url" --dir "$fix" --commit-each
has '6 migration(s) applied' out
[ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE state = 'applied'")" = 6 ] ||
  fail "not all applied: $(q -c 'SELECT version, state FROM dbmigrate_status()')"
[ "$(q -c "SELECT state FROM accounts")" = disabled ] || fail "the enum's new value not used"
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_email_idx'::regclass")" = t ] ||
  fail "the concurrent index is missing or invalid"
run 0 status --db "$url" --dir "$fix" --exit-code
run 0 migrate --db "$url" --dir "$fix" --commit-each
has '0 migration(s) applied' out
# the server's reader registers the same scripts (no "changed" for the command)
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_load" -c "CREATE DATABASE ${db}_load"
"$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "${db}_load" -c "SET client_min_messages = warning" \
  -c "CREATE EXTENSION dbcare" -c "SELECT dbmigrate_load('$fix')" >/dev/null ||
  fail "dbmigrate_load refused the folder"
run 0 status --db "postgresql:///${db}_load?host=$PGHOST&port=$PGPORT" --dir "$fix" --json
[ "$(json '[m["state"] for m in d["migrations"]]')" = "['pending', 'pending', 'pending', 'pending', 'pending', 'pending']" ] ||
  fail "the command and dbmigrate_load disagree: $(cat out)"
"$B/psql" -X -q -d postgres -c "DROP DATABASE ${db}_load"
echo ok
