#!/usr/bin/env bash
# A `dbcare restore` into a new database stopped by SIGINT, SIGTERM or
# SIGHUP the moment its staging file (<target>.restoring-XXXXXX) appears,
# from a backup file and from a point-in-time log (--to-time): the
# command ends of the signal and leaves nothing, neither at the target's
# name nor beside it (docs/backups.md: a failed or stopped restore deletes
# its staging file at once; only a kill -9 leaves it to the next restore).
# Then the commit points: a restore's rename, a backup's publication (and
# the copy to --copy-to a stop held there does not start), and a backup
# without PATH stopped before its publication.
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
  signal_when 'new/q.db.restoring-*' "$sig" "$pid"
  set +e; wait "$pid"; rc=$?; set -e
  if [ "$rc" = 0 ]; then
    [ "$(sqlite3 new/q.db "SELECT count(*) FROM t")" = 60001 ] || fail "round $round: a restore that ended is not whole"
    continue
  fi
  [ "$signalled" = 1 ] || fail "round $round: exit $rc with no signal sent ($(cat err))"
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
  stop_at_name new/q.db "$sig" "$cli" restore full.db --db "sqlite:new/q.db"
  [ "$rc" = 0 ] || fail "SIG$sig just after the rename into place: exit $rc, left $(ls new) ($(cat err))"
  [ "$(sqlite3 new/q.db "SELECT count(*) FROM t")" = 60001 ] || fail "SIG$sig at the commit: the database is not whole"
done
echo "ok: a stop signal at the commit point ends a whole restore with 0"

# A `dbcare backup` (the module's dbbackup_create, which publishes the file
# and commits its row in one statement) stopped just after its file is
# linked into place, and stopped the moment its temporary file appears:
# it is whole and recorded, or ends of the signal saying so with nothing
# left; never a file the catalog does not name, nor a temporary file.
backup_stopped() {
  local rows
  rows=$(sqlite3 "$db" "SELECT count(*) FROM dbcare_backups WHERE path = '$work/b.db'")
  if [ "$rc" = 0 ]; then
    [ -e b.db ] && [ "$rows" = 1 ] || fail "$1: exit 0 with $rows row(s), file: $(ls b.db* 2>&1)"
  else
    [ "$rows" = 0 ] && ! compgen -G 'b.db*' >/dev/null ||
      fail "$1: exit $rc left $(ls b.db* 2>&1) with $rows row(s) ($(cat err))"
    grep -q "the backup was interrupted; nothing of it is left" err || fail "$1: exit $rc unsaid ($(cat err))"
  fi
  ! compgen -G 'b.db.tmp-*' >/dev/null || fail "$1: a temporary file is left: $(ls b.db.tmp-*)"
  rm -f b.db
  sqlite3 "$db" "DELETE FROM dbcare_backups WHERE path = '$work/b.db'"
}
# Stopped just after its file is linked into place (every fsync slowed),
# the signal held through the commit point is dropped there, but honoured
# at the next step: the copy to --copy-to's folder is not started, the
# command says so and ends of the signal; the backup stands, recorded.
# A loaded machine that sees the name only after the command has ended
# sent no signal: that try is undone and made again, three tries at most.
mkdir copies
for try in 1 2 3; do
  stop_at_name b.db TERM "$cli" backup b.db --copy-to "$work/copies" --db "sqlite:$db"
  [ "$stop_late" = 1 ] && [ "$try" -lt 3 ] || break
  rm -f b.db copies/*
  sqlite3 "$db" "DELETE FROM dbcare_backups WHERE path = '$work/b.db'"
done
rows=$(sqlite3 "$db" "SELECT count(*) FROM dbcare_backups WHERE path = '$work/b.db'")
[ "$rc" = 143 ] && [ -e b.db ] && [ "$rows" = 1 ] && [ -z "$(ls copies)" ] ||
  fail "SIGTERM at the commit with --copy-to: exit $rc, $rows row(s), copies: $(ls copies) ($(cat err))"
grep -q "dbcare: SIGTERM came as the backup was recorded: it is made and recorded, but its copy to $work/copies was not made" err ||
  fail "SIGTERM before the copy is unsaid ($(cat err))"
rm -f b.db
sqlite3 "$db" "DELETE FROM dbcare_backups WHERE path = '$work/b.db'"
env --default-signal "$cli" backup b.db --db "sqlite:$db" >out 2>err &
pid=$!
signal_when 'b.db.tmp-*' INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
backup_stopped "SIGINT once the backup's temporary file appears"
echo "ok: a stopped backup is whole and recorded (its copy not started) or leaves nothing"

# Without PATH (backup.dir a folder: the command names the backup there by
# the module's rule, so a stop can interrupt it until it is published):
# SIGINT the moment its temporary file appears, every write slowed by
# strace (about 6 s whole), ends it of the signal with nothing left in the
# folder nor in the catalog: before its publication, so well before its
# end (the first look at a stop comes after the module's first step of
# 4096 pages, about 3 s here; before the fix it ran whole and ended 0).
mkdir bdir
q "SELECT dbcare_set('backup.dir', '$work/bdir')" >/dev/null
env --default-signal strace -qq -o /dev/null -e trace=pwrite64 -e inject=pwrite64:delay_enter=500 \
  "$cli" backup --db "sqlite:$db" >out 2>err &
tracer=$!
command=$(child_of "$tracer")
for _ in $(seq 1000); do
  compgen -G 'bdir/*.tmp-*' >/dev/null && break
  kill -0 "$tracer" 2>/dev/null || break
  sleep 0.005
done
compgen -G 'bdir/*.tmp-*' >/dev/null || fail "the backup without PATH never made its temporary file ($(cat err))"
sent=$(date +%s%N)
kill -INT "$command"
set +e; wait "$tracer"; rc=$?; set -e
ms=$((($(date +%s%N) - sent) / 1000000))
rows=$(sqlite3 "$db" "SELECT count(*) FROM dbcare_backups WHERE path LIKE '$work/bdir/%'")
[ "$rc" = 130 ] && [ -z "$(ls bdir)" ] && [ "$rows" = 0 ] ||
  fail "SIGINT to a backup without PATH: exit $rc after $ms ms, left $(ls bdir) and $rows row(s) ($(cat err))"
grep -q "the backup was interrupted; nothing of it is left" err || fail "the stopped backup without PATH is unsaid ($(cat err))"
q "SELECT dbcare_set('backup.dir', '')" >/dev/null
echo "ok: a backup without PATH stopped in $ms ms leaves nothing"

# A stop signal ignored when the restore started (nohup) stays ignored:
# SIGHUP the moment the staging file appears, and the restore ends whole.
rm -rf new && mkdir new
env --ignore-signal=HUP "$cli" restore full.db --db "sqlite:new/q.db" >out 2>err &
pid=$!
signal_when 'new/q.db.restoring-*' HUP "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 0 ] || fail "a restore started with SIGHUP ignored ended of it: exit $rc ($(cat err))"
[ "$(sqlite3 new/q.db "SELECT count(*) FROM t")" = 60001 ] || fail "the restore under nohup is not whole"
echo "ok: an ignored SIGHUP stays ignored"

# ... and a backup's: SIGHUPs all along a backup started under nohup stop
# nothing (a blocked signal stays pending even when ignored: it must not
# count as a stop); it ends 0, whole and recorded.
env --ignore-signal=HUP "$cli" backup b.db --db "sqlite:$db" >out 2>err &
pid=$!
hup_ignored_by "$pid" || fail "SIGHUP never set to be ignored in the command (test premise)"
hups=0
while kill -HUP "$pid" 2>/dev/null; do hups=$((hups + 1)); sleep 0.001; done
set +e; wait "$pid"; rc=$?; set -e
[ "$hups" -ge 3 ] || fail "only $hups SIGHUPs reached the backup (test premise)"
[ "$rc" = 0 ] || fail "a backup started with SIGHUP ignored was stopped by it: exit $rc ($(cat err))"
backup_stopped "SIGHUPs to a backup under nohup"
echo "ok: an ignored SIGHUP stops no backup"

