#!/usr/bin/env bash
# `dbcare log` without DIR captures into the database's backup.log.dir, the
# directory its application connections capture into (docs/backups.md):
# the commits made while it runs are in that log and restore from it. With
# neither DIR nor the setting, a dbcare: error names the database and the
# setting (exit 2).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
unset DATABASE_URL
db="$work/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (a INT)" > /dev/null

rc=0; out=$("$cli" log --db "sqlite:$db" --module "$module" --run-for 1s 2>&1) || rc=$?
[ $rc = 2 ] || fail "log without DIR or setting: exit $rc, $out"
echo "$out" | grep -q "^dbcare: log: no DIR given and backup.log.dir is not set in sqlite:$db" ||
  fail "the error names neither the database nor the setting: $out"
echo "$out" | grep -q "^HINT: .*dbcare_set('backup.log.dir'" || fail "no hint: $out"

mkdir applog
# set by a connection without the module's capture afterwards (plain sqlite3)
q "SELECT dbcare_set('backup.log.dir', '$work/applog')" > /dev/null
"$cli" log --db "sqlite:$db" --module "$module" --run-for 3s --quiet 2> cap.err &
cap=$!
for _ in $(seq 50); do ls applog/base-*.db > /dev/null 2>&1 && break; sleep 0.1; done
ls applog/base-*.db > /dev/null 2>&1 || { kill $cap; fail "no base in backup.log.dir: $(cat cap.err)"; }
for i in 1 2 3; do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t VALUES ($i)"; sleep 0.2; done
wait $cap || fail "the capture into backup.log.dir failed: $(cat cap.err)"
rm -f "$db" "$db-wal" "$db-shm"
"$cli" restore --to-time latest applog --db "sqlite:$work/back.db" --module "$module" > restore.out 2>&1 ||
  fail "restore from the log in backup.log.dir: $(cat restore.out)"
[ "$(sqlite3 "$work/back.db" "SELECT group_concat(a) FROM t")" = "1,2,3" ] ||
  fail "the restored rows: $(sqlite3 "$work/back.db" "SELECT group_concat(a) FROM t")"
echo "ok: dbcare log without DIR captures into backup.log.dir"
