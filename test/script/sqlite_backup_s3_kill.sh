#!/usr/bin/env bash
# 20 kill -9 of `dbcare backup --copy-to s3://...` while it uploads (s3rver
# from npm, on loopback; a 12 MB backup, uploaded in three parts or by one
# PUT with its Content-MD5, by turns): nothing half is ever published. Every object under a
# backup's name is byte for byte the backup it names, the name of every
# upload killed in time is absent (a restore of it finds nothing), what
# the kills leave (unfinished multipart uploads) is never an object, and
# the catalog holds only whole, verified backups: a copy's row (kind
# file_copy) only for an object whole in the bucket, none for a kill.
# Then 4 kill -9 of `dbcare backup --ship` uploading a backup staged in
# backup.stage_dir: a copy's row only for a whole object, and a re-run
# ships it.
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

# odd rounds upload in three 5 MiB parts (the AWS CLI's settings in the
# config file), even rounds by one PUT (under the default
# multipart_threshold), which the store publishes only whole
printf '[default]\ns3 =\n  multipart_chunksize = 5MB\n  multipart_threshold = 5MB\n' >parts.conf
killed_mid=0 unpublished=0
for i in $(seq 1 20); do
  conf=/dev/null; [ $((i % 2)) = 1 ] && conf=parts.conf
  AWS_CONFIG_FILE=$conf "$cli" backup "b/k$i.db" --copy-to "$dest" --db "sqlite:$db" >"k$i.out" 2>&1 &
  pid=$!
  # the local backup is made, catalogued and named first: then the upload,
  # whose first PUT the store logs as it starts (tail follows the log,
  # ending with the command: no loop forking a grep every 5 ms)
  grep -q -m1 "^request PUT /shop/kill/k$i\.db" \
    < <(exec timeout 120 tail -n +1 -f --pid="$pid" -s 0.005 "$work/s3rver.log") || true
  sleep "0.$(printf "%03d" $(( RANDOM % (up_ms / 4 < 999 ? up_ms / 4 + 1 : 999) )))"
  if kill -9 "$pid" 2>/dev/null; then
    set +e; wait "$pid"; rc=$?; set -e
    [ "$rc" = 137 ] && killed_mid=$((killed_mid + 1))
    [ "$rc" = 137 ] && ! s3_objects | grep -qx "kill/k$i.db" && unpublished=$((unpublished + 1))
  else
    wait "$pid" || true
  fi
done
echo "killed during the upload: $killed_mid of 20, $unpublished of them before the store published it (one upload: ${up_ms} ms)"
[ "$killed_mid" -ge 15 ] || fail "only $killed_mid of 20 kills landed in an upload (test premise)"
[ "$unpublished" -ge 5 ] || fail "only $unpublished kills landed before the store published (test premise)"

# every published name is the whole backup it names
published=0
for i in $(seq 1 20); do
  if s3_objects | grep -qx "kill/k$i.db"; then
    published=$((published + 1))
    cmp -s "b/k$i.db" "$work/s3/shop/kill/k$i.db._S3rver_object" ||
      fail "kill/k$i.db in the bucket is not the whole backup b/k$i.db"
  fi
done
# the kills left unfinished multipart uploads, never an object
s3_objects | grep -v -x -E 'kill/(k[0-9]+|timing)\.db' &&
  fail "the bucket holds an object that is no backup"

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

# the catalog: a copy's row only once its object was whole in the bucket
# (a kill before the store published leaves none), each naming the
# object of its backup's bytes; verified, the copies fetched from the
# bucket, with the local backups
copies=$(sqlite3 "$db" "SELECT path || ' ' || sha256 FROM dbcare_backups WHERE kind = 'file_copy'")
while read -r url sum; do
  name=${url#"$dest/"}
  [ "$(sha256sum <"$work/s3/shop/kill/$name._S3rver_object" | cut -c1-64)" = "$sum" ] ||
    fail "the row of $url names no object of its backup's bytes"
done <<<"$copies"
for i in $(seq 1 20); do
  s3_objects | grep -qx "kill/k$i.db" && continue
  grep -q "^$dest/k$i.db " <<<"$copies" && fail "the killed upload of k$i.db was recorded"
done
run 0 verify --all-backups --db "sqlite:$db"
[ "$(grep -c "^verified $dest/" out)" = "$(grep -c . <<<"$copies")" ] ||
  fail "verify --all-backups did not verify every copy from the bucket: $(cat out)"
echo "ok: $published of 20 published whole, the others absent"

# --ship killed mid-upload: the staged backup keeps waiting (no copy's row
# unless its object is whole), and the next --ship uploads it
mkdir stage
run 0 config set backup.dir s3://shop/ship --db "sqlite:$db"
run 0 config set backup.stage_dir "$work/stage" --db "sqlite:$db"
db=$db q "SELECT dbbackup_create() IS NOT NULL" >/dev/null
staged=$(ls stage)
ship_rows() { sqlite3 "$db" "SELECT path || ' ' || sha256 FROM dbcare_backups WHERE kind = 'file_copy' AND path LIKE 's3://shop/ship/%'"; }
ship_killed=0
for i in 1 2 3 4; do
  from=$(($(wc -l <"$work/s3rver.log") + 1))
  "$cli" backup --ship --db "sqlite:$db" >"ship$i.out" 2>&1 &
  pid=$!
  grep -q -m1 "^request PUT /shop/ship/" \
    < <(exec timeout 120 tail -n +"$from" -f --pid="$pid" -s 0.005 "$work/s3rver.log") || true
  # until a kill has landed before the record, at once once the upload has
  # begun (a loaded machine may otherwise let the only staged backup be
  # shipped before any kill lands); then at a moment into the upload
  [ "$ship_killed" = 0 ] ||
    sleep "0.$(printf "%03d" $(( RANDOM % (up_ms / 4 < 999 ? up_ms / 4 + 1 : 999) )))"
  if kill -9 "$pid" 2>/dev/null; then
    set +e; wait "$pid"; rc=$?; set -e
    [ "$rc" = 137 ] && [ -z "$(ship_rows)" ] && ship_killed=$((ship_killed + 1))
  else
    wait "$pid" || true
  fi
  while read -r url sum; do
    [ -n "$url" ] || continue
    [ "$(sha256sum <"$work/s3/shop/ship/${url##*/}._S3rver_object" | cut -c1-64)" = "$sum" ] ||
      fail "a killed --ship recorded $url, which is not its backup's bytes"
  done <<<"$(ship_rows)"
done
[ "$ship_killed" -ge 1 ] || fail "no kill of --ship landed before its record (test premise)"
run 0 backup --ship --db "sqlite:$db"
[ "$(ship_rows | wc -l)" = 1 ] || fail "after the re-run, the copies' rows: [$(ship_rows)]"
cmp -s "stage/$staged" "$work/s3/shop/ship/$staged._S3rver_object" ||
  fail "the re-run's object is not the whole staged backup"
echo "ok: --ship killed $ship_killed of 4 times before its record, shipped whole by the next run"

# a busy store (503 SlowDown twice to each PUT of a *busy* name, each of
# the three parts here): each PUT is sent again after a pause, its part
# read again from the file, and the object published whole
from=$(($(wc -l <"$work/s3rver.log") + 1))
AWS_CONFIG_FILE=parts.conf run 0 backup b/busy.db --copy-to "$dest" --db "sqlite:$db"
[ "$(tail -n +"$from" "$work/s3rver.log" | grep -c "^busy PUT /shop/kill/busy\.db?partNumber=")" = 6 ] ||
  fail "the store was not busy twice for each of the three parts: $(tail -n +"$from" "$work/s3rver.log")"
cmp -s b/busy.db "$work/s3/shop/kill/busy.db._S3rver_object" ||
  fail "after the store's 503s, the object is not the whole backup"
# and its restore, each GET answered 503 twice, fetches it whole
run 0 restore "$dest/busy.db" --db "sqlite:$work/busy-restored.db"
[ "$(grep -c "^busy GET /shop/kill/busy\.db" "$work/s3rver.log")" = 2 ] ||
  fail "the restore's GET was not answered busy twice"
[ "$(sqlite3 "$work/busy-restored.db" "SELECT count(*) FROM blobs")" = 12000 ] ||
  fail "the restore after the store's 503s did not bring back its 12000 rows"
echo "ok: each part and the download answered 503 twice were tried again, the backup whole"
