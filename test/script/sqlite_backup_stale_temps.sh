#!/usr/bin/env bash
# A backup killed mid-way (kill -9) leaves its temporary copy
# <path>.tmp-XXXXXX; the next backup, and prune, delete such leftovers
# (issue 36, item 9) -- only dbcare's own: named as dbcare names them, of
# this user, not another database's stamped copy, unwritten for longer than
# 2 x backup.timeout_ms + 1 minute (a live copy is written more often) and
# locked by no process, with the -wal and -shm a copy in WAL mode leaves. A
# fresh one (a backup that may still be running), a locked one, a file that
# is not a database, another database's copy and someone's database that
# only looks like a temporary copy stay, and the sweep makes nothing beside
# them.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/wait.sh"
bk="$work/backups"
mkdir -p "$bk"
db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);
  INSERT INTO t (v) SELECT randomblob(400) FROM generate_series(1, 150000);" > /dev/null
old() { touch -d '-2 hours' "$@"; }

# the realistic leftover: a backup killed while it copies
sqlite3 -cmd ".load $module" "$db" "SELECT dbbackup_create('$bk/killed.db');" > /dev/null 2>&1 &
pid=$!
# killed once its copy is under way (1 MB written), however late a loaded
# machine gets there: 60 s at most, or once it has ended
copying_or_ended() {
  local f
  f=$(ls "$bk"/killed.db.tmp-* 2>/dev/null | head -1)
  { [ -n "$f" ] && [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt 1000000 ]; } || ! running $pid
}
poll_until 60 0.01 copying_or_ended || true # the checks below say what did not happen
kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
leftover=$(ls "$bk"/killed.db.tmp-* 2>/dev/null | head -1)
[ -n "$leftover" ] || fail "the killed backup left no temporary copy (it finished too soon?)"
[ ! -e "$bk/killed.db" ] || fail "the killed backup was published"

# fresh: may be a backup still running, kept
q "SELECT dbbackup_create('$bk/b1.db');" > /dev/null
[ -e "$leftover" ] || fail "a fresh temporary copy was deleted"

# old: deleted by the next backup; strangers stay
printf 'not a database' > "$bk/notes.tmp-abc123"
cp "$leftover" "$bk/locked.db.tmp-LOCK01"
sqlite3 "$work/other.db" "CREATE TABLE o (x)" > /dev/null
db="$work/other.db" q "SELECT dbbackup_create('$bk/other.db');" > /dev/null
cp "$bk/other.db" "$bk/other2.db.tmp-OTHER1"
cp "$leftover" "$bk/near.db.tmp-Abc12"   # five letters: not mkstemp's name
# a copy of this database killed after its pages, before its stamp: this
# database's identity in its bookkeeping; one killed in WAL mode leaves its
# -wal and -shm beside it, which go with it
cp "$bk/b1.db" "$bk/mine.db.tmp-MINE01"
sqlite3 "$bk/mine.db.tmp-MINE01" "DROP TABLE dbcare_backup_stamp"
cp "$bk/mine.db.tmp-MINE01" "$bk/walcopy.db.tmp-WAL001"
sqlite3 "$bk/walcopy.db.tmp-WAL001" "PRAGMA journal_mode = WAL" > /dev/null
: > "$bk/walcopy.db.tmp-WAL001-wal"; : > "$bk/walcopy.db.tmp-WAL001-shm"
# someone's database that only looks like a temporary copy (no stamp, no
# bookkeeping of this one), in WAL mode: it stays, and nothing is made
# beside it
sqlite3 "$bk/notes.db.tmp-Qw3rty" "PRAGMA journal_mode = WAL; CREATE TABLE precious (x);
  INSERT INTO precious VALUES ('my data')" > /dev/null
old "$leftover" "$bk/notes.tmp-abc123" "$bk/locked.db.tmp-LOCK01" "$bk/other2.db.tmp-OTHER1" "$bk/near.db.tmp-Abc12" \
  "$bk/mine.db.tmp-MINE01" "$bk/walcopy.db.tmp-WAL001" "$bk/walcopy.db.tmp-WAL001-wal" \
  "$bk/walcopy.db.tmp-WAL001-shm" "$bk/notes.db.tmp-Qw3rty"
"$py" -c "
import fcntl, os, time
f = open('$bk/locked.db.tmp-LOCK01', 'r+b'); fcntl.lockf(f, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, 1073741824)
open('$work/locked', 'w').close()
while not os.path.exists('$work/release'): time.sleep(0.05)
" &
locker=$!
for _ in $(seq 100); do [ -e "$work/locked" ] && break; sleep 0.05; done
q "SELECT dbbackup_create('$bk/b2.db');" > /dev/null
[ ! -e "$leftover" ] || fail "the killed backup's leftover survived the next backup"
for f in notes.tmp-abc123 locked.db.tmp-LOCK01 other2.db.tmp-OTHER1 near.db.tmp-Abc12 notes.db.tmp-Qw3rty; do
  [ -e "$bk/$f" ] || fail "$f was deleted"
done
for f in mine.db.tmp-MINE01 walcopy.db.tmp-WAL001 walcopy.db.tmp-WAL001-wal walcopy.db.tmp-WAL001-shm \
  notes.db.tmp-Qw3rty-wal notes.db.tmp-Qw3rty-shm; do
  [ ! -e "$bk/$f" ] || fail "$f is there after the sweep"
done
[ "$(sqlite3 "$bk/notes.db.tmp-Qw3rty" "SELECT x FROM precious")" = "my data" ] || fail "someone's database changed"
touch "$work/release"; wait $locker

# prune deletes an old leftover too (once no one locks it)
old "$bk/locked.db.tmp-LOCK01"
q "SELECT dbbackup_prune(NULL, 30, true);" > /dev/null
[ -e "$bk/locked.db.tmp-LOCK01" ] || fail "a dry run deleted"
q "SELECT dbbackup_prune(NULL, 30, false);" > /dev/null
[ ! -e "$bk/locked.db.tmp-LOCK01" ] || fail "prune left a stale temporary copy"
[ -e "$bk/b1.db" ] && [ -e "$bk/b2.db" ] && [ -e "$bk/other2.db.tmp-OTHER1" ] || fail "prune deleted too much"
echo ok
