#!/usr/bin/env bash
# The point-in-time log kept safe (docs/backups.md, "Capture inside the
# application"): the command's own connections never capture, even on a
# database with backup.log.dir set (`dbcare log` is the command's capture).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
[ -x "$cli" ] || fail "build/cli/dbcare is not built"
db="$work/app.db"
log="$work/log"
mkdir "$log"
q "PRAGMA journal_mode = wal; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a');
   SELECT dbcare_set('backup.log.dir', '$log');" >/dev/null
rm -rf "${log:?}"/* # what the setting's own connection captured

# 1. dbcare health, log status: no capture, no base, the log left empty
for cmd in health "log status $log"; do
	"$cli" $cmd --db "sqlite:$db" --module "$module" >/dev/null 2>&1 || true
done
[ -z "$(ls -A "$log")" ] || fail "the command's connections captured into the log: $(ls "$log")"
echo "ok: the command's connections never capture"
