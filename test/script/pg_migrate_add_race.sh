#!/usr/bin/env bash
# Two psql sessions register the same version at the same time: the second
# waits on the first's uncommitted row. The same content is then a no-op;
# different content, or the same version spelt differently (1 vs 1.0), is a
# clear dbcare: error, never a raw unique violation (23505).
set -eu
db=dbcare_migrate_add_race
. "$(dirname "$0")/lib/pg.sh"
fresh_db

# wait_for WHAT FILE CMD...: until CMD succeeds, for up to 60 s (a loaded
# machine); then fails with WHAT and FILE's text
wait_for() {
  local what=$1 file=$2
  shift 2
  for _ in $(seq 1 1200); do "$@" && return; sleep 0.05; done
  fail "$what: $(cat "$file")"
}
a_registered() { grep -qx t "$work/a.out"; }
b_waits() { [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")" = 1 ]; }

# race VERSION_A SCRIPT_A VERSION_B SCRIPT_B [repeatable]: session A registers
# and holds its transaction open; B registers meanwhile and waits on A's row;
# only then A commits (each step waits for the one before to be seen).
race() {
  local call_a call_b
  if [ "${5:-}" = repeatable ]; then
    call_a="SELECT dbmigrate_add_repeatable('$1', '$2') IS NOT NULL"
    call_b="SELECT dbmigrate_add_repeatable('$3', '$4') IS NOT NULL"
  else
    call_a="SELECT dbmigrate_add('$1', 'race', '$2') IS NOT NULL"
    call_b="SELECT dbmigrate_add('$3', 'race', '$4') IS NOT NULL"
  fi
  rm -f "$work/a.in"; mkfifo "$work/a.in"
  q < "$work/a.in" > "$work/a.out" 2>&1 &
  local pa=$!
  exec 4> "$work/a.in"
  printf '%s\n' "BEGIN;" "$call_a;" >&4
  wait_for "session A did not register" "$work/a.out" a_registered
  { q -c "$call_b" && echo ok || echo failed; } > "$work/b.out" 2>&1 &
  local pb=$!
  # B is blocked on A's row until A commits
  wait_for "session B did not wait on A's row" "$work/b.out" b_waits
  echo "COMMIT;" >&4
  exec 4>&-
  wait "$pa" || { cat "$work/a.out"; fail "session A failed"; }
  wait "$pb"
}

race 7 'CREATE TABLE seven (x int);' 7 'CREATE TABLE seven (x int);'
grep -qx ok "$work/b.out" || { cat "$work/b.out"; fail "same content: B should be a no-op"; }
[ "$(q -c "SELECT count(*) FROM dbcare.migrations WHERE version = '7'")" = 1 ] || fail "same content: rows"

race 8 'CREATE TABLE eight (x int);' 8 'CREATE TABLE eight (y int);'
grep -qx failed "$work/b.out" || { cat "$work/b.out"; fail "different content: B should fail"; }
grep -q 'dbcare: migration 8 (race) was registered by another session at the same time, with different content' \
  "$work/b.out" || { cat "$work/b.out"; fail "different content: message"; }
! grep -q 23505 "$work/b.out" || fail "raw unique violation"
[ "$(q -c "SELECT script FROM dbcare.migrations WHERE version = '8'")" = 'CREATE TABLE eight (x int);' ] ||
  fail "different content: A's content must stay"

race 9 'CREATE TABLE nine (x int);' 9.0 'CREATE TABLE nine (x int);'
grep -q 'dbcare: version 9.0 is the same version as the registered version 9' "$work/b.out" ||
  { cat "$work/b.out"; fail "1 vs 1.0: message"; }

race v 'CREATE VIEW v AS SELECT 1 AS one;' v 'CREATE VIEW v AS SELECT 1 AS one;' repeatable
grep -qx ok "$work/b.out" || { cat "$work/b.out"; fail "repeatable, same content"; }
race w 'CREATE VIEW w AS SELECT 1 AS one;' w 'CREATE VIEW w AS SELECT 2 AS two;' repeatable
grep -q 'dbcare: migration repeatable (w) was registered by another session' "$work/b.out" ||
  { cat "$work/b.out"; fail "repeatable, different content"; }

# afterwards, serially, different content replaces a pending one as before
q -c "SELECT dbmigrate_add('8', 'race', 'CREATE TABLE eight (y int);') IS NOT NULL" > /dev/null
[ "$(q -c "SELECT script FROM dbcare.migrations WHERE version = '8'")" = 'CREATE TABLE eight (y int);' ] ||
  fail "serial replace"
echo ok
