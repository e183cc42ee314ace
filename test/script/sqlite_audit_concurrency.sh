#!/usr/bin/env bash
# An audit entry is committed if and only if its change is (issue 23), on
# SQLite: 16 writer processes on one audited table of a WAL file, each
# transaction committing, rolling back, or rolling back to a savepoint, while
# at least 20 random writers are killed (SIGKILL) mid-work. Afterwards every
# row has exactly one insert entry and one update entry per increment of its
# counter v, no entry names a row that does not exist, and the entries of one
# transaction share one txid: 0 lost, 0 extra.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/audit.db"
q "PRAGMA journal_mode = WAL;
   CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
   SELECT dbaudit_enable('t');" > /dev/null

script() {
  awk -v seed="$1" 'BEGIN {
    srand(seed);
    print ".timeout 10000";
    # a BEGIN that times out under load must not let the rest of its
    # transaction run as separate autocommit statements: stop, start anew
    print ".bail on";
    for (i = 0; i < 60; i++) {
      k = int(rand() * 4);
      print "BEGIN IMMEDIATE;";
      print "INSERT INTO t (v) VALUES (0);";
      print "UPDATE t SET v = v + 1 WHERE id = last_insert_rowid();";
      if (k == 0) { print "ROLLBACK;"; continue }
      if (k == 1) {
        print "SAVEPOINT s;";
        print "UPDATE t SET v = v + 1 WHERE id = last_insert_rowid();";
        print "ROLLBACK TO s;";
        print "RELEASE s;";
      }
      print "UPDATE t SET v = v + 1 WHERE id = (SELECT max(id) FROM t) - " int(rand() * 8) ";";
      print "COMMIT;";
    }
  }'
}
writer() { # n: runs scripts until told to stop; a killed process starts anew
  local n=$1 round=0
  while [ ! -e "$work/stop" ]; do
    round=$((round + 1))
    script "$((n * 1000 + round))" > "$work/w$n.sql"
    sqlite3 -batch -cmd ".load $module" "$db" < "$work/w$n.sql" > /dev/null 2>&1 &
    echo $! > "$work/w$n.pid"
    wait $! 2>/dev/null || true
  done
}
pids=()
for n in $(seq 1 16); do writer "$n" & pids+=($!); done
trap 'touch "$work/stop"; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

kills=0
for _ in $(seq 1 200); do
  sleep 0.1
  p=$(cat "$work/w$((RANDOM % 16 + 1)).pid" 2>/dev/null || true)
  [ -n "$p" ] && kill -9 "$p" 2>/dev/null && kills=$((kills + 1))
  [ "$kills" -lt 24 ] || break
done
touch "$work/stop"
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
[ "$kills" -ge 20 ] || fail "only $kills writers killed"

got=$(q "
  WITH e AS (SELECT json_extract(key, '\$.id') AS id, operation FROM dbcare_audit_log WHERE table_name = 't'),
       ins AS (SELECT id, count(*) AS n FROM e WHERE operation = 'insert' GROUP BY id),
       upd AS (SELECT id, count(*) AS n FROM e WHERE operation = 'update' GROUP BY id)
  SELECT (SELECT count(*) FROM t LEFT JOIN ins USING (id) WHERE ins.n IS NOT 1) || ' ' ||
         (SELECT count(*) FROM ins WHERE id NOT IN (SELECT id FROM t)) || ' ' ||
         (SELECT count(*) FROM t LEFT JOIN upd USING (id) WHERE coalesce(upd.n, 0) <> t.v) || ' ' ||
         (SELECT count(*) FROM upd WHERE id NOT IN (SELECT id FROM t)) || ' ' ||
         (SELECT count(*) FROM t) || ' ' || (SELECT count(*) FROM e)")
read -r lost_ins extra_ins bad_upd extra_upd rows entries <<<"$got"
echo "kills: $kills, rows: $rows, entries: $entries"
[ "$rows" -ge 200 ] || fail "too little work done: $rows rows"
[ "$lost_ins" = 0 ] && [ "$extra_ins" = 0 ] && [ "$bad_upd" = 0 ] && [ "$extra_upd" = 0 ] ||
  fail "lost/extra inserts $lost_ins/$extra_ins, rows with wrong update entries $bad_upd, update entries of no row $extra_upd"
# the insert and the first update of a committed row were one transaction
split=$(q "SELECT count(*) FROM dbcare_audit_log i JOIN dbcare_audit_log u
             ON u.key = i.key AND u.operation = 'update' AND u.id = i.id + 1
           WHERE i.table_name = 't' AND i.operation = 'insert' AND u.txid <> i.txid")
[ "$split" = 0 ] || fail "$split transactions' entries carry two txids"
echo ok
