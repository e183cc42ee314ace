#!/usr/bin/env bash
# Wal mode survives its failures (issue 54): while a writer commits batches
# of inserts and updates on a table audited in wal mode (hash chain on),
# the server is stopped with -m immediate twice and the worker is killed
# with kill -9 four times (each a crash of the server: PostgreSQL restarts
# every backend). Afterwards every row has exactly one insert entry and as
# many update entries as its counter says, no entry names a row of a
# transaction that did not commit, and the chain verifies: nothing lost,
# nothing written twice. The restarts after -m immediate bring back a slot
# whose saved position is behind the entries already written, so the
# worker decodes them again and must skip them (dbcare.audit_wal_state).
# The worker comes back by itself after kill -9; after a restart of the
# server the first reader starts it.
set -eu
db=dbcare_audit_wal_crash
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_logical.sh"
start=$(date +%s)
L -c "SELECT dbcare_set('audit.hash_chain', 'on')" \
  -c "CREATE TABLE tw (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, pad text)" \
  -c "SELECT dbaudit_enable('tw', mode => 'wal')" >/dev/null

# the writer: batch b inserts ids b*200 .. b*200+199 and bumps the previous
# batch's counters; a batch cut off by a crash commits or does not, whole
writer() {
  for b in $(seq 1 "$1"); do
    L -c "BEGIN" -c "SET LOCAL dbcare.actor = 'w$b'" \
      -c "INSERT INTO tw (id, pad) SELECT g, repeat('x', 100) FROM generate_series($((b * 200)), $((b * 200 + 199))) g" \
      -c "UPDATE tw SET v = v + 1 WHERE id BETWEEN $(((b - 1) * 200)) AND $((b * 200 - 1))" \
      -c "COMMIT" >/dev/null 2>&1 || sleep 0.2
  done
}
writer 150 &
wpid=$!
pids+=("$wpid")

reader_starts_worker() { # after a restart: the first reader starts the worker
  PGOPTIONS="-c dbcare.audit_wal_wait=60000" L -c "SELECT count(*) FROM dbaudit_history('tw', '{\"id\": 200}')" >/dev/null ||
    fail "the reader after a restart failed"
}
for round in 1 2; do
  sleep 1.5
  lg_stop immediate
  lg_start
  lg_wait_ready
  reader_starts_worker
  [ -n "$(lg_pid_of 'dbcare audit wal')" ] || fail "no worker after the reader (round $round)"
done
for round in 1 2 3 4; do
  sleep 0.7
  w=$(lg_pid_of 'dbcare audit wal')
  [ -n "$w" ] || { sleep 2; w=$(lg_pid_of 'dbcare audit wal'); }
  [ -n "$w" ] || fail "the worker did not come back by itself (kill $round)"
  kill -9 "$w"
  sleep 0.5
  lg_wait_ready
done
wait "$wpid" || true
# the worker comes back after the last kill without any reader
for _ in $(seq 1 100); do
  [ -n "$(lg_pid_of 'dbcare audit wal')" ] && break
  sleep 0.1
done
[ -n "$(lg_pid_of 'dbcare audit wal')" ] || fail "the worker did not come back by itself after kill -9"

export PGOPTIONS="-c dbcare.audit_wal_wait=120000"
[ "$(L -c "SELECT count(*) FROM dbaudit_verify() WHERE broken_id IS NOT NULL")" = 0 ] ||
  fail "the chain is broken: $(L -c "SELECT * FROM dbaudit_verify()")"
rows=$(L -c "SELECT count(*) FROM tw")
[ "$rows" -gt 2000 ] || fail "the writer committed only $rows rows"
counts="WITH e AS (SELECT (key->>'id')::int AS id,
                           count(*) FILTER (WHERE operation = 'insert') AS inserts,
                           count(*) FILTER (WHERE operation = 'update') AS updates
                      FROM dbaudit_log('tw') GROUP BY 1)
  SELECT t.id, t.v, coalesce(e.inserts, 0) AS inserts, coalesce(e.updates, 0) AS updates
    FROM tw t LEFT JOIN e USING (id)"
bad=$(L -c "SELECT count(*) FROM ($counts) c WHERE inserts <> 1 OR updates <> v")
[ "$bad" = 0 ] || fail "$bad rows have missing or doubled entries: $(L -c "SELECT * FROM ($counts) c WHERE inserts <> 1 OR updates <> v ORDER BY 1 LIMIT 5")"
[ "$(L -c "SELECT count(*) FROM dbaudit_log('tw') e LEFT JOIN tw ON tw.id = (e.key->>'id')::int WHERE tw.id IS NULL")" = 0 ] ||
  fail "entries of transactions that did not commit"
[ "$(L -c "SELECT count(*) FROM dbaudit_log('tw') WHERE actor IS NULL OR db_user <> 'postgres'")" = 0 ] ||
  fail "entries without their context"
echo "pg_audit_wal_crash: $rows rows, $(L -c "SELECT count(*) FROM dbaudit_log('tw')") entries, $(($(date +%s) - start)) s"
