#!/usr/bin/env bash
# The migration folders of Prisma, sqlx, goose and diesel's dated folders,
# migrated by the dbcare command on SQLite as their tools keep them
# (test/fixtures/migrations/{prisma,sqlx,goose,diesel_dates}): each in its
# tool's order, which status names; rolled back through the down scripts
# the tool keeps; a file or folder that looks like a migration and fits no
# layout is refused by name, never skipped, as is a dbmate folder whose
# file name order is not its version order.
set -eu
fix="$(cd "$(dirname "$0")/../fixtures/migrations" && pwd)"
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"

# Prisma: folder name order (202410181114246_add_tags makes the table the
# two 20241018111424_ folders alter: numeric order would run it last and
# fail), two folders of one timestamp both run, the nameless one too.
db="$work/prisma.db"
run 0 migrate --db "sqlite:$db" -d "$fix/prisma" --quiet
[ "$(q "SELECT group_concat(version, ',') FROM (SELECT version FROM dbmigrate_status ORDER BY applied_at, rowid)")" != "" ] || fail "prisma: nothing applied"
[ "$(q "SELECT count(*) FROM dbmigrate_status WHERE state = 'applied'")" = 5 ] ||
  fail "prisma: 5 applied: $(q 'SELECT version, state FROM dbmigrate_status')"
[ "$(q "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('Tag') ORDER BY cid)")" = "id,name,author,note" ] ||
  fail "prisma: Tag columns: $(q "SELECT group_concat(name) FROM pragma_table_info('Tag')")"
run 0 status --db "sqlite:$db" -d "$fix/prisma" --exit-code
has "20241018111424_add_notes" out
has "layout: Prisma folders (migration.sql), in folder name order" err
# the down.sql Prisma's docs keep beside migration.sql
run 0 rollback --db "sqlite:$db" -d "$fix/prisma" --quiet
[ "$(q "SELECT count(*) FROM pragma_table_info('Tag') WHERE name = 'note'")" = 0 ] || fail "prisma: down.sql did not run"
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '20241018111424_add_notes'")" = pending ] ||
  fail "prisma: add_notes not pending after its rollback"

# dbcare new in a Prisma folder makes Prisma's next folder (a Flyway
# number would sort before every folder name), applied after the others
cp -r "$fix/prisma" "$work/prisma_new"
run 0 new add_index -d "$work/prisma_new"
made=$(cd "$work/prisma_new" && ls -d 2*_add_index)
[ -f "$work/prisma_new/$made/migration.sql" ] && [ -f "$work/prisma_new/$made/down.sql" ] ||
  fail "new: no Prisma folder: $(ls "$work/prisma_new")"
run 0 migrate --db "sqlite:$db" -d "$work/prisma_new" --quiet
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '$made'")" = applied ] ||
  fail "new: $made not applied: $(q 'SELECT version, state FROM dbmigrate_status')"

# dbcare generate in a Prisma folder writes Prisma's folder too
run 0 dump "$work/prisma_schema.sql" --db "sqlite:$db"
echo 'CREATE TABLE "Label" ("id" INTEGER NOT NULL PRIMARY KEY);' >>"$work/prisma_schema.sql"
run 0 generate --to "$work/prisma_schema.sql" add_label --db "sqlite:$db" -d "$work/prisma_new"
made=$(cd "$work/prisma_new" && ls -d 2*_add_label)
grep -q 'CREATE TABLE "Label"' "$work/prisma_new/$made/migration.sql" ||
  fail "generate: no Prisma folder: $(ls "$work/prisma_new")"

# sqlx: bare files are the whole up script (not refused as dbmate's), and
# the -- no-transaction file runs outside a transaction
db="$work/sqlx.db"
run 0 migrate --db "sqlite:$db" -d "$fix/sqlx" --quiet
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name IN ('users', 'posts', 'users_email')")" = 3 ] ||
  fail "sqlx: schema"
[ "$(q "SELECT no_transaction FROM dbcare_migrations WHERE version = '20240103000000'")" = 1 ] ||
  fail "sqlx: -- no-transaction"
run 0 status --db "sqlite:$db" -d "$fix/sqlx"
has "sqlx files (<version>_<name>.sql), in version order" err

# goose: Up and Down blocks, a trigger between StatementBegin/End, NO TRANSACTION
db="$work/goose.db"
run 0 migrate --db "sqlite:$db" -d "$fix/goose" --to 2 --quiet
q "INSERT INTO users (name) VALUES ('ann')" >/dev/null
[ "$(q "SELECT what FROM audit")" = "user ann" ] || fail "goose: the trigger"
run 0 rollback --db "sqlite:$db" -d "$fix/goose" --to 1 --quiet
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name IN ('audit', 'users_audit')")" = 0 ] ||
  fail "goose: Down block"
run 0 migrate --db "sqlite:$db" -d "$fix/goose" --quiet
[ "$(q "SELECT no_transaction FROM dbcare_migrations WHERE version = '3'")" = 1 ] || fail "goose: NO TRANSACTION"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'users_name'")" = 1 ] || fail "goose: 3 not applied"

# diesel: 2024-03-13_170000_add_price is 20240313170000, after add_name
db="$work/diesel.db"
run 0 migrate --db "sqlite:$db" -d "$fix/diesel_dates" --quiet
[ "$(q "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('items') ORDER BY cid)")" = "id,name,price" ] ||
  fail "diesel: column order: $(q "SELECT group_concat(name) FROM pragma_table_info('items')")"
run 0 status --db "sqlite:$db" -d "$fix/diesel_dates"
has "layout: diesel folders (up.sql, down.sql), in version order" err
# the other layouts' status names theirs too (Flyway's V1_1__ and R__,
# golang-migrate's .up.sql, diesel's 00000000000000_, dbmate's files)
for l in "flyway:Flyway files" "golang:golang-migrate files (.up.sql/.down.sql)" \
  "diesel:diesel folders (up.sql, down.sql)" "dbmate:dbmate files (-- migrate:up)"; do
  db="$work/status_${l%%:*}.db"
  run 0 migrate --db "sqlite:$db" -d "$fix/${l%%:*}" --quiet
  run 0 status --db "sqlite:$db" -d "$fix/${l%%:*}" --exit-code
  has "layout: ${l#*:}, in version order" err
done

# never skipped: each of these is refused by name, nothing is applied
mkdir -p "$work/odd/20240102000000_empty" "$work/odd/20240103000000"
printf 'SELECT 1;\n' >"$work/odd/20240101000000_a.sql"
printf 'SELECT 1;\n' >"$work/odd/20240104000000_.sql"
printf 'package m\n' >"$work/odd/20240105000000_worker.go"
db="$work/odd.db"
run 1 migrate --db "sqlite:$db" -d "$work/odd"
has "20240102000000_empty: a migration directory with neither up.sql (diesel) nor migration.sql (Prisma)" err
has "20240103000000: a directory that is not <version>_<name>" err
has "20240104000000_.sql: the name after the version's '_' is empty" err
has "20240105000000_worker.go: a goose Go migration" err
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'dbcare_migrations'")" = 0 ] ||
  [ "$(q "SELECT count(*) FROM dbcare_migrations")" = 0 ] || fail "odd: something registered"
# dbmate runs 10_b.sql before 9_a.sql (file name order): refused by name
# rather than run in another order than dbmate's
mkdir "$work/dbmate_lengths"
printf -- '-- migrate:up\nCREATE TABLE a (x);\n' >"$work/dbmate_lengths/9_a.sql"
printf -- '-- migrate:up\nCREATE TABLE b (x);\n' >"$work/dbmate_lengths/10_b.sql"
db="$work/lengths.db"
run 1 migrate --db "sqlite:$db" -d "$work/dbmate_lengths"
has "9_a.sql and 10_b.sql: dbmate runs them in the other order" err
echo "tool layouts through dbcare migrate on SQLite: ok"
