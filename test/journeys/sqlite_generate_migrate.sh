#!/usr/bin/env bash
# A SQLite user's path from a desired schema to a migrated database, through
# the command only: `dbcare generate` from a schema file that tightens a
# column (a table rebuild, written as a -- dbcare:no-transaction file) and
# adds a table and an index, then `dbcare migrate` with no flag applies it
# all (the rebuild on its own, the rest in transactions), the rows kept;
# `status --exit-code` passes, and fails naming the file once an applied
# migration is edited. dbmate's and golang-migrate's folders with a
# transaction:false / no-transaction file and zero-padded versions apply too,
# with no flag and with --commit-each. No progress line is shown for work
# that is rolled back.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"

# the project as it stands: one migration applied, rows in it
mkdir migrations
echo 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INTEGER);' >migrations/V1__init.sql
run 0 migrate --db sqlite:dev.db
sqlite3 dev.db "INSERT INTO users (email, age) VALUES ('a@x', 30), ('b@x', 41)"

# the schema wanted: email NOT NULL and a CHECK (a rebuild), a new table
# with an index
cat >schema.sql <<'EOF'
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER CHECK (age >= 0));
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));
CREATE INDEX orders_user ON orders(user_id);
EOF
run 0 generate --to schema.sql tighten --db sqlite:dev.db
rebuild=$(grep -l -- '-- dbcare:no-transaction' migrations/V*.sql || true)
[ -n "$rebuild" ] || fail "generate wrote no rebuild outside a transaction: $(head -n 3 migrations/V*.sql)"
grep -q 'DROP TABLE "users"' $rebuild || fail "the no-transaction file is not the rebuild: $rebuild"

# migrate with no flag: everything applied, the rebuild on its own
run 0 migrate --db sqlite:dev.db
has '3 migration(s) applied' out
grep -q 'cannot apply' err && fail "migrate refused: $(cat err)"
db=dev.db
[ "$(sqlite3 dev.db "SELECT group_concat(email, ',') FROM (SELECT email FROM users ORDER BY id)")" = a@x,b@x ] ||
  fail "the rebuild lost rows"
sqlite3 dev.db "INSERT INTO users (email, age) VALUES (NULL, 1)" 2>/dev/null &&
  fail "email NOT NULL not applied"
[ "$(sqlite3 dev.db "SELECT count(*) FROM sqlite_master WHERE name = 'orders_user'")" = 1 ] || fail "no index"
run 0 status --db sqlite:dev.db --exit-code
has '0 pending' err
# the application's own check agrees (the module in Python's sqlite3)
"$py" - "$module" <<'EOF' || fail "dbmigrate_assert after migrate"
import sqlite3, sys
c = sqlite3.connect("dev.db")
c.enable_load_extension(True)
c.load_extension(sys.argv[1])
assert c.execute("SELECT dbmigrate_assert('4')").fetchone()[0] in (1, True)
EOF

# an applied migration edited by hand: migrate refuses it, so status
# --exit-code must fail too, naming the file
echo '-- edited' >>migrations/V1__init.sql
run 1 migrate --db sqlite:dev.db
run 1 status --db sqlite:dev.db --exit-code
has 'V1__init.sql' err

# a transactional migration that fails: nothing applied and no progress
# line for the one rolled back before it
sed -i '$d' migrations/V1__init.sql
echo 'CREATE TABLE t5 (id INTEGER PRIMARY KEY);' >migrations/V5__t5.sql
echo 'CREATE TABLE t5 (id INTEGER PRIMARY KEY);' >migrations/V6__again.sql
run 1 migrate --db sqlite:dev.db
grep -q '^\[' err && fail "a progress line for rolled-back work: $(cat err)"
[ "$(sqlite3 dev.db "SELECT count(*) FROM sqlite_master WHERE name = 't5'")" = 0 ] || fail "V5 kept"
rm migrations/V5__t5.sql migrations/V6__again.sql

# dbmate's layout: zero-padded versions, a transaction:false block
mkdir dbmate
printf -- '-- migrate:up\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\n\n-- migrate:down\nDROP TABLE posts;\n' \
  >dbmate/001_posts.sql
printf -- '-- migrate:up transaction:false\nCREATE INDEX posts_user ON posts (user_id);\nVACUUM;\n\n-- migrate:down\nDROP INDEX posts_user;\n' \
  >dbmate/002_posts_user.sql
printf -- '-- migrate:up\nALTER TABLE posts ADD COLUMN title TEXT;\n' >dbmate/003_title.sql
# golang-migrate's -seq layout: zero-padded, the middle one outside a transaction
mkdir seq
echo 'CREATE TABLE a (id INTEGER PRIMARY KEY);' >seq/000001_a.up.sql
printf -- '-- dbcare:no-transaction\nVACUUM;\n' >seq/000002_vacuum.up.sql
echo 'CREATE TABLE b (id INTEGER PRIMARY KEY);' >seq/000003_b.up.sql
for dir in dbmate seq; do
  for flag in "" --commit-each; do
    f="$dir$flag.db"
    cmd=migrate
    [ "$dir" != dbmate ] || cmd=up # as dbmate's users type it
    run 0 $cmd --db "sqlite:$f" -d "$dir" $flag
    has '3 migration(s) applied' out
    run 0 status --db "sqlite:$f" -d "$dir" --exit-code
  done
done
[ "$(sqlite3 dbmate.db "SELECT count(*) FROM sqlite_master WHERE name IN ('posts_user') OR sql LIKE '%title TEXT%'")" = 2 ] ||
  fail "dbmate's folder not applied"
echo ok
