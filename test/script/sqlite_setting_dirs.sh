#!/usr/bin/env bash
# Directory settings (backup.dir, backup.log.dir) are absolute paths: a
# relative one would be read from the working directory of each process
# that uses it (cron in another directory, the command, the application),
# so a scheduled backup would fail or write into another directory's
# backups/. dbcare_set refuses one with a dbcare: error saying to give an
# absolute path; a relative value stored before (an older version, a row
# written directly) is refused where it is used, naming the setting, and
# nothing is written under the user's working directory.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

mkdir -p "$work/j1/backups" "$work/cron/backups" "$work/j1/log"
db="$work/j1/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY);
  INSERT INTO t VALUES (1)" >/dev/null

q "SELECT dbcare_set('backup.timeout_ms', '60000')" >/dev/null # the bookkeeping made
for key in backup.dir backup.log.dir; do
  rel=backups; [ "$key" = backup.log.dir ] && rel=log
  out=$(cd "$work/j1" && q "SELECT dbcare_set('$key', '$rel')" 2>&1) && fail "$key '$rel' accepted: $out"
  echo "$out" | grep -q "dbcare: invalid value \"$rel\" for setting \"$key\"" || fail "$key: $out"
  echo "$out" | grep -q "Give an absolute path" || fail "$key: no absolute-path hint: $out"
  out=$(cd "$work/j1" && "$cli" config set "$key" "./$rel" --db "sqlite:app.db" 2>&1) &&
    fail "$key accepted through the command: $out"
  echo "$out" | grep -q "absolute path" || fail "$key command: $out"
done
[ "$(q "SELECT count(*) FROM dbcare_config WHERE key LIKE 'backup.%dir'")" = 0 ] ||
  fail "a refused directory was stored"

# a relative value stored before the rule: refused at use, never resolved
# against the cron job's directory (which has a backups/ of its own)
sqlite3 "$db" "INSERT INTO dbcare_config (key, value) VALUES ('backup.dir', 'backups')"
out=$(cd "$work/cron" && "$cli" backup --db "sqlite:../j1/app.db" --module "$module" 2>&1) &&
  fail "a backup with a relative stored backup.dir: $out"
echo "$out" | grep -q 'dbcare: setting "backup.dir" holds "backups", which cannot be used' ||
  fail "the error does not name the setting: $out"
echo "$out" | grep -q "dbcare_set('backup.dir', '/absolute/path')" || fail "no hint: $out"
[ -z "$(find "$work/cron/backups" "$work/j1/backups" -type f)" ] || fail "a backup was written: $(ls -R "$work")"
out=$(cd "$work/j1" && q "SELECT dbbackup_create()" 2>&1) && fail "dbbackup_create used it: $out"
echo "$out" | grep -q 'setting "backup.dir" holds "backups"' || fail "dbbackup_create: $out"
# dbcare_settings still lists it (with the problem), and dbcare_set replaces it
q "SELECT problem FROM dbcare_settings WHERE key = 'backup.dir'" | grep -q "absolute path" ||
  fail "dbcare_settings shows no problem: $(q "SELECT * FROM dbcare_settings WHERE key = 'backup.dir'")"

# an absolute one works from any directory
q "SELECT dbcare_set('backup.dir', '$work/j1/backups')" >/dev/null
(cd "$work/cron" && "$cli" backup --db "sqlite:../j1/app.db" --module "$module" >"$work/out" 2>&1) ||
  fail "backup with an absolute backup.dir: $(cat "$work/out")"
ls "$work/j1/backups"/app-*.db >/dev/null 2>&1 || fail "no backup in backup.dir: $(ls -R "$work")"
[ -z "$(ls -A "$work/cron/backups")" ] || fail "the cron directory got a file"

# a stored relative backup.log.dir: the application's connection does not
# capture into its own working directory's log/
sqlite3 "$db" "INSERT INTO dbcare_config (key, value) VALUES ('backup.log.dir', 'log')"
(cd "$work/j1" && q "INSERT INTO t VALUES (2)" >/dev/null 2>&1) || true
[ -z "$(ls -A "$work/j1/log")" ] || fail "the capture wrote into a relative log dir: $(ls "$work/j1/log")"
echo "ok"
