#!/usr/bin/env bash
# dbmigrate_load on SQLite with the layouts of real projects: Flyway with an
# upper-case .SQL suffix, SQL callbacks (skipped, said in the error log) and
# an empty file; golang-migrate with gaps, a version with only a down file and
# an empty up; diesel directories; popx engine infixes. The result counts the
# migrations newly registered or changed; a directory with hundreds of bad
# files says how many of which kind, then lists the first ones.
set -eu
fix="$(cd "$(dirname "$0")/../fixtures/migrations" && pwd)"
. "$(dirname "$0")/lib/sqlite.sh"

# Flyway: V1__create_shelves.SQL is a migration; the callbacks are skipped
# with a notice in SQLite's error log; V3 (blank) is a no-op migration.
db="$work/flyway.db"
[ "$(q -cmd '.log stderr' "SELECT dbmigrate_load('$fix/flyway_callbacks')" 2> "$work/log")" = 3 ] ||
  fail "flyway: 3 migrations registered: $(cat "$work/log")"
grep -qF 'dbcare: Flyway callback file(s) skipped: afterEachMigrate__count_steps.sql, afterMigrate.sql, beforeMigrate.sql' "$work/log" ||
  fail "callback notice: $(cat "$work/log")"
[ "$(q "SELECT group_concat(version || '=' || name, ';') FROM dbmigrate_status")" = \
  "1=create shelves;2=add room;3=nothing yet" ] || fail "flyway status: $(q 'SELECT * FROM dbmigrate_status')"
[ "$(q "SELECT group_concat(version) FROM dbcare_migrations WHERE down_script IS NOT NULL")" = 2 ] ||
  fail "U2__add_room.Sql is not the down script of 2"
[ "$(q "SELECT dbmigrate_apply()")" = 3 ] || fail "flyway apply"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'callback_ran'")" = 0 ] || fail "a callback ran"
# dbmigrate_load returns what it newly registered or changed: nothing now
[ "$(q "SELECT dbmigrate_load('$fix/flyway_callbacks')")" = 0 ] || fail "reload is not 0"

# golang-migrate: 5 has only a down file (a no-op up, as golang-migrate runs
# it); 6 has an empty up and a comment-only down.
db="$work/golang.db"
[ "$(q "SELECT dbmigrate_load('$fix/golang_gaps')")" = 6 ] || fail "golang: 6 versions"
[ "$(q "SELECT dbmigrate_apply()")" = 6 ] || fail "golang apply"
[ "$(q "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('crates', 'lids', 'labels') ORDER BY name)")" = \
  "crates,labels,lids" ] || fail "golang tables"
[ "$(q "SELECT dbmigrate_rollback('4')")" = 3 ] || fail "golang rollback over 7, the empty 6 and the down-only 5"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'labels'")" = 0 ] || fail "labels not dropped"

# diesel: directories, versions without their '-'; metadata.toml is ignored
db="$work/diesel.db"
[ "$(q "SELECT dbmigrate_load('$fix/diesel')")" = 3 ] || fail "diesel: 3 migrations"
[ "$(q "SELECT group_concat(version || '=' || name, ';') FROM dbmigrate_status")" = \
  "0=initial setup;20260102120000=create posts;20260103080000=add body" ] || fail "diesel status: $(q 'SELECT * FROM dbmigrate_status')"
[ "$(q "SELECT dbmigrate_apply()")" = 3 ] || fail "diesel apply"
[ "$(q "SELECT count(*) FROM pragma_table_info('posts') WHERE name = 'body'")" = 1 ] || fail "diesel schema"
[ "$(q "SELECT dbmigrate_rollback('20260102120000')")" = 1 ] || fail "diesel rollback"
[ "$(q "SELECT count(*) FROM pragma_table_info('posts') WHERE name = 'body'")" = 0 ] || fail "diesel down.sql"

# popx: SQLite takes the .sqlite3. files (one is empty), never the others'
db="$work/popx.db"
[ "$(q "SELECT dbmigrate_load('$fix/popx')")" = 2 ] || fail "popx: 2 migrations"
[ "$(q "SELECT dbmigrate_apply()")" = 2 ] || fail "popx apply"
q "SELECT sql FROM sqlite_master WHERE name = 'identities'" | grep -q AUTOINCREMENT || fail "popx did not take the sqlite3 file"
[ "$(q "SELECT dbmigrate_rollback('0')")" = 2 ] || fail "popx rollback"

# Hundreds of bad files: the message counts them by kind, the detail lists
# the first ones and says how many more.
mkdir "$work/many"
for i in $(seq 1 400); do echo 'SELECT 1;' > "$work/many/bad name $i.sql"; done
printf 'COMMIT;\n' > "$work/many/V1__commits.sql"
printf 'COMMIT;\n' > "$work/many/U1__commits.sql"
db="$work/many.db"
if q "SELECT dbmigrate_load('$work/many')" > "$work/many.out" 2>&1; then fail "bad directory loaded"; fi
grep -qF '402 migration file(s) in' "$work/many.out" || fail "count: $(head -c 600 "$work/many.out")"
grep -qF '(name in no accepted layout: 400, script refused: 2)' "$work/many.out" || fail "kinds: $(head -c 600 "$work/many.out")"
grep -qE 'and [0-9]+ more \(the first [0-9]+ are listed\)' "$work/many.out" || fail "no 'and N more'"
[ "$(wc -c < "$work/many.out")" -lt 16384 ] || fail "error longer than 16 KB"
grep -qF 'U1__commits.sql: a down script without an up' "$work/many.out" && fail "refused up reported as missing"

# A layout error names the accepted layouts.
mkdir "$work/odd"; echo 'SELECT 1;' > "$work/odd/init.sql"
if q "SELECT dbmigrate_load('$work/odd')" > "$work/odd.out" 2>&1; then fail "odd loaded"; fi
grep -qF 'diesel: a directory <version>_<name> holding up.sql and down.sql' "$work/odd.out" || fail "layouts: $(cat "$work/odd.out")"

# A directory with a diesel name that is a symbolic link is refused, not followed.
mkdir "$work/linked" "$work/elsewhere"; echo 'SELECT 1;' > "$work/elsewhere/up.sql"
ln -s "$work/elsewhere" "$work/linked/20260101000000_linked"
if q "SELECT dbmigrate_load('$work/linked')" > "$work/linked.out" 2>&1; then fail "linked directory loaded"; fi
grep -qF '20260101000000_linked: a symbolic link' "$work/linked.out" || fail "link: $(cat "$work/linked.out")"
# ... and so is a linked up.sql inside one; a directory without up.sql is named.
mkdir -p "$work/inner/20260101000000_inner" "$work/inner/20260102000000_no_up"
ln -s "$work/elsewhere/up.sql" "$work/inner/20260101000000_inner/up.sql"
echo 'SELECT 1;' > "$work/inner/20260102000000_no_up/down.sql"
if q "SELECT dbmigrate_load('$work/inner')" > "$work/inner.out" 2>&1; then fail "linked up.sql loaded"; fi
grep -qF '20260101000000_inner/up.sql: a symbolic link' "$work/inner.out" || fail "inner link: $(cat "$work/inner.out")"
grep -qF '20260102000000_no_up: a migration directory with neither up.sql (diesel) nor migration.sql (Prisma)' "$work/inner.out" || fail "no up.sql: $(cat "$work/inner.out")"
grep -qF '2 migration file(s)' "$work/inner.out" || fail "inner count: $(cat "$work/inner.out")"
echo "dbmigrate_load layouts on SQLite: ok"
