#!/usr/bin/env bash
# Retention of a table whose rows reference each other in cycles
# (docs/retention.md, "Cycles"), in the user's world: 8 writers adding new
# rows that reference old ones while dbretain_apply loops, then that loop
# killed with SIGKILL 20 times. The table: 3-row cycles of old rows, old
# replies hanging off them, new rows. Throughout:
#  - the plan and the retention health check name the missing index on the
#    self-referencing column, with the CREATE INDEX to run (without it
#    every sweep is quadratic);
#  - one call with max_rows 7 deletes at most 7 rows, cycles whole;
#  - PRAGMA foreign_key_check is empty, integrity_check ok;
#  - no row that must stay is gone: every new row (the writers' too) is
#    there, and every row a staying row references (the key);
#  - once the writers stop, calls until idle leave only what the engine
#    must keep.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db=$work/cycles.db
pids=()
stop_all() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap stop_all EXIT
qt() { sqlite3 -batch -cmd ".load $module" -cmd ".timeout 10000" "$db" "$@"; }

qt <<'SQL' >/dev/null
PRAGMA journal_mode = wal;
CREATE TABLE c (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES c, posted_at TEXT NOT NULL,
                fresh INTEGER NOT NULL DEFAULT 0);
CREATE INDEX c_posted ON c (posted_at);
-- 1..300: 100 cycles of 3; 301..450: old replies to cycle rows; 451..480: new
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 480)
INSERT INTO c SELECT i,
  CASE WHEN i <= 300 THEN CASE (i - 1) % 3 WHEN 2 THEN i - 2 ELSE i + 1 END
       ELSE 1 + (i * 37) % 300 END,
  CASE WHEN i <= 450 THEN datetime('now', '-3 years', '-' || ((i * 13) % 900) || ' minutes')
       ELSE datetime('now') END,
  i > 450
FROM g;
SELECT dbretain_add('p', 'c', 'posted_at', '2 years', 'delete');
SQL
fix=$(qt "SELECT j.value ->> 'fix' FROM dbretain_plan('p'), json_each(blockers) AS j
          WHERE j.value ->> 'kind' = 'missing index' AND j.value ->> 'fix' LIKE '%parent%';")
[ "$fix" = 'CREATE INDEX "c_parent_fk" ON "c" ("parent");' ] ||
  fail "the plan does not name the index on the self-referencing column: '$fix'"
health=$(qt "SELECT message FROM dbhealth_checks() WHERE name = 'retention';")
case "$health" in *"$fix"*) ;; *) fail "the retention check does not name the index: $health" ;; esac
qt "$fix"
[ -z "$(qt "SELECT 1 FROM dbretain_plan('p'), json_each(blockers) AS j
            WHERE j.value ->> 'fix' LIKE '%parent%';")" ] || fail "the hint stays with the index made"

check() { # when
  local got
  got=$(qt "PRAGMA integrity_check;
            SELECT count(*) FROM pragma_foreign_key_check;
            SELECT count(*) FROM fresh_ids AS f WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.id = f.id);")
  [ "$got" = "ok
0
0" ] || fail "$1: integrity_check, rows pointing at nothing, new rows gone: $got"
}
qt "CREATE TABLE fresh_ids (id INTEGER PRIMARY KEY); INSERT INTO fresh_ids SELECT id FROM c WHERE fresh;"

# ---- 8 writers: each adds new rows referencing a random old row (if it
# is still there), recording each in fresh_ids in the same transaction
for w in $(seq 1 8); do
  for _ in $(seq 1 25); do
    echo "BEGIN IMMEDIATE;
INSERT INTO c (parent, posted_at, fresh) SELECT id, datetime('now'), 1 FROM c
  WHERE id = (SELECT id FROM c WHERE NOT fresh ORDER BY random() LIMIT 1);
INSERT INTO fresh_ids SELECT last_insert_rowid() WHERE changes() > 0;
COMMIT;"
  done | sqlite3 -batch -cmd "PRAGMA foreign_keys = ON" -cmd ".timeout 20000" "$db" > "$work/writer$w.out" 2>&1 &
  pids+=($!)
done
# the retention loop, max_rows 7: no call deletes more. A call may find
# every cycle among its 7 oldest removable rows cut (the cycles' rows are
# of different ages): it fails saying how many rows a batch needs, the one
# error allowed (the shell's status says an error happened)
# (a line each: the shell skips the rest of a line after an error)
for _ in $(seq 1 60); do printf "BEGIN IMMEDIATE;\nSELECT deleted FROM dbretain_apply('p', 7);\nCOMMIT;\n"; done |
  qt > "$work/applies.out" 2>&1 || true
for p in "${pids[@]}"; do wait "$p" || fail "a writer failed: $(cat "$work"/writer*.out | head -3)"; done
pids=()
stuck='cannot remove its oldest due rows of "c" in batches of 7: .* which needs at least [0-9]* of them|^HINT: Call dbretain_apply'
! grep -v '^[0-9]*$' "$work/applies.out" | grep -Ev "$stuck" | grep -q . ||
  fail "an apply failed: $(grep -v '^[0-9]*$' "$work/applies.out" | grep -Ev "$stuck" | head -3)"
sed -i -E "/$stuck/d" "$work/applies.out"
big=$(awk '$1 > 7' "$work/applies.out" | head -1)
[ -z "$big" ] || fail "one call with max_rows 7 deleted $big rows"
moved=$(awk '{ s += $1 } END { print s + 0 }' "$work/applies.out")
[ "$moved" -gt 0 ] || fail "the loop deleted nothing"
check "with 8 writers"
written=$(qt "SELECT count(*) FROM fresh_ids;")
echo "8 writers ($SECONDS s): $((written - 30)) rows written, $moved deleted by 60 calls of at most 7"

# ---- SIGKILL of the retention loop, 20 times
kills=0
for i in $(seq 1 20); do
  rm -f "$work/started"
  # the work comes back first: a new cycle of due rows, every other time
  # kept by a new row referencing it
  keep="SELECT 1 WHERE 0"
  [ $((i % 2)) = 1 ] || keep="INSERT INTO c (parent, posted_at, fresh) SELECT max(id), datetime('now'), 1 FROM c"
  { echo "WITH m(m) AS (SELECT max(id) FROM c)
      INSERT INTO c (id, parent, posted_at) SELECT m + k, m + k % 3 + 1, datetime('now', '-3 years')
        FROM m, (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3);
      $keep; INSERT INTO fresh_ids SELECT last_insert_rowid() WHERE changes() > 0 AND $((i % 2)) = 0;"
    printf "BEGIN IMMEDIATE;\nSELECT deleted FROM dbretain_apply('p', 3);\nCOMMIT;\n"; echo ".shell touch '$work/started'"
    for _ in $(seq 1 200); do printf "BEGIN IMMEDIATE;\nSELECT deleted FROM dbretain_apply('p', 3);\nCOMMIT;\n"; done; } |
    sqlite3 -batch -cmd ".load $module" -cmd ".timeout 10000" "$db" > "$work/victim.out" 2>&1 &
  victim=$!
  pids=("$victim")
  for _ in $(seq 1 200); do [ -e "$work/started" ] && break; sleep 0.02; done
  sleep "0.0$((RANDOM % 5))"
  kill -9 "$victim" 2>/dev/null || true
  wait "$victim" 2>/dev/null || true
  pids=()
  kills=$((kills + 1))
  check "kill $i"
done
[ "$kills" = 20 ] || fail "only $kills kills"

# ---- idle: what is left is exactly what a staying row keeps
for _ in $(seq 1 50); do
  [ "$(qt "SELECT deleted FROM dbretain_apply('p', 1000);")" = 0 ] && break
done
check "after the kills"
oracle="$(dirname "$0")/lib/retain_fk_oracle.py"
qt "SELECT id || '|' || coalesce(parent, '') || '|' ||
           (julianday(posted_at) < julianday('now', '-2 years')) FROM c;" |
  "$py" "$oracle" at-end > "$work/expected"
qt "SELECT id FROM c ORDER BY id;" | cmp -s - "$work/expected" ||
  fail "the rows left are not those the engine must keep: $(qt "SELECT id FROM c ORDER BY id;" | diff - "$work/expected" | head -5)"
echo "ok ($SECONDS s): $kills kills, foreign keys intact, no new row lost"
