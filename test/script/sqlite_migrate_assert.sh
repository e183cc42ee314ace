#!/usr/bin/env bash
# dbmigrate_assert against the full derivation, answered both from the stored
# status summary and (inside a transaction, the summary row cleared, so none
# can be read or stored) from its one-statement proof: on a series of
# bookkeeping states (clean, hand-edited checksums, deleted registry rows,
# baseline markers, repeatables, failed runs, non-canonical versions, checksums
# of another algorithm) and for versions below, at, between and above what is
# applied, assert must pass exactly when dbmigrate_status / dbmigrate_history
# say it should, and an old database without the registry's checksum index
# gets it on its next changing call.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/assert.db"
fails=0
checks=0

# What the contract says, from the full derivation: the highest applied
# non-repeatable version (compared as versions), changed / missing states,
# failed history rows.
verdict() { # -> error when something is changed, missing or failed, else cmp
  q "SELECT CASE WHEN (SELECT count(*) FROM dbmigrate_status WHERE state IN ('changed', 'missing')) > 0
                   OR (SELECT count(*) FROM dbcare_migrations_history WHERE NOT success) > 0
                 THEN 'error' ELSE 'cmp' END" 2>/dev/null || echo cmp
}
assert_result() { # version -> ok | error, answered from the stored summary
  if q "SELECT dbmigrate_assert('$1')" >/dev/null 2>&1; then echo ok; else echo error; fi
}
# Inside a transaction, with the summary row cleared, assert can neither read
# nor store one: the one-statement proof, then the full derivation, answer.
assert_unsummarised() { # version -> ok | error
  if q "BEGIN; DELETE FROM dbcare_migrations_summary; SELECT dbmigrate_assert('$1'); ROLLBACK;" \
    >/dev/null 2>&1; then echo ok; else echo error; fi
}
# version comparison as dbcare does it (digits per component, missing = 0)
ver_ge() { # a b: a >= b
  /usr/bin/python3 -c "
import sys
def k(v):
    p=[int(x) for x in v.replace('_','.').split('.')]
    while p and p[-1]==0: p.pop()
    return p
sys.exit(0 if k(sys.argv[1]) >= k(sys.argv[2]) else 1)" "$1" "$2"
}
check_state() { # label
  local label=$1 cur v want got base
  base=$(verdict)
  cur=$(q "SELECT coalesce(dbmigrate_current(), '')")
  for v in 1 2 2.5 3 4 10 1.0.0 0; do
    want=error
    if [ "$base" = cmp ] && [ -n "$cur" ] && ver_ge "$cur" "$v"; then want=ok; fi
    for how in assert_result assert_unsummarised; do
      [ "$how" = assert_unsummarised ] && [ "$label" = "$fresh" ] && continue
      got=$($how "$v")
      checks=$((checks + 1))
      if [ "$got" != "$want" ]; then
        echo "FAIL: $label: dbmigrate_assert('$v') ($how) gave $got, the status says $want (current '$cur')"
        fails=$((fails + 1))
      fi
    done
  done
  echo "ok: $label (current '${cur}', status verdict $base)"
}

fresh="fresh database, no bookkeeping tables"
check_state "$fresh"
q "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE a (x);');
   SELECT dbmigrate_add('2', 'two', 'CREATE TABLE b (x);');
   SELECT dbmigrate_add('3', 'three', 'CREATE TABLE c (x);');" >/dev/null
check_state "registered, nothing applied"
q "SELECT dbmigrate_apply('2')" >/dev/null
check_state "applied up to 2, 3 pending"
q "SELECT dbmigrate_apply()" >/dev/null
check_state "all applied"
q "SELECT dbmigrate_add_repeatable('views', 'CREATE VIEW IF NOT EXISTS v AS SELECT 1;');
   SELECT dbmigrate_apply();" >/dev/null
check_state "with a repeatable"
q "UPDATE dbcare_migrations SET checksum = 'v1:sha256:' || substr(checksum, 11, 63) || '0' WHERE version = '2'"
check_state "registry checksum of 2 edited by hand"
q "UPDATE dbcare_migrations SET checksum = (SELECT checksum FROM dbcare_migrations_applied WHERE version = '2') WHERE version = '2'"
check_state "checksum restored"
q "UPDATE dbcare_migrations_applied SET checksum = NULL WHERE version = '1'"
check_state "applied checksum of 1 is NULL"
q "UPDATE dbcare_migrations_applied SET checksum = 'md5:abc' WHERE version = '1'"
check_state "applied checksum of 1 of another algorithm"
q "UPDATE dbcare_migrations SET checksum = 'v1:sha256:00' WHERE version = '1'"
check_state "... and its registry checksum differs"
q "DELETE FROM dbcare_migrations WHERE version = '1'"
check_state "registry row 1 deleted (missing)"
q "INSERT INTO dbcare_migrations (kind, version, version_text, name, script, checksum)
   SELECT 'versioned', '1', '1', 'one', 'CREATE TABLE a (x);', 'v1:sha256:00'" 
q "UPDATE dbcare_migrations_applied SET kind = 'baseline' WHERE version = '1'"
check_state "1 is a baseline marker with a registry row of another checksum"
q "DELETE FROM dbcare_migrations WHERE version = '1'"
check_state "1 is a baseline marker without registry row"
q "UPDATE dbcare_migrations_applied SET checksum = NULL WHERE version = '1'"
check_state "baseline marker without checksum"
q "DELETE FROM dbcare_migrations WHERE kind = 'repeatable'"
check_state "applied repeatable no longer registered"
q "SELECT dbmigrate_add_repeatable('views', 'CREATE VIEW IF NOT EXISTS v AS SELECT 1;')" >/dev/null
check_state "repeatable registered again"
q "UPDATE dbcare_migrations_applied SET version = '03' WHERE version = '3'"
check_state "applied version written non-canonically by hand"
q "UPDATE dbcare_migrations_applied SET version = '3' WHERE version = '03'"
check_state "version restored"
q "INSERT INTO dbcare_migrations_history (version, name, kind, direction, success, error)
   VALUES ('4', 'four', 'versioned', 'up', 0, 'boom')"
check_state "a failed run in the history"
q "DELETE FROM dbcare_migrations_history WHERE NOT success"
q "SELECT dbmigrate_add('10', 'ten', 'CREATE TABLE d (x);'); SELECT dbmigrate_apply();" >/dev/null
check_state "applied up to 10 (versions compared as numbers)"

# A database whose bookkeeping predates the checksum index gets it on the
# next changing call, and assert answers the same without it.
q "DROP INDEX dbcare_migrations_checksums"
check_state "without the registry checksum index"
q "SELECT dbmigrate_add('11', 'eleven', 'CREATE TABLE e (x);')" >/dev/null
got=$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'dbcare_migrations_checksums'")
checks=$((checks + 1))
if [ "$got" != 1 ]; then echo "FAIL: the next changing call did not create the index"; fails=$((fails + 1)); fi
check_state "index back, 11 pending"

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
