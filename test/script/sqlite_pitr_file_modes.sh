#!/usr/bin/env bash
# Every file of a point-in-time log is its owner's alone (0600), like a
# backup: the bases (full copies of the database), the segments, their
# log-<n>.json, log.identity (the database's path), log.progress and
# log.lock, whether the module's capture or `dbcare log` wrote them, under
# the usual umask 022. On main the bases were 0644: a database kept 0600
# could be read by any local user from its log.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
umask 022
check_modes() { # DIR WHO
  local loose
  loose=$(find "$1" -type f -perm /077 -printf '%m %f\n')
  [ -z "$loose" ] || fail "$2: files of the log others can read: $loose"
  ls "$1"/base-*.db > /dev/null 2>&1 || fail "$2 wrote no base"
}
sqlite3 app.db "PRAGMA journal_mode = wal; CREATE TABLE s (secret TEXT); INSERT INTO s VALUES ('hunter2')" >/dev/null
chmod 600 app.db
mkdir lg1 lg2
sqlite3 -cmd ".load $module" app.db "SELECT dbcare_set('backup.log.dir', '$work/lg1')" >/dev/null
for i in 1 2 3; do sqlite3 -cmd ".load $module" app.db "INSERT INTO s VALUES ('x$i')"; done
check_modes lg1 "the module's capture"
sqlite3 -cmd ".load $module" app.db "SELECT dbcare_set('backup.log.dir', '')" >/dev/null
"$cli" log lg2 --db sqlite:app.db --module "$module" --segment-interval 1s --run-for 2s > log.out 2>&1 &
pid=$!
# an application's writes beside the log, waiting on its locks as one does
for i in 1 2 3 4 5; do sqlite3 -cmd ".timeout 10000" app.db "INSERT INTO s VALUES ('y$i')"; sleep 0.3; done
wait "$pid" || fail "dbcare log: $(cat log.out)"
ls lg2/log-*.json > /dev/null 2>&1 || fail "dbcare log closed no segment: $(ls lg2)"
check_modes lg2 "dbcare log"
echo "ok: every file of the log is 0600, from the module and from dbcare log"
