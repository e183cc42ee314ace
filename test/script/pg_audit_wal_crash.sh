#!/usr/bin/env bash
# Wal mode exact under 8 writers and 20 kills (issue 54, docs/audit.md):
# eight sessions commit mixed transactions on tables audited in wal mode
# (hash chain on) — inserts, updates, deletes, TRUNCATE, some with the actor
# set, some rolled back whole or to a savepoint, some large enough to spill
# the decoder to disk (logical_decoding_work_mem is lowered to its 64kB
# floor for that) and with TOAST values an update leaves unchanged — while
# the server is crashed DBC_KILLS times (20 by default; the long tier runs
# more: DBC_KILLS=40 DBC_SUITES=pg DBC_ONLY=script/pg_audit_wal_crash): the
# worker killed with kill -9 (while it decodes, when it can be caught), the
# server stopped with -m immediate, a writer's backend killed with kill -9,
# in turn; each is a crash of the server (the name keeps it out of the
# ASan suite, as the other crash tests). The worker comes back by itself
# after kill -9; after a restart, the first writer or reader starts it.
# The slot's position saved at a restart is behind the entries already
# written, so the worker decodes them again and must skip them
# (dbcare.audit_wal_state). Each transaction writes the changes it expects to
# be logged into a side table `truth` (txid, table, operation, actor, rows)
# in the same transaction, so the side table holds exactly the committed
# transactions. Afterwards the log has, for every (txid, table, operation,
# actor), exactly as many entries as `truth` says and no other (nothing
# lost, nothing twice, nothing of a transaction rolled back or cut off by a
# crash), every row of t rebuilt from the log is its present state (its
# TOAST value included), and the chain verifies.
set -eu
db=dbcare_audit_wal_crash
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_logical.sh"
start=$(date +%s)
kills=${DBC_KILLS:-20}
writers=8
L -c "ALTER SYSTEM SET logical_decoding_work_mem = '64kB'" -c "SELECT pg_reload_conf()" >/dev/null
L -c "SELECT dbcare_set('audit.hash_chain', 'on')" \
  -c "CREATE TABLE t (id bigserial PRIMARY KEY, w int NOT NULL, v int NOT NULL DEFAULT 0, big text, pad text)" \
  -c "CREATE TABLE truth (txid xid8 NOT NULL, tbl text NOT NULL, op text NOT NULL, actor text, n bigint NOT NULL)" \
  -c "SELECT dbaudit_enable('t', mode => 'wal')" >/dev/null
for w in $(seq 1 $writers); do
  L -c "CREATE TABLE tx_$w (id int PRIMARY KEY, v int)" -c "SELECT dbaudit_enable('tx_$w', mode => 'wal')" >/dev/null
done

# rec TABLE OP STATEMENT: the statement, and its rows counted into truth
rec() {
  echo "WITH c AS ($3 RETURNING 1) INSERT INTO truth SELECT pg_current_xact_id(), 'public.$1', '$2',
          nullif(current_setting('dbcare.actor', true), ''), count(*) FROM c"
}
big="(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 80))"
mine() { # $1 rows of writer $w's in t, at random ($2: an extra condition)
  echo "SELECT id FROM t WHERE w = $w ${2:-} ORDER BY random() LIMIT $1"
}
# one transaction of writer $w, of a kind at random
transaction() {
  local sql=(-c BEGIN)
  [ $((RANDOM % 2)) = 0 ] || sql+=(-c "SET LOCAL dbcare.actor = 'w$w'")
  case $((RANDOM % 10)) in
  0 | 1 | 2) sql+=(-c "$(rec t insert "INSERT INTO t (w, pad) SELECT $w, 'p' || g FROM generate_series(1, $((1 + RANDOM % 30))) g")") ;;
  3) sql+=(-c "$(rec t update "UPDATE t SET v = v + 1 WHERE id IN ($(mine 20))")") ;;
  4) sql+=(-c "$(rec t delete "DELETE FROM t WHERE id IN ($(mine 3))")") ;;
  5) # TOAST values the update leaves unchanged
    sql+=(-c "$(rec t update "UPDATE t SET v = v + 1, pad = 'u' WHERE id IN ($(mine 10 "AND big IS NOT NULL"))")") ;;
  6) # part rolled back to a savepoint
    sql+=(-c "$(rec t insert "INSERT INTO t (w) SELECT $w FROM generate_series(1, 10)")"
      -c "SAVEPOINT s" -c "$(rec t insert "INSERT INTO t (w) SELECT $w FROM generate_series(1, 10)")"
      -c "$(rec t update "UPDATE t SET v = v + 1 WHERE id IN ($(mine 10))")" -c "ROLLBACK TO SAVEPOINT s"
      -c "$(rec t delete "DELETE FROM t WHERE id IN ($(mine 2))")") ;;
  7) # rolled back whole
    sql+=(-c "$(rec t insert "INSERT INTO t (w) SELECT $w FROM generate_series(1, 20)")"
      -c "$(rec t update "UPDATE t SET v = v + 1 WHERE id IN ($(mine 5))")" -c "ROLLBACK") ;;
  8) # large: spills past logical_decoding_work_mem, stores TOAST values
    sql+=(-c "$(rec t insert "INSERT INTO t (w, big, pad) SELECT $w, CASE WHEN g % 4 = 0 THEN $big END, repeat('y', 300) FROM generate_series(1, 120) g")") ;;
  9) # TRUNCATE, then new rows in the same transaction
    sql+=(-c "TRUNCATE tx_$w" -c "INSERT INTO truth SELECT pg_current_xact_id(), 'public.tx_$w', 'truncate', nullif(current_setting('dbcare.actor', true), ''), 1"
      -c "$(rec "tx_$w" insert "INSERT INTO tx_$w SELECT g, g FROM generate_series(1, $((1 + RANDOM % 20))) g")") ;;
  esac
  L "${sql[@]}" -c COMMIT >/dev/null 2>&1
}
writer() { # until the stop file: transactions, retried while the server is down
  local n=0
  while [ ! -e "$work/stop" ]; do
    if transaction; then n=$((n + 1)); else sleep 0.1; fi
  done
  echo "$n" >"$work/ran_$w"
}
for w in $(seq 1 $writers); do
  writer &
  pids+=("$!")
done

kind=(worker immediate backend)
for k in $(seq 1 "$kills"); do
  sleep "0.$((1 + RANDOM % 5))"
  case ${kind[$((k % 3))]} in
  worker) # caught while it decodes when it can be, else as it is (the
    # server or the writers start it again after a crash)
    p=""
    for _ in $(seq 1 40); do
      p=$(L -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dbcare audit wal' AND state = 'active'" 2>/dev/null || true)
      [ -z "$p" ] || break
      sleep 0.05
    done
    [ -n "$p" ] || p=$(lg_pid_of 'dbcare audit wal' 2>/dev/null || true)
    [ -n "$p" ] || fail "the worker did not come back (kill $k)"
    kill -9 "$p" 2>/dev/null || true ;;
  immediate)
    lg_stop immediate
    lg_start ;;
  backend)
    p=$(L -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = 'app' ORDER BY random() LIMIT 1" 2>/dev/null || true)
    [ -z "$p" ] || kill -9 "$p" 2>/dev/null || true ;;
  esac
  sleep 0.2
  lg_wait_ready
done
touch "$work/stop"
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()
ran=$(cat "$work"/ran_* | awk '{ s += $1 } END { print s }')
killed=$(($(date +%s) - start))

# the worker comes back by itself after kill -9, with no session asking
w=$(lg_pid_of 'dbcare audit wal')
[ -n "$w" ] || fail "no worker after the kills"
kill -9 "$w"
sleep 0.3
lg_wait_ready
for _ in $(seq 1 100); do
  [ -n "$(lg_pid_of 'dbcare audit wal')" ] && break
  sleep 0.1
done
[ -n "$(lg_pid_of 'dbcare audit wal')" ] || fail "the worker did not come back by itself after kill -9"
# after a restart of the server, the first reader starts it
lg_stop immediate
lg_start
lg_wait_ready
export PGOPTIONS="-c dbcare.audit_wal_wait=120000"
L -c "SELECT count(*) FROM dbaudit_history('t', '{\"id\": 1}')" >/dev/null || fail "the reader after a restart failed"
[ -n "$(lg_pid_of 'dbcare audit wal')" ] || fail "no worker after the reader"
L -c "SELECT count(*) FROM dbaudit_log('t')" >/dev/null || fail "the reader did not see the log complete"
[ "$(L -c "SELECT count(*) FROM dbaudit_verify() WHERE broken_id IS NOT NULL")" = 0 ] ||
  fail "the chain is broken: $(L -c "SELECT * FROM dbaudit_verify() WHERE broken_id IS NOT NULL")"
compare="WITH a AS (SELECT txid, table_name, operation, coalesce(actor, '') AS actor, count(*) AS n
                      FROM dbcare.audit_log GROUP BY 1, 2, 3, 4),
              g AS (SELECT txid, tbl, op, coalesce(actor, '') AS actor, sum(n) AS n
                      FROM truth GROUP BY 1, 2, 3, 4 HAVING sum(n) > 0)
  SELECT coalesce(a.txid, g.txid) AS txid, coalesce(a.table_name, g.tbl) AS tbl,
         coalesce(a.operation, g.op) AS op, coalesce(a.actor, g.actor) AS actor,
         a.n AS logged, g.n AS committed
    FROM a FULL JOIN g ON a.txid = g.txid AND a.table_name = g.tbl AND a.operation = g.op AND a.actor = g.actor
   WHERE a.n IS DISTINCT FROM g.n"
bad=$(L -c "SELECT count(*) FROM ($compare) c")
[ "$bad" = 0 ] || fail "$bad (transaction, table, operation, actor) groups logged differently from what committed: $(L -c "SELECT * FROM ($compare) c ORDER BY txid LIMIT 8")"
# every row rebuilt from the log (dbaudit_row_at) is the row as it is, its
# TOAST value included; a row deleted rebuilds to nothing
state="WITH k AS (SELECT DISTINCT (key->>'id')::bigint AS id FROM dbcare.audit_log WHERE table_name = 'public.t')
  SELECT k.id, dbaudit_row_at('t', jsonb_build_object('id', k.id), '2999-01-01') AS rebuilt, to_jsonb(t) AS row
    FROM k LEFT JOIN t USING (id)"
bad=$(L -c "SELECT count(*) FROM ($state) s WHERE rebuilt IS DISTINCT FROM row")
[ "$bad" = 0 ] || fail "$bad rows of t differ from the log's: $(L -c "SELECT id, left(rebuilt::text, 120), left(row::text, 120) FROM ($state) s WHERE rebuilt IS DISTINCT FROM row LIMIT 5")"
[ "$(L -c "SELECT count(*) FROM t WHERE id NOT IN (SELECT (key->>'id')::bigint FROM dbcare.audit_log WHERE table_name = 'public.t')")" = 0 ] ||
  fail "rows of t without an entry"
entries=$(L -c "SELECT count(*) FROM dbcare.audit_log")
txns=$(L -c "SELECT count(DISTINCT txid) FROM truth")
[ "$txns" -ge 100 ] || fail "the writers committed only $txns transactions"
for op in insert update delete truncate; do
  [ "$(L -c "SELECT count(*) FROM dbcare.audit_log WHERE operation = '$op'")" -gt 0 ] || fail "no $op was logged"
done
[ "$(L -c "SELECT count(*) FROM dbcare.audit_log WHERE actor IS NOT NULL")" -gt 0 ] || fail "no actor was logged"
# updates of rows with a TOAST value, which no update changes: none may
# log it as changed (the WAL's new row lacks it; the old row has it)
[ "$(L -c "SELECT count(*) FROM dbcare.audit_log e JOIN t ON t.id = (e.key->>'id')::bigint WHERE e.operation = 'update' AND t.big IS NOT NULL")" -gt 0 ] ||
  fail "no update of a row with a TOAST value was logged"
[ "$(L -c "SELECT count(*) FROM dbcare.audit_log WHERE operation = 'update' AND (old_values ? 'big' OR new_values ? 'big')")" = 0 ] ||
  fail "an update logged the TOAST value it left unchanged"
# a transaction of the large kind spills the decoder at this setting
L -c "INSERT INTO t (w, big, pad) SELECT 0, $big, repeat('y', 300) FROM generate_series(1, 120) g" >/dev/null
L -c "SELECT count(*) FROM dbaudit_log('t')" >/dev/null
[ "$(L -c "SELECT spill_txns FROM pg_stat_replication_slots")" -gt 0 ] ||
  fail "the decoder did not spill: $(L -c "SELECT * FROM pg_stat_replication_slots")"
echo "pg_audit_wal_crash: $kills kills, $ran transactions run, $txns committed, $entries entries, $killed s of kills, $(($(date +%s) - start)) s"
