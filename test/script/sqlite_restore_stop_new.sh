#!/usr/bin/env bash
# A `dbcare restore` into a new database stopped by SIGINT, SIGTERM or
# SIGHUP the moment its staging file (<target>.restoring-XXXXXX) appears,
# from a backup file and from a point-in-time log (--to-time): the
# command ends of the signal and leaves nothing, neither at the target's
# name nor beside it (docs/backups.md: a failed or stopped restore deletes
# its staging file at once; only a kill -9 leaves it to the next restore).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/restore_sources.sh"
cd "$work"
unset DATABASE_URL
export DBCARE_MODULE="$module"
restore_sources 60000 400 "(x'01')"

stopped=0
for round in 1 2 3 4 5 6; do
  sig=$(echo INT TERM HUP | cut -d' ' -f$(( (round - 1) % 3 + 1 )))
  if [ $((round % 2)) = 1 ]; then from=(full.db); else from=(--to-time "$at" log); fi
  rm -rf new && mkdir new
  # (a script's background command starts with SIGINT ignored: given back)
  env --default-signal "$cli" restore "${from[@]}" --db "sqlite:new/q.db" >out 2>err &
  pid=$!
  for _ in $(seq 4000); do
    compgen -G 'new/q.db.restoring-*' >/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
  done
  kill -"$sig" "$pid" 2>/dev/null || true
  set +e; wait "$pid"; rc=$?; set -e
  if [ "$rc" = 0 ]; then
    [ "$(sqlite3 new/q.db "SELECT count(*) FROM t")" = 60001 ] || fail "round $round: a restore that ended is not whole"
    continue
  fi
  stopped=$((stopped + 1))
  left=$(ls new)
  [ -z "$left" ] || fail "round $round: a restore stopped by SIG$sig (exit $rc) left: $left ($(cat err))"
done
[ "$stopped" -ge 4 ] || fail "only $stopped of 6 restores were stopped before they ended (test premise)"
echo "ok: $stopped stopped restores left nothing"

# The rename into place is the restore's commit point. A stop signal that
# comes just after it, while the directory is synced (every fsync slowed
# by strace), finds the restore done: it ends 0 with the whole database,
# never exits of the signal with the database left after saying "nothing
# of it is left".
for sig in TERM INT; do
  rm -rf new && mkdir new
  env --default-signal strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=500000 \
    "$cli" restore full.db --db "sqlite:new/q.db" >out 2>err &
  tracer=$!
  # the restore's pid before it can rename: the signal follows the rename
  # within a poll, well inside the folder's slowed sync
  restore=$(child_of "$tracer")
  [ -n "$restore" ] || fail "SIG$sig at the commit: the restore under strace never started"
  for _ in $(seq 6000); do
    [ -e new/q.db ] && break
    kill -0 "$tracer" 2>/dev/null || break
    sleep 0.005
  done
  [ -e new/q.db ] || fail "SIG$sig at the commit: the restore never renamed its file ($(cat err))"
  kill -"$sig" "$restore"
  set +e; wait "$tracer"; rc=$?; set -e
  [ "$rc" = 0 ] || fail "SIG$sig just after the rename into place: exit $rc, left $(ls new) ($(cat err))"
  [ "$(sqlite3 new/q.db "SELECT count(*) FROM t")" = 60001 ] || fail "SIG$sig at the commit: the database is not whole"
done
echo "ok: a stop signal at the commit point ends a whole restore with 0"

# A stop signal ignored when the restore started (nohup) stays ignored:
# SIGHUP the moment the staging file appears, and the restore ends whole.
rm -rf new && mkdir new
env --ignore-signal=HUP "$cli" restore full.db --db "sqlite:new/q.db" >out 2>err &
pid=$!
for _ in $(seq 4000); do
  compgen -G 'new/q.db.restoring-*' >/dev/null && break
  kill -0 "$pid" 2>/dev/null || break
done
kill -HUP "$pid" 2>/dev/null || true
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 0 ] || fail "a restore started with SIGHUP ignored ended of it: exit $rc ($(cat err))"
[ "$(sqlite3 new/q.db "SELECT count(*) FROM t")" = 60001 ] || fail "the restore under nohup is not whole"
echo "ok: an ignored SIGHUP stays ignored"
