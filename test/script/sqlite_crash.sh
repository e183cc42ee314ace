#!/usr/bin/env bash
# Crash consistency: a sqlite3 process applying a long migration (a table,
# then a recursive CTE inserting rows) is killed with SIGKILL once its
# transaction is writing (the -journal exists, or the -wal has grown). After
# reopening: integrity_check is ok, the migration's table is absent, the
# migration is pending, the history is as before, and a fresh apply works.
# Rollback-journal and WAL mode.
set -eu
mod="${DBCARE_SQLITE_MODULE:?}"
work=$(mktemp -d)
victim=
cleanup() {
  [ -z "$victim" ] || kill -9 "$victim" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

for mode in delete wal; do
  db="$work/crash-$mode.db"
  q() { sqlite3 -batch -cmd ".load $mod" "$db" "$@"; }
  q "PRAGMA journal_mode = $mode;" >/dev/null
  q "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a);');
     SELECT dbmigrate_apply();
     SELECT dbmigrate_add('2', 'long', 'CREATE TABLE big (a, b);
INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50000000)
SELECT x, randomblob(50) FROM c;');" >/dev/null
  hist() { q "SELECT group_concat(id || ':' || ifnull(version, '') || ':' || direction || ':' || success, ',') FROM (SELECT * FROM dbmigrate_history ORDER BY id);"; }
  hist_before=$(hist)
  wal_start=$(size "$db-wal")

  sqlite3 -batch -cmd ".load $mod" "$db" "SELECT dbmigrate_apply();" >"$work/victim-$mode.out" 2>&1 &
  victim=$!
  writing=0
  for _ in $(seq 1 400); do
    if [ "$mode" = delete ]; then
      [ "$(size "$db-journal")" -gt 0 ] && writing=1
    else
      [ "$(size "$db-wal")" -gt $((wal_start + 262144)) ] && writing=1
    fi
    [ "$writing" = 1 ] && break
    kill -0 "$victim" 2>/dev/null || break
    sleep 0.01
  done
  [ "$writing" = 1 ] || fail "$mode: the apply never started writing: $(cat "$work/victim-$mode.out")"
  sleep 0.2
  kill -0 "$victim" 2>/dev/null || fail "$mode: the apply ended before the kill: $(cat "$work/victim-$mode.out")"
  kill -9 "$victim"
  wait "$victim" 2>/dev/null && fail "$mode: the killed process exited 0"
  victim=
  [ ! -s "$work/victim-$mode.out" ] || fail "$mode: the apply printed: $(cat "$work/victim-$mode.out")"
  if [ "$mode" = delete ]; then
    [ -s "$db-journal" ] || fail "delete: no hot journal left behind"
  else
    [ -s "$db-wal" ] || fail "wal: no WAL left behind"
  fi

  [ "$(q "PRAGMA integrity_check;")" = ok ] || fail "$mode: integrity_check: $(q 'PRAGMA integrity_check;')"
  [ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'big';")" = 0 ] || fail "$mode: the migration's table survived"
  [ "$(q "SELECT state FROM dbmigrate_status WHERE version = '2';")" = pending ] || fail "$mode: migration 2 is not pending"
  [ "$(hist)" = "$hist_before" ] || fail "$mode: history changed: $(hist) (was $hist_before)"
  [ "$(q "SELECT dbmigrate_current();")" = 1 ] || fail "$mode: current is not 1"
  [ "$(q "SELECT count(*) FROM dbmigrate_validate;")" = 0 ] || fail "$mode: validate: $(q 'SELECT * FROM dbmigrate_validate;')"
  [ "$(q "PRAGMA journal_mode;")" = "$mode" ] || fail "$mode: journal mode changed"

  q "SELECT dbmigrate_add('2', 'short', 'CREATE TABLE big (a, b); INSERT INTO big VALUES (1, 2);');" >/dev/null
  [ "$(q "SELECT dbmigrate_apply();")" = 1 ] || fail "$mode: the fresh apply"
  [ "$(q "SELECT count(*) FROM big;")" = 1 ] || fail "$mode: the fresh apply's table"
  [ "$(q "PRAGMA integrity_check;")" = ok ] || fail "$mode: integrity_check after the fresh apply"
  echo "$mode: killed mid-apply; integrity ok, table absent, migration pending, history unchanged, applies afresh"
done
