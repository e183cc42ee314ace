#!/usr/bin/env bash
# dbmate's files on PostgreSQL (test/fixtures/migrations/dbmate, the files
# sqlite_migrate_dbmate.sh reads): dbmigrate_load on the server and the
# dbcare command on the client register each file's "-- migrate:up" block as
# the migration and its "-- migrate:down" block as the down script; a
# "transaction:false" block is marked -- dbcare:no-transaction, so
# CREATE INDEX CONCURRENTLY may stand in it; a file dbmate refuses is refused.
set -eu
db=dbcare_migrate_dbmate
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
# the server reads the files as its own OS user: give it a readable copy,
# the index built concurrently as a PostgreSQL project's dbmate file has it
cp -r "$root/test/fixtures/migrations/dbmate" "$work/m"
sed -i 's/^CREATE INDEX posts_user_id/CREATE INDEX CONCURRENTLY posts_user_id/' \
  "$work/m/20240103150000_index_posts_user.sql"
chmod -R a+rX "$work"

fresh_db
[ "$(q -c "SELECT dbmigrate_load('$work/m')")" = 4 ] || fail "4 dbmate migrations registered"
[ "$(q -c "SELECT string_agg(version || ':' || no_transaction::int || ':' || (down_script IS NOT NULL)::int, ',' ORDER BY version) FROM dbcare.migrations")" = \
  "20240101120000:0:1,20240102093000:0:1,20240103150000:1:1,20240104080000:0:0" ] ||
  fail "marks and down scripts: $(q -c 'SELECT version, no_transaction, down_script FROM dbcare.migrations')"
[ "$(q -c "SELECT down_script FROM dbcare.migrations WHERE version = '20240101120000'")" = "DROP TABLE users;" ] ||
  fail "down block"
[ "$(q -c "SELECT dbmigrate_apply('20240102093000')")" = 2 ] || fail "apply"
[ "$(q -c "SELECT dbmigrate_rollback('20240101120000')")" = 1 ] || fail "rollback"
[ "$(q -c "SELECT to_regclass('posts') IS NULL")" = t ] || fail "the down block did not run"

# the command, on the client: all four, the concurrent index outside a transaction
fresh_db
run 0 migrate --db "$url" -d "$work/m" --commit-each --quiet
[ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE state = 'applied'")" = 4 ] || fail "cli: 4 applied"
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'posts_user_id'::regclass")" = t ] ||
  fail "cli: no valid index"
run 0 status --db "$url" -d "$work/m" --exit-code

mkdir "$work/bad" && chmod a+rx "$work/bad"
printf 'CREATE TABLE t (id int);\n-- migrate:up\nSELECT 1;\n' >"$work/bad/1_outside.sql"
chmod a+r "$work/bad/1_outside.sql"
out=$(q -c "SELECT dbmigrate_load('$work/bad')" 2>&1) && fail "a bad file loaded: $out"
grep -qF '1_outside.sql: a statement before the "-- migrate:up" line' <<<"$out" || fail "error: $out"
run 1 migrate --db "$url" -d "$work/bad"
has '1_outside.sql: a statement before the "-- migrate:up" line' err
echo ok
