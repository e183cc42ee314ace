#!/usr/bin/env bash
# A point-in-time log restores only as the database it was captured from
# (docs/backups.md, "A log directory belongs to one database"): a restore
# into a new file states the log's origin (log.identity) in one line, and
# a base whose own bookkeeping names another database than log.identity
# (another database's log copied into this one's folder, its records
# adjusted to name this database, as an attacker would) is refused by the
# origin rule of core/container, naming both identities; nothing is
# restored. The log's own files restore as before.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
unset DBCARE_BACKUP_KEY_FILE DBCARE_BACKUP_KEY DBCARE_BACKUP_ALLOW_ORIGIN

# capture NAME ROWS: NAME.db, given its identity (a backup), captured into
# NAME-log by `dbcare log`, ROWS rows committed meanwhile
capture() {
  local db="$work/$1.db" log="$work/$1-log" pid
  mkdir "$log"
  sqlite3 -cmd '.timeout 30000' "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
  sqlite3 -batch -cmd ".load $module" "$db" "SELECT dbbackup_create('$work/$1-first.db')" >/dev/null
  "$cli" log "$log" --sleep-ms 20 --segment-interval 200ms --db "sqlite:$db" --module "$module" \
    2>"$work/$1.err" &
  pid=$!
  pitr_wait_started "$work/$1.err" 1
  for i in $(seq 1 "$2"); do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t (v) VALUES ('$1$i')"; sleep 0.3; done
  sleep 0.3
  kill -TERM "$pid"; wait "$pid" || fail "capture of $1: $(cat "$work/$1.err")"
  rm -f "$log/log.lock"
}
capture a 2
capture b 3
ida=$(sqlite3 -batch -cmd ".load $module" "$work/a.db" "SELECT dbbackup_identity()")
idb=$(sqlite3 -batch -cmd ".load $module" "$work/b.db" "SELECT dbbackup_identity()")
[ ${#ida} = 32 ] && [ ${#idb} = 32 ] && [ "$ida" != "$idb" ] || fail "identities: '$ida' '$idb'"
grep -qx "identity $idb" "$work/b-log/log.identity" || fail "b's log.identity: $(cat "$work/b-log/log.identity")"

# a restore into a new file states the log's origin, in one line
"$cli" restore --to-time latest "$work/b-log" --db "sqlite:$work/b-new.db" --module "$module" \
  >"$work/out" 2>"$work/err" || fail "restore of b's log: $(cat "$work/err")"
[ "$(grep -cF "the log in $work/b-log is of database $work/b.db (identity $idb)" "$work/err")" = 1 ] ||
  fail "the restore does not state the log's origin once: $(cat "$work/err")"
[ "$(sqlite3 "$work/b-new.db" "SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY id)")" = "b1,b2,b3" ] ||
  fail "b's log restored $(sqlite3 "$work/b-new.db" "SELECT group_concat(v) FROM t")"

# b's log in a's folder: a's log.identity, every record adjusted to name a
forged="$work/forged"
mkdir "$forged"
cp "$work"/b-log/log-* "$work"/b-log/log.progress "$work"/b-log/base-*.db "$forged/"
cp "$work/a-log/log.identity" "$forged/"
for j in "$forged"/log-*.json; do
  sed -i -e "s|$idb|$ida|g" -e "s|$work/b.db|$work/a.db|g" "$j"
done
grep -qF "$idb" "$forged"/log-*.json && fail "the forged records still name b"
for what in restore drill; do
  case $what in
  restore) "$cli" restore --to-time latest "$forged" --db "sqlite:$work/forged.db" --module "$module" ;;
  drill) "$cli" backup drill --log "$forged" --db "sqlite:$work/a.db" --module "$module" ;;
  esac >"$work/$what.out" 2>&1 && fail "$what of the forged log passed: $(cat "$work/$what.out")"
  grep -q "^dbcare: the base $forged/base-.* carries identity $idb in its bookkeeping, but the log in $forged is of database $work/a.db (identity $ida, log.identity)" \
    "$work/$what.out" || fail "$what of the forged log: $(cat "$work/$what.out")"
done
[ -s "$work/forged.db" ] && fail "the refused restore made a database"

# a's own log restores, every row of a.db
"$cli" restore --to-time latest "$work/a-log" --db "sqlite:$work/a-new.db" --module "$module" \
  2>"$work/err" || fail "restore of a's own log: $(cat "$work/err")"
[ "$(sqlite3 "$work/a-new.db" "SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY id)")" = "a1,a2" ] ||
  fail "a's log restored $(sqlite3 "$work/a-new.db" "SELECT group_concat(v) FROM t")"
echo ok
