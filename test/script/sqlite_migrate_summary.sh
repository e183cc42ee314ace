#!/usr/bin/env bash
# The stored migration status summary (SQLite): which calls store it, that
# answers come from it, that every kind of write to the tables it is derived
# from clears it (dbcare's calls and hand edits alike), that it is neither
# stored inside a caller's transaction nor on a read-only connection, and
# that a database from a build without it works and gets it on the next
# changing call.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/summary.db"
. "$(dirname "$0")/lib/checks.sh"
stored() { q "SELECT count(*) FROM dbcare_migrations_summary"; }
# The summary fields, as a row stored now would hold them, from the full
# derivation that dbmigrate_status makes.
derived() {
  q "SELECT coalesce(dbmigrate_current(), '') || '|' ||
        (SELECT count(*) FROM dbmigrate_status WHERE state IN ('pending', 'out_of_order', 'outdated')) || '|' ||
        (SELECT count(*) FROM dbmigrate_status WHERE state = 'changed') || '|' ||
        (SELECT count(*) FROM dbmigrate_status WHERE state = 'missing') || '|' ||
        (SELECT count(*) FROM dbcare_migrations_history WHERE NOT success) || '|' ||
        (SELECT count(*) FROM dbmigrate_status WHERE state IN ('applied', 'changed', 'outdated'))"
}
row() {
  q "SELECT coalesce(current_version, '') || '|' || pending || '|' || changed || '|' || missing
            || '|' || failed || '|' || applied FROM dbcare_migrations_summary"
}

q "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE a (x);');
   SELECT dbmigrate_add('2', 'two', 'CREATE TABLE b (x);');
   SELECT dbmigrate_add('3', 'three', 'CREATE TABLE c (x);');
   SELECT dbmigrate_add_repeatable('views', 'CREATE VIEW IF NOT EXISTS v AS SELECT 1;');
   SELECT dbmigrate_apply('2');" >/dev/null
expect "a changing call leaves no summary" 0 "$(stored)"
q "SELECT dbmigrate_assert('2')" >/dev/null
expect "assert stores one" 1 "$(stored)"
expect "the stored row is the derivation" "$(derived)" "$(row)"

# Answers come from the row: a row edited by hand is believed (it is a cache,
# like any other bookkeeping row edited by hand).
q "UPDATE dbcare_migrations_summary SET changed = 1"
got=$(q "SELECT dbmigrate_assert('2')" 2>&1 || true)
expect "assert answers from the row" 1 "$(echo "$got" | grep -c '1 changed, 0 missing and 0 failed')"
q "UPDATE dbcare_migrations_summary SET current_version = '7'"
expect "dbmigrate_current answers from the row" 7 "$(q "SELECT dbmigrate_current()")"
expect "the health report answers from the row" 1 \
  "$(q "SELECT dbhealth_report('quick')" | grep -c 'at version 7')"
q "DELETE FROM dbcare_migrations_summary"
expect "dbmigrate_current stores one" 2 "$(q "SELECT dbmigrate_current()")"
expect "... the derivation" "$(derived)" "$(row)"

# Every kind of write to the three tables clears it, whoever writes.
writes=(
  "registry insert|SELECT dbmigrate_add('4', 'four', 'CREATE TABLE d (x);')"
  "applied insert|SELECT dbmigrate_apply('3')"
  "registry update|UPDATE dbcare_migrations SET checksum = 'v1:sha256:00' WHERE version = '1'"
  "registry delete|DELETE FROM dbcare_migrations WHERE version = '1'"
  "applied update|UPDATE dbcare_migrations_applied SET checksum = 'v1:sha256:01' WHERE version = '2'"
  "applied delete|DELETE FROM dbcare_migrations_applied WHERE version = '2'"
  "history insert, a failed run|INSERT INTO dbcare_migrations_history (version, name, kind, direction, success, error) VALUES ('9', 'nine', 'versioned', 'up', 0, 'boom')"
  "history update of a failed run|UPDATE dbcare_migrations_history SET success = 1 WHERE NOT success"
  "history update making a failed run|UPDATE dbcare_migrations_history SET success = 0 WHERE id = (SELECT max(id) FROM dbcare_migrations_history)"
  "history delete of a failed run|DELETE FROM dbcare_migrations_history WHERE NOT success"
  "rollback|SELECT dbmigrate_repair(); SELECT dbmigrate_rollback()"
  "baseline|DELETE FROM dbcare_migrations_applied; SELECT dbmigrate_baseline('3')"
)
for w in "${writes[@]}"; do
  label=${w%%|*}
  sql=${w#*|}
  q "SELECT dbmigrate_current()" >/dev/null
  expect "stored before: $label" 1 "$(stored)"
  q "$sql" >/dev/null 2>&1 || true
  expect "cleared by: $label" 0 "$(stored)"
  q "SELECT dbmigrate_assert('1')" >/dev/null 2>&1 || true
  expect "stored again after $label, as derived" "$(derived)" "$(row)"
done

# A history row of a successful run is no failed run: the row stays.
q "SELECT dbmigrate_current()" >/dev/null
q "INSERT INTO dbcare_migrations_history (version, name, kind, direction, success)
   VALUES ('3', 'three', 'versioned', 'up', 1)"
expect "a successful history row keeps it" 1 "$(stored)"

# Inside the caller's transaction a row is read but never stored: it would
# commit or roll back with the caller's work.
q "DELETE FROM dbcare_migrations_summary"
q "BEGIN; SELECT dbmigrate_current(); SELECT dbhealth_report('quick'); COMMIT;" >/dev/null
expect "nothing stored inside a transaction" 0 "$(stored)"
# ... and a write in that transaction clears the row for the transaction's
# own later reads.
q "SELECT dbmigrate_current()" >/dev/null
got=$(q "BEGIN; DELETE FROM dbcare_migrations_applied; SELECT coalesce(dbmigrate_current(), 'none'); ROLLBACK;")
expect "a write earlier in the transaction is seen" none "$got"
expect "its rollback restores the row" 1 "$(stored)"

# A read-only connection answers without storing.
q "DELETE FROM dbcare_migrations_summary"
sqlite3 -batch -readonly -cmd ".load $module" "$db" "SELECT dbmigrate_current()" >/dev/null
expect "nothing stored on a read-only connection" 0 "$(stored)"
sqlite3 -batch -cmd ".load $module" -cmd "PRAGMA query_only = 1" "$db" \
  "SELECT dbmigrate_current()" >/dev/null
expect "nothing stored with query_only, and no error" 0 "$(stored)"

# A database made before the summary existed: answers are derived, and the
# next changing call adds the table and its triggers.
want=$(derived)
q "DROP TABLE dbcare_migrations_summary" >/dev/null
for t in $(q "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'dbcare\_migrations\_summary\_%' ESCAPE '\\'"); do
  q "DROP TRIGGER $t"
done
expect "without the table, current is derived" "${want%%|*}" "$(q "SELECT coalesce(dbmigrate_current(), '')")"
expect "no table is made by a read" 0 "$(q "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dbcare\_migrations\_summary%' ESCAPE '\\'")"
q "SELECT dbmigrate_add('5', 'five', 'CREATE TABLE e (x);')" >/dev/null
expect "the next changing call makes the table and 9 triggers" 10 \
  "$(q "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dbcare\_migrations\_summary%' ESCAPE '\\'")"
q "SELECT dbmigrate_current()" >/dev/null
expect "and the summary is stored again" "$(derived)" "$(row)"

checks_done
