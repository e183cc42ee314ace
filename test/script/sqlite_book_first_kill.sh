#!/usr/bin/env bash
# The bookkeeping is made all or nothing (sqlite/book/bookkeeping.c,
# all_or_nothing): an application killed during its first dbcare call, one
# that opens no savepoint of its own (dbcare_set in autocommit), leaves the
# file without dbcare's tables or with all of them, never a partial set that
# every later call refuses. The kill is exact: the application's trace
# callback (sqlite3_trace_v2, which sees the module's statements too) kills
# the process right before the Nth CREATE TABLE runs, for every N.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
cd "$work"
sqlite3 app.db "PRAGMA journal_mode = wal; CREATE TABLE t (v)" >/dev/null
cat > first_call.py <<'PY'
import os, signal, sqlite3, sys
module, db, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = 0
def trace(sql):
    global seen
    if "CREATE TABLE" in sql:
        seen += 1
        if seen == nth:
            os.kill(os.getpid(), signal.SIGKILL)
c = sqlite3.connect(db, isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
c.set_trace_callback(trace)
c.execute("SELECT dbcare_set('backup.dir', '/x')")
print("done after", seen, "CREATE TABLE")
PY
creates=$(cp app.db probe.db && /usr/bin/python3 first_call.py "$module" probe.db 0 |
  sed -n 's/^done after \([0-9]*\) CREATE TABLE$/\1/p')
[ "${creates:-0}" -ge 3 ] || fail "the first call made ${creates:-no} tables: expected several"
for n in $(seq 1 "$creates"); do
  rm -f kill.db kill.db-wal kill.db-shm
  cp app.db kill.db
  set +e
  /usr/bin/python3 first_call.py "$module" kill.db "$n" >/dev/null 2>&1
  rc=$?
  set -e
  [ "$rc" = 137 ] || [ "$rc" = -9 ] || fail "kill before CREATE TABLE $n: exit $rc, expected SIGKILL"
  out=$(sqlite3 -cmd ".load $module" kill.db "SELECT ifnull(dbcare_get('backup.dir'), '')" 2>&1) ||
    fail "after a kill before CREATE TABLE $n of $creates, the next call fails: $out"
  [ -z "$out" ] || fail "after a kill before CREATE TABLE $n: backup.dir is '$out'"
  # and the next writing call finishes the job
  sqlite3 -cmd ".load $module" kill.db "SELECT dbcare_set('backup.dir', '/y')" >/dev/null ||
    fail "after a kill before CREATE TABLE $n, dbcare_set fails"
done
echo "ok: a kill before each of the first call's $creates CREATE TABLEs leaves no partial bookkeeping"
