#!/usr/bin/env bash
# `dbcare log` whose writes fail (a file size limit: EFBIG, as a full disk
# gives ENOSPC) says the error once, says what it does about it, retries
# at growing intervals and stops cleanly with exit 1 after its time
# (DBCARE_TEST_FAIL_FOR_MS; 5 minutes by default); meanwhile `log status`
# and its --json say the capture failed (docs/backups.md, "What the log
# holds"). On main the error was printed at every poll (~20 a second) and
# status said only "a capture is running".
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
cd "$work"
mkdir lg
sqlite3 app.db "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
# files of at most 1 MB; SIGXFSZ ignored: a write past it fails with EFBIG
( trap '' XFSZ; ulimit -f 1024
  DBCARE_TEST_FAIL_FOR_MS=4000 exec "$cli" log lg --sleep-ms 20 --db sqlite:app.db --module "$module" ) 2>capture.err &
pid=$!
pitr_wait_started capture.err 1
for i in $(seq 1 60); do
  sqlite3 -cmd '.timeout 30000' app.db "INSERT INTO t (v) SELECT printf('%.2000c', 'x') FROM generate_series(1, 20)"
  grep -q "failed (above)" capture.err && break
done
for _ in $(seq 1 200); do grep -q "failed (above)" capture.err && break; sleep 0.02; done
grep -q "failed (above)" capture.err || fail "the capture did not fail under a 1 MB limit: $(cat capture.err)"
"$cli" log status lg >status.out 2>&1 || true
"$cli" log status lg --json >status.json 2>/dev/null || true
wait "$pid" && fail "dbcare log exited 0 after its writes failed: $(cat capture.err)"
grep -q "^CAPTURE FAILED at .* UTC, no commit recorded since: .*File too large" status.out ||
  fail "status while the capture failed: $(cat status.out)"
"$py" -c 'import json, sys; d = json.load(open("status.json")); assert "File too large" in d["capture_failed"]["error"], d' ||
  fail "status --json while the capture failed: $(cat status.json)"
[ "$(grep -c "File too large" capture.err)" = 1 ] || fail "the error said more than once: $(cat capture.err)"
grep -q "stops: it failed for [0-9]* s" capture.err || fail "no clean stop: $(cat capture.err)"
[ "$(grep -c '^dbcare:' capture.err)" -le 5 ] || fail "too many errors: $(cat capture.err)"
echo ok
