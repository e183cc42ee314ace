#!/usr/bin/env bash
# dbcare status and validate on SQLite while another connection writes the
# file (a running migration holds its write lock until it commits):
#  - WAL: readers are not blocked; the lookers show what is committed at
#    once, with a warning, instead of waiting 5 s to register the folder
#    and failing "database is locked";
#  - rollback journal: a writer's exclusive lock blocks every reader; they
#    fail at once and say so ("a migration (or another writer) holds the
#    database: try again", exit 1), not a bare "database is locked" after 5 s.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
mkdir "$work/migrations"
printf 'CREATE TABLE t (id INTEGER PRIMARY KEY);\n' >"$work/migrations/V1__t.sql"
holder=
trap '[ -z "$holder" ] || kill "$holder" 2>/dev/null || true; rm -rf "$work"' EXIT

# hold MODE: another connection in a write transaction on $db, as a
# migration is while it runs (WAL: the write lock; delete: exclusive)
hold() {
  rm -f "$work/held"
  "$py" - "$db" "$work/held" "$1" <<'PY' &
import sqlite3, sys, time, pathlib
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN " + ("IMMEDIATE" if sys.argv[3] == "wal" else "EXCLUSIVE"))
c.execute("INSERT INTO t DEFAULT VALUES")
pathlib.Path(sys.argv[2]).touch()
time.sleep(20)
PY
  holder=$!
  for _ in $(seq 1 200); do [ -e "$work/held" ] && break; sleep 0.05; done
  [ -e "$work/held" ] || fail "the holder never took its lock"
}
release() { kill "$holder"; wait "$holder" 2>/dev/null || true; holder=; }

# look WANT ARGS: runs a looking command behind the writer, the time it
# took in ms in $took. The wait this guards against was the CLI's 5 s busy
# timeout (then a bare "database is locked"); a right answer takes a few of
# the looker's 500 ms waits, longer on a loaded machine. So only a wait of
# 5 s fails: load lengthens a right answer, never shortens that wait.
look() {
  local start; start=$(date +%s%3N)
  run "$@"
  took=$(($(date +%s%3N) - start))
  [ "$took" -lt 5000 ] || fail "$mode: $2 waited $took ms for the writer (the busy timeout, 5 s)"
}

for mode in wal delete; do
  db="$work/$mode.db"
  sqlite3 "$db" "PRAGMA journal_mode = $mode;" >/dev/null
  run 0 migrate --db "$db"
  printf 'CREATE TABLE u (id INTEGER PRIMARY KEY);\n' >"$work/migrations/V2__u.sql"
  hold "$mode"
  if [ "$mode" = wal ]; then
    look 0 status --db "$db"
    has "dbcare: a migration (or another writer) holds the database: the files of" err
    grep -q "^1  *t  *versioned  *applied" out || fail "$mode: status showed no committed list: $(cat out)"
    look 0 validate --db "$db"
    has "holds the database" err
  else
    look 1 status --db "$db"
    has "dbcare: a migration (or another writer) holds the database: try again" err
    ! grep -q "what is shown is what is committed" err || fail "$mode: status promised what it could not show: $(cat err)"
    look 1 validate --db "$db"
    has "try again" err
  fi
  echo "$mode: answered in $took ms behind a writer"
  release
  # the writer gone, status compares the files again, silently
  run 0 status --db "$db"
  ! grep -q "holds the database" err || fail "$mode: status after the writer: $(cat err)"
  grep -q "^2  *u  *versioned  *pending" out || fail "$mode: status after the writer: $(cat out)"
  rm "$work/migrations/V2__u.sql"
done
echo "ok: status and validate behind a writer, WAL and rollback journal"
