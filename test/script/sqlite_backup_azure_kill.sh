#!/usr/bin/env bash
# 20 kill -9 of `dbcare backup --copy-to azure://...` while it uploads
# (azurite from npm, on loopback; by turns a 12 MB backup in two blocks
# and a block list, and a 6 MB one by one Put Blob): nothing half is ever
# published. Every blob under a backup's name is byte for byte the backup
# it names, the name of every upload killed in time is absent (a restore
# of it finds nothing), what the kills leave (uncommitted blocks, cut Put
# Blobs) is never a blob, and the catalog holds only whole, verified local
# backups.
# dbcare-test-timeout: 600
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/azure.sh"
. "$(dirname "$0")/lib/cli.sh"

azure_start shop
secret=$azure_key
acct=$azure_account
# the 12 MB backup in blocks (the test-only bound: Azure's own for one
# Put Blob is 5000 MiB), the 6 MB one by one Put Blob
export DBCARE_TEST_AZURE_PUT_BLOB_MAX=$((8 << 20))
mkdir b
sqlite3 "$work/big.db" "PRAGMA journal_mode = wal;
  CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB);
  INSERT INTO blobs (body) SELECT randomblob(1000) FROM generate_series(1, 12000);" >/dev/null
sqlite3 "$work/small.db" "PRAGMA journal_mode = wal;
  CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB);
  INSERT INTO blobs (body) SELECT randomblob(1000) FROM generate_series(1, 6000);" >/dev/null
dest=azure://shop/kill

# how long one upload of each takes (from the local file's name to the exit)
declare -A up_ms
for kind in big small; do
  "$cli" backup "b/timing-$kind.db" --copy-to "$dest" --db "sqlite:$work/$kind.db" >timing.out 2>&1 &
  pid=$!
  for _ in $(seq 1 2000); do [ -e "b/timing-$kind.db" ] && break; sleep 0.005; done
  start=$(date +%s%N)
  wait "$pid" || { cat timing.out; fail "the timing upload failed"; }
  up_ms[$kind]=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "${up_ms[$kind]}" -gt 1 ] || up_ms[$kind]=2
done
[ "$(stat -c %s b/timing-small.db)" -le $((8 << 20)) ] || fail "the small backup is more than one block (test premise)"
grep -q "^request PUT /$acct/shop/kill/timing-big.db?comp=block" "$work/azurite.log" ||
  fail "the big backup was not uploaded in blocks (test premise)"

killed_mid=0 killed=
for i in $(seq 1 20); do
  kind=small; [ $((i % 2)) = 1 ] && kind=big
  "$cli" backup "b/k$i.db" --copy-to "$dest" --db "sqlite:$work/$kind.db" >"k$i.out" 2>&1 &
  pid=$!
  # the local backup is made, catalogued and named first: then the upload,
  # whose first PUT the store's proxy logs as it starts (tail follows the
  # log, ending with the command: no loop forking a grep every 5 ms)
  grep -q -m1 "^request PUT /$acct/shop/kill/k$i\.db" \
    < <(exec timeout 120 tail -n +1 -f --pid="$pid" -s 0.005 "$work/azurite.log") || true
  ms=${up_ms[$kind]}
  sleep "0.$(printf "%03d" $(( RANDOM % (ms / 4 < 999 ? ms / 4 + 1 : 999) )))"
  if kill -9 "$pid" 2>/dev/null; then
    set +e; wait "$pid"; rc=$?; set -e
    [ "$rc" = 137 ] && killed_mid=$((killed_mid + 1)) killed="$killed $i"
  else
    wait "$pid" || true
  fi
done
# the container's blobs, listed once (one node process, not one per check)
# after every upload has ended: a name a killed upload still got published
# late counts as published
blobs=$(azure_blobs)
listed() { grep -qx "$1" <<<"$blobs"; }
unpublished=0
for i in $killed; do listed "kill/k$i.db" || unpublished=$((unpublished + 1)); done
echo "killed during the upload: $killed_mid of 20, $unpublished of them before the store published it (one upload: ${up_ms[big]} ms in blocks, ${up_ms[small]} ms by Put Blob)"
[ "$killed_mid" -ge 15 ] || fail "only $killed_mid of 20 kills landed in an upload (test premise)"
[ "$unpublished" -ge 5 ] || fail "only $unpublished kills landed before the store published (test premise)"

# every published name is the whole backup it names
published=0
for i in $(seq 1 20); do
  if listed "kill/k$i.db"; then
    published=$((published + 1))
    azure_blob "kill/k$i.db" >got.db
    cmp -s "b/k$i.db" got.db || fail "kill/k$i.db in the container is not the whole backup b/k$i.db"
  fi
done
# the kills left uncommitted blocks or cut requests, never a blob
grep -v -x -E 'kill/(k[0-9]+|timing-big|timing-small)\.db' <<<"$blobs" | grep . &&
  fail "the container holds a blob that is no backup"

# a killed name restores nothing; a published one restores whole
for i in $(seq 1 20); do
  if ! listed "kill/k$i.db"; then
    run 1 restore "$dest/k$i.db" --db "sqlite:$work/r$i.db"
    has "HTTP 404" err
    [ ! -e "$work/r$i.db" ] || fail "a restore of the killed k$i.db created the database"
    break
  fi
done
run 0 restore "$dest/timing-big.db" --db "sqlite:$work/restored.db"
[ "$(sqlite3 "$work/restored.db" "SELECT count(*) FROM blobs")" = 12000 ] ||
  fail "the published backup did not restore its 12000 rows"

# the catalogs: the local backups, each whole and verified
run 0 verify --all-backups --db "sqlite:$work/big.db"
run 0 verify --all-backups --db "sqlite:$work/small.db"
echo "ok: $published of 20 published whole, the others absent"
