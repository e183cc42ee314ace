#!/usr/bin/env bash
# The point-in-time log's plain errors (docs/backups.md, "Back to any
# moment"): `log status` on a directory that is no log fails (exit 1, "not
# a point-in-time log") instead of reporting "nothing restorable yet";
# `--to-time` takes a date alone as its midnight UTC (a day before the log
# is refused as before the log, not as a malformed time); a sealed segment
# read without its key gives one error, not a second "is not a dbcare log
# segment" line.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
cd "$work"

# a directory that is no log
mkdir empty
"$cli" log status empty >empty.out 2>&1 && fail "status of an empty directory passed: $(cat empty.out)"
grep -q "^dbcare: .*not a point-in-time log" empty.out || fail "status of an empty directory: $(cat empty.out)"

# a sealed log
mkdir log
head -c 32 /dev/urandom >key; chmod 600 key
sqlite3 app.db "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
"$cli" log log --sleep-ms 20 --segment-interval 200ms --encrypt-key-file key \
  --db sqlite:app.db --module "$module" 2>capture.err &
pid=$!
pitr_wait_started capture.err 1
for i in 1 2 3; do sqlite3 -cmd '.timeout 30000' app.db "INSERT INTO t (v) VALUES ('r$i')"; sleep 0.3; done
pitr_wait_vouched log "$(pitr_now)" --encrypt-key-file key
kill -TERM "$pid"; wait "$pid" || fail "capture: $(cat capture.err)"
"$cli" log status log >nokey.out 2>&1 && fail "status of a sealed log without its key passed"
[ "$(grep -c '^dbcare:' nokey.out)" = 1 ] || fail "status without the key, not one error: $(cat nokey.out)"
grep -q "is not a dbcare log segment" nokey.out && fail "a sealed segment called no segment: $(cat nokey.out)"

# a date alone: its midnight, UTC
today=$(date -u +%Y-%m-%d) tomorrow=$(date -u -d tomorrow +%Y-%m-%d)
"$cli" restore --to-time "$today" log --db sqlite:day.db --encrypt-key-file key --module "$module" >day.out 2>&1 &&
  fail "a restore to today's midnight, before the log, passed: $(cat day.out)"
grep -q "needs a time" day.out && fail "a date alone refused as no time: $(cat day.out)"
grep -q "begins at" day.out || fail "today's midnight: $(cat day.out)"
"$cli" restore --to-time "$tomorrow" log --db sqlite:tomorrow.db --encrypt-key-file key --module "$module" >tomorrow.out 2>&1 &&
  fail "a restore to tomorrow's midnight passed: $(cat tomorrow.out)"
grep -q "reaches only to" tomorrow.out || fail "tomorrow's midnight: $(cat tomorrow.out)"
echo ok
