#!/usr/bin/env bash
# PostgreSQL's half of the kill test of backups that leave the machine for
# Azure (sqlite_backup_azure_kill.sh is SQLite's): 20 kill -9 of `dbcare
# backup --copy-to azure://...` of a pg_dump while it uploads to azurite
# (from npm, on loopback; by turns an 11 MB dump in two blocks and a block
# list, and a 6 MB one by one Put Blob). Every blob under a dump's name is
# byte for byte the dump, the name of every upload killed before the store
# published it is absent and restores nothing, a published one restores
# into a new database with every row, and every dump the catalog records
# verifies.
# dbcare-test-timeout: 900
set -eu
db=dbcare_backup_azure_kill
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/azure.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
trap 'azure_stop; for d in ${db}_small; do "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done; "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_restored" >/dev/null 2>&1; cleanup' EXIT

fresh_db
azure_start dumps
secret=$azure_key
acct=$azure_account
# random text compresses little: a dump of about 11 MB
q -c "CREATE TABLE items (id bigint PRIMARY KEY, body text);
      INSERT INTO items SELECT g, encode(gen_random_bytes(600), 'base64') FROM generate_series(1, 18000) g" \
  >/dev/null 2>&1 ||
  q -c "CREATE EXTENSION IF NOT EXISTS pgcrypto" -c "CREATE TABLE IF NOT EXISTS items (id bigint PRIMARY KEY, body text)" \
    -c "INSERT INTO items SELECT g, encode(gen_random_bytes(600), 'base64') FROM generate_series(1, 18000) g" >/dev/null
# a second database of half the rows: its dump is one Put Blob
small="postgresql://$PGUSER@/${db}_small?host=$PGHOST&port=$PGPORT"
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_small" -c "CREATE DATABASE ${db}_small" >/dev/null 2>&1
"$B/psql" -X -q -d "${db}_small" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" >/dev/null
"$B/psql" -X -q -d "$db" -c "COPY (SELECT * FROM items WHERE id <= 6000) TO STDOUT" |
  "$B/psql" -X -q -d "${db}_small" -c "CREATE TABLE items (id bigint PRIMARY KEY, body text)" \
    -c "COPY items FROM STDIN" >/dev/null
mkdir b
dest=azure://dumps/kill

# how long one upload of each takes (from the dump's name to the exit)
declare -A up_ms urls=([big]="$url" [small]="$small")
for kind in big small; do
  "$cli" backup "b/timing-$kind.dump" --copy-to "$dest" --db "${urls[$kind]}" >timing.out 2>&1 &
  pid=$!
  for _ in $(seq 1 4000); do [ -e "b/timing-$kind.dump" ] && break; sleep 0.005; done
  start=$(date +%s%N)
  wait "$pid" || { cat timing.out; fail "the timing upload failed"; }
  up_ms[$kind]=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "${up_ms[$kind]}" -gt 1 ] || up_ms[$kind]=2
done
size=$(stat -c %s b/timing-big.dump)
[ "$size" -gt $((8 << 20)) ] || fail "the dump has $size bytes: want more than one 8 MiB block"
[ "$(stat -c %s b/timing-small.dump)" -le $((8 << 20)) ] || fail "the small dump is more than one block (test premise)"

killed_mid=0 unpublished=0
for i in $(seq 1 20); do
  kind=small; [ $((i % 2)) = 1 ] && kind=big
  "$cli" backup "b/k$i.dump" --copy-to "$dest" --db "${urls[$kind]}" >"k$i.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 4000); do
    grep -q "^request PUT /$acct/dumps/kill/k$i\.dump" "$work/azurite.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  ms=${up_ms[$kind]}
  sleep "0.$(printf "%03d" $(( RANDOM % (ms / 4 < 999 ? ms / 4 + 1 : 999) )))"
  if kill -9 "$pid" 2>/dev/null; then
    set +e; wait "$pid" 2>/dev/null; rc=$?; set -e
    [ "$rc" = 137 ] && killed_mid=$((killed_mid + 1))
    [ "$rc" = 137 ] && ! azure_blobs | grep -qx "kill/k$i.dump" && unpublished=$((unpublished + 1))
  else
    wait "$pid" || true
  fi
done
echo "killed during the upload: $killed_mid of 20, $unpublished of them before the store published it (one upload: ${up_ms[big]} ms in blocks, ${up_ms[small]} ms by Put Blob)"
[ "$killed_mid" -ge 15 ] || fail "only $killed_mid of 20 kills landed in an upload (test premise)"
[ "$unpublished" -ge 5 ] || fail "only $unpublished kills landed before the store published (test premise)"

published=0
for i in $(seq 1 20); do
  if azure_blobs | grep -qx "kill/k$i.dump"; then
    published=$((published + 1))
    azure_blob "kill/k$i.dump" >got.dump
    cmp -s "b/k$i.dump" got.dump ||
      fail "kill/k$i.dump in the container is not the whole dump b/k$i.dump"
  fi
done
azure_blobs | grep -v -x -E 'kill/(k[0-9]+|timing-big|timing-small)\.dump' && fail "the container holds a blob that is no dump"

restored="postgresql://$PGUSER@/${db}_restored?host=$PGHOST&port=$PGPORT"
run 0 create --db "$restored"
for i in $(seq 1 20); do
  if ! azure_blobs | grep -qx "kill/k$i.dump"; then
    run 1 restore "$dest/k$i.dump" --db "$restored"
    has "HTTP 404" err
    break
  fi
done
run 0 restore "$dest/timing-big.dump" --db "$restored"
[ "$("$B/psql" -X -At -d "${db}_restored" -c "SELECT count(*) FROM items")" = 18000 ] ||
  fail "the published dump did not restore its 18000 rows"
run 0 verify --all-backups --db "$url"
run 0 verify --all-backups --db "$small"
echo "ok: $published of 20 published whole, the others absent"
