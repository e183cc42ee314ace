#!/usr/bin/env bash
# The point-in-time log kept safe (docs/backups.md, "Capture inside the
# application"): the command's own connections never capture, even on a
# database with backup.log.dir set (`dbcare log` is the command's capture);
# a log directory belongs to one database (another database, or a copy of
# it, is refused, by `dbcare log` and by the module, nothing written); a
# database restored from the log does not keep the production log's setting.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
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

# 2. the log belongs to app.db: another database, or a copy, is refused
"$cli" log "$log" --db "sqlite:$db" --module "$module" --run-for 2s >/dev/null 2>"$work/cap.err" &
cap=$!
# T after the capture's base, and logged before the insert after it
pitr_wait_started "$work/cap.err" 1
T=$(pitr_now)
pitr_wait_vouched "$log" "$T"
q "INSERT INTO t VALUES ('after T')" >/dev/null
wait $cap || fail "dbcare log on app.db failed"
[ -f "$log/log.identity" ] || fail "no log.identity written: $(ls "$log")"
before=$(ls -l --time-style=+%s.%N "$log" | md5sum)
other="$work/other.db"
db=$other q "PRAGMA journal_mode = wal; CREATE TABLE t (v TEXT);
  SELECT dbcare_set('backup.log.dir', '$log'); INSERT INTO t VALUES ('other');" >/dev/null 2>&1 || true
cp "$db" "$work/copy.db"
for target in "$other" "$work/copy.db"; do
	if "$cli" log "$log" --db "sqlite:$target" --module "$module" --run-for 1s >"$work/out" 2>&1; then
		fail "dbcare log of $target into app.db's log was not refused"
	fi
	grep -q "another database" "$work/out" || fail "no clear refusal: $(cat "$work/out")"
done
[ "$(ls -l --time-style=+%s.%N "$log" | md5sum)" = "$before" ] ||
	fail "a refused capture wrote into the log: $(ls "$log")"

# 3. restored from the log: backup.log.dir emptied in the new file, and said
"$cli" restore --to-time "$T" "$log" --db "sqlite:$work/r.db" --module "$module" >"$work/out" 2>&1 ||
	fail "restore: $(cat "$work/out")"
grep -q "backup.log.dir ($log) emptied" "$work/out" || fail "restore did not say: $(cat "$work/out")"
[ -z "$(db="$work/r.db" q "SELECT dbcare_get('backup.log.dir')")" ] ||
	fail "the restored database keeps backup.log.dir"
[ "$(db="$work/r.db" q "SELECT count(*) FROM t")" = 1 ] || fail "restored the wrong rows"

# 4. symlinks planted in a log directory are never written through
db3="$work/three.db"
log3="$work/log3"
mkdir "$log3"
db=$db3 q "PRAGMA journal_mode = wal; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('3')" >/dev/null
for f in log.progress log.lock; do
	echo "victim $f" >"$work/victim-$f"
	ln -s "$work/victim-$f" "$log3/$f"
done
"$cli" log "$log3" --db "sqlite:$db3" --module "$module" --run-for 1s >/dev/null 2>&1 || true
for f in log.progress log.lock; do
	[ "$(cat "$work/victim-$f")" = "victim $f" ] || fail "the capture wrote through the symlink $f"
done
rm "$log3"/log.lock
"$cli" log "$log3" --db "sqlite:$db3" --module "$module" --run-for 1s >/dev/null 2>&1 || true
[ "$(cat "$work/victim-log.progress")" = "victim log.progress" ] ||
	fail "the capture wrote through the symlink log.progress"

# 5. backup.log.dir checked when set: refused, and nothing stored
db=$db3
touch "$work/a-file"
for bad in "$work/a-file" "$work/missing" / relative/log "$log3
x"; do
	if q "SELECT dbcare_set('backup.log.dir', '$bad')" >"$work/out" 2>&1; then
		fail "backup.log.dir = '$bad' was accepted"
	fi
	# a relative path is refused by the settings' own check, naming the setting
	grep -Eq "dbcare: (backup.log.dir|invalid value .* for setting \"backup.log.dir\")" "$work/out" ||
		fail "no clear error for '$bad': $(cat "$work/out")"
done
[ -z "$(q "SELECT dbcare_get('backup.log.dir')")" ] || fail "a refused backup.log.dir was stored"
echo "ok: the command's connections never capture; another database and a copy refused; the restored file captures nothing; no symlink written through; bad log directories refused"
