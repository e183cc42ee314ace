#!/usr/bin/env bash
# Crash consistency of retention: CALL dbretain_run (committing batch by
# batch) is killed 22 times at random moments: 20 times by
# pg_terminate_backend (the backend exits mid-batch), twice by SIGKILL (the
# cluster recovers). After every kill: the rows archived plus the rows left
# equal the original count, no row is in both tables, none is archived
# twice, and the cluster answers again.
set -eu
db=dbcare_retain_crash
. "$(dirname "$0")/lib/pg.sh"
owner=$(stat -c %U "$PGHOST/.s.PGSQL.$PGPORT")
as_owner=()
[ "$(id -un)" = "$owner" ] || [ "$(id -u)" != 0 ] || as_owner=(runuser -u "$owner" --)
# A crash loses commits still in the WAL buffers: each batch is made durable.
export PGOPTIONS="${PGOPTIONS:-} -c synchronous_commit=on"
fresh_db
rows=2000
q -c "CREATE SCHEMA archive" \
  -c "CREATE TABLE src (id int PRIMARY KEY, at timestamptz NOT NULL, payload text)" \
  -c "CREATE INDEX ON src (at)" \
  -c "INSERT INTO src SELECT g, now() - interval '40 days' - g * interval '1 minute', md5(g::text)
        FROM generate_series(1, $rows) g" \
  -c "SELECT dbretain_add('p', 'src', 'at', '30 days', 'archive', 'archive.src')" \
  -c "SELECT dbcare_set('retain.batch_size', '25')" \
  -c "SELECT dbcare_set('retain.sleep_ms', '5')" >/dev/null

check() {
  local r
  r=$(q -c "SELECT (SELECT count(*) FROM src) + (SELECT count(*) FROM archive.src),
                   (SELECT count(*) - count(DISTINCT id) FROM archive.src),
                   (SELECT count(*) FROM src JOIN archive.src a USING (id))")
  [ "$r" = "$rows|0|0" ] || fail "after kill $1: total|duplicates|in both = $r (want $rows|0|0)"
}
wait_ready() {
  for _ in $(seq 1 300); do
    q -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "the cluster did not come back"
}
# Everything archived: put the rows back (a test of the kill, not of the data).
refill() {
  if [ "$(q -c "SELECT count(*) FROM src")" -lt 200 ]; then
    q -c "BEGIN" -c "INSERT INTO src SELECT id, at, payload FROM archive.src" \
      -c "TRUNCATE archive.src" -c "COMMIT" >/dev/null
  fi
}

# The CALL has run once, so archive.src exists before the first kill.
q -c "CALL dbretain_run('p')" >/dev/null 2>&1 || true
kills=0
interrupted=0
for i in $(seq 1 22); do
  refill
  PGAPPNAME=dbcare_retain_victim "$B/psql" -X -q -At -d "$db" -c "CALL dbretain_run('p')" \
    >"$work/victim.out" 2>&1 &
  victim=$!
  pid=
  for _ in $(seq 1 100); do
    pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'dbcare_retain_victim'
                   AND datname = current_database()")
    [ -n "$pid" ] && break
    sleep 0.01
  done
  [ -n "$pid" ] || fail "kill $i: the run did not start: $(cat "$work/victim.out")"
  sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
  if [ "$i" -le 20 ]; then
    q -c "SELECT pg_terminate_backend($pid)" >/dev/null
  else
    "${as_owner[@]}" kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$victim" 2>/dev/null || true
  grep -q "terminat\|server closed" "$work/victim.out" && interrupted=$((interrupted + 1))
  wait_ready
  kills=$((kills + 1))
  check "$i"
done
[ "$kills" = 22 ] || fail "only $kills kills"
# most kills must land while a run is moving rows, not after it
[ "$interrupted" -ge 15 ] || fail "only $interrupted of $kills kills interrupted a run"
# The policy still works after all that.
q -c "CALL dbretain_run('p')" >/dev/null 2>&1
[ "$(q -c "SELECT count(*) FROM src")" = 0 ] || fail "a final run left rows"
check final
echo "ok: $kills kills ($interrupted mid-run), archived + remaining = $rows each time"
