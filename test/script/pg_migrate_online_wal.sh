#!/usr/bin/env bash
# dbcare migrate --online's WAL pacing (issue 70, docs/migrations.md,
# "Throttled"): a backfill never makes the server start a checkpoint before
# checkpoint_timeout would. With max_wal_size at its smallest (the server
# asks for a checkpoint once its WAL leaves the last checkpoint's redo
# segment) and that redo point placed a few MB before the segment's end,
# a backfill that writes more than those few MB waits, says so, and the
# server requests no checkpoint meanwhile (pg_stat_bgwriter.checkpoints_req
# stays); a checkpoint seen to begin ends the wait while it runs (the WAL
# counted from its start: read_wal); once checkpoints have been taken
# (here by the test, max_wal_size back to its own) the backfill goes on
# and ends, every row filled, its wait in its summary, no checkpoint
# requested but the test's.
set -eu
db=dbcare_migrate_online_wal
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
fresh_db
q -c "ALTER SYSTEM SET max_wal_size = '32MB'" -c "SELECT pg_reload_conf()" >/dev/null
restore() { q -c "ALTER SYSTEM RESET max_wal_size" -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true; }
trap 'restore; cleanup' EXIT
# 2,000 rows of 1.5 kB, five a page: a backfill of about 6 MB of WAL
q <<'SQL'
CREATE TABLE t (id int, pad text) WITH (autovacuum_enabled = off);
INSERT INTO t SELECT g, repeat('x', 1500) FROM generate_series(1, 2000) g;
SQL
mkdir m
echo "ALTER TABLE t ADD COLUMN v uuid NOT NULL DEFAULT gen_random_uuid();" >m/V1__fill.sql
# the redo point 13 MB into a segment of its own: 3 MB of WAL to the
# position at which the server would ask for the next checkpoint
seg=$(q -c "SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'")
q -c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null
q -c "SELECT pg_logical_emit_message(false, 'dbcare_test', repeat('x', greatest(0, 13 * 1048576
  - ((pg_current_wal_insert_lsn() - '0/0') % $seg)::int)))" -c "CHECKPOINT" >/dev/null
off=$(q -c "SELECT ((redo_lsn - '0/0') % $seg)::int / 1048576 FROM pg_control_checkpoint()")
[ "$off" -ge 12 ] && [ "$off" -le 13 ] || fail "the redo point is $off MB into its segment, not 13"
req() { q -c "SELECT checkpoints_req FROM pg_stat_bgwriter"; }
before=$(req)
"$cli" migrate --db "$url" --dir m --online >out 2>err &
mig=$!
pids+=($mig)
for _ in $(seq 1 200); do
  grep -q "waits for WAL pacing" err && break
  kill -0 $mig 2>/dev/null || break
  sleep 0.1
done
has "waits for WAL pacing" err
has "would start the next (max_wal_size 32 MB), before its next batch" err
sleep 2
kill -0 $mig 2>/dev/null || { cat out err; fail "the backfill ended without waiting for a checkpoint"; }
[ "$(req)" = "$before" ] || fail "the backfill made the server request a checkpoint: $before, then $(req)"
[ "$(q -c "SELECT count(*) > 0 FROM t WHERE v IS NULL")" = t ] || fail "no row left to fill while waiting"
# a checkpoint seen to begin counts from then: a spread one (not fast,
# pg_backup_start's: the checkpointer writes a dirty buffer every 100 ms,
# for seconds here) begun while the backfill waits ends the wait while it
# runs, not once it completes (the WAL since its start is small)
# (a wait that ended before, at a reading that found the room enough for
# the WAL written since the last one, is not this one)
ended() { grep -c "WAL pacing waited" err || true; }
waits=$(ended)
redo=$(q -c "SELECT redo_lsn FROM pg_control_checkpoint()")
q -c "SELECT pg_backup_start('dbcare_wal_test', false)" >/dev/null &
backup=$!
pids+=($backup)
for _ in $(seq 1 100); do
  [ "$(ended)" -gt "$waits" ] && break
  sleep 0.1
done
[ "$(ended)" -gt "$waits" ] || { cat err; fail "the wait did not end when the checkpoint began"; }
[ "$(q -c "SELECT redo_lsn FROM pg_control_checkpoint()")" = "$redo" ] ||
  { cat err; fail "the wait ended once the checkpoint completed, not when it began"; }
# the release: max_wal_size back to its own, and a checkpoint (the spread
# one hurried, then the test's)
restore
q -c "CHECKPOINT"
wait $backup || fail "pg_backup_start failed"
wait $mig || { cat out err; fail "migrate --online failed after its wait"; }
has "WAL pacing waited" err
has "migration 1: 2000 row(s) filled in batches" err
grep -q "ms for WAL pacing)" err && ! grep -q " 0 ms for WAL pacing)" err ||
  { cat err; fail "the summary does not give the time waited for WAL pacing"; }
[ "$(q -c "SELECT count(*) FROM t WHERE v IS NULL")" = 0 ] || fail "rows without a value"
[ "$(req)" = "$((before + 2))" ] ||
  { cat err; fail "checkpoints requested: $before, then $(req) (the test's own are two)"; }
echo ok
