#!/usr/bin/env bash
# Retention next to an application: while CALL dbretain_run archives, a
# writer inserting and updating rows loses nothing and sees no error; two
# runs of one policy at once archive every row exactly once; a row another
# transaction holds is skipped, not waited for; retain.max_duration_ms stops
# a run.
set -eu
db=dbcare_retain_concurrency
. "$(dirname "$0")/lib/pg.sh"
fresh_db
rows=3000
q -c "CREATE SCHEMA archive" \
  -c "CREATE TABLE src (id int PRIMARY KEY, at timestamptz NOT NULL, n int NOT NULL DEFAULT 0)" \
  -c "CREATE INDEX ON src (at)" \
  -c "INSERT INTO src SELECT g, now() - interval '40 days' - g * interval '1 minute'
        FROM generate_series(1, $rows) g" \
  -c "INSERT INTO src SELECT g, now() FROM generate_series(100001, 100050) g" \
  -c "SELECT dbretain_add('p', 'src', 'at', '30 days', 'archive', 'archive.src')" \
  -c "SELECT dbcare_set('retain.batch_size', '20')" \
  -c "SELECT dbcare_set('retain.sleep_ms', '2')" >/dev/null

# 1. A writer during two concurrent runs.
for k in $(seq 1 150); do
  echo "INSERT INTO src VALUES ($((200000 + k)), now(), 0);"
  echo "UPDATE src SET n = n + 1 WHERE id = $((100001 + k % 50));"
  # an update of a due row: applied before its archiving, or finds it gone
  echo "UPDATE src SET n = n + 1 WHERE id = $((k * 17 % rows + 1));"
done > "$work/writer.sql"
"$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" -f "$work/writer.sql" > "$work/writer.out" 2>&1 &
writer=$!
"$B/psql" -X -q -At -d "$db" -c "CALL dbretain_run('p')" > "$work/run1.out" 2>&1 &
run1=$!
"$B/psql" -X -q -At -d "$db" -c "CALL dbretain_run('p')" > "$work/run2.out" 2>&1 &
run2=$!
wait "$writer" || fail "the writer failed: $(cat "$work/writer.out")"
wait "$run1" || fail "run 1 failed: $(cat "$work/run1.out")"
wait "$run2" || fail "run 2 failed: $(cat "$work/run2.out")"
! grep -qi error "$work/writer.out" || fail "the writer saw an error: $(cat "$work/writer.out")"
r=$(q -c "SELECT (SELECT count(*) FROM src WHERE id <= $rows) + (SELECT count(*) FROM archive.src),
                 (SELECT count(*) - count(DISTINCT id) FROM archive.src),
                 (SELECT count(*) FROM src WHERE id > 200000),
                 (SELECT sum(n) FROM src WHERE id BETWEEN 100001 AND 100050)")
[ "$r" = "$rows|0|150|150" ] || fail "total|duplicates|inserted|updates = $r (want $rows|0|150|150)"
[ "$(q -c "SELECT count(*) FROM src WHERE id <= $rows")" = 0 ] || fail "the runs left due rows"
[ "$(q -c "SELECT archived_rows FROM dbretain_policies WHERE name = 'p'")" = "$rows" ] ||
  fail "recorded archived rows: $(q -c "SELECT archived_rows FROM dbretain_policies")"

# 2. A row another transaction holds is skipped at once.
q -c "INSERT INTO src SELECT g, now() - interval '40 days' FROM generate_series(1, 10) g" >/dev/null
long_lived_session
s "BEGIN; SELECT id FROM src WHERE id = 3 FOR UPDATE;" >/dev/null
r=$(q -c "SET statement_timeout = '5s'" -c "SELECT archived, remaining FROM dbretain_apply('p')")
[ "$r" = "9|1" ] || fail "with row 3 locked: archived|remaining = $r (want 9|1)"
s "COMMIT;" >/dev/null
[ "$(q -c "SELECT archived FROM dbretain_apply('p')")" = 1 ] || fail "row 3 after the lock"

# 3. The caller's search_path changes nothing: an operator < on
# timestamptz that would call every row due is not the one the run uses.
q -c "CREATE SCHEMA evil" \
  -c "CREATE FUNCTION evil.always(timestamptz, timestamptz) RETURNS boolean LANGUAGE sql
        AS 'SELECT true'" \
  -c "CREATE OPERATOR evil.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.always)" \
  -c "INSERT INTO src VALUES (300001, now(), 0)" >/dev/null
PGOPTIONS="${PGOPTIONS:-} -c search_path=evil,pg_catalog,public" q -c "CALL dbretain_run('p')" >/dev/null 2>&1
[ "$(q -c "SELECT count(*) FROM src WHERE id = 300001")" = 1 ] || fail "a hostile search_path moved a recent row"

# 4. retain.max_duration_ms stops a run that sleeps between batches.
q -c "INSERT INTO src SELECT g, now() - interval '40 days' FROM generate_series(1, 2000) g" \
  -c "SELECT dbcare_set('retain.sleep_ms', '100')" \
  -c "SELECT dbcare_set('retain.max_duration_ms', '250')" >/dev/null
start=$SECONDS
q -c "CALL dbretain_run('p')" >/dev/null 2>&1
left=$(q -c "SELECT count(*) FROM src WHERE id <= 2000")
[ "$left" -gt 0 ] && [ "$left" -lt 2000 ] || fail "max_duration_ms: $left rows left (want some moved, some left)"
[ $((SECONDS - start)) -lt 5 ] || fail "max_duration_ms: the run took $((SECONDS - start)) s"
echo ok
