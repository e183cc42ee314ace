#!/usr/bin/env bash
# Retention next to an application on SQLite: two processes running
# dbretain_apply loops on one policy at once, each call in BEGIN IMMEDIATE
# (docs/retention.md: a SELECT of a table function reads before it writes),
# and a writer inserting and updating rows meanwhile (all with a busy
# timeout). Every due row is archived exactly once, the writer loses
# nothing and sees no error.
set -eu
mod="${DBCARE_SQLITE_MODULE:?}"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
db="$work/c.db"
rows=3000
q() { sqlite3 -batch -cmd ".load $mod" -cmd ".timeout 10000" "$db" "$@"; }
q "PRAGMA journal_mode = wal;" >/dev/null
q "CREATE TABLE src (id INTEGER PRIMARY KEY, at TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX src_at ON src (at);
   WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $rows)
   INSERT INTO src (id, at) SELECT i, datetime('now', '-40 days', '-' || i || ' minutes') FROM g;
   WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 50)
   INSERT INTO src (id, at) SELECT 100000 + i, datetime('now') FROM g;
   SELECT dbretain_add('p', 'src', 'at', '30 days', 'archive', 'src_archive');
   SELECT dbcare_set('retain.batch_size', '25');" >/dev/null
for _ in $(seq 1 80); do echo "BEGIN IMMEDIATE; SELECT count(*) FROM dbretain_apply('p'); COMMIT;"; done > "$work/loop.sql"
for k in $(seq 1 150); do
  echo "INSERT INTO src (id, at) VALUES ($((200000 + k)), datetime('now'));"
  echo "UPDATE src SET n = n + 1 WHERE id = $((100001 + k % 50));"
done > "$work/writer.sql"
q < "$work/loop.sql" > "$work/run1.out" 2>&1 & pids+=($!)
q < "$work/loop.sql" > "$work/run2.out" 2>&1 & pids+=($!)
q < "$work/writer.sql" > "$work/writer.out" 2>&1 & pids+=($!)
for p in "${pids[@]}"; do wait "$p" || fail "a process failed: $(cat "$work"/*.out | grep -v '^[0-9]' | head -5)"; done
pids=()
! grep -qiv '^[0-9]*$' "$work/run1.out" "$work/run2.out" || fail "a run printed an error: $(cat "$work/run1.out" "$work/run2.out" | grep -v '^[0-9]*$' | head -3)"
[ ! -s "$work/writer.out" ] || fail "the writer saw: $(head -3 "$work/writer.out")"
r=$(q "SELECT (SELECT count(*) FROM src WHERE id <= $rows) + (SELECT count(*) FROM src_archive),
              (SELECT count(*) - count(DISTINCT id) FROM src_archive),
              (SELECT count(*) FROM src WHERE id > 200000),
              (SELECT sum(n) FROM src WHERE id BETWEEN 100001 AND 100050),
              (SELECT count(*) FROM src WHERE id <= $rows);")
[ "$r" = "$rows|0|150|150|0" ] || fail "total|duplicates|inserted|updates|left = $r (want $rows|0|150|150|0)"
[ "$(q "SELECT archived_rows FROM dbretain_policies WHERE name = 'p';")" = "$rows" ] ||
  fail "recorded archived rows: $(q "SELECT archived_rows FROM dbretain_policies;")"
echo ok
