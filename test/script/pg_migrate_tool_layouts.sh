#!/usr/bin/env bash
# The migration folders of Prisma, sqlx, goose and diesel's dated folders
# on PostgreSQL (the fixtures sqlite_migrate_tool_layouts.sh reads, and a
# goose folder with a PL/pgSQL function between StatementBegin and
# StatementEnd): migrated by the dbcare command as their tools keep them,
# each in its tool's order, which status names; Prisma's folders read the
# same by dbmigrate_load on the server; what looks like a migration and
# fits no layout refused by name.
set -eu
db=dbcare_migrate_tool_layouts
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
fix="$root/test/fixtures/migrations"
cp -r "$fix/prisma" "$work/prisma"
chmod -R a+rX "$work"

# Prisma on the server: folder name order, one timestamp twice, the nameless folder
fresh_db
[ "$(q -c "SELECT dbmigrate_load('$work/prisma')")" = 5 ] || fail "prisma: 5 registered"
[ "$(q -c "SELECT string_agg(version, ',' ORDER BY ord) FROM (SELECT version, row_number() OVER () AS ord FROM dbmigrate_status()) s")" = \
  "20240101120000_init,20240102090000_,202410181114246_add_tags,20241018111424_add_authors,20241018111424_add_notes" ] ||
  fail "prisma: status order: $(q -c 'SELECT version FROM dbmigrate_status()')"
[ "$(q -c "SELECT dbmigrate_apply()")" = 5 ] || fail "prisma: apply on the server"

# ... and through the command
fresh_db
run 0 migrate --db "$url" -d "$work/prisma" --quiet
[ "$(q -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '\"Tag\"'::regclass AND attnum > 0")" = "id,name,author,note" ] ||
  fail "prisma: Tag columns"
run 0 status --db "$url" -d "$work/prisma" --exit-code
has "layout: Prisma folders (migration.sql), in folder name order" err
run 0 rollback --db "$url" -d "$work/prisma" --to 20241018111424_add_authors --quiet
[ "$(q -c "SELECT count(*) FROM pg_attribute WHERE attrelid = '\"Tag\"'::regclass AND attname = 'note'")" = 0 ] ||
  fail "prisma: down.sql"
run 0 status --db "$url" -d "$work/prisma" --format json
has '"layout":"Prisma folders (migration.sql), in folder name order"' out
# a number where the folder is keyed by names is no registered version
run 1 rollback --db "$url" -d "$work/prisma" --to 20241018111424

# sqlx: bare files whole, .up.sql/.down.sql, -- no-transaction
fresh_db
run 0 migrate --db "$url" -d "$fix/sqlx" --quiet
[ "$(q -c "SELECT count(*) FROM pg_class WHERE relname IN ('users', 'posts', 'users_email')")" = 3 ] ||
  fail "sqlx: schema"
[ "$(q -c "SELECT no_transaction FROM dbcare.migrations WHERE version = '20240103000000'")" = t ] ||
  fail "sqlx: -- no-transaction"

# goose with a PL/pgSQL function, NO TRANSACTION for a concurrent index
mkdir "$work/goose"
cat >"$work/goose/00001_users.sql" <<'SQL'
-- +goose Up
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
-- +goose StatementBegin
CREATE FUNCTION user_count() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM users);
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION user_count();
DROP TABLE users;
SQL
cat >"$work/goose/00002_index.sql" <<'SQL'
-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY users_name ON users (name);
SQL
fresh_db
run 0 migrate --db "$url" -d "$work/goose" --commit-each --quiet
[ "$(q -c "SELECT user_count()")" = 0 ] || fail "goose: the function"
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_name'::regclass")" = t ] ||
  fail "goose: the concurrent index"
run 0 status --db "$url" -d "$work/goose"
has "goose files (-- +goose Up), in version order" err

# diesel: 2024-03-13_170000_add_price runs after 2024-03-13-080000_add_name
fresh_db
run 0 migrate --db "$url" -d "$fix/diesel_dates" --quiet
[ "$(q -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0")" = "id,name,price" ] ||
  fail "diesel: column order"
# never skipped: a folder without a script, a nameless file, a goose Go
# migration and a dbmate folder whose name order is not its version order
# are refused by name on the client as on SQLite, nothing registered
mkdir -p "$work/odd/20240102000000_empty" "$work/odd/dbmate"
printf 'SELECT 1;\n' >"$work/odd/20240104000000_.sql"
printf 'package m\n' >"$work/odd/20240105000000_worker.go"
fresh_db
run 1 migrate --db "$url" -d "$work/odd"
has "20240102000000_empty: a migration directory with neither up.sql (diesel) nor migration.sql (Prisma)" err
has "20240104000000_.sql: the name after the version's '_' is empty" err
has "20240105000000_worker.go: a goose Go migration" err
printf -- '-- migrate:up\nCREATE TABLE a (x int);\n' >"$work/odd/dbmate/9_a.sql"
printf -- '-- migrate:up\nCREATE TABLE b (x int);\n' >"$work/odd/dbmate/10_b.sql"
run 1 migrate --db "$url" -d "$work/odd/dbmate"
has "9_a.sql and 10_b.sql: dbmate runs them in the other order" err
[ "$(q -c "SELECT count(*) FROM dbcare.migrations")" = 0 ] || fail "odd: something registered"
echo ok
