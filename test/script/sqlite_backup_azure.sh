#!/usr/bin/env bash
# Backups that leave the machine for Azure Blob storage, against azurite
# (Microsoft's emulator, installed from npm at test time, on loopback,
# checking every request's Shared Key signature or SAS): `dbcare backup
# --copy-to azure://CONTAINER/PREFIX` uploads a full backup (by one Put
# Blob, its answered MD5 the read-back: no HEAD after it; in blocks, a
# block list and a read-back when bigger than the test-only bound
# DBCARE_TEST_AZURE_PUT_BLOB_MAX), an incremental chain and a sealed
# backup; with the database and every local backup file gone, `restore`
# and `verify` of azure://... bring each back from the container alone,
# rows identical.
# The credentials come from AZURE_STORAGE_CONNECTION_STRING (its
# BlobEndpoint, or the endpoint Azure's form makes of the account), or
# AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN:
# a wrong key, a forged SAS or one without write permission is refused
# (HTTP 403) and the key and token appear in no output, no `ps` line of a
# running upload, no catalog. An upload whose blob or block the store
# answers with another MD5 is never published; a blob whose bytes differ
# from its MD5 is not restored; a container name outside Azure's rules is
# refused; a store killed mid-upload leaves no blob under the name; one
# whose connections are reset mid-upload (a network error) fails with no
# blob and no row, or is tried again to a whole blob and its row.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/azure.sh"
. "$(dirname "$0")/lib/cli.sh"

azure_start shop
secret=$azure_key # run() fails when an output holds it
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR" b
db="$work/app.db"
# 12 MB of rows: the full backup goes up in two 8 MiB blocks
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
  CREATE TABLE blobs (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), body BLOB);
  INSERT INTO customers (email) SELECT 'c' || value || '@example.com' FROM generate_series(1, 500);
  INSERT INTO blobs (customer_id, body) SELECT 1 + value % 500, randomblob(1000)
    FROM generate_series(1, 12000);" >/dev/null
rows() { sqlite3 "$1" "SELECT id, email FROM customers ORDER BY id;
  SELECT id, customer_id, hex(body) FROM blobs ORDER BY id" | sha256sum | cut -c1-64; }
log() { grep -c "^request $1" "$work/azurite.log" || true; }
acct=$azure_account
# files above 8 MiB in blocks where a command says so (Azure's own bound
# for one Put Blob is 5000 MiB)
blocks=$((8 << 20))

dest=azure://shop/app/nightly
DBCARE_TEST_AZURE_PUT_BLOB_MAX=$blocks run 0 backup b/sun.db --copy-to "$dest" --db "sqlite:$db"
has "uploaded $work/b/sun.db to $dest/sun.db (its MD5 checked by the store, the blob's read back)" err
[ "$(log "PUT /$acct/shop/app/nightly/sun.db?comp=block&blockid=")" = 2 ] ||
  fail "the 12 MB backup was not uploaded in two blocks"
[ "$(log "PUT /$acct/shop/app/nightly/sun.db?comp=blocklist")" = 1 ] ||
  fail "the blocks were not committed by one block list"
[ "$(log "HEAD /$acct/shop/app/nightly/sun.db$")" = 1 ] || fail "the committed blob was not read back"
full_rows=$(rows "$db")
sqlite3 "$db" "INSERT INTO customers (email) VALUES ('mon@example.com')"
run 0 backup b/mon.db --incremental --copy-to "$dest" --db "sqlite:$db"
sqlite3 "$db" "UPDATE blobs SET body = randomblob(10) WHERE id <= 10"
# the base's local file gone: the incremental fetches it back from the
# container, held to its row's SHA-256, into its path, and builds on it
mv b/mon.db mon.away
run 0 backup b/tue.db --incremental --copy-to "$dest" --db "sqlite:$db"
has "fetched the base backup $dest/mon.db into $work/b/mon.db (SHA-256 checked)" err
cmp -s b/mon.db mon.away || fail "the base fetched from the container differs from mon.db"
rm mon.away
# an incremental backup is small: one Put Blob, whose answer carries the
# store's MD5 of the blob: no HEAD after it
[ "$(log "PUT /$acct/shop/app/nightly/tue.db$")" = 1 ] || fail "tue.db was not one Put Blob"
[ "$(log "HEAD /$acct/shop/app/nightly/tue.db$")" = 0 ] || fail "tue.db's Put Blob was read again by a HEAD"
chain_rows=$(rows "$db")
head -c 32 /dev/urandom >backup.key; chmod 600 backup.key
run 0 backup b/sealed.db --compress zstd --encrypt-key-file backup.key \
  --copy-to azure://shop/app/sealed --db "sqlite:$db"

# the account with its key, or a SAS token of the container, from the
# variables (the endpoint: AZURE_STORAGE_SERVICE_ENDPOINT)
cs=$AZURE_STORAGE_CONNECTION_STRING
sas=$(azure_sas rwdl)
(
  unset AZURE_STORAGE_CONNECTION_STRING
  export AZURE_STORAGE_ACCOUNT=$acct AZURE_STORAGE_SERVICE_ENDPOINT=$azure_endpoint
  AZURE_STORAGE_KEY=$azure_key run 0 backup b/key.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  # 12 MB without the test's bound: one Put Blob, no block, no HEAD
  [ "$(grep -c "^request [A-Z]* /$acct/shop/app/vars/key.db" "$work/azurite.log")" = 1 ] &&
    [ "$(log "PUT /$acct/shop/app/vars/key.db$")" = 1 ] || fail "the 12 MB key.db was not one Put Blob alone"
  secret=$sas
  AZURE_STORAGE_SAS_TOKEN="?$sas" run 0 backup b/sas.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  grep -q "^request PUT /$acct/shop/app/vars/sas.db?sv=2021-08-06&.*&sig=\.\.\.$" "$work/azurite.log" ||
    fail "the SAS upload did not carry the token"
  # a token that may only read is refused the write; a forged one anything
  secret=$(azure_sas r)
  AZURE_STORAGE_SAS_TOKEN=$secret run 1 backup b/readonly.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  has "HTTP 403, AuthorizationPermissionMismatch" err
  has "the SAS token's permissions" err
  real_key=$azure_key
  azure_key=$(head -c 32 /dev/urandom | base64 -w0)
  secret=$(azure_sas rwdl)
  azure_key=$real_key
  AZURE_STORAGE_SAS_TOKEN=$secret run 1 backup b/forged.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  has "HTTP 403" err
  # a wrong key: azurite checks the Shared Key signature
  secret=$(head -c 32 /dev/urandom | base64 -w0)
  AZURE_STORAGE_KEY=$secret run 1 backup b/wrongkey.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  has "HTTP 403, AuthorizationFailure" err
  has "the backup $work/b/wrongkey.db stands" err
  AZURE_STORAGE_KEY='not base64!' run 1 backup b/badkey.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  has "dbcare: AZURE_STORAGE_KEY is no base64 key" err
  grep -qF 'not base64!' err && fail "the malformed key was printed"
  unset AZURE_STORAGE_ACCOUNT
  run 1 backup b/noaccount.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  has "dbcare: no Azure storage account: set AZURE_STORAGE_CONNECTION_STRING" err
  # a connection string with a SAS instead of the key
  secret=$sas
  AZURE_STORAGE_CONNECTION_STRING="BlobEndpoint=$azure_endpoint;AccountName=$acct;SharedAccessSignature=$sas" \
    run 0 backup b/cs-sas.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  AZURE_STORAGE_CONNECTION_STRING="BlobEndpoint=$azure_endpoint;AccountName=$acct" \
    run 1 backup b/cs-none.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  has "has no AccountKey= and no SharedAccessSignature=" err
  # without BlobEndpoint the endpoint is Azure's form,
  # PROTOCOL://ACCOUNT.blob.SUFFIX, the account in the host and not in the
  # path (curl takes *.localhost for the loopback; azurite reads the
  # account from the host as Azure does, and checks the signature of it)
  secret=$azure_key
  AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=$acct;AccountKey=$azure_key;EndpointSuffix=localhost:$(cat "$work/azure.port")" \
    run 0 backup b/host.db --copy-to azure://shop/app/vars --db "sqlite:$db"
  grep -q "^request PUT /shop/app/vars/host.db$" "$work/azurite.log" ||
    fail "the endpoint made from the connection string did not name the account by its host"
)
blobs=$(azure_blobs) # one List Blobs (a node process) for the three checks
got=$(grep -v -E '/sha256-[0-9a-f]{64}\.ref$' <<<"$blobs" | tr '\n' ' ')
[ "$got" = "app/nightly/mon.db app/nightly/sun.db app/nightly/tue.db app/sealed/sealed.db app/vars/cs-sas.db app/vars/host.db app/vars/key.db app/vars/sas.db " ] ||
  fail "the container holds [$got]: want the eight backups"
# the chain's links are indexed by their SHA-256 beside them (the base and
# each incremental: three), through the same store; full backups are not
refs=$(grep -c -E '^app/nightly/sha256-[0-9a-f]{64}\.ref$' <<<"$blobs" || true)
[ "$refs" = 3 ] || fail "the chain has $refs index objects in the container, want 3"
[ "$(grep -c '\.ref$' <<<"$blobs")" = 3 ] || fail "index objects outside the chain's folder: $(grep '\.ref$' <<<"$blobs")"

# the credentials: never in the catalog, nor in a ps line of an upload
# (the store paused: the upload waits in its PUT)
sqlite3 "$db" .dump | grep -qF -e "$azure_key" -e "${sas##*sig=}" && fail "the catalog holds a secret"
azure_pause
"$cli" backup b/paused.db --copy-to "$dest" --db "sqlite:$db" >paused.out 2>&1 &
up=$!
for _ in $(seq 1 100); do [ -e b/paused.db ] && break; sleep 0.1; done
[ -e b/paused.db ] || fail "the paused upload's local backup was not made"
sleep 0.5
ps -eo pid,args >ps.txt
azure_resume
wait "$up" || { cat paused.out; fail "the upload paused and resumed failed"; }
grep -q "copy-to $dest" ps.txt || fail "ps did not show the upload (test premise)"
grep -qF "$azure_key" ps.txt && fail "ps shows the key"
grep -qF "$azure_key" paused.out "$work/azurite.log" && fail "the key was printed"

# each copy a catalog row naming its URL (no credential: above), none
# for an upload the store refused; verify URL of a chain's copy, the
# local backups gone, fetches it with its links and marks its row
[ "$(sqlite3 "$db" "SELECT count(*) FROM dbcare_backups WHERE kind = 'file_copy' AND path IN
  ('$dest/sun.db', '$dest/mon.db', '$dest/tue.db', 'azure://shop/app/sealed/sealed.db',
   'azure://shop/app/vars/key.db', '$dest/paused.db')")" = 6 ] || fail "the copies' rows"
[ "$(sqlite3 "$db" "SELECT count(*) FROM dbcare_backups WHERE kind = 'file_copy'
  AND (path LIKE '%/readonly.db' OR path LIKE '%/wrongkey.db')")" = 0 ] ||
  fail "a refused upload was recorded"
mv b b.away
sqlite3 "$db" "UPDATE dbcare_backups SET status = 'unverified' WHERE path = '$dest/tue.db'"
run 0 verify "$dest/tue.db" --db "sqlite:$db"
has "fetched $dest/tue.db" err
[ "$(sqlite3 "$db" "SELECT status FROM dbcare_backups WHERE path = '$dest/tue.db'")" = verified ] ||
  fail "verify of the copy's URL did not mark its row"
# a drill of the chain's copy: fetched into a private folder (gone after),
# held to the copy's own row and recorded against it under its URL
run 0 backup drill "$dest/tue.db" --db "sqlite:$db"
has "fetched $dest/tue.db" err
[ "$(sqlite3 "$db" "SELECT b.kind, d.path, d.method, d.status, d.mismatches FROM dbcare_backup_drills d
  JOIN dbcare_backups b ON b.id = d.backup_id ORDER BY d.id DESC LIMIT 1")" = "file_copy|$dest/tue.db|incremental|ok|0" ] ||
  fail "the container's drill is not recorded against the copy's row: $(cat out err)"
mv b.away b

# the database and every local backup gone: the container alone
rm -rf "$db" "$db-wal" "$db-shm" b
run 0 restore "$dest/sun.db" --db "sqlite:$work/full.db"
[ "$(rows "$work/full.db")" = "$full_rows" ] || fail "the full backup from the container: rows differ"
run 0 verify "$dest/sun.db" --db "sqlite:$work/full.db"
run 0 restore "$dest/tue.db" --db "sqlite:$work/chain.db"
has "fetched $dest/tue.db" err
[ "$(rows "$work/chain.db")" = "$chain_rows" ] || fail "the chain from the container: rows differ"
run 0 verify "$dest/tue.db" --db "sqlite:$work/chain.db"
run 0 restore azure://shop/app/sealed/sealed.db --encrypt-key-file backup.key --db "sqlite:$work/sealed.db"
[ "$(rows "$work/sealed.db")" = "$chain_rows" ] || fail "the sealed backup from the container: rows differ"
grep -q "^request GET /$acct/shop?restype=container&comp=list&prefix=app%2Fnightly%2F&maxresults=5000" \
  "$work/azurite.log" || fail "the chain's links were not listed by List Blobs"
[ -z "$(ls -A "$TMPDIR")" ] || fail "a fetch left $(ls "$TMPDIR") behind"

# what is not there, or not allowed, is an error naming it
run 1 restore "$dest/none.db" --db "sqlite:$work/none.db"
has "GET of $dest/none.db refused by the store (HTTP 404)" err
[ ! -e "$work/none.db" ] || fail "a failed fetch created the database"
run 1 restore azure://shop/ --db "sqlite:$work/none.db"
has "names no backup object: write azure://CONTAINER/PREFIX/NAME" err
for bad in 'evil.example#' Shop 'a--b' ab '-shop'; do
  run 1 backup "$work/badcontainer.db" --copy-to "azure://$bad/x" --db "sqlite:$work/chain.db"
  has "dbcare: $bad in azure://$bad/x is no Azure container name" err
  rm -f "$work/badcontainer.db"
done

# a store that answers another MD5 than the bytes' (lib/azurite.js: names
# holding "corrupt"): a blob removed again, blocks never committed
db="$work/chain.db"
DBCARE_TEST_AZURE_PUT_BLOB_MAX=$blocks run 1 backup "$work/corrupt.db" --copy-to "$dest" --db "sqlite:$db"
has "the store holds other bytes than sent for block 1 of $dest/corrupt.db" err
has "not published" err
[ "$(log "PUT /$acct/shop/app/nightly/corrupt.db?comp=blocklist")" = 0 ] ||
  fail "blocks that came back wrong were committed"
sqlite3 "$work/tiny.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
run 1 backup "$work/corrupt-small.db" --copy-to "$dest" --db "sqlite:$work/tiny.db"
has "the store holds other bytes than sent for blob $dest/corrupt-small.db" err
azure_blobs | grep -q corrupt && fail "an upload that came back wrong was published"

# a busy store (lib/azurite.js: names holding "busy" answered 503
# ServerBusy twice to each PUT): each block and the block list sent again
# after a pause, the blob published whole
from=$(($(wc -l <"$work/azurite.log") + 1))
DBCARE_TEST_AZURE_PUT_BLOB_MAX=$blocks run 0 backup "$work/busy.db" --copy-to "$dest" --db "sqlite:$db"
busy=$(tail -n +"$from" "$work/azurite.log" | grep -c "^busy PUT /$acct/shop/app/nightly/busy.db?" || true)
[ "$busy" -ge 4 ] && [ $((busy % 2)) = 0 ] ||
  fail "the store was not busy twice for each block and the list: $busy answers"
# (the restore's GETs first: the store is busy for the first two)
run 0 restore "$dest/busy.db" --db "sqlite:$work/busy-restored.db"
[ "$(grep -c "^busy GET /$acct/shop/app/nightly/busy.db" "$work/azurite.log")" = 2 ] ||
  fail "the restore's GET was not answered busy twice"
[ "$(sqlite3 "$work/busy-restored.db" .dump)" = "$(sqlite3 "$work/busy.db" .dump)" ] ||
  fail "the restore after the store's 503s is not the backup"
cmp -s "$work/busy.db" <(azure_blob app/nightly/busy.db) ||
  fail "after the store's 503s, the blob is not the whole backup"

# a blob whose bytes are not its MD5 (changed in the store) is not restored
run 0 backup "$work/tiny-copy.db" --copy-to "$dest" --db "sqlite:$work/tiny.db"
# azurite appends each blob to an extent file: its last byte, the newest
# file's last
extent=$(ls -t "$work/azure/__blobstorage__"/* | head -1)
"$py" - "$extent" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[-1] ^= 0xFF
open(p, 'wb').write(bytes(b))
PY
run 1 restore "$dest/tiny-copy.db" --db "sqlite:$work/tampered.db"
has "the bytes downloaded of $dest/tiny-copy.db are not the blob's" err
[ ! -e "$work/tampered.db" ] || fail "a tampered blob was restored"

# the store killed in the middle of an upload: the command fails, and no
# blob is published under the name
sqlite3 "$db" "INSERT INTO blobs (body) SELECT randomblob(1000) FROM generate_series(1, 40000)"
DBCARE_TEST_AZURE_PUT_BLOB_MAX=$blocks "$cli" backup "$work/crash.db" --copy-to "$dest" --db "sqlite:$db" >crash.out 2>&1 &
up=$!
# (tail follows the log until the first PUT or the command's end: no loop
# forking a grep every 20 ms)
grep -q -m1 "^request PUT /$acct/shop/app/nightly/crash.db?comp=block" < <(exec timeout 120 tail -n +1 -f --pid="$up" -s 0.005 "$work/azurite.log") || true
grep -q "^request PUT /$acct/shop/app/nightly/crash.db?comp=block" "$work/azurite.log" || fail "the upload of crash.db never started"
azure_kill
set +e; wait "$up"; rc=$?; set -e
[ "$rc" = 1 ] || { cat crash.out; fail "an upload to a killed store: exit $rc, want 1"; }
grep -q "crash.db" crash.out || fail "the failed upload did not name its object"
azure_start shop
azure_blobs | grep -qx 'app/nightly/crash.db' && fail "a half upload was published as crash.db"
run 1 restore "$dest/crash.db" --db "sqlite:$work/crash-restored.db"
has "HTTP 404" err

# a network error in the middle of an upload, the store up: every
# connection reset. The upload fails, no blob and no copy's row under the
# name, the local backup standing; or it is tried again to a whole blob,
# then its row
DBCARE_TEST_AZURE_PUT_BLOB_MAX=$blocks "$cli" backup "$work/reset.db" --copy-to "$dest" --db "sqlite:$db" >reset.out 2>&1 &
up=$!
grep -q -m1 "^request PUT /$acct/shop/app/nightly/reset.db?comp=block" < <(exec timeout 120 tail -n +1 -f --pid="$up" -s 0.005 "$work/azurite.log") || true
kill -0 "$up" 2>/dev/null || { cat reset.out; fail "the upload of reset.db ended before the reset (test premise)"; }
azure_reset
set +e; wait "$up"; rc=$?; set -e
copy_row=$(sqlite3 "$db" "SELECT count(*) FROM dbcare_backups WHERE kind = 'file_copy' AND path = '$dest/reset.db'")
if [ "$rc" = 0 ]; then
  azure_blob app/nightly/reset.db >reset.got
  cmp -s "$work/reset.db" reset.got || fail "the upload tried again after the reset published a blob not the backup"
  [ "$copy_row" = 1 ] || fail "the whole blob after the reset has no copy's row"
  echo "connections reset in an upload: tried again, whole, recorded"
else
  [ "$rc" = 1 ] || { cat reset.out; fail "an upload whose connections were reset: exit $rc, want 1"; }
  ! azure_blobs | grep -qx 'app/nightly/reset.db' || fail "a reset upload was published as reset.db"
  [ "$copy_row" = 0 ] || fail "the reset upload was recorded"
  [ -e "$work/reset.db" ] || fail "the local backup of the reset upload is gone"
  echo "connections reset in an upload: failed, nothing published or recorded"
fi
! grep -qF "$azure_key" reset.out || fail "the reset upload printed the key"
echo "ok"
