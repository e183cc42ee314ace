# pg_disaster_pitr_store.sh — a journey's body, sourced with STORE set.
# The day the PostgreSQL host is gone, with pgBackRest's repository in an
# object store (STORE: s3 or azure, lib/store.sh, its emulator served over
# HTTPS as pgBackRest requires; an http:// endpoint is refused): the
# cluster's archive_command pushes its WAL into the bucket, with the secret
# in neither the setting nor the server's logs: on S3 from a pgBackRest
# configuration file of the server's user only (mode 0600), the server's
# environment holding no secret; on Azure from the variable the server's
# environment keeps, named in the archive_command;
# `dbcare backup s3://...` (or azure://...) makes the stanza there, takes
# a full backup and records it; `dbcare verify` restores it into a scratch
# cluster from the bucket; on S3 a second backup killed (kill -9 of dbcare
# and its pgBackRest) in the middle of its upload, recorded nowhere;
# writes, a moment noted, more writes; then the
# cluster stopped, its data directory, its configuration and every local
# file of pgBackRest deleted; `dbcare restore --to-time --from URL` on a
# host whose pgBackRest configuration names no repository restores and
# recovers from the bucket alone; a plain `pg_ctl start` (no credentials in
# its environment) serves exactly the rows of that moment. The secret
# appears in no output of dbcare, not in the catalog, not in pgBackRest's
# or the server's logs. Run by pg_disaster_pitr_s3.sh and
# pg_disaster_pitr_azure.sh.
set -eu
db=dbcare_journey_pitr_$STORE
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/pg.sh"
. "$here/cli.sh"
py=/usr/bin/python3
S3_TLS=1 AZURE_TLS=1
. "$here/store.sh"
store_start pitr
secret=$store_secret # run() fails when an output holds it
dest=$store_scheme://pitr/app
port_of() { sed 's|^https://localhost:\([0-9]*\).*|\1|' <<<"$1"; }
# pgBackRest's own configuration of the repository (no secret), and the
# secret where the archive_command's pgBackRest finds it
if [ "$STORE" = s3 ]; then
  pgbr_repo="repo1-type=s3
repo1-s3-bucket=pitr
repo1-path=/app
repo1-s3-endpoint=localhost
repo1-storage-port=$(port_of "$AWS_ENDPOINT_URL")
repo1-s3-uri-style=path
repo1-bundle=y
repo1-s3-region=$AWS_REGION
repo1-storage-ca-file=$AWS_CA_BUNDLE"
  # the key pair in a file of the server's user only; the server started
  # without it in its environment; the archive_command the plain one
  pgbr_secret="repo1-s3-key=$AWS_ACCESS_KEY_ID
repo1-s3-key-secret=$AWS_SECRET_ACCESS_KEY"
  pgbr_server_env="-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY"
else
  pgbr_repo="repo1-type=azure
repo1-azure-container=pitr
repo1-path=/app
repo1-azure-account=$azure_account
repo1-azure-endpoint=localhost
repo1-storage-port=$(port_of "$azure_endpoint")
repo1-azure-uri-style=path
repo1-bundle=y"
  pgbr_archive='PGBACKREST_REPO1_AZURE_KEY="$AZURE_STORAGE_KEY" pgbackrest --stanza=app archive-push %p'
  export AZURE_STORAGE_KEY=$azure_key # the server's environment, as the user keeps it
fi
# the cheapest repository: lz4, small files bundled, 1 MB WAL segments
pgbr_no_stanza=1 pgbr_on_exit=store_stop pgbr_compress=lz4 pgbr_initdb=--wal-segsize=1
. "$here/pgbackrest.sh"

# the secret is in neither the archive_command nor the server's
# configuration; on S3 not in the server's environment either
P -d app -c "SHOW archive_command" | grep -q "archive-push %p" || fail "archive_command: $(P -d app -c "SHOW archive_command")"
! grep -qF "$secret" "$r/data/postgresql.conf" "$r/data/postgresql.auto.conf" <(P -d app -c "SHOW archive_command") ||
  fail "the server's configuration holds the secret"
[ "$STORE" != s3 ] || ! tr '\0' '\n' <"/proc/$(head -1 "$r/data/postmaster.pid")/environ" | grep -qF "$secret" ||
  fail "the server's environment holds the secret"

# --- pgBackRest reaches a store over TLS only: an http:// endpoint is
# refused before anything runs, saying what to set
if [ "$STORE" = s3 ]; then
  AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL/https:/http:} run 1 backup --type full "$dest" --db "$url"
else
  AZURE_STORAGE_CONNECTION_STRING=${AZURE_STORAGE_CONNECTION_STRING//https:/http:} run 1 backup --type full "$dest" --db "$url"
fi
has "over TLS only" err

# --- a full backup into the bucket, recorded, verified by a restore from it
P -d app -c "CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric)" \
  -c "INSERT INTO orders SELECT g, md5(g::text), g * 1.5 FROM generate_series(1, 3000) g"
run 0 backup --type full "$dest" --db "$url" --json
label=$(json "d['backup']['label']")
[ "$(json "d['backup']['path']")" = "pgbackrest:app/$label@$dest" ] || fail "the path names no bucket: $(cat out)"
store_objects | grep -q "^app/backup/app/$label/backup.manifest$" ||
  fail "the backup is not in $store_words: $(store_objects | head)"
run 0 verify "$label" --db "$url"
[ "$(P -d app -c "SELECT status FROM dbcare.backups WHERE label = '$label'")" = verified ] ||
  fail "the backup did not verify from $store_words: $(cat out err)"
! P -d app -c "SELECT * FROM dbcare.backups" | grep -qF "$secret" || fail "the catalog holds the secret"

# --- S3: a kill -9 in the middle of a backup's upload takes dbcare and
# its pgBackRest together, as a lost host would: nothing is recorded,
# pgBackRest lists no such backup, and the restore below (to a moment
# after it) never picks the partial one
if [ "$STORE" = s3 ]; then
  rows=$(P -d app -c "SELECT count(*) FROM dbcare.backups")
  bk=$work/s3/pitr/app/backup/app new=
  setsid "$cli" backup --type full "$dest" --db "$url" >"$work/killed.out" 2>&1 &
  killed=$!
  for _ in $(seq 1200); do
    for d in "$bk"/*F; do [ "$d" = "$bk/$label" ] || [ ! -d "$d" ] || new=$d; done
    [ -z "$new" ] && kill -0 "$killed" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$killed" 2>/dev/null || { cat "$work/killed.out"; fail "the backup to kill ended first"; }
  [ -n "$new" ] || fail "no upload of the backup to kill began"
  kill -9 -- "-$killed"
  wait "$killed" || true
  [ "$(P -d app -c "SELECT count(*) FROM dbcare.backups")" = "$rows" ] || fail "the killed backup was recorded"
  ! "${AS_PG[@]}" pgbackrest --stanza=app --output=json info | grep -qF "${new##*/}" ||
    fail "pgBackRest lists the killed backup ${new##*/}"
  echo "killed in its upload, recorded nowhere: ${new##*/}"
fi

# --- writes, the moment, more writes (pgBackRest's stop time is whole seconds)
sleep 1.1
P -d app -c "UPDATE orders SET note = 'changed' WHERE id % 7 = 0" \
  -c "INSERT INTO t (id, batch) SELECT g, 'B' FROM generate_series(1001, 2000) g"
sleep 0.3
target=$(P -d app -c "SELECT clock_timestamp()")
sleep 0.3
then=$(P -d app -c "SELECT (SELECT count(*) || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o) || ' ' || (SELECT count(*) || md5(string_agg(x::text, ',' ORDER BY id)) FROM t x)")
P -d app -c "DELETE FROM orders WHERE id % 11 = 0" \
  -c "INSERT INTO t (id, batch) SELECT g, 'C' FROM generate_series(2001, 2500) g"

# --- the host is gone: the WAL archived, the cluster, its data,
# pgBackRest's configuration and files
pgbr_ship_wal gone
# the archive_command shipped the WAL past the backup into the bucket
store_objects | grep -q "^app/archive/app/[^/]*/${pgbr_shipped:0:16}/$pgbr_shipped-" ||
  fail "the last WAL segment archived, $pgbr_shipped, is not in $store_words"
cp -r "$r/log" "$work/pgbackrest-log"
rm -rf "$r/repo" "$r/spool" "$r/log" "$r/pgbackrest.conf" "$r/conf.d"
unset AZURE_STORAGE_KEY PGBACKREST_CONFIG_INCLUDE_PATH
# the new host's pgBackRest configuration names no repository
mkdir -p "$r/log"
printf '[global]\nlog-path=%s\nlock-path=%s\nlog-level-console=warn\n' "$r/log" "$r/lock" >"$r/new.conf"
[ "$(id -u)" != 0 ] || chown -R postgres: "$r"
export PGBACKREST_CONFIG=$r/new.conf

# --- from the bucket alone, into a new directory, recovered there
run 0 restore --to-time "$target" "$r/restored" --stanza app --from "$dest" --json
[ "$(json "d['recovered']")" = True ] || fail "not recovered: $(cat out)"
[ ! -e "$r/restored/recovery.signal" ] || fail "the copy is still to recover"
[ -z "$(ls "$r/tmp")" ] || fail "the restore left $(ls "$r/tmp")"
"${AS_PG[@]}" env -u AWS_SECRET_ACCESS_KEY -u AZURE_STORAGE_CONNECTION_STRING "$B/pg_ctl" -D "$r/restored" \
  -l "$r/restored.log" -w start >/dev/null || { tail -20 "$r/restored.log"; fail "the restored cluster did not start"; }
[ "$(P -d app -c "SELECT pg_is_in_recovery()")" = f ] || fail "the copy is in recovery"
got=$(P -d app -c "SELECT (SELECT count(*) || md5(string_agg(o::text, ',' ORDER BY id)) FROM orders o) || ' ' || (SELECT count(*) || md5(string_agg(x::text, ',' ORDER BY id)) FROM t x)")
[ "$got" = "$then" ] || fail "as of $target: $then, the copy holds $got"
! grep -rqF "$secret" "$work/pgbackrest-log" "$r/log" "$r/restored/log" "$r/restored.log" "$r/server.log" 2>/dev/null ||
  fail "a log holds the secret"
echo "total: $((($(date +%s%N) - start_ns) / 1000000)) ms"
echo "ok: pgBackRest in $store_words: backed up, verified, restored to $target from it alone"
