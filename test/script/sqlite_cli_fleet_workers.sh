#!/usr/bin/env bash
# A SQLite fleet runs its databases in --jobs worker processes, each taking
# database after database (not one process per database), and still keeps
# each database's output and result to itself: errors are named per
# database, and a worker killed inside one database fails that database
# alone while a new worker migrates the rest.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
command -v strace > /dev/null || fail "strace is missing (test/harness/packages.txt)"
export DBCARE_MODULE="$module"
mkdir -p m tenants
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' > m/V1__t.sql
echo 'ALTER TABLE t ADD COLUMN name TEXT;' > m/V2__name.sql
for i in 1 2 3 4 5 6 7 8; do : > tenants/$i.db; done
migrated() {
  db=$1
  [ "$(q "SELECT group_concat(version || state, ',') FROM dbmigrate_status")" = "1applied,2applied" ]
}

# eight databases, two workers: two processes are made, every file
# migrated, and the module is opened once, by the command before the workers
# start (named as SQLite's loader allows, here without its .so suffix)
case "$module" in *.so) fail "the suite's module path has its suffix: \$module is $module" ;; esac
strace -f -qq -e trace=clone,clone3,fork,vfork,open,openat -o trace "$cli" migrate --quiet \
  --jobs 2 --db 'sqlite:tenants/*.db' --dir m > out 2> err || { cat err out; fail "fleet migrate"; }
n=$(grep -cE '(clone3?|v?fork)\(' trace || true)
[ "$n" = 2 ] || { cat trace; fail "$n processes made for 8 databases with --jobs 2 (2 expected)"; }
n=$(grep -F "$module.so\"" trace | grep -vc ENOENT || true)
[ "$n" = 1 ] || { grep -F "$module" trace; fail "the module was opened $n times (once expected)"; }
for i in 1 2 3 4 5 6 7 8; do migrated tenants/$i.db || fail "tenants/$i.db not migrated"; done

# one worker, two bad files among good ones: each error is its own
# database's, each good database's JSON output is whole
for i in 1 2 3 4 5 6; do : > j$i.db; done
echo 'not a database' > j2.db
echo 'not a database either' > j5.db
set +e
"$cli" migrate --json --jobs 1 --db 'sqlite:j*.db' --dir m > out 2> err
rc=$?
set -e
[ "$rc" = 1 ] || { cat err; fail "fleet with bad files exit $rc, want 1"; }
"$py" - out <<'PY' || fail "fleet json per database"
import json, sys
d = json.load(open(sys.argv[1]))
rows = {x["database"]: x for x in d["databases"]}
assert d["failed"] == 2, d["failed"]
for i in (1, 3, 4, 6):
    x = rows["sqlite:j%d.db" % i]
    assert x["exit"] == 0 and x["errors"] == "", x
    assert x["output"] is not None, x
for i in (2, 5):
    x = rows["sqlite:j%d.db" % i]
    assert x["exit"] == 1 and x["errors"].count("dbcare: ") >= 1, x
    assert x["output"] is None, x
PY

# kill_inside SIG WHO: a fleet over k1..k4.db (k1 locked by another
# process) gets SIG, sent to its worker or its parent once the worker has
# k1.db open (waiting for the lock): inside that database. rc: its exit.
kill_inside() {
  rm -f k*.db*
  for i in 1 2 3 4; do : > k$i.db; done
  "$py" - k1.db <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("CREATE TABLE held (x)")
print("held", flush=True)
time.sleep(30)
PY
  locker=$!
  for _ in $(seq 1200); do [ -s k1.db-journal ] && break; sleep 0.05; done
  [ -s k1.db-journal ] || fail "k1.db was not locked"
  "$cli" migrate --jobs 1 --db 'sqlite:k*.db' --dir m > out 2> err &
  cli_pid=$!
  worker=$(child_of "$cli_pid")
  [ -n "$worker" ] || {
    cat out err
    fail "no worker process appeared (the fleet $(ended_or_running "$cli_pid"))"
  }
  for _ in $(seq 3000); do
    ls -l "/proc/$worker/fd" 2> /dev/null | grep -q 'k1\.db$' && break
    sleep 0.02
  done
  ls -l "/proc/$worker/fd" 2> /dev/null | grep -q 'k1\.db$' || fail "the worker never opened k1.db"
  if [ "$2" = worker ]; then kill -"$1" "$worker"; else kill -"$1" "$cli_pid"; fi
  set +e
  wait "$cli_pid"
  rc=$?
  set -e
  kill "$locker" 2> /dev/null || true
  wait "$locker" 2> /dev/null || true
}

# a stop signal to the fleet's parent (a supervisor's SIGTERM) or to a
# worker alone: the fleet stops, no further database is started, the
# summary says what was done and what was not run, and dbcare ends of it
for who in parent worker; do
  kill_inside TERM "$who"
  [ "$rc" = 143 ] || { cat out err; fail "SIGTERM to the fleet's $who: exit $rc, want 143"; }
  grep -qE '^sqlite:k1\.db +failed ' out || { cat out err; fail "SIGTERM to the $who: k1.db not reported failed"; }
  for i in 2 3 4; do
    grep -qE "^sqlite:k$i\.db +not run " out || { cat out err; fail "SIGTERM to the $who: k$i.db not reported not run"; }
    [ "$(sqlite3 "k$i.db" "SELECT count(*) FROM sqlite_master")" = 0 ] ||
      fail "SIGTERM to the $who: k$i.db was migrated after the stop"
  done
  grep -q 'dbcare: the fleet stopped (SIGTERM): 3 database(s) not run' err ||
    { cat err; fail "SIGTERM to the $who: the stop is not said"; }
done

# a stop signal a worker holds at a commit point (a backup's, from its
# publication to its row's commit, every fsync slowed) and drops, its
# database done: the fleet still stops after that database
mkdir -p bk
for i in 1 2 3; do
  sqlite3 -cmd ".load $module" "bk/$i.db" "SELECT dbcare_set('backup.dir', '$work/bk/out$i')" > /dev/null
  mkdir -p "bk/out$i"
done
env --default-signal strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=400000 \
  "$cli" backup --jobs 1 --db 'sqlite:bk/*.db' > out 2> err &
tracer=$!
worker=$(child_of "$(child_of "$tracer")")
[ -n "$worker" ] || {
  cat out err
  fail "no worker under strace (strace $(ended_or_running "$tracer"))"
}
for _ in $(seq 3000); do
  compgen -G 'bk/out1/1-*.db' > /dev/null && break
  sleep 0.005
done
compgen -G 'bk/out1/1-*.db' > /dev/null || fail "the first backup was never published ($(cat err))"
kill -TERM "$worker"
set +e
wait "$tracer"
rc=$?
set -e
[ "$rc" = 143 ] || { cat out err; fail "SIGTERM held by a worker: exit $rc, want 143"; }
grep -qE '^sqlite:bk/1\.db +ok ' out || { cat out err; fail "the backup whose commit held SIGTERM is not ok"; }
for i in 2 3; do
  grep -qE "^sqlite:bk/$i\.db +not run " out || { cat out err; fail "bk/$i.db was not stopped"; }
done

# lock_for S DB: DB locked (an exclusive transaction) for S seconds by
# another process, in the background (locker: its pid), once it is held
lock_for() {
  "$py" - "$2" "$1" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("CREATE TABLE held (x)")
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
PY
  locker=$!
  for _ in $(seq 1200); do [ -s "$2-journal" ] && break; sleep 0.05; done
  [ -s "$2-journal" ] || fail "$2 was not locked"
}

# under nohup (SIGHUP ignored from the start) SIGHUPs to the parent and
# its worker all along stop nothing: every backup is made, exit 0. bk/1.db
# is locked for 2 s, so its worker is surely there to receive SIGHUPs
for i in 1 2 3; do
  sqlite3 "bk/$i.db" "CREATE TABLE IF NOT EXISTS big (x);
    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 50000)
    INSERT INTO big SELECT randomblob(40) FROM g"
done
lock_for 2 bk/1.db
env --ignore-signal=HUP "$cli" backup --jobs 1 --db 'sqlite:bk/*.db' > out 2> err &
parent=$!
hup_ignored_by "$parent" || fail "SIGHUP never set to be ignored in the command (test premise)"
hups=0
while kill -HUP "$parent" 2>/dev/null; do
  for w in $(pgrep -P "$parent"); do kill -HUP "$w" 2>/dev/null && hups=$((hups + 1)); done
  sleep 0.001
done
set +e
wait "$parent"
rc=$?
set -e
wait "$locker"
[ "$rc" = 0 ] || { cat out err; fail "SIGHUP under nohup stopped the fleet: exit $rc"; }
[ "$hups" -ge 3 ] || fail "only $hups SIGHUPs reached a worker (test premise)"
for i in 1 2 3; do
  grep -qE "^sqlite:bk/$i\.db +ok " out || { cat out err; fail "under nohup bk/$i.db is not ok"; }
done

# a stop signal the parent handles between its check and its wait (here:
# while the write handing k1.db to its worker is slowed by strace) still
# ends the wait at once: the worker is told while it waits for k1.db's
# lock, and k1.db is not migrated once the lock is freed 3 s after the
# signal (held until then, however long the fleet takes to start)
rm -f k*.db*
for i in 1 2; do : > k$i.db; done
lock_for 600 k1.db
env --default-signal strace -qq -o /dev/null -e trace=write -e inject=write:delay_exit=2000000:when=1 \
  "$cli" migrate --jobs 1 --db 'sqlite:k*.db' --dir m > out 2> err &
tracer=$!
parent=$(child_of "$tracer")
[ -n "$parent" ] || fail "the fleet under strace never started"
[ -n "$(child_of "$parent")" ] || {
  cat out err
  fail "no worker process appeared under strace (the fleet $(ended_or_running "$parent"))"
}
sleep 0.5
kill -TERM "$parent"
sleep 3
kill "$locker"
set +e
wait "$tracer"
rc=$?
set -e
wait "$locker" 2> /dev/null || true
[ "$rc" = 143 ] || { cat out err; fail "SIGTERM before the fleet's wait: exit $rc, want 143"; }
[ -z "$(sqlite3 k1.db "SELECT name FROM sqlite_schema WHERE name = 't'")" ] ||
  { cat out err; fail "SIGTERM before the fleet's wait: k1.db was migrated after the stop"; }
grep -qE '^sqlite:k2\.db +not run ' out || { cat out err; fail "SIGTERM before the wait: k2.db not reported not run"; }

# a worker killed inside a database: that database fails, named, the others
# are migrated by the worker that replaces it
kill_inside KILL worker
[ "$rc" = 1 ] || { cat out err; fail "fleet with a killed worker exit $rc, want 1"; }
grep -qE '^sqlite:k1\.db +failed ' out || { cat out; fail "k1.db not reported as failed"; }
grep -q '^sqlite:k1.db: dbcare: the process for this database ended by signal 9' err ||
  { cat err; fail "the killed worker's database is not named with its signal"; }
for i in 2 3 4; do
  grep -qE "^sqlite:k$i\.db +ok " out || { cat out; fail "k$i.db not ok after the worker was replaced"; }
  migrated k$i.db || fail "k$i.db not migrated"
done
echo ok
