#!/usr/bin/env bash
# dbcare backup on PostgreSQL under 8 concurrent writers (docs/backups.md):
# each writer commits step after step (insert a row, update the one before,
# delete an even one two steps back, count the step in progress), all of it
# in one transaction, until told to stop. Its rows after m steps are known
# exactly. The backup's dump and content record are of one snapshot taken
# while they write: a restore of the dump holds, for every writer, exactly
# the rows of the steps its restored progress counts; the recorded row
# counts are the restored ones; dbcare verify of the backup passes; and once
# stopped, every writer's rows in the live database are exactly those of
# its final step count.
set -eu
db=dbcare_backup_writers
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
copy=dbcare_backup_writers_copy
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $copy" >/dev/null 2>&1 || true; cleanup' EXIT
t_start=$(date +%s%N)

fresh_db
q -c "CREATE TABLE rows_of (writer int, k int, v int, PRIMARY KEY (writer, k));
      CREATE TABLE progress (writer int PRIMARY KEY, steps int NOT NULL);
      CREATE TABLE ctl (stop boolean NOT NULL);
      INSERT INTO ctl VALUES (false);
      INSERT INTO progress SELECT w, 0 FROM generate_series(1, 8) w;
      CREATE TABLE still (id int PRIMARY KEY, note text);
      INSERT INTO still SELECT g, md5(g::text) FROM generate_series(1, 100000) g;
      CREATE PROCEDURE write_steps(w int) LANGUAGE plpgsql AS \$\$
      DECLARE n int := 0;
      BEGIN
        LOOP
          EXIT WHEN (SELECT stop FROM ctl);
          n := n + 1;
          INSERT INTO rows_of VALUES (w, n, n);
          UPDATE rows_of SET v = v + 1000 WHERE writer = w AND k = n - 1;
          DELETE FROM rows_of WHERE writer = w AND k = n - 2 AND k % 2 = 0;
          UPDATE progress SET steps = n WHERE writer = w;
          COMMIT;
        END LOOP;
      END \$\$;
      -- the rows a writer has after m steps
      CREATE FUNCTION expected(w int, m int) RETURNS TABLE (writer int, k int, v int)
        LANGUAGE sql AS \$\$
        SELECT w, k, CASE WHEN k = m THEN k ELSE k + 1000 END FROM generate_series(1, m) k
         WHERE NOT (k % 2 = 0 AND k <= m - 2) \$\$;
      -- writers whose rows are not exactly those of their step count
      CREATE VIEW wrong AS
        SELECT p.writer FROM progress p
         WHERE EXISTS (SELECT * FROM expected(p.writer, p.steps)
                       EXCEPT SELECT * FROM rows_of r WHERE r.writer = p.writer)
            OR EXISTS (SELECT * FROM rows_of r WHERE r.writer = p.writer
                       EXCEPT SELECT * FROM expected(p.writer, p.steps))"

for w in $(seq 1 8); do
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CALL write_steps($w)" >"$work/writer$w.log" 2>&1 &
  pids+=($!)
done
# every writer has committed steps before the backup starts
for _ in $(seq 1 600); do
  [ "$(q -c "SELECT count(*) FROM progress WHERE steps >= 20")" = 8 ] && break
  sleep 0.05
done
[ "$(q -c "SELECT count(*) FROM progress WHERE steps >= 20")" = 8 ] || fail "the writers did not start"
t0=$(date +%s%N)
run 0 backup busy.dump --db "$url" --json
echo "backup under 8 writers: $((($(date +%s%N) - t0) / 1000000)) ms"
q -c "UPDATE ctl SET stop = true"
for p in "${pids[@]}"; do wait "$p" || { cat "$work"/writer*.log; fail "a writer failed"; }; done
pids=()

# the live database, after the writers: exactly each writer's final state
[ -z "$(q -c "SELECT string_agg(writer::text, ',') FROM wrong")" ] ||
  fail "writers whose final rows are wrong: $(q -c "SELECT string_agg(writer::text, ',') FROM wrong")"

# a restore of the dump: the snapshot's state, consistent writer by writer
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $copy" -c "CREATE DATABASE $copy"
"$B/pg_restore" --no-owner --exit-on-error -d "$copy" busy.dump || fail "the dump does not restore"
c() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$copy" -c "$1"; }
[ -z "$(c "SELECT string_agg(writer::text, ',') FROM wrong")" ] ||
  fail "the dump is not of one snapshot: writers $(c "SELECT string_agg(writer::text, ',') FROM wrong")"
live=$(q -c "SELECT string_agg(writer || ':' || steps, ' ' ORDER BY writer) FROM progress")
snap=$(c "SELECT string_agg(writer || ':' || steps, ' ' ORDER BY writer) FROM progress")
"$py" - "$live" "$snap" <<'PY' || fail "the writers did not write while the backup ran (snapshot $snap, final $live)"
import sys
live = dict(p.split(':') for p in sys.argv[1].split())
snap = dict(p.split(':') for p in sys.argv[2].split())
# every writer had written before the snapshot and wrote on after it
sys.exit(0 if all(20 <= int(snap[w]) < int(live[w]) for w in live) else 1)
PY
# the recorded content: the restored copy's row counts, table by table
for t in rows_of progress still ctl; do
  rec=$(q -c "SELECT r ->> 1 FROM dbcare.backups, jsonb_array_elements(content -> 'tables') r
               WHERE path = '$work/busy.dump' AND r ->> 0 = 'public.$t'")
  [ "$rec" = "$(c "SELECT count(*) FROM $t")" ] ||
    fail "the recorded row count of $t ($rec) is not the restored one ($(c "SELECT count(*) FROM $t"))"
done

# dbcare verify of the backup taken under the writers passes
t0=$(date +%s%N)
run 0 verify busy.dump --db "$url" --json
echo "verify: $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(json "d['verify']['verified']")" = True ] || fail "the backup taken under writers did not verify: $(cat out err)"
[ "$(json "d['verify']['tables']")" = 4 ] || fail "verify did not compare four tables: $(cat out)"
echo "ok: snapshot $snap, final $live ($((($(date +%s%N) - t_start) / 1000000)) ms)"
