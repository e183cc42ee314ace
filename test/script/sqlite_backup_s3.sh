#!/usr/bin/env bash
# Backups that leave the machine, against s3rver (an S3 emulator installed
# from npm at test time, on loopback, checking every request's Signature
# V4): `dbcare backup --copy-to s3://BUCKET/PREFIX` uploads a full backup
# (in parts: bigger than one part), an incremental chain and a sealed
# backup, the chain's links indexed by their SHA-256 (sha256-HEX.ref); with the database and every local backup file gone, `restore`
# and `verify` of s3://... bring each back from the bucket alone, rows
# identical. An upload publishes its name only once whole and each part's
# MD5 was checked (under SSE-KMS, whose ETags are no MD5s, by S3 alone):
# a store killed mid-upload leaves no object under the name; the store
# (lib/s3rver.js, as AWS) keeps nothing of a PUT cut short or not its
# Content-MD5; a PUT the store refuses deletes nothing (another writer's
# object stands); a refused request names the bucket and HTTP status,
# never the secret. The secret appears in no output, no `ps` line of a
# running upload, no catalog and no file dbcare leaves. Each copy is a
# catalog row naming its URL, verified by verify --all-backups from the
# bucket with the local files gone; a forged object at a copy's URL is
# refused by verify, drill and restore, by its SHA-256. An SSE-KMS bucket's non-MD5 ETags are
# taken; a bucket name outside S3's rules is refused; names no local file
# can have are never fetched; a listing that never ends, or one page too
# big, is an error.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/s3.sh"
. "$(dirname "$0")/lib/cli.sh"

s3_start shop
secret=$s3_secret # run() fails when an output holds it
# the AWS CLI's multipart settings, read from the config file: the 12 MB
# backups go up in 5 MiB parts
export AWS_CONFIG_FILE="$work/aws-config"
printf '[default]\ns3 =\n  multipart_chunksize = 5MB\n  multipart_threshold = 5MB\n' >"$AWS_CONFIG_FILE"
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR" b
db="$work/app.db"
# 12 MB of rows: the full backup is uploaded in two parts (8 MiB each)
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
  CREATE TABLE blobs (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), body BLOB);
  INSERT INTO customers (email) SELECT 'c' || value || '@example.com' FROM generate_series(1, 500);
  INSERT INTO blobs (customer_id, body) SELECT 1 + value % 500, randomblob(1000)
    FROM generate_series(1, 12000);" >/dev/null
# every row's content, ordered: equal only when the rows are identical
rows() { sqlite3 "$1" "SELECT id, email FROM customers ORDER BY id;
  SELECT id, customer_id, hex(body) FROM blobs ORDER BY id" | sha256sum | cut -c1-64; }

dest=s3://shop/app/nightly
run 0 backup b/sun.db --copy-to "$dest" --db "sqlite:$db"
# nothing is read back from S3: the message says what was checked
has "uploaded $work/b/sun.db to $dest/sun.db (each part's MD5 checked by the store)" err
grep -q '^request PUT /shop/app/nightly/sun.db?partNumber=3&uploadId=' "$work/s3rver.log" ||
  fail "the 12 MB backup was not uploaded in 5 MiB parts"
full_rows=$(rows "$db")
sqlite3 "$db" "INSERT INTO customers (email) VALUES ('mon@example.com')"
run 0 backup b/mon.db --incremental --copy-to "$dest" --db "sqlite:$db"
sqlite3 "$db" "UPDATE blobs SET body = randomblob(10) WHERE id <= 10"
run 0 backup b/tue.db --incremental --copy-to "$dest" --db "sqlite:$db"
chain_rows=$(rows "$db")
head -c 32 /dev/urandom >backup.key; chmod 600 backup.key
run 0 backup b/sealed.db --compress zstd --encrypt-key-file backup.key \
  --copy-to s3://shop/app/sealed --db "sqlite:$db"
# virtual-host style (the profile's addressing_style): BUCKET.ENDPOINT/NAME
printf '[default]\ns3 =\n  addressing_style = virtual\n' >"$work/vhost.conf"
AWS_CONFIG_FILE="$work/vhost.conf" AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL/127.0.0.1/s3.localhost}" \
  run 0 backup b/vhost.db --copy-to s3://shop/app/vhost --db "sqlite:$db"
# (and, under the default multipart_threshold, by one PUT)
grep -q '^request PUT /app/vhost/vhost.db$' "$work/s3rver.log" ||
  fail "the virtual-host style upload was not one PUT naming the bucket by its host"
grep -q '^request POST /app/vhost/vhost.db' "$work/s3rver.log" &&
  fail "a backup under multipart_threshold was uploaded in parts"
cmp -s b/vhost.db "$work/s3/shop/app/vhost/vhost.db._S3rver_object" ||
  fail "the virtual-host style upload differs from the backup"
# a session token (AWS_SESSION_TOKEN) goes with every request, signed,
# and is printed nowhere
AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID}T" AWS_SESSION_TOKEN="$s3_token" \
  run 0 backup b/token.db --copy-to s3://shop/app/token --db "sqlite:$db"
grep -qF "$s3_token" "$work/out" "$work/err" && fail "the session token was printed"
AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID}T" run 1 backup b/notoken.db --copy-to s3://shop/app/token --db "sqlite:$db"
has "HTTP 403" err
# a folder is a destination too (another disk)
mkdir offsite
run 0 backup b/copy.db --copy-to "$work/offsite" --db "sqlite:$db"
cmp -s b/copy.db offsite/copy.db || fail "the folder's copy differs from the backup"

got=$(s3_objects | grep -v -E '/sha256-[0-9a-f]{64}\.ref$' | tr '\n' ' ')
[ "$got" = "app/nightly/mon.db app/nightly/sun.db app/nightly/tue.db app/sealed/sealed.db app/token/token.db app/vhost/vhost.db " ] ||
  fail "the bucket holds [$got]: want the six backups"
# the chain's links each indexed by its SHA-256 (what a restore of a chain
# follows; the full sun.db when mon.db, made on it, went up); a full backup
# alone costs no index
ls "$work/s3/shop/app/sealed" | grep -q 'sha256-' && fail "a full backup alone was indexed"
for f in nightly/sun nightly/mon nightly/tue; do
  sum=$(sha256sum <"$work/s3/shop/app/$f.db._S3rver_object" | cut -c1-64)
  [ "$(cat "$work/s3/shop/app/${f%/*}/sha256-$sum.ref._S3rver_object" 2>/dev/null)" = "${f#*/}.db" ] ||
    fail "app/$f.db has no index sha256-$sum.ref naming it"
done
for f in sun mon tue; do
  cmp -s "b/$f.db" "$work/s3/shop/app/nightly/$f.db._S3rver_object" ||
    fail "the bucket's $f.db differs from the local backup"
done

# each copy is a catalog row of its own (kind file_copy), its path the
# object's URL (a folder's copy: its absolute path), its SHA-256 the
# backup's; an upload that failed (the 403 above) recorded nothing
got=$(sqlite3 "$db" "SELECT c.path FROM dbcare_backups c JOIN dbcare_backups f
  ON f.kind = 'file' AND f.sha256 = c.sha256 AND f.id < c.id WHERE c.kind = 'file_copy'
  ORDER BY c.id" | tr '\n' ' ')
[ "$got" = "$dest/sun.db $dest/mon.db $dest/tue.db s3://shop/app/sealed/sealed.db s3://shop/app/vhost/vhost.db s3://shop/app/token/token.db $(readlink -f "$work")/offsite/copy.db " ] ||
  fail "the copies' rows: [$got]"
# the credentials: never in the catalog, nor in a ps line of an upload
# (the store paused: the upload waits in its PUT)
sqlite3 "$db" .dump | grep -qF -e "$s3_secret" -e "$s3_token" && fail "the catalog holds a secret"
s3_pause
"$cli" backup b/paused.db --copy-to "$dest" --db "sqlite:$db" >paused.out 2>&1 &
up=$!
for _ in $(seq 1 100); do [ -e b/paused.db ] && break; sleep 0.1; done
[ -e b/paused.db ] || fail "the paused upload's local backup was not made"
sleep 0.5
ps -eo pid,args >ps.txt
s3_resume
wait "$up" || { cat paused.out; fail "the upload paused and resumed failed"; }
grep -q "copy-to $dest" ps.txt || fail "ps did not show the upload (test premise)"
grep -qF "$s3_secret" ps.txt && fail "ps shows the secret"
grep -qF "$s3_secret" paused.out && fail "the upload printed the secret"

# a drill of the bucket's copy of the chain, the local backups gone (the
# database's catalog is there): fetched with its links, restored into
# scratch, compared with the copy's own row (kind file_copy) and recorded
# against it under its URL, never against the local tue.db's row
mv b b.away
run 0 backup drill "$dest/tue.db" --db "sqlite:$db" --json
[ "$(json "d['drill']['ok'], d['drill']['method'], d['drill']['mismatches'], d['drill']['path']")" = "True incremental 0 $dest/tue.db" ] ||
  fail "the drill of the bucket's chain: $(cat out)"
[ "$(sqlite3 "$db" "SELECT b.kind, b.path, d.status, d.rows_compared > 0 FROM dbcare_backup_drills d
  JOIN dbcare_backups b ON b.id = d.backup_id ORDER BY d.id DESC LIMIT 1")" = "file_copy|$dest/tue.db|ok|1" ] ||
  fail "the bucket's drill is not recorded against the copy's row: $(sqlite3 "$db" "SELECT * FROM dbcare_backup_drills")"
# an object of a backup's name holding other bytes (another database's
# backup named sun.db) fails its drill against sun.db's row, never
# stands in for it
mkdir forged
sqlite3 forger.db "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)"
run 0 backup forged/sun.db --copy-to s3://shop/app/forged --db sqlite:forger.db
run 1 backup drill s3://shop/app/forged/sun.db --db "sqlite:$db"
has "failed its restore drill" err
# a forged object at a copy's URL (another database's sun.db uploaded
# as vhost.db, whose file_copy row the catalog has): verify URL, the
# drill and restore refuse it, naming the object and the SHA-256 its row
# records, and never restore it (verify --all-backups fails it below)
vhost_obj="$work/s3/shop/app/vhost/vhost.db._S3rver_object"
cp "$vhost_obj" vhost.real
cp "$work/s3/shop/app/forged/sun.db._S3rver_object" "$vhost_obj"
vhost_sum=$(sha256sum <vhost.real | cut -c1-64)
run 1 verify s3://shop/app/vhost/vhost.db --db "sqlite:$db"
has "backup s3://shop/app/vhost/vhost.db failed verification: its content differs from the copy that was verified (the file's SHA-256)" err
before=$(rows "$db")
for cmd in "backup drill" restore; do
  run 1 $cmd s3://shop/app/vhost/vhost.db --db "sqlite:$db"
  has "dbcare: the object s3://shop/app/vhost/vhost.db is not the backup its catalog row" err
  has "the row records SHA-256 $vhost_sum" err
done
[ "$(rows "$db")" = "$before" ] || fail "the forged object was restored"
[ "$(sqlite3 "$db" "SELECT count(*) FROM dbcare_backup_drills WHERE path LIKE '%vhost%'")" = 0 ] ||
  fail "the forged object was drilled"
# verify --all-backups, the local backups gone: each copy fetched from
# the bucket (a chain's link with its links), held to its row's SHA-256,
# read by the module and its row marked; the local files' rows fail, and
# so does the forged vhost.db
run 1 verify --all-backups --encrypt-key-file backup.key --db "sqlite:$db"
for u in "$dest/sun.db" "$dest/mon.db" "$dest/tue.db" s3://shop/app/sealed/sealed.db \
  "$dest/paused.db"; do
  grep -qxF "verified $u" out || fail "verify --all-backups did not verify $u: $(cat out)"
done
grep -qxF "failed s3://shop/app/vhost/vhost.db: its content differs from the copy that was verified (the file's SHA-256)" out ||
  fail "verify --all-backups did not fail the forged vhost.db: $(cat out)"
grep -q "^failed $work/b/sun.db" out || fail "the gone local sun.db was not failed: $(cat out)"
[ "$(sqlite3 "$db" "SELECT count(*) FROM dbcare_backups WHERE kind = 'file_copy'
  AND status = 'verified' AND verified_at IS NOT NULL")" = 7 ] || fail "the copies' rows not marked: $(cat out; sqlite3 "$db" "SELECT id, kind, path, status, detail FROM dbcare_backups")"
cp vhost.real "$vhost_obj"
run 0 verify "$dest/tue.db" --db "sqlite:$db"
has "fetched $dest/tue.db" err
mv b.away b

# the database and every local backup gone: the bucket alone
rm -rf "$db" "$db-wal" "$db-shm" b offsite
run 0 restore "$dest/sun.db" --db "sqlite:$work/full.db"
[ "$(rows "$work/full.db")" = "$full_rows" ] || fail "the full backup from the bucket: rows differ"
run 0 verify "$dest/sun.db" --db "sqlite:$work/full.db"
json_ok=$("$cli" verify "$dest/sun.db" --json --db "sqlite:$work/full.db" |
  "$py" -c 'import json,sys; print(json.load(sys.stdin)["verify"]["verified"])')
[ "$json_ok" = True ] || fail "verify of the bucket's full backup: verified is $json_ok"
run 0 restore "$dest/tue.db" --db "sqlite:$work/chain.db"
has "fetched $dest/tue.db" err
[ "$(rows "$work/chain.db")" = "$chain_rows" ] || fail "the chain from the bucket: rows differ"
run 0 verify "$dest/tue.db" --db "sqlite:$work/chain.db"
run 0 restore s3://shop/app/sealed/sealed.db --encrypt-key-file backup.key --db "sqlite:$work/sealed.db"
[ "$(rows "$work/sealed.db")" = "$chain_rows" ] || fail "the sealed backup from the bucket: rows differ"
[ -z "$(ls -A "$TMPDIR")" ] || fail "a fetch left $(ls "$TMPDIR") behind"
# every request so far was signed as AWS checks it (lib/s3rver.js), but
# those made without the session token
! grep '^refused' "$work/s3rver.log" | grep -v '/app/token/notoken.db' ||
  fail "the store refused a request's signature"

# what is not there, or not allowed, is an error naming it, without secrets
run 1 restore "$dest/none.db" --db "sqlite:$work/none.db"
has "s3://shop/app/nightly/none.db" err
has "HTTP 404" err
[ ! -e "$work/none.db" ] || fail "a failed fetch created the database"
run 1 restore s3://shop/ --db "sqlite:$work/none.db"
has "names no backup object" err
db="$work/chain.db"
AWS_SECRET_ACCESS_KEY="wrong-$s3_secret" run 1 backup "$work/refused.db" --copy-to "$dest" --db "sqlite:$db"
grep -qF "wrong-$s3_secret" err && fail "the refused upload printed the secret"
has "HTTP 403" err
has "check the credentials" err
grep -q '^refused POST /shop/app/nightly/refused.db?uploads=: the signature differs' "$work/s3rver.log" ||
  { grep refused "$work/s3rver.log"; fail "the store did not see the wrong secret's signature (test premise)"; }
has "the backup $work/refused.db stands" err
[ -e "$work/refused.db" ] || fail "the local backup of a refused upload is gone"
key_id=$AWS_ACCESS_KEY_ID
( unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  export HOME="$work/home" AWS_PROFILE=offsite
  mkdir -p "$HOME/.aws"
  # the shared credentials file, by profile, as the AWS CLI reads it
  printf '[default]\naws_access_key_id = nobody\naws_secret_access_key = none\n[offsite]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$key_id" "$s3_secret" >"$HOME/.aws/credentials"
  run 0 backup "$work/profile.db" --copy-to "$dest" --db "sqlite:$db"
  has "uploaded" err
  AWS_PROFILE=default run 1 backup "$work/profile2.db" --copy-to "$dest" --db "sqlite:$db"
  has "HTTP 403" err
  AWS_PROFILE=missing run 1 backup "$work/profile3.db" --copy-to "$dest" --db "sqlite:$db"
  has "no AWS credentials for profile missing" err
  # the whole profile in the shared config file, as `aws configure` and
  # S3-compatible stores' guides write it: its key pair and endpoint_url,
  # no variable naming either
  endpoint=$AWS_ENDPOINT_URL
  unset AWS_ENDPOINT_URL AWS_REGION
  rm "$HOME/.aws/credentials"
  printf '[profile offsite]\nregion = us-east-1\nendpoint_url = %s\naws_access_key_id = %s\naws_secret_access_key = %s\ns3 =\n  multipart_threshold = 5MB\n' \
    "$endpoint" "$key_id" "$s3_secret" >"$HOME/.aws/config"
  AWS_CONFIG_FILE="$HOME/.aws/config" run 0 backup "$work/profile4.db" --copy-to "$dest" --db "sqlite:$db"
  cmp -s "$work/profile4.db" "$work/s3/shop/app/nightly/profile4.db._S3rver_object" ||
    fail "the upload by the config file's profile is not the backup"
  grep -q '^request PUT /shop/app/nightly/profile4.db?partNumber=' "$work/s3rver.log" ||
    fail "the profile's s3 multipart_threshold in the config file was not read"
)
# a store's URL as a backup's PATH: the backup is made on this disk first,
# so the error says how to name both (nothing made, nothing uploaded)
run 2 backup "$dest/direct.db" --db "sqlite:$db"
has "dbcare backup direct.db --copy-to $dest" err
! ls ./*direct* s3:* 2>/dev/null || fail "a backup to a URL as PATH left a file here"
# a store that answers another checksum than the part's: never completed
run 1 backup "$work/corrupt.db" --copy-to "$dest" --db "sqlite:$db"
has "the store holds other bytes than sent for part 1 of $dest/corrupt.db" err
has "not published" err
grep -q '^request DELETE /shop/app/nightly/corrupt.db?uploadId=' "$work/s3rver.log" ||
  fail "the refused upload was not aborted"
! grep -q '^request POST /shop/app/nightly/corrupt.db?uploadId=' "$work/s3rver.log" ||
  fail "an upload whose part came back wrong was completed"
sqlite3 "$work/tiny.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
run 1 backup "$work/corrupt-small.db" --copy-to "$dest" --db "sqlite:$work/tiny.db"
# (under multipart_threshold: one PUT, removed again)
has "the store holds other bytes than sent for the object $dest/corrupt-small.db" err
grep -q '^request DELETE /shop/app/nightly/corrupt-small.db$' "$work/s3rver.log" ||
  fail "the object that came back wrong was not removed"
s3_objects | grep -q corrupt && fail "an upload that came back wrong was published"
# the store's side of one checked PUT (lib/s3rver.js, as AWS does): a body
# that is not its Content-MD5, or one cut short of its Content-Length, is
# refused and leaves nothing under the name, not even a partial file
printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$s3_secret" >"$work/curl.conf"
put() { curl -sS -K "$work/curl.conf" --aws-sigv4 aws:amz:us-east-1:s3 -o /dev/null \
  -w '%{http_code}' -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -T "$work/tiny.db" "$@" \
  2>/dev/null || true; }
[ "$(put -H "Content-MD5: $(printf x | openssl md5 -binary | base64)" \
  "$AWS_ENDPOINT_URL/shop/app/put/wrong.db")" = 400 ] || fail "a PUT not its Content-MD5 was taken"
put -H "Content-MD5: $(openssl md5 -binary <"$work/tiny.db" | base64)" --max-time 0.5 \
  -H "Content-Length: $(($(stat -c %s "$work/tiny.db") + 1))" \
  "$AWS_ENDPOINT_URL/shop/app/put/cut.db" >/dev/null
for _ in $(seq 1 50); do
  grep -q '^refused PUT /shop/app/put/cut.db: a cut body' "$work/s3rver.log" && break
  sleep 0.1
done
grep -q '^refused PUT /shop/app/put/cut.db: a cut body' "$work/s3rver.log" ||
  fail "the cut PUT was not refused (test premise)"
[ -z "$(find "$work/s3/shop/app/put" -type f 2>/dev/null)" ] ||
  fail "a refused PUT left a file in the bucket: $(find "$work/s3/shop/app/put" -type f)"
printf '[default]\ns3 =\n  multipart_chunksize = 1MB\n' >"$work/small-parts"
AWS_CONFIG_FILE="$work/small-parts" run 1 backup "$work/small-parts.db" --copy-to "$dest" --db "sqlite:$work/tiny.db"
has "multipart_chunksize in the AWS config file's profile default is no size of at least 5MB" err
printf '[default]\ns3 =\n  multipart_threshold = 6GB\n' >"$work/big-put"
AWS_CONFIG_FILE="$work/big-put" run 1 backup "$work/big-put.db" --copy-to "$dest" --db "sqlite:$work/tiny.db"
has "multipart_threshold in the AWS config file's profile default is no size of at most 5GB" err

# an SSE-KMS bucket (lib/s3rver.js: names holding "kms") answers ETags
# that are no MD5s: the upload relies on S3's check of each part's
# Content-MD5, names the parts by S3's ETags, and is published whole
run 0 backup "$work/kms.db" --copy-to s3://shop/app/kms --db "sqlite:$db"
has "uploaded $work/kms.db to s3://shop/app/kms/kms.db" err
grep -q '^request PUT /shop/app/kms/kms.db?partNumber=2&uploadId=' "$work/s3rver.log" ||
  fail "the SSE-KMS upload was not in parts (test premise)"
cmp -s "$work/kms.db" "$work/s3/shop/app/kms/kms.db._S3rver_object" ||
  fail "the SSE-KMS upload differs from the backup"
run 0 restore s3://shop/app/kms/kms.db --db "sqlite:$work/kms-restored.db"
[ "$(rows "$work/kms-restored.db")" = "$(rows "$db")" ] || fail "the SSE-KMS backup: rows differ"

# a bucket name outside S3's rules never reaches a URL: with '#' the
# virtual-host URL's host would be another one
for bad in 'evil.example#' Shop 'a..b' ab '.shop'; do
  run 1 backup "$work/badbucket.db" --copy-to "s3://$bad/x" --db "sqlite:$db"
  has "dbcare: $bad in s3://$bad/x is no S3 bucket name" err
  rm -f "$work/badbucket.db"
done
run 1 restore 's3://evil.example#/x/a.db' --db "sqlite:$work/none.db"
has "is no S3 bucket name" err

# a prefix shared with another database's backup and objects whose names
# no local file can have ("..", ".hidden"): the chain is restored, the
# odd names are never fetched, and naming one to restore is refused
mixed=s3://shop/app/mixed
run 0 backup "$work/m-full.db" --copy-to "$mixed" --db "sqlite:$db"
sqlite3 "$db" "INSERT INTO customers (email) VALUES ('mixed@example.com')"
run 0 backup "$work/m-inc.db" --incremental --copy-to "$mixed" --db "sqlite:$db"
mixed_rows=$(rows "$db")
sqlite3 "$work/other-app.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
run 0 backup "$work/other.db" --copy-to "$mixed" --db "sqlite:$work/other-app.db"
for odd in .. .hidden; do
  for part in object metadata.json; do
    cp "$work/s3/shop/app/mixed/other.db._S3rver_$part" "$work/s3/shop/app/mixed/$odd._S3rver_$part"
  done
done
run 0 restore "$mixed/m-inc.db" --db "sqlite:$work/mixed.db"
[ "$(rows "$work/mixed.db")" = "$mixed_rows" ] || fail "the chain beside strangers: rows differ"
grep -q '^request GET /shop/app/mixed/\.hidden' "$work/s3rver.log" && fail "a name no local file has was fetched"
run 1 restore "$mixed/.hidden" --db "sqlite:$work/hidden.db"
has "dbcare: $mixed/.hidden cannot be fetched into a local file by its name" err
[ -z "$(ls -A "$TMPDIR")" ] || fail "a fetch left $(ls "$TMPDIR") behind"

# a single PUT the store refuses (lib/s3rver.js: a write-once bucket
# holding another writer's taken.db) deletes nothing: the object stands
for part in object metadata.json; do
  cp "$work/s3/shop/app/mixed/other.db._S3rver_$part" "$work/s3/shop/app/mixed/taken.db._S3rver_$part"
done
run 1 backup "$work/taken.db" --copy-to "$mixed" --db "sqlite:$work/tiny.db"
has "HTTP 412, PreconditionFailed" err
grep -q '^request DELETE /shop/app/mixed/taken.db' "$work/s3rver.log" &&
  fail "a refused PUT deleted the object it did not write"
cmp -s "$work/other.db" "$work/s3/shop/app/mixed/taken.db._S3rver_object" ||
  fail "the other writer's taken.db is gone or changed"

# a listing answered IsTruncated forever stops with an error; one page
# of more than the answer's cap is an error, never a quietly cut list
for hostile in endless huge; do
  run 0 backup "$work/$hostile-full.db" --copy-to "s3://shop/app/$hostile" --db "sqlite:$db"
  sqlite3 "$db" "INSERT INTO customers (email) VALUES ('$hostile@example.com')"
  # the upload stands; its index (which lists the folder) is said missing
  run 0 backup "$work/$hostile-inc.db" --incremental --copy-to "s3://shop/app/$hostile" --db "sqlite:$db"
  has "is whole but not indexed by its SHA-256" err
done
mark=$(wc -l <"$work/s3rver.log")
run 1 restore "s3://shop/app/endless/endless-inc.db" --db "sqlite:$work/endless.db"
has "dbcare: the listing of s3://shop/app/endless goes on past 1000 pages" err
pages=$(tail -n +"$((mark + 1))" "$work/s3rver.log" |
  grep -c '^request GET /shop/?continuation-token=.*prefix=app%2Fendless') || true
[ "$pages" = 999 ] || fail "the endless listing was not followed to its cap ($pages pages)"
run 1 restore "s3://shop/app/huge/huge-inc.db" --db "sqlite:$work/huge.db"
has "dbcare: GET of s3://shop/app/huge answered more than 1048576 bytes" err
grep -q '^request GET /shop/?list-type=2&max-keys=1000&prefix=app%2Fhuge' "$work/s3rver.log" ||
  fail "the listing did not ask for 1000 names a page"
[ -z "$(ls -A "$TMPDIR")" ] || fail "a failed fetch left $(ls "$TMPDIR") behind"

# the store killed in the middle of an upload: the command fails, and no
# object is published under the name
sqlite3 "$db" "INSERT INTO blobs (body) SELECT randomblob(1000) FROM generate_series(1, 40000)"
"$cli" backup "$work/crash.db" --copy-to "$dest" --db "sqlite:$db" >crash.out 2>&1 &
up=$!
# (tail follows the log until the first PUT or the command's end: no loop
# forking a grep every 20 ms)
grep -q -m1 '^request PUT /shop/app/nightly/crash.db?partNumber=' < <(exec timeout 120 tail -n +1 -f --pid="$up" -s 0.005 "$work/s3rver.log") || true
grep -q '^request PUT /shop/app/nightly/crash.db?partNumber=' "$work/s3rver.log" || fail "the upload of crash.db never started"
s3_kill
set +e; wait "$up"; rc=$?; set -e
[ "$rc" = 1 ] || { cat crash.out; fail "an upload to a killed store: exit $rc, want 1"; }
grep -q "crash.db" crash.out || fail "the failed upload did not name its object"
s3_start shop
s3_objects | grep -qx 'app/nightly/crash.db' && fail "a half upload was published as crash.db"
run 1 restore "$dest/crash.db" --db "sqlite:$work/crash-restored.db"
echo "ok"
