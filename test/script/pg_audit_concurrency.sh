#!/usr/bin/env bash
# An audit entry is committed if and only if its change is (issue 23):
# 16 writers at once on one audited table, each transaction committing,
# rolling back, or rolling back to a savepoint, while at least 20 random
# writer backends are terminated mid-work. Afterwards every row has exactly
# one insert entry and one update entry per increment of its counter v, and
# no entry names a row that does not exist: 0 lost, 0 extra.
set -eu
db=dbcare_audit_concurrency
. "$(dirname "$0")/lib/pg.sh"
fresh_db
q -c "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int NOT NULL)" \
  -c "SELECT dbaudit_enable('t')" > /dev/null

# One writer's script: transactions of three kinds, chosen at random.
script() {
  awk -v seed="$1" 'BEGIN {
    srand(seed);
    for (i = 0; i < 60; i++) {
      k = int(rand() * 4);
      print "BEGIN;";
      print "INSERT INTO t (v) VALUES (0);";
      print "UPDATE t SET v = v + 1 WHERE id = lastval();";
      if (k == 0) { print "ROLLBACK;"; continue }
      if (k == 1) {
        print "SAVEPOINT s;";
        print "UPDATE t SET v = v + 1 WHERE id = lastval();";
        print "ROLLBACK TO SAVEPOINT s;";
      }
      print "UPDATE t SET v = v + 1 WHERE id = (SELECT max(id) FROM t) - " int(rand() * 8) ";";
      print "COMMIT;";
    }
  }'
}
writer() { # n: runs scripts until told to stop; a terminated session starts anew
  local n=$1 round=0
  while [ ! -e "$work/stop" ]; do
    round=$((round + 1))
    script "$((n * 1000 + round))" |
      PGAPPNAME=audit_writer "$B/psql" -X -q -d "$db" -v ON_ERROR_STOP=0 > /dev/null 2>&1 || true
  done
}
for n in $(seq 1 16); do writer "$n" & pids+=($!); done

kills=0
for _ in $(seq 1 200); do
  sleep 0.15
  k=$(q -c "SELECT count(pg_terminate_backend(pid)) FROM (SELECT pid FROM pg_stat_activity
             WHERE application_name = 'audit_writer' AND state <> 'idle' ORDER BY random() LIMIT 1) s")
  kills=$((kills + k))
  [ "$kills" -lt 24 ] || break
done
touch "$work/stop"
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
[ "$kills" -ge 20 ] || fail "only $kills backends terminated"

got=$(q -c "
  WITH e AS (SELECT (key->>'id')::bigint AS id, operation FROM dbcare.audit_log WHERE table_name = 'public.t'),
       ins AS (SELECT id, count(*) AS n FROM e WHERE operation = 'insert' GROUP BY id),
       upd AS (SELECT id, count(*) AS n FROM e WHERE operation = 'update' GROUP BY id)
  SELECT (SELECT count(*) FROM t LEFT JOIN ins USING (id) WHERE ins.n IS DISTINCT FROM 1) || ' ' ||
         (SELECT count(*) FROM ins WHERE id NOT IN (SELECT id FROM t)) || ' ' ||
         (SELECT count(*) FROM t LEFT JOIN upd USING (id) WHERE coalesce(upd.n, 0) <> t.v) || ' ' ||
         (SELECT count(*) FROM upd WHERE id NOT IN (SELECT id FROM t)) || ' ' ||
         (SELECT count(*) FROM t) || ' ' || (SELECT count(*) FROM e)")
read -r lost_ins extra_ins bad_upd extra_upd rows entries <<<"$got"
echo "kills: $kills, rows: $rows, entries: $entries"
[ "$rows" -ge 200 ] || fail "too little work done: $rows rows"
[ "$lost_ins" = 0 ] && [ "$extra_ins" = 0 ] && [ "$bad_upd" = 0 ] && [ "$extra_upd" = 0 ] ||
  fail "lost/extra inserts $lost_ins/$extra_ins, rows with wrong update entries $bad_upd, update entries of no row $extra_upd"
echo ok
