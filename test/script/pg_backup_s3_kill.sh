#!/usr/bin/env bash
# PostgreSQL's half of the kill test of backups that leave the machine
# (sqlite_backup_s3_kill.sh is SQLite's): 20 kill -9 of `dbcare backup
# --copy-to s3://...` of a pg_dump while it uploads to s3rver (from npm, on
# loopback; the dump in 5 MiB parts or one, by turns). Every object under
# a dump's name is byte for byte the dump, the name of every upload killed
# before the store published it is absent and restores nothing, a
# published one restores into a new database with every row, and every
# dump the catalog records verifies.
# dbcare-test-timeout: 600
set -eu
db=dbcare_backup_s3_kill
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/s3.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
trap 's3_stop; "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_restored" >/dev/null 2>&1; cleanup' EXIT

fresh_db
s3_start dumps
secret=$s3_secret
# random text compresses little: a dump of about 12 MB
q -c "CREATE TABLE items (id bigint PRIMARY KEY, body text);
      INSERT INTO items SELECT g, encode(gen_random_bytes(600), 'base64') FROM generate_series(1, 12000) g" \
  >/dev/null 2>&1 ||
  q -c "CREATE EXTENSION IF NOT EXISTS pgcrypto" -c "CREATE TABLE IF NOT EXISTS items (id bigint PRIMARY KEY, body text)" \
    -c "INSERT INTO items SELECT g, encode(gen_random_bytes(600), 'base64') FROM generate_series(1, 12000) g" >/dev/null
mkdir b
dest=s3://dumps/kill
printf '[default]\ns3 =\n  multipart_chunksize = 5MB\n  multipart_threshold = 5MB\n' >parts.conf

# how long one upload takes (from the dump's name to the exit)
"$cli" backup b/timing.dump --copy-to "$dest" --db "$url" >timing.out 2>&1 &
pid=$!
for _ in $(seq 1 4000); do [ -e b/timing.dump ] && break; sleep 0.005; done
start=$(date +%s%N)
wait "$pid" || { cat timing.out; fail "the timing upload failed"; }
up_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$up_ms" -gt 1 ] || up_ms=2
size=$(stat -c %s b/timing.dump)
[ "$size" -gt $((6 << 20)) ] || fail "the dump has $size bytes: want more than one 5 MiB part"

killed_mid=0 unpublished=0
for i in $(seq 1 20); do
  conf=/dev/null; [ $((i % 2)) = 1 ] && conf=parts.conf
  AWS_CONFIG_FILE=$conf "$cli" backup "b/k$i.dump" --copy-to "$dest" --db "$url" >"k$i.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 4000); do
    grep -q "^request PUT /dumps/kill/k$i\.dump" "$work/s3rver.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  sleep "0.$(printf "%03d" $(( RANDOM % (up_ms / 4 < 999 ? up_ms / 4 + 1 : 999) )))"
  if kill -9 "$pid" 2>/dev/null; then
    set +e; wait "$pid" 2>/dev/null; rc=$?; set -e
    [ "$rc" = 137 ] && killed_mid=$((killed_mid + 1))
    [ "$rc" = 137 ] && ! s3_objects | grep -qx "kill/k$i.dump" && unpublished=$((unpublished + 1))
  else
    wait "$pid" || true
  fi
done
echo "killed during the upload: $killed_mid of 20, $unpublished of them before the store published it (one upload: ${up_ms} ms)"
[ "$killed_mid" -ge 15 ] || fail "only $killed_mid of 20 kills landed in an upload (test premise)"
[ "$unpublished" -ge 5 ] || fail "only $unpublished kills landed before the store published (test premise)"

published=0
for i in $(seq 1 20); do
  if s3_objects | grep -qx "kill/k$i.dump"; then
    published=$((published + 1))
    cmp -s "b/k$i.dump" "$work/s3/dumps/kill/k$i.dump._S3rver_object" ||
      fail "kill/k$i.dump in the bucket is not the whole dump b/k$i.dump"
  fi
done
s3_objects | grep -v -x -E 'kill/(k[0-9]+|timing)\.dump' && fail "the bucket holds an object that is no dump"

restored="postgresql://$PGUSER@/${db}_restored?host=$PGHOST&port=$PGPORT"
run 0 create --db "$restored"
for i in $(seq 1 20); do
  if ! s3_objects | grep -qx "kill/k$i.dump"; then
    run 1 restore "$dest/k$i.dump" --db "$restored"
    has "HTTP 404" err
    break
  fi
done
run 0 restore "$dest/timing.dump" --db "$restored"
[ "$("$B/psql" -X -At -d "${db}_restored" -c "SELECT count(*) FROM items")" = 12000 ] ||
  fail "the published dump did not restore its 12000 rows"
run 0 verify --all-backups --db "$url"
echo "ok: $published of 20 published whole, the others absent"
