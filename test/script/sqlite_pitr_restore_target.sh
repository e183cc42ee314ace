#!/usr/bin/env bash
# A restore never makes its database inside a point-in-time log's
# directory (docs/backups.md, "Back to any moment"), where a capture
# removes the base files no record names and log prune deletes bases:
# `restore --to-time T DIR` into DIR itself, a folder under it, or DIR
# reached through a symlink, and `restore FILE` (one of the log's bases)
# into DIR, are refused with a `dbcare:` error, and nothing is made (no
# database file, no -wal or -shm), also through a dangling symlink into
# DIR (checked before the connection creates the file it names); a
# failed restore through a dangling symlink elsewhere leaves nothing
# either; a target outside restores.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
db="$work/app.db"
mkdir log
sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (a INT); INSERT INTO t VALUES (1)" > /dev/null
"$cli" log log --db "sqlite:$db" --module "$module" --run-for 1s --quiet 2> cap.err || fail "capture: $(cat cap.err)"
T=$("$cli" log status log | sed -n 's/^last restorable moment: \(.*\) UTC.*/\1/p')
[ -n "$T" ] || fail "no restorable moment: $("$cli" log status log)"
base=$(ls log/base-*.db | head -1)
mkdir log/sub
ln -s "$work/log" alias
before=$(ls -R log | sort)

refused() { # what: the restore's arguments
  local rc=0 out
  out=$("$cli" restore "$@" --module "$module" 2>&1) || rc=$?
  [ $rc = 1 ] || fail "restore $*: exit $rc (not refused): $out"
  echo "$out" | grep -q "^dbcare: restore: the target .* lies inside the point-in-time log directory $work/log: " ||
    fail "restore $*: $out"
}
refused --to-time "$T" log --db sqlite:log/new.db
refused --to-time "$T" log --db "sqlite:$work/log/sub/new.db"
refused --to-time "$T" log --db sqlite:alias/new.db
refused "$base" --db sqlite:log/copy.db
# a dangling symlink into the log: refused before the connection opens
# (and so creates) the file it names, for a log restore and restore FILE
ln -s "$work/log/evil.db" dangling.db
ln -s log/sub/evil.db rel-dangling.db
refused --to-time latest log --db sqlite:dangling.db
refused --to-time "$T" log --db sqlite:rel-dangling.db
refused "$base" --db sqlite:dangling.db
[ ! -e log/evil.db ] && [ ! -e log/sub/evil.db ] || fail "a refused restore created the symlink's target in the log"
[ "$(ls -R log | sort)" = "$before" ] || fail "a refused restore made files in the log: $(ls -R log)"
echo "ok: refused inside the log directory, nothing made"

# outside any log, a restore that fails (a file that does not verify)
# through a dangling symlink removes the file its connection created
# there, and keeps the symlink
mkdir elsewhere
ln -s "$work/elsewhere/x.db" out.db
echo "not a database" > bad.db
rc=0; "$cli" restore bad.db --db sqlite:out.db --module "$module" > /dev/null 2>&1 || rc=$?
[ $rc = 1 ] || fail "restore of a bad file: exit $rc"
[ -z "$(ls -A elsewhere)" ] || fail "a failed restore left $(ls -A elsewhere) behind the symlink"
[ -L out.db ] || fail "the symlink is gone"
echo "ok: a failed restore through a dangling symlink leaves nothing"

"$cli" restore --to-time "$T" log --db sqlite:new.db --module "$module" > /dev/null 2>&1 || fail "a restore outside the log"
[ "$(sqlite3 new.db "SELECT count(*) FROM t")" = 1 ] || fail "the restore outside the log"
echo "ok: a target outside the log restores"
