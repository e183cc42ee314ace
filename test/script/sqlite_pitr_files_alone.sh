#!/usr/bin/env bash
# The day the database is gone (docs/backups.md, "Back to any moment"):
# `dbcare log status DIR`, `log prune DIR` and `backup drill --log DIR`
# read the log's files alone, without --db (and without DATABASE_URL);
# the drill says it was not recorded. The capture itself needs a
# database: without one, a clear `dbcare:` error (exit 2). With --db the
# log's drill is recorded in the database's drills (dbbackup_drill, method
# "log"), which health's check backup_drills then sees.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
unset DATABASE_URL
db="$work/app.db"
mkdir log
sqlite3 -cmd '.timeout 30000' "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (a INT)" > /dev/null
"$cli" log log --db "sqlite:$db" --module "$module" --run-for 3s --quiet 2> cap.err &
cap=$!
for _ in $(seq 50); do ls log/base-*.db > /dev/null 2>&1 && break; sleep 0.1; done
for i in 1 2 3; do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t VALUES ($i)"; sleep 0.2; done
wait $cap || fail "the capture failed: $(cat cap.err)"
rm -f "$db" "$db-wal" "$db-shm"

out=$("$cli" log status log 2>&1) || fail "log status without --db: $out"
# the three commits, each in the stretch from the poll that found the WAL
# unchanged after it (the time between a commit and that poll: none)
n=$(echo "$out" | sed -n 's/.*restorable from .* (epoch 1, \([0-9]*\) commits)$/\1/p' | awk '{s += $1} END {print s + 0}')
[ "${n:-0}" -ge 3 ] || fail "log status: ${n:-no} commits in its stretches: $out"
out=$("$cli" log prune log --keep 1 2>&1) || fail "log prune without --db: $out"
echo "$out" | grep -q "would be deleted" || fail "log prune: $out"
out=$("$cli" backup drill --log log 2>&1) || fail "backup drill --log without --db: $out"
echo "$out" | grep -q "integrity_check ok" || fail "the drill: $out"
echo "$out" | grep -q "^not recorded: no database (--db) named" || fail "the drill does not say it was not recorded: $out"
out=$("$cli" backup drill --log log --json) || fail "backup drill --log --json: $out"
echo "$out" | grep -q '"ok":true,"recorded":null}$' || fail "the drill's JSON: $out"
ls ./*.pitr-* log.pitr-* > /dev/null 2>&1 && fail "the drill left its scratch image: $(ls)"
echo "ok: log status, log prune and backup drill --log from the files alone"

rc=0; out=$("$cli" log log 2>&1) || rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "^dbcare: no database: pass --db" || fail "the capture without a database: exit $rc, $out"
rc=0; out=$("$cli" backup 2>&1) || rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "^dbcare: no database" || fail "backup without a database: exit $rc, $out"
echo "ok: the capture and a backup without a database: $out"

# a database again (restored from the log): the drill is recorded there
T=$(date -u +'%Y-%m-%d %H:%M:%S')
"$cli" restore --to-time "$(sed -n 's/^last restorable moment: \(.*\) UTC.*/\1/p' <<< "$("$cli" log status log)")" \
  log --db "sqlite:$work/new.db" --module "$module" > /dev/null 2>&1 || fail "restore from the log"
db="$work/new.db"
check() { q "SELECT status || '|' || message FROM dbhealth_checks() WHERE name = 'backup_drills'"; }
out=$(check)
case "$out" in skipped\|*) ;; *) fail "drills before any: $out" ;; esac
out=$("$cli" backup drill --log log --db "sqlite:$db" --module "$module" 2>&1) || fail "the drill with --db: $out"
echo "$out" | grep -q "^recorded: drill [0-9]* in the database's drills" || fail "the drill with --db: $out"
out=$(check)
case "$out" in "ok|newest good restore drill"*) ;; *) fail "health after the log's drill: $out" ;; esac
[ "$(q "SELECT json_extract(dbbackup_drill('$work/log', '{\"method\":\"full\",\"duration_ms\":1,\"tables\":0,\"rows\":0,\"mismatches\":0,\"ok\":true}'), '\$.id')" 2>&1 | grep -c "a result is taken only from a point-in-time log's drill")" = 1 ] ||
  fail "SQLite's dbbackup_drill took a result not a log drill's"
echo "ok: with --db the log's drill is recorded; health: $out"
