#!/usr/bin/env bash
# Crash consistency of retention: a sqlite3 process running a loop of
# dbretain_apply (one transaction per call) is killed with SIGKILL at random
# moments, 12 times with the archive in the same file (WAL) and 12 times in
# an ATTACHed archive database (rollback journal, whose commits span both
# files atomically). After every kill: integrity_check is ok, the rows
# archived plus the rows left equal the original count, no row is in both
# tables and none is archived twice.
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
rows=2000

# A loop of 400 applies of 10 rows each, as a caller runs it.
for _ in $(seq 1 400); do echo "SELECT archived FROM dbretain_apply('p', 10);"; done > "$work/loop.sql"

total_kills=0
for layout in same attached; do
  db="$work/$layout.db"
  if [ "$layout" = same ]; then
    attach=""
    target="src_archive"
    journal=wal
  else
    attach="ATTACH '$work/archive.db' AS archive;"
    target="archive.src"
    journal=delete
  fi
  q() { sqlite3 -batch -cmd ".load $mod" -cmd ".timeout 5000" "$db" "$attach $1"; }
  q "PRAGMA journal_mode = $journal;" >/dev/null
  q "CREATE TABLE src (id INTEGER PRIMARY KEY, at TEXT NOT NULL, payload TEXT);
     CREATE INDEX src_at ON src (at);
     WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $rows)
     INSERT INTO src SELECT i, datetime('now', '-40 days', '-' || i || ' minutes'), hex(randomblob(20)) FROM g;
     SELECT dbretain_add('p', 'src', 'at', '30 days', 'archive', '$target');
     SELECT count(*) FROM dbretain_apply('p', 1);" >/dev/null
  check() {
    local r
    r=$(q "SELECT (SELECT count(*) FROM src) + (SELECT count(*) FROM $target),
                  (SELECT count(*) - count(DISTINCT id) FROM $target),
                  (SELECT count(*) FROM src JOIN $target a USING (id));")
    [ "$r" = "$rows|0|0" ] || fail "$layout, kill $1: total|duplicates|in both = $r (want $rows|0|0)"
    [ "$(q "PRAGMA integrity_check;")" = ok ] || fail "$layout, kill $1: integrity_check"
  }
  progressed=0
  for i in $(seq 1 12); do
    # the victim gets at least 150 applies of work (1,500 rows): with fewer
    # (500 rows, 50 applies of a few ms) a fast apply finished the loop
    # inside the random wait before the kill
    if [ "$(q "SELECT count(*) FROM src;")" -lt 1500 ]; then
      q "BEGIN; INSERT INTO src SELECT id, at, payload FROM $target; DELETE FROM $target; COMMIT;"
    fi
    before=$(q "SELECT count(*) FROM src;")
    # The victim marks the moment its first apply has committed; the kill
    # lands at a random point of the applies after it, whatever the load.
    rm -f "$work/started"
    { echo "$attach"; echo "SELECT archived FROM dbretain_apply('p', 10);"
      echo ".shell touch '$work/started'"; cat "$work/loop.sql"; } |
      sqlite3 -batch -cmd ".load $mod" -cmd ".timeout 5000" "$db" > "$work/victim.out" 2>&1 &
    victim=$!
    for _ in $(seq 1 600); do [ -e "$work/started" ] && break; sleep 0.05; done
    [ -e "$work/started" ] || fail "$layout, kill $i: the victim never started: $(tail -3 "$work/victim.out")"
    sleep "$(printf "0.%02d" $((RANDOM % 10)))"
    kill -0 "$victim" 2>/dev/null || fail "$layout, kill $i: the loop ended before the kill: $(tail -3 "$work/victim.out")"
    kill -9 "$victim"
    wait "$victim" 2>/dev/null && fail "$layout: the killed process exited 0"
    victim=
    total_kills=$((total_kills + 1))
    check "$i"
    [ "$(q "SELECT count(*) FROM src;")" -lt "$before" ] && progressed=$((progressed + 1))
  done
  # the kills landed while rows were moving (each after a committed apply)
  [ "$progressed" = 12 ] || fail "$layout: only $progressed of 12 runs moved rows before the kill"
  # and a loop that is not killed finishes the work
  q "SELECT count(*) FROM dbretain_apply('p', 100000);" >/dev/null
  [ "$(q "SELECT count(*) FROM src;")" = 0 ] || fail "$layout: a final apply left rows"
  check final
done
[ "$total_kills" = 24 ] || fail "only $total_kills kills"
echo "ok: $total_kills kills"
