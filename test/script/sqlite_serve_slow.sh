#!/usr/bin/env bash
# dbcare serve with a slow member: a SQLite file locked by another process
# (BEGIN EXCLUSIVE, so even readers wait) never delays a scrape past
# --scrape-timeout, the other members stay fresh (dbcare_up 1, a small age),
# the locked one is served from its last result with dbcare_up 0 and an age
# that grows; once the lock is gone it is fresh again. SIGTERM while its
# refresh waits on the lock still stops serve within seconds.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

mkdir fleet
for f in a b c; do
  sqlite3 "fleet/$f.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('x')"
done
# every refresh reads the report (--report-interval 0): the age of a member
# that answers stays small
start_serve serve.log --db 'sqlite:fleet/*.db' --scrape-timeout 1s --min-interval 0 --report-interval 0
get "$base/metrics"; want_code 200 "first scrape"
grep -qx 'dbcare_up{engine="sqlite",database="c.db"} 1' body || fail "c.db not read at first"

# lock_c: another process holds c.db (BEGIN EXCLUSIVE): every reader
# waits for it (the busy timeout, 5 s) until unlock_c
lock_c() {
  rm -f locked
  "$py" -c "
import sqlite3, sys, time
c = sqlite3.connect('fleet/c.db', isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
open('locked', 'w').close()
time.sleep(60)
" &
  locker=$!
  serve_pids+=("$locker")
  for _ in $(seq 1 100); do [ -e locked ] && break; sleep 0.05; done
  [ -e locked ] || fail "the lock was not taken"
}
unlock_c() { kill "$locker"; wait "$locker" 2>/dev/null || true; }
lock_c

# value NAME DB: a sample of the last body
value() { sed -n "s/^$1{engine=\"sqlite\",database=\"$2\"} //p" body; }
ages=()
for round in 1 2 3; do
  timed_get "$base/metrics"; want_code 200 "scrape $round with c.db locked"
  # the budget is 1 s; a scrape may wait for it, never for the lock: a
  # reader waits the busy timeout, 5 s, which load only lengthens
  [ "$ms" -lt 5000 ] || fail "scrape $round took ${ms}ms with a 1s budget"
  promtool check metrics <body || fail "promtool refused scrape $round"
  [ "$(value dbcare_up c.db)" = 0 ] || fail "c.db is up while locked (round $round)"
  for f in a b; do
    [ "$(value dbcare_up $f.db)" = 1 ] || fail "$f.db not up in round $round"
    read_in_get "$(value dbcare_metric_age_seconds $f.db)" ||
      fail "$f.db is stale: $(value dbcare_metric_age_seconds $f.db) s old after a ${ms}ms scrape"
  done
  # c.db keeps its last result: the score is still served
  [ -n "$(value dbcare_health_score c.db)" ] || fail "c.db's last result is not served"
  ages+=("$(value dbcare_metric_age_seconds c.db)")
  sleep 1
done
"$py" -c "a = [float(x) for x in '${ages[*]}'.split()]; import sys; sys.exit(0 if a[0] < a[1] < a[2] and a[2] >= 2 else 1)" ||
  fail "c.db's age does not grow: ${ages[*]}"
get "$base/readyz"; want_code 200 "readyz with a stale but ready member"

# the lock gone: c.db fresh again in the same server
unlock_c
for _ in $(seq 1 40); do
  timed_get "$base/metrics"
  [ "$(value dbcare_up c.db)" = 1 ] && break
  sleep 0.25
done
[ "$(value dbcare_up c.db)" = 1 ] || fail "c.db not up after the lock"
read_in_get "$(value dbcare_metric_age_seconds c.db)" ||
  fail "c.db still stale after the lock: $(value dbcare_metric_age_seconds c.db) s old after a ${ms}ms scrape"

# SIGTERM while c.db's refresh waits on the lock: stopped within 4 s (the
# module's own start-up retries a locked schema read for up to 2 s)
lock_c
get "$base/metrics"
t0=$(date +%s%N)
stop_serve
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 4000 ] || fail "stopping took ${ms}ms"
unlock_c
echo ok
