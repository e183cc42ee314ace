#!/usr/bin/env bash
# Connections with and without dbcare writing one audited, hash-chained
# table at once (issue 36, item 15; docs/audit.md, "Connections without
# dbcare"). Part 1: 8 writer processes on a WAL file, 4 with the module (each
# naming its actor) and 4 plain sqlite3 shells, plus a module process reading
# dbaudit_verify (which completes pending entries) in a loop; module writers
# are killed (SIGKILL) now and then and start again. Afterwards every row
# has exactly one insert entry and one update entry per increment of its
# counter, by its writer's actor (none for the shells), no entry names a
# row that does not exist, nothing is left pending and verify is clean.
# Part 2: a module process completing 20,000 or more pending entries is killed
# mid-way, a few times: each time either all pending entries are completed or none,
# the file is intact, and the next completion finishes the chain cleanly.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/mixed.db"
t0=$(date +%s)
q "PRAGMA journal_mode = WAL;
   CREATE TABLE t (id INTEGER PRIMARY KEY, w INTEGER NOT NULL, v INTEGER NOT NULL);
   SELECT dbaudit_enable('t', '{\"hash_chain\": true}');" > /dev/null

script() { # $1 writer, $2 seed
  awk -v n="$1" -v seed="$2" 'BEGIN {
    srand(seed);
    print ".timeout 20000";
    if (n <= 4) print "SELECT dbaudit_actor(\x27w" n "\x27);";
    for (i = 0; i < 40; i++) {
      print "BEGIN IMMEDIATE;";
      print "INSERT INTO t (w, v) VALUES (" n ", 0);";
      print "UPDATE t SET v = v + 1 WHERE id = last_insert_rowid();";
      if (rand() < 0.2) { print "ROLLBACK;"; continue }
      print "UPDATE t SET v = v + 1 WHERE id = (SELECT max(id) FROM t) - " int(rand() * 5) ";";
      print "COMMIT;";
    }
  }'
}
writer() { # n: runs its script until it ends whole twice (10 tries); a killed process starts anew
  local n=$1 round=0 whole=0 load=()
  [ "$n" -le 4 ] && load=(-cmd ".load $module")
  while [ "$whole" -lt 2 ] && [ "$round" -lt 10 ]; do
    round=$((round + 1))
    script "$n" "$((n * 1000 + round))" > "$work/w$n.sql"
    sqlite3 -batch "${load[@]}" "$db" < "$work/w$n.sql" > /dev/null 2> "$work/w$n.out" &
    echo $! > "$work/w$n.pid"
    if wait $! 2>/dev/null && ! grep -q . "$work/w$n.out"; then whole=$((whole + 1)); fi
  done
}
pids=()
for n in $(seq 1 8); do writer "$n" & pids+=($!); done
( while [ ! -e "$work/stop" ]; do
    sqlite3 -batch -cmd ".load $module" -cmd ".timeout 20000" "$db" "SELECT count(*) FROM dbaudit_verify" > /dev/null 2>&1 || true
    sleep 0.2
  done ) & reader=$!
trap 'touch "$work/stop"; for p in "${pids[@]}" $reader; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
kills=0
while [ "$kills" -lt 6 ]; do
  sleep 0.3
  p=$(cat "$work/w$((RANDOM % 4 + 1)).pid" 2>/dev/null || true)
  [ -n "$p" ] && kill -9 "$p" 2>/dev/null && kills=$((kills + 1))
  alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 1 ] || break
done
for p in "${pids[@]}"; do wait "$p" || true; done
touch "$work/stop"; wait "$reader" || true
for n in $(seq 1 8); do ! grep -q . "$work/w$n.out" || fail "writer $n: $(head -3 "$work/w$n.out")"; done

check() { # dbaudit_verify first: it completes the pending entries
  q "SELECT count(*) FROM dbaudit_verify" > /dev/null
  q "PRAGMA integrity_check;
     SELECT count(*) FROM t;
     SELECT count(*) FROM t WHERE w <= 4; SELECT count(*) FROM t WHERE w > 4;
     SELECT count(*) FROM t WHERE 1 <> (SELECT count(*) FROM dbcare_audit_log
       WHERE row_hash = dbaudit_row_hash('t', json_object('id', t.id))
         AND table_name = 't' AND operation = 'insert' AND key = json_object('id', t.id)
         AND actor IS (CASE WHEN t.w <= 4 THEN 'w' || t.w END));
     SELECT count(*) FROM t WHERE v <> (SELECT count(*) FROM dbcare_audit_log
       WHERE row_hash = dbaudit_row_hash('t', json_object('id', t.id))
         AND table_name = 't' AND operation = 'update' AND key = json_object('id', t.id));
     SELECT count(*) FROM dbcare_audit_log a WHERE NOT EXISTS
       (SELECT 1 FROM t WHERE t.id = json_extract(a.key, '$.id'));
     SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0 OR hash IS NULL;
     SELECT (SELECT count(*) FROM dbcare_audit_log) || ' ' || coalesce(broken_id, '-') || ' ' || coalesce(problem, '-')
       FROM dbaudit_verify;" | paste -sd ' '
}
read -r ok rows with without wrong_insert wrong_update orphans unfinished verify <<<"$(check)"
[ "$ok" = ok ] || fail "integrity: $ok"
[ "$with" -gt 0 ] && [ "$without" -gt 0 ] || fail "rows by writers with the module: $with, without: $without"
[ "$wrong_insert" = 0 ] && [ "$wrong_update" = 0 ] && [ "$orphans" = 0 ] ||
  fail "$wrong_insert rows without exactly one insert entry by their actor, $wrong_update with the wrong number of updates, $orphans orphan entries"
[ "$unfinished" = 0 ] || fail "$unfinished entries left pending or unlinked"
entries=$(q "SELECT count(*) FROM dbcare_audit_log")
[ "$verify" = "$entries - -" ] || fail "verify: $verify"
echo "part 1: $rows rows ($with by module writers, $without by plain shells), $entries entries, $kills kills ($(($(date +%s) - t0)) s)"

# part 2: kill a completion of 20,000 pending entries (more after a kill)
t1=$(date +%s)
completed=0 killed=0 left=0
for r in 1 2 3 4 5; do
  before=$left
  base=$(q "SELECT count(*) FROM dbcare_audit_log")
  sqlite3 "$db" "INSERT INTO t (w, v) WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 20000)
                 SELECT 9, 0 FROM g" || fail "round $r: the plain shell's insert"
  sqlite3 -batch -cmd ".load $module" "$db" "SELECT count(*) FROM dbaudit_verify" > /dev/null 2>&1 &
  victim=$!
  sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
  kill -9 "$victim" 2>/dev/null || true
  rc=0; wait "$victim" 2>/dev/null || rc=$?
  [ "$rc" != 137 ] || killed=$((killed + 1))
  v=$(sqlite3 "$db" "PRAGMA integrity_check; SELECT count(*) FROM dbcare_audit_log;
                     SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0;" | paste -sd ' ')
  read -r ok total left <<<"$v"
  [ "$ok" = ok ] || fail "round $r: integrity: $v"
  [ "$total" = $((base + 20000)) ] || fail "round $r: $total entries, want $((base + 20000))"
  # all of them completed, or none: those of this round and of rounds killed before
  case "$left" in 0) completed=$((completed + 1)) ;; $((before + 20000))) ;;
    *) fail "round $r: $left of $((before + 20000)) entries left pending: a completion half done" ;; esac
done
read -r ok rows with without wrong_insert wrong_update orphans unfinished verify <<<"$(check)"
[ "$wrong_insert" = 0 ] && [ "$wrong_update" = 0 ] && [ "$orphans" = 0 ] && [ "$unfinished" = 0 ] ||
  fail "after the kills: $wrong_insert $wrong_update $orphans $unfinished"
entries=$(q "SELECT count(*) FROM dbcare_audit_log")
[ "$verify" = "$entries - -" ] || fail "verify after the kills: $verify"
[ "$killed" -ge 1 ] || fail "only $killed completions were killed at work"
echo "part 2: $killed completions killed at work, $completed rounds completed before the kill ($(($(date +%s) - t1)) s)"
echo ok
