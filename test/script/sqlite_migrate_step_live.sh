#!/usr/bin/env bash
# A migration running outside a transaction is told from one that died
# (docs/migrations.md, "Migrations outside a transaction"). The script of
# dbmigrate_script() runs in a sqlite3 shell fed through a fifo, held after
# the no-transaction step's dbmigrate_step_begin; meanwhile, from other
# processes: the dbcare command's migrate --commit-each and dbmigrate_apply
# refuse with "is running now in another session: wait for it",
# dbmigrate_repair refuses to remove its record, dbmigrate_assert's hint
# names it, dbmigrate_status and dbmigrate_validate say "running". The step
# then completes (its mark file gone). A shell killed inside a step leaves a
# record that did not finish, which repair removes; a rollback step outside
# a transaction is marked too. Before the fix the
# running step was reported as "did not finish in an earlier run" and
# repair removed its record, so a second run ran the migration again.
# Another user who can read the mark file cannot make a dead step read as
# running (issue 64).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"

db="$work/app.db"
mkdir "$work/m"
printf 'CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);\n' > "$work/m/V1__a.sql"
printf -- '-- dbcare:no-transaction\nCREATE INDEX a_id2 ON a (id, v);\n' > "$work/m/V2__idx3.sql"
q "SELECT dbmigrate_load('$work/m'); SELECT dbmigrate_apply('1');" >/dev/null

# start_step VERSION [KIND [LINES]]: a sqlite3 shell runs the pending script
# (KIND rollback: the rollback script) up to the step_begin of VERSION and
# LINES more (default 0) and waits for the rest on fd 3 (shell pid in sp).
start_step() {
  local kind=${2:-versioned} n
  if [ "$kind" = rollback ]; then q "SELECT dbmigrate_script('rollback', NULL);"
  else q "SELECT dbmigrate_script();"; fi > "$work/s.sql"
  n=$(grep -n "dbmigrate_step_begin('$kind', '$1'" "$work/s.sql" | cut -d: -f1)
  [ -n "$n" ] || fail "no step $1 in the script: $(cat "$work/s.sql")"
  n=$((n + ${3:-0}))
  head -n "$n" "$work/s.sql" > "$work/p1.sql"
  tail -n +$((n + 1)) "$work/s.sql" > "$work/p2.sql"
  rm -f "$work/in"; mkfifo "$work/in"
  # a busy timeout, as an operator's shell would want: this test reads the
  # history from another process while the script writes
  sqlite3 -batch -cmd ".load $module" -cmd ".timeout 10000" "$db" < "$work/in" > "$work/shell.out" 2>&1 &
  sp=$!
  exec 3> "$work/in"
  cat "$work/p1.sql" >&3
  for _ in $(seq 1 100); do
    [ "$(q "SELECT count(*) FROM dbmigrate_history() WHERE NOT success;")" = 1 ] && return 0
    sleep 0.05
  done
  fail "the step never started: $(cat "$work/shell.out")"
}
# fails_with SQL TEXT: SQL fails and its error contains TEXT
fails_with() {
  if q "$1" > "$work/q.out" 2>&1; then fail "$1 succeeded: $(cat "$work/q.out")"; fi
  grep -qF -- "$2" "$work/q.out" || fail "$1: want \"$2\", got: $(cat "$work/q.out")"
}

# held after the step's CREATE INDEX: the schema has changed, not recorded yet
start_step 2 versioned 2
for _ in $(seq 1 100); do
  [ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'a_id2';")" = 1 ] && break
  sleep 0.05
done
running='migration 2 (idx3) is running now in another session: wait for it'
run 1 migrate --db "sqlite:$db" --dir "$work/m" --commit-each
has "cannot migrate: $running" err
fails_with "SELECT dbmigrate_apply();" "cannot migrate: $running"
fails_with "SELECT dbmigrate_repair();" "cannot repair: $running"
fails_with "SELECT dbmigrate_assert('2');" "HINT: Migration 2 (idx3) is running now in another session"
[ "$(q "SELECT state FROM dbmigrate_status() WHERE version = '2';")" = running ] ||
  fail "status: $(q "SELECT * FROM dbmigrate_status();")"
[ "$(q "SELECT group_concat(problem, ' ') FROM (SELECT problem FROM dbmigrate_validate() ORDER BY problem);")" = "drift running" ] || fail "validate"
run 0 status --db "sqlite:$db" --dir "$work/m"
has running out
# health: the running step is no failure (before the fix: "1 failed",
# critical); both checks that read the history say it runs
health=$(q "SELECT json_extract(value, '\$.status') || '|' || json_extract(value, '\$.message') || '|' ||
              json_extract(value, '\$.hint') FROM json_each(dbhealth_report('quick'), '\$.checks')
            WHERE json_extract(value, '\$.name') = 'migrations';")
case "$health" in
  "warning|1 pending, 0 changed, 0 missing, 0 failed, 1 running; at version 1|Migration 2 (idx3) is running now in another session"*) ;;
  *) fail "health of a running step: $health" ;;
esac
[ "$(q "SELECT json_extract(dbhealth_report('quick'), '\$.status');")" != critical ] || fail "health critical"
drift=$(q "SELECT json_extract(value, '\$.message') FROM json_each(dbhealth_report('quick'), '\$.checks')
           WHERE json_extract(value, '\$.name') = 'schema_drift';")
case "$drift" in
  *"index a_id2 added (migration 2 (idx3) is running now in another session;"*) ;;
  *) fail "drift of a running step: $drift" ;;
esac
run 0 health --db "sqlite:$db"
has "running" out
# the step ends: applied once, its mark let go and its file removed
cat "$work/p2.sql" >&3; exec 3>&-
wait "$sp" || fail "the script failed: $(cat "$work/shell.out")"
[ "$(q "SELECT state FROM dbmigrate_status() WHERE version = '2';")" = applied ] || fail "not applied"
[ ! -e "$db-dbcare-step" ] || fail "the mark file was left"
q "SELECT dbmigrate_assert('2');" >/dev/null || fail "assert after the step"

# a shell killed inside the step: its record did not finish, repair removes it
printf -- '-- dbcare:no-transaction\nCREATE INDEX a_v ON a (v);\n' > "$work/m/V3__idx4.sql"
q "SELECT dbmigrate_load('$work/m');" >/dev/null
start_step 3
kill -9 "$sp"; wait "$sp" 2>/dev/null || true; exec 3>&-
# an attacker who can only read the mark file (another user, here nobody)
# holds every lock it can take on it: an flock (no write access needed) and
# a read lock; its write lock is refused. The dead step must not read as
# running (issue 64: before the fix its flock did, and apply and repair
# refused while it held it). Then the file is made writable by others, so
# the attacker takes a write lock too: a mark file others can write marks
# nothing.
chmod 755 "$work"
[ -f "$db-dbcare-step" ] || fail "the killed step left no mark file"
# attack [WRITE]: nobody holds its locks on the mark file (pid in ap)
attack() {
  rm -f "$work/attack.out"
  runuser -u nobody -- "$py" -c '
import fcntl, sys, time
f = open(sys.argv[1], "r+" if sys.argv[2] == "write" else "r")
fcntl.flock(f, fcntl.LOCK_EX)
fcntl.lockf(f, fcntl.LOCK_EX if sys.argv[2] == "write" else fcntl.LOCK_SH)
print("locked", flush=True)
time.sleep(60)' "$db-dbcare-step" "${1:-read}" > "$work/attack.out" 2>&1 &
  ap=$!
  for _ in $(seq 1 100); do
    grep -qx locked "$work/attack.out" 2>/dev/null && return 0
    sleep 0.05
  done
  kill "$ap" 2>/dev/null; fail "the attacker took no lock: $(cat "$work/attack.out")"
}
stop_attack() { kill "$ap" 2>/dev/null || true; wait "$ap" 2>/dev/null || true; }
attack
trap 'stop_attack; rm -rf "$work"' EXIT
fails_with "SELECT dbmigrate_apply();" "migration 3 (idx4) did not finish in an earlier dbmigrate_script run"
[ "$(q "SELECT state FROM dbmigrate_status() WHERE version = '3';")" != running ] || fail "faked running"
[ "$(q "SELECT json_extract(dbhealth_report('quick'), '\$.status');")" = critical ] ||
  fail "health of a dead step under a faked mark: $(q "SELECT dbhealth_report('quick');")"
stop_attack
chmod 666 "$db-dbcare-step"
attack write
fails_with "SELECT dbmigrate_apply();" "migration 3 (idx4) did not finish in an earlier dbmigrate_script run"
stop_attack
chmod 644 "$db-dbcare-step"
fails_with "SELECT dbmigrate_apply();" "migration 3 (idx4) did not finish in an earlier dbmigrate_script run"
fails_with "SELECT dbmigrate_assert('3');" "HINT: Apply the pending migrations"
[ "$(q "SELECT problem FROM dbmigrate_validate();")" = failed ] || fail "validate after the kill"
[ "$(q "SELECT dbmigrate_repair();")" = 1 ] || fail "repair of the dead step"
run 0 migrate --db "sqlite:$db" --dir "$work/m" --commit-each
has '1 migration(s) applied' out

# a rollback step outside a transaction is marked the same way
q "SELECT dbmigrate_add('4', 'idx5', 'CREATE INDEX a_v5 ON a (v);',
     '-- dbcare:no-transaction
DROP INDEX a_v5;'); SELECT dbmigrate_apply();" >/dev/null
start_step 4 rollback
fails_with "SELECT dbmigrate_repair();" "cannot repair: migration 4 (idx5) is running now"
cat "$work/p2.sql" >&3; exec 3>&-
wait "$sp" || fail "the rollback script failed: $(cat "$work/shell.out")"
[ "$(q "SELECT state FROM dbmigrate_status() WHERE version = '4';")" = pending ] || fail "not rolled back"

# a mark file another user owns marks nothing: a step refuses to run on it
# (its owner could hold its write lock), naming the file and the remedy
run 0 migrate --db "sqlite:$db" --dir "$work/m" --commit-each
printf -- '-- dbcare:no-transaction\nCREATE INDEX a_v6 ON a (v, id);\n' > "$work/m/V5__idx6.sql"
touch "$db-dbcare-step"; chown nobody "$db-dbcare-step"
run 1 migrate --db "sqlite:$db" --dir "$work/m" --commit-each
has "cannot mark migration step" err
has "$db-dbcare-step: it is not a regular file of the database's owner" err
has "Remove the file" err
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'a_v6';")" = 0 ] || fail "the step ran"
rm -f "$db-dbcare-step"
run 0 migrate --db "sqlite:$db" --dir "$work/m" --commit-each
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'a_v6';")" = 1 ] || fail "not applied after"
echo ok
