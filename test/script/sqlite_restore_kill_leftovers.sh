#!/usr/bin/env bash
# A `dbcare restore` killed (SIGKILL) while it takes its safety backup
# leaves that backup's temporary file, <db>.before-restore-<time>Z.db
# .tmp-XXXXXX, a plain copy of the live database, beside it (issue 49.9).
# The next restore of that database deletes it first (and says so), while
# a file of another name, a published safety backup and the temporary
# file of a restore still running stay.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);
  INSERT INTO t (b) SELECT randomblob(1000) FROM generate_series(1, 60000);" >/dev/null
q "SELECT dbbackup_create('$work/full.db')" >/dev/null
leftovers() { find "$work" -maxdepth 1 -name 'app.db.before-restore-*.db.tmp-*' | sort; }

killed=
for round in 1 2 3 4 5; do
  "$cli" restore "$work/full.db" --db "sqlite:$db" --module "$module" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 1000); do
    [ -n "$(leftovers)" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  if [ -n "$(leftovers)" ]; then
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [ -n "$(leftovers)" ] && { killed=1; break; }
  fi
  wait "$pid" 2>/dev/null || true
done
[ -n "$killed" ] || fail "no restore was killed while its safety backup was written"
left=$(leftovers)
echo "left by the kill: $(basename "$left")"
: >"$work/other.db.tmp-abcdef"
published=$(find "$work" -maxdepth 1 -name 'app.db.before-restore-*Z.db' | wc -l)

"$cli" restore "$work/full.db" --db "sqlite:$db" --module "$module" >"$work/out" 2>&1 ||
  fail "the next restore: $(cat "$work/out")"
[ -z "$(leftovers)" ] || fail "the next restore left $(leftovers)"
grep -q "deleted $(basename "$left"), left by a restore that was killed" "$work/out" ||
  fail "the deletion was not said: $(cat "$work/out")"
[ -e "$work/other.db.tmp-abcdef" ] || fail "a file of another name was deleted"
[ "$(find "$work" -maxdepth 1 -name 'app.db.before-restore-*Z.db' | wc -l)" -gt "$published" ] ||
  fail "the next restore took no safety backup"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
echo ok
