#!/usr/bin/env bash
# Loading the module into a connection whose file another process holds
# locked waits for the lock at most about its own busy timeout once: the
# load's reads of the file (the audit trail's schema read, its TEMP
# triggers, the log capture's setting) end at the first busy result, each
# having waited a whole busy timeout before (4 waits: 4 s at 1 s, 10 s and
# more in the command with its 5 s).
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
# the load alone (SELECT 1 reads no table): at most about one busy
# timeout, with room for a loaded machine (2x + 1 s)
start=$(date +%s%N)
set +e
timeout 50 sqlite3 -batch -cmd ".timeout 1000" -cmd ".load $module" "$db" "SELECT 1;" >"$work/out" 2>&1
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" != 124 ] || fail "loading the module waited for the lock for 50 s and more"
[ "$rc" = 0 ] && [ "$(cat "$work/out")" = 1 ] || fail "loading the module behind a lock failed: $(cat "$work/out")"
[ "$ms" -le 3000 ] || fail "loading the module took $ms ms behind a lock, with a 1 s busy timeout (at most 3000)"
# a statement on the file after the load meets the lock itself
start2=$(date +%s%N)
set +e
timeout 50 sqlite3 -batch -cmd ".timeout 1000" -cmd ".load $module" "$db" "SELECT count(*) FROM t;" >"$work/out" 2>&1
set -e
ms2=$((($(date +%s%N) - start2) / 1000000))
grep -q 'database is locked' "$work/out" || fail "the statement did not meet the lock: $(cat "$work/out")"
[ "$ms2" -le 5000 ] || fail "load and statement took $ms2 ms behind a lock, with a 1 s busy timeout (at most 5000)"
echo "ok: load $ms ms, load and statement $ms2 ms behind a lock (1 s busy timeout)"
