#!/usr/bin/env bash
# A log directory holding another database's files does not restore the
# other database (docs/backups.md, "A log directory belongs to one
# database"): every closed segment's record names the database it was
# captured from, and `log status`, `restore --to-time` and `backup drill
# --log` refuse a segment whose database is not the one log.identity
# names, naming both databases, and make nothing. Two cases: another
# log's first segment copied in after ours under the next number (its
# record renamed to match), and another log's files copied over ours
# (same names). The log itself still restores.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"

# capture NAME ROWS: NAME.db captured into NAME-log by `dbcare log`, ROWS
# rows each committed in a segment of its own
capture() {
  local db="$work/$1.db" log="$work/$1-log" pid
  mkdir "$log"
  sqlite3 -cmd '.timeout 30000' "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
  "$cli" log "$log" --sleep-ms 20 --segment-interval 200ms --db "sqlite:$db" --module "$module" \
    2>"$work/$1.err" &
  pid=$!
  pitr_wait_started "$work/$1.err" 1
  for i in $(seq 1 "$2"); do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t (v) VALUES ('$1$i')"; sleep 0.3; done
  sleep 0.3
  kill -TERM "$pid"; wait "$pid" || fail "capture of $1: $(cat "$work/$1.err")"
  rm -f "$log/log.lock"
}
capture app 3
capture other 4
app="$work/app-log" other="$work/other-log"
last=$(ls "$app"/log-*.dbclog | tail -1)
next=$(printf 'log-%08d' $(($(basename "$last" .dbclog | sed 's/^log-0*//') + 1)))

# refused NAME DIR: status, restore (latest) and the drill of DIR each fail
# naming both databases, and nothing is restored
refused() {
  local what
  for what in status restore drill; do
    case $what in
    status) "$cli" log status "$2" ;;
    restore) "$cli" restore --to-time latest "$2" --db "sqlite:$work/$1.db.restored" --module "$module" ;;
    drill) "$cli" backup drill --log "$2" --db "sqlite:$work/app.db" --module "$module" ;;
    esac >"$work/$1.$what" 2>&1 && fail "$what of $1 passed: $(cat "$work/$1.$what")"
    grep -q "of another database" "$work/$1.$what" || fail "$what of $1: $(cat "$work/$1.$what")"
    grep -qF "$work/other.db" "$work/$1.$what" || fail "$what of $1 names not other.db: $(cat "$work/$1.$what")"
    grep -qF "$work/app.db" "$work/$1.$what" || fail "$what of $1 names not app.db: $(cat "$work/$1.$what")"
  done
  [ -s "$work/$1.db.restored" ] && fail "restore of $1 made a database"
  return 0
}

# another log's first segment copied in as our next one
cp -r "$app" "$work/appended"
cp "$other/log-00000001.dbclog" "$work/appended/$next.dbclog"
sed "s/log-00000001/$next/" "$other/log-00000001.json" >"$work/appended/$next.json"
cp "$other"/base-*.db "$work/appended/"
refused appended "$work/appended"

# another log's files copied over ours (the same names)
cp -r "$app" "$work/over"
rm "$work"/over/log-*
cp "$other"/log-* "$other"/base-*.db "$work/over/"
refused over "$work/over"

# our own log restores, every row of app.db
"$cli" restore --to-time latest "$app" --db "sqlite:$work/back.db" --module "$module" 2>"$work/back.err" ||
  fail "restore of the own log: $(cat "$work/back.err")"
[ "$(sqlite3 "$work/back.db" "SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY id)")" = "app1,app2,app3" ] ||
  fail "the own log restored $(sqlite3 "$work/back.db" "SELECT group_concat(v) FROM t")"
echo ok
