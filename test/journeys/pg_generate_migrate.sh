#!/usr/bin/env bash
# A PostgreSQL user's path from a desired schema to a migrated database,
# through the command only: `dbcare generate` from a schema file that adds
# an index on a table holding rows (CREATE INDEX CONCURRENTLY, written as a
# -- dbcare:no-transaction file) and a column and a table, then
# `dbcare migrate` with no flag applies it all (the index on its own, valid,
# the rest in transactions); `status --exit-code` passes, and fails naming
# the file once an applied migration is edited. A dbmate folder with a
# transaction:false block and zero-padded versions applies too, with no
# flag and with --commit-each.
set -eu
db=dbcare_j_generate_migrate
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db

mkdir migrations
echo 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);' >migrations/V1__init.sql
run 0 migrate --db "$url"
q -c "INSERT INTO users SELECT g, 'u' || g || '@x' FROM generate_series(1, 1000) g"

cat >schema.sql <<'EOF'
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text);
CREATE INDEX users_email ON users (email);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));
EOF
run 0 generate --to schema.sql add_orders --db "$url"
conc=$(grep -l 'CONCURRENTLY' migrations/V*.sql || true)
[ -n "$conc" ] || fail "generate wrote no CREATE INDEX CONCURRENTLY: $(cat migrations/V*.sql)"
grep -q -- '-- dbcare:no-transaction' $conc || fail "$conc is not marked -- dbcare:no-transaction"
n=$(ls migrations/V*.sql | wc -l)

# migrate with no flag: everything applied, the index valid
run 0 migrate --db "$url"
has "$((n - 1)) migration(s) applied" out
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass")" = t ] ||
  fail "the concurrent index is missing or invalid"
[ "$(q -c "SELECT count(*) FROM users") $(q -c "SELECT to_regclass('orders') IS NOT NULL")" = "1000 t" ] ||
  fail "rows or the new table"
run 0 status --db "$url" --exit-code
[ "$(q -c "SELECT dbmigrate_assert('$n')")" = t ] || fail "dbmigrate_assert after migrate"

# an applied migration edited by hand: migrate refuses it, status --exit-code too
echo '-- edited' >>migrations/V1__init.sql
run 1 migrate --db "$url"
run 1 status --db "$url" --exit-code
has 'V1__init.sql' err
sed -i '$d' migrations/V1__init.sql

# a failing run: no progress line for the work rolled back
echo 'CREATE TABLE t5 (id int);' >migrations/V50__t5.sql
echo 'CREATE TABLE t5 (id int);' >migrations/V51__again.sql
run 1 migrate --db "$url"
grep -q '^\[' err && fail "a progress line for rolled-back work: $(cat err)"
[ "$(q -c "SELECT to_regclass('t5') IS NULL")" = t ] || fail "V50 kept"
rm migrations/V50__t5.sql migrations/V51__again.sql

# dbmate's layout: zero-padded versions, a transaction:false block
mkdir dbmate
printf -- '-- migrate:up\nCREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint);\n\n-- migrate:down\nDROP TABLE posts;\n' \
  >dbmate/001_posts.sql
printf -- '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY posts_user ON posts (user_id);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY posts_user;\n' \
  >dbmate/002_posts_user.sql
printf -- '-- migrate:up\nALTER TABLE posts ADD COLUMN title text;\n' >dbmate/003_title.sql
for flag in "" --commit-each; do
  fresh_db
  run 0 migrate --db "$url" -d dbmate $flag
  has '3 migration(s) applied' out
  [ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'posts_user'::regclass")" = t ] ||
    fail "dbmate $flag: no valid index"
  run 0 status --db "$url" -d dbmate --exit-code
done
echo ok
