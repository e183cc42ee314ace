#!/usr/bin/env bash
# Down scripts are covered by a checksum on PostgreSQL (issue 19, finding 8):
# an applied migration registered again with another down script is
# "changed" in dbmigrate_status, dbmigrate_validate reports it,
# dbmigrate_assert fails and dbmigrate_rollback refuses before running
# anything; dbmigrate_repair accepts it. An applied row without a recorded
# down checksum (applied before they were kept) is never called changed.
set -eu
db=dbcare_migrate_down_checksum
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x int)', 'DROP TABLE t1')" \
  -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x int)', 'DROP TABLE t2')" \
  -c "SELECT dbmigrate_apply()" > /dev/null
q -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x int)', 'DROP TABLE t2')" > /dev/null
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '2'")" = applied ] || fail "same down changed the state"

q -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x int)', 'DROP TABLE t2; CREATE TABLE evil (x int)')" > /dev/null
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '2'")" = changed ] || fail "changed down: $(q -c 'SELECT * FROM dbmigrate_status()')"
q -c "SELECT version, problem, detail FROM dbmigrate_validate()" > "$work/validate.out"
grep -q '^2|changed|.*down script' "$work/validate.out" || fail "validate: $(cat "$work/validate.out")"
if q -c "SELECT dbmigrate_assert('2')" > /dev/null 2>&1; then fail "assert passed with a changed down script"; fi
if q -c "SELECT dbmigrate_rollback()" > "$work/rollback.out" 2>&1; then fail "rollback ran a changed down script"; fi
grep -q 'changed' "$work/rollback.out" || fail "rollback message: $(cat "$work/rollback.out")"
[ "$(q -c "SELECT count(*) FROM pg_class WHERE relname IN ('t2', 'evil') AND relkind = 'r'")" = 1 ] || fail "rollback touched the schema"

[ "$(q -c "SELECT dbmigrate_repair()")" -ge 1 ] || fail "repair"
[ "$(q -c "SELECT string_agg(state, ' ' ORDER BY version) FROM dbmigrate_status()")" = "applied applied" ] || fail "after repair"
[ "$(q -c "SELECT dbmigrate_rollback()")" = 1 ] || fail "rollback after repair"
[ "$(q -c "SELECT count(*) FROM pg_class WHERE relname = 'evil'")" = 1 ] || fail "accepted down did not run"

# an applied row from before down checksums were kept
q -c "UPDATE dbcare.migrations_applied SET down_checksum = NULL WHERE version = '1'" > /dev/null
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '1'")" = applied ] || fail "unknown down checksum shows changed"
q -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x int)', 'DROP TABLE t1; SELECT 1')" > /dev/null
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '1'")" = applied ] || fail "unknown down checksum: changed"
echo "down script checksums on PostgreSQL: ok"
