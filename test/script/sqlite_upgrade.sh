#!/usr/bin/env bash
# A database file whose bookkeeping tables dbcare 0.1.0 made
# (test/fixtures/sqlite/dbcare-0.1.0.sql) is read correctly before anything
# writes to it, and reads leave the file as it was; its first mutating call
# upgrades the bookkeeping inside the call's transaction (a call that rolls
# back leaves it at 0.1.0), after which its bookkeeping schema is exactly a
# fresh file's, its stored bookkeeping version is the fresh file's and every
# row is kept. A file whose bookkeeping version is newer than the module's is
# refused by mutating calls and still read.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
fixture="$root/test/fixtures/sqlite/dbcare-0.1.0.sql"

load_fixture() { rm -f "$1"; sqlite3 -bail "$1" < "$fixture"; }
# the bookkeeping objects, as sqlite_schema states them
book_schema() {
  sqlite3 "$1" "SELECT type, name, tbl_name, sql FROM sqlite_schema
                 WHERE name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name"
}
book_tables() {
  sqlite3 "$1" "SELECT name FROM sqlite_schema WHERE type = 'table'
                 AND name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name"
}
# every row of every bookkeeping table of $1, in the columns $2 (a file) has
book_rows() {
  local t cols
  for t in $(book_tables "$2"); do
    cols=$(sqlite3 "$2" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('$t')")
    echo "== $t"
    sqlite3 -cmd '.mode quote' "$1" "SELECT $cols FROM \"$t\" ORDER BY rowid"
  done
  echo "== sqlite_sequence"
  sqlite3 -cmd '.mode quote' "$1" "SELECT * FROM sqlite_sequence ORDER BY name"
}
unchanged() { [ "$(sha256sum < "$1")" = "$2" ] || fail "$3 changed the file"; }

db="$work/old.db"
load_fixture "$db"
cp "$db" "$work/as_loaded.db"
sum=$(sha256sum < "$db")
[ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE name = 'dbcare_bookkeeping'")" = 0 ] ||
  fail "the fixture is not a 0.1.0 file"

# --- reads before any write: right answers, file untouched
[ "$(q "SELECT group_concat(coalesce(version, name) || ':' || state, ' ') FROM dbmigrate_status")" = \
  "1:applied 2:applied 3:pending order totals view:applied" ] || fail "status: $(q 'SELECT * FROM dbmigrate_status' 2>&1)"
[ "$(q "SELECT group_concat(id || ':' || coalesce(version, name) || ':' || direction || ':' || success, ' ') FROM dbmigrate_history")" = \
  "1:1:up:1 2:2:up:1 3:order totals view:up:1 4:3:up:1 5:3:down:1" ] || fail "history: $(q 'SELECT * FROM dbmigrate_history' 2>&1)"
[ "$(q "SELECT dbmigrate_current()")" = 2 ] || fail "current"
[ "$(q "SELECT dbmigrate_assert('2')")" = 1 ] || fail "assert"
[ "$(q "SELECT count(*) FROM dbmigrate_validate")" = 0 ] || fail "validate: $(q 'SELECT * FROM dbmigrate_validate')"
[ "$(q "SELECT dbcare_get('health.fragmentation.warn')")" = 30 ] || fail "setting"
[ "$(q "SELECT relation || ':' || orphans FROM dbcheck_orphans")" = "orders_customer:1" ] || fail "orphans"
unchanged "$db" "$sum" "reading"
# verify runs the pending migration and rolls everything back, the upgrade too
[ "$(q "SELECT dbmigrate_verify_json()")" = \
  '[{"version":"3","name":"orders note","up_ok":true,"down_ok":true,"reversible":true,"detail":null}]' ] ||
  fail "verify: $(q "SELECT dbmigrate_verify_json()" 2>&1)"
unchanged "$db" "$sum" "dbmigrate_verify"
# a 0.1.0 file without a stored summary: a read derives the status and does
# not store one (that would be a write before the upgrade)
cp "$db" "$work/nosummary.db"
sqlite3 "$work/nosummary.db" "DELETE FROM dbcare_migrations_summary"
nsum=$(sha256sum < "$work/nosummary.db")
[ "$(db="$work/nosummary.db" q "SELECT dbmigrate_current()")" = 2 ] || fail "current without a summary"
unchanged "$work/nosummary.db" "$nsum" "a status read without a stored summary"

# --- a mutating call that rolls back leaves the file at 0.1.0
q "BEGIN; SELECT dbcare_set('health.fragmentation.warn', '40'); ROLLBACK;" > /dev/null
unchanged "$db" "$sum" "a rolled-back dbcare_set"

# --- the first mutating call upgrades (the same value again: no row changes)
before=$(book_rows "$db" "$db")
q "SELECT dbcare_set('health.fragmentation.warn', '30')" > /dev/null
fresh="$work/fresh.db"
db="$fresh" q "SELECT dbcare_set('health.fragmentation.warn', '30')" > /dev/null
diff -u <(book_schema "$fresh") <(book_schema "$db") ||
  fail "the upgraded bookkeeping schema differs from a fresh file's (above: - fresh, + upgraded)"
v=$(sqlite3 "$fresh" "SELECT version FROM dbcare_bookkeeping")
[ -n "$v" ] && [ "$v" -gt 1 ] || fail "a fresh file stores no bookkeeping version: '$v'"
[ "$(sqlite3 "$db" "SELECT id, version FROM dbcare_bookkeeping")" = "1|$v" ] ||
  fail "upgraded version: $(sqlite3 "$db" "SELECT * FROM dbcare_bookkeeping" 2>&1)"
diff -u <(echo "$before") <(book_rows "$db" "$work/as_loaded.db") || fail "rows changed by the upgrade"

# the upgraded file works: the pending migration applies and rolls back
[ "$(q "SELECT dbmigrate_apply()")" = 1 ] || fail "apply after the upgrade"
[ "$(q "SELECT dbmigrate_rollback('2')")" = 1 ] || fail "rollback after the upgrade"
[ "$(q "SELECT group_concat(state, ' ') FROM dbmigrate_status")" = "applied applied pending applied" ] ||
  fail "status after the upgrade: $(q 'SELECT * FROM dbmigrate_status')"

# --- a file from a newer module: mutating calls refuse, reads work
sqlite3 "$db" "UPDATE dbcare_bookkeeping SET version = version + 1"
sum=$(sha256sum < "$db")
if q "SELECT dbcare_set('health.fragmentation.warn', '50')" > "$work/newer.out" 2>&1; then
  fail "a mutating call on a newer bookkeeping version succeeded"
fi
grep -q "dbcare: the bookkeeping tables are at version $((v + 1)), newer than this module's $v" "$work/newer.out" || fail "newer version message: $(cat "$work/newer.out")"
if q "SELECT dbmigrate_apply()" > "$work/newer.out" 2>&1; then fail "apply on a newer bookkeeping version"; fi
grep -q "dbcare: the bookkeeping tables are at version" "$work/newer.out" || fail "apply's message: $(cat "$work/newer.out")"
unchanged "$db" "$sum" "a refused call"
[ "$(q "SELECT count(*) FROM dbmigrate_status")" = 4 ] || fail "reading a newer file"
echo "SQLite bookkeeping 0.1.0 -> current: read before, upgraded on the first write, as a fresh file"
