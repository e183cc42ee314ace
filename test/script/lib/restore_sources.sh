# restore_sources.sh — what a restore test restores from (sourced after
# lib/sqlite.sh and lib/built_cli.sh, in $work, with DBCARE_MODULE set;
# it sources lib/pitr.sh):
# restore_sources ROWS BYTES VALUES makes $work/app.db (WAL, table t of
# ROWS rows of BYTES random bytes), a point-in-time log in $work/log whose
# base predates the rows VALUES (an INSERT's VALUES list), and a full
# backup $work/full.db taken after them; at is a time after those rows
# (for --to-time), db the database's path.
. "$(dirname "${BASH_SOURCE[0]}")/pitr.sh"

restore_sources() {
  local rows=$1 bytes=$2 values=$3 cap
  db="$work/app.db"
  sqlite3 "$db" "PRAGMA journal_mode = wal;
    CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);
    INSERT INTO t (b) SELECT randomblob($bytes) FROM generate_series(1, $rows);" >/dev/null
  mkdir "$work/log"
  # the capture runs until the log vouches for at, however late a loaded
  # machine starts it or polls it (never for a fixed time)
  "$cli" log "$work/log" --db "sqlite:$db" 2>"$work/cap.err" &
  cap=$!
  pitr_wait_started "$work/cap.err" 1
  sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t (b) VALUES $values"
  sleep 0.5
  at=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  local vouched=${at/T/ }
  pitr_wait_vouched "$work/log" "${vouched%Z}"
  kill -TERM $cap
  wait $cap || fail "the capture failed: $(cat "$work/cap.err")"
  "$cli" backup "$work/full.db" --db "sqlite:$db" >/dev/null || fail "the backup failed"
}
