#!/usr/bin/env bash
# 20 kill -9 of `dbcare backup --copy-to s3://...` while it uploads (s3rver
# from npm, on loopback; a 12 MB backup, uploaded in parts): nothing half
# is ever published. Every object under a backup's name is byte for byte
# the backup it names, the name of every upload killed in time is absent
# (a restore of it finds nothing), what the kills leave (temporary keys,
# unfinished multipart uploads) is never a backup to restore, and the
# catalog holds only whole, verified local backups.
# dbcare-test-timeout: 600
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/s3.sh"
. "$(dirname "$0")/lib/cli.sh"

s3_start shop
secret=$s3_secret
mkdir b
db="$work/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB);
  INSERT INTO blobs (body) SELECT randomblob(1000) FROM generate_series(1, 12000);" >/dev/null
dest=s3://shop/kill

# how long one upload takes (from the local file's name to the exit)
"$cli" backup b/timing.db --copy-to "$dest" --db "sqlite:$db" >timing.out 2>&1 &
pid=$!
for _ in $(seq 1 2000); do [ -e b/timing.db ] && break; sleep 0.005; done
start=$(date +%s%N)
wait "$pid" || { cat timing.out; fail "the timing upload failed"; }
up_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$up_ms" -gt 1 ] || up_ms=2

killed_mid=0
for i in $(seq 1 20); do
  "$cli" backup "b/k$i.db" --copy-to "$dest" --db "sqlite:$db" >"k$i.out" 2>&1 &
  pid=$!
  # the local backup is made, catalogued and named first: then the upload,
  # whose first request the store logs (the multipart upload's start)
  for _ in $(seq 1 2000); do
    grep -q "k$i\.db\.tmp-" "$work/s3rver.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  sleep "0.$(printf '%03d' $(( RANDOM % (up_ms / 2 < 999 ? up_ms / 2 + 1 : 999) )))"
  if kill -9 "$pid" 2>/dev/null; then
    set +e; wait "$pid"; rc=$?; set -e
    [ "$rc" = 137 ] && ! s3_objects | grep -qx "kill/k$i.db" && killed_mid=$((killed_mid + 1))
  else
    wait "$pid" || true
  fi
done
echo "killed during the upload: $killed_mid of 20 (one upload: ${up_ms} ms)"
[ "$killed_mid" -ge 12 ] || fail "only $killed_mid of 20 kills landed in an upload (test premise)"

# every published name is the whole backup it names
published=0
for i in $(seq 1 20); do
  if s3_objects | grep -qx "kill/k$i.db"; then
    published=$((published + 1))
    cmp -s "b/k$i.db" "$work/s3/shop/kill/k$i.db._S3rver_object" ||
      fail "kill/k$i.db in the bucket is not the whole backup b/k$i.db"
  fi
done
# the kills left temporary keys or unfinished parts, none of them a name
s3_objects | grep -v -x -E 'kill/(k[0-9]+|timing)\.db' | grep -qv '\.tmp-[a-z0-9]\{6\}$' &&
  fail "the bucket holds an object that is neither a backup nor a temporary key"

# a killed name restores nothing; a published one restores whole
for i in $(seq 1 20); do
  if ! s3_objects | grep -qx "kill/k$i.db"; then
    run 1 restore "$dest/k$i.db" --db "sqlite:$work/r$i.db"
    has "HTTP 404" err
    [ ! -e "$work/r$i.db" ] || fail "a restore of the killed k$i.db created the database"
    break
  fi
done
run 0 restore "$dest/timing.db" --db "sqlite:$work/restored.db"
[ "$(sqlite3 "$work/restored.db" "SELECT count(*) FROM blobs")" = 12000 ] ||
  fail "the published backup did not restore its 12000 rows"

# the catalog: the local backups, each whole and verified
run 0 verify --all-backups --db "sqlite:$db"
echo "ok: $published of 20 published whole, the others absent"
