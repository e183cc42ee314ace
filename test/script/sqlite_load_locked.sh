#!/usr/bin/env bash
# Loading the module into a connection whose file another process holds
# locked waits for the lock at most about its own busy timeout once: the
# audit trail's start-up read of the schema retries for 2 s in all, not 200
# times the connection's busy timeout (minutes with the command's 5 s).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/a.db"
sqlite3 "$db" "PRAGMA journal_mode = delete; CREATE TABLE t (id INTEGER PRIMARY KEY);" >/dev/null
# the holder: an exclusive lock (no reader gets in) for up to 60 s
"$py" - "$db" "$work/held" <<'PY' &
import sqlite3, sys, time, pathlib
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("INSERT INTO t DEFAULT VALUES")
pathlib.Path(sys.argv[2]).touch()
time.sleep(60)
PY
holder=$!
trap 'kill $holder 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do [ -e "$work/held" ] && break; sleep 0.05; done
[ -e "$work/held" ] || fail "the holder never took its lock"
start=$(date +%s%N)
set +e
timeout 50 sqlite3 -batch -cmd ".timeout 1000" -cmd ".load $module" "$db" "SELECT count(*) FROM t;" >"$work/out" 2>&1
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" != 124 ] || fail "loading the module waited for the lock for 50 s and more"
grep -q 'database is locked' "$work/out" || fail "the statement did not meet the lock: $(cat "$work/out")"
[ "$ms" -lt 15000 ] || fail "loading the module took $ms ms behind a lock, with a 1 s busy timeout"
echo "ok: $ms ms behind a lock"
