#!/usr/bin/env bash
# dbmate's files on SQLite (test/fixtures/migrations/dbmate): one
# <version>_<name>.sql holds "-- migrate:up" and "-- migrate:down" blocks, a
# block may say "transaction:false", comments may stand before the up block,
# the down block is optional. dbmigrate_load and the dbcare command register
# the up block as the migration and the down block as its down script (a
# transaction:false block as one marked -- dbcare:no-transaction); a file
# dbmate itself refuses is refused with the file named and why.
set -eu
fix="$(cd "$(dirname "$0")/../fixtures/migrations/dbmate" && pwd)"
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"

db="$work/load.db"
[ "$(q "SELECT dbmigrate_load('$fix')")" = 4 ] || fail "4 dbmate migrations registered"
[ "$(q "SELECT group_concat(version || '=' || name, ';') FROM (SELECT * FROM dbmigrate_status ORDER BY version)")" = \
  "20240101120000=create users;20240102093000=add posts;20240103150000=index posts user;20240104080000=first post" ] ||
  fail "status: $(q 'SELECT version, name FROM dbmigrate_status')"
# the up block without its directive, the comment before it left out
[ "$(q "SELECT script FROM dbcare_migrations WHERE version = '20240102093000'")" = "$(sed -n '3,9p' "$fix/20240102093000_add_posts.sql")" ] ||
  fail "up block: $(q "SELECT script FROM dbcare_migrations WHERE version = '20240102093000'")"
[ "$(q "SELECT down_script FROM dbcare_migrations WHERE version = '20240102093000'")" = \
  "$(printf 'DROP TABLE posts;\nDELETE FROM users WHERE id = 1;')" ] || fail "down block"
[ "$(q "SELECT group_concat(version || ':' || no_transaction || ':' || (down_script IS NOT NULL), ',') FROM (SELECT * FROM dbcare_migrations ORDER BY version)")" = \
  "20240101120000:0:1,20240102093000:0:1,20240103150000:1:1,20240104080000:0:0" ] ||
  fail "no-transaction marks and down scripts: $(q 'SELECT version, no_transaction, down_script FROM dbcare_migrations')"
[ "$(q "SELECT dbmigrate_load('$fix')")" = 0 ] || fail "reloading unchanged files changes something"
# applied up to before the transaction:false one, rolled back by the down block
[ "$(q "SELECT dbmigrate_apply('20240102093000')")" = 2 ] || fail "apply"
[ "$(q "SELECT count(*) FROM users")" = 1 ] || fail "the up block's insert"
[ "$(q "SELECT dbmigrate_rollback('20240101120000')")" = 1 ] || fail "rollback"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'posts'") $(q "SELECT count(*) FROM users")" = "0 0" ] ||
  fail "the down block did not run"

# the command reads the same folder on the client: with no flag the
# transaction:false file runs on its own and every migration applies, as
# with --commit-each
for flag in "" --commit-each; do
  db="$work/cli$flag.db"
  run 0 migrate --db "sqlite:$db" -d "$fix" $flag --quiet
  [ "$(q "SELECT count(*) FROM dbmigrate_status WHERE state = 'applied'")" = 4 ] || fail "cli $flag: 4 applied"
  [ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'posts_user_id'")" = 1 ] || fail "cli $flag: no index"
  run 0 status --db "sqlite:$db" -d "$fix" --exit-code
done

# written on Windows: a BOM and CRLF line ends
mkdir "$work/crlf"
printf '\xef\xbb\xbf-- migrate:up\r\nCREATE TABLE w (id int);\r\n\r\n-- migrate:down\r\nDROP TABLE w;\r\n' \
  >"$work/crlf/20240105000000_windows.sql"
db="$work/crlf.db"
[ "$(q "SELECT dbmigrate_load('$work/crlf')")" = 1 ] || fail "a BOM and CRLF file"
[ "$(q "SELECT dbmigrate_apply()") $(q "SELECT dbmigrate_rollback('0')")" = "1 1" ] ||
  fail "the Windows file's blocks"

# files dbmate refuses
mkdir "$work/bad"
printf 'CREATE TABLE t (id int);\n-- migrate:up\nSELECT 1;\n' >"$work/bad/1_outside.sql"
printf 'CREATE TABLE t (id int);\n' >"$work/bad/2_no_directive.sql"
printf -- '-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 1;\n' >"$work/bad/3_down_first.sql"
printf -- '-- migrate:up transaction:maybe\nSELECT 1;\n' >"$work/bad/4_option.sql"
db="$work/bad.db"
out=$(q "SELECT dbmigrate_load('$work/bad')" 2>&1) && fail "bad files loaded: $out"
for want in '4 migration file(s)' \
  '1_outside.sql: a statement before the "-- migrate:up" line' \
  '2_no_directive.sql: a dbmate file (<version>_<name>.sql) without a "-- migrate:up" line' \
  '3_down_first.sql: "-- migrate:down" comes before "-- migrate:up"' \
  '4_option.sql: a dbmate directive has an option other than transaction:false'; do
  grep -qF -- "$want" <<<"$out" || fail "missing: $want in $out"
done
[ "$(q "SELECT count(*) FROM dbcare_migrations")" = 0 ] || fail "a bad folder registered something"
echo ok
