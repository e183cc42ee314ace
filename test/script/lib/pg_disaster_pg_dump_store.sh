# pg_disaster_pg_dump_store.sh — a journey's body, sourced with STORE set.
# The day the PostgreSQL host is gone, with the dumps in an object store
# (STORE: s3 or azure, lib/store.sh): as pg_disaster_pg_dump.sh, but each
# dump (plain and sealed) is uploaded with `dbcare backup --copy-to
# s3://...` or `azure://...` to the store's emulator (installed from npm at
# test time, on loopback, checking each request's signature; the plain
# one by the setting backup.dir holding the store's URL, kept nowhere
# here), each object a catalog row (`dbcare backups`, `verify
# --all-backups` from the store), then the
# database is dropped with its catalog and the local dump files deleted,
# and each dump is restored and verified from the store alone (`dbcare
# restore`, `dbcare verify` of the URL; from S3 the sealed one drilled
# too, `dbcare backup drill` of the URL) into a new database. Every table's
# row count and content hash must equal the source's; the secret appears
# in no output, not in the catalog and not in the store's request log.
# Run by pg_disaster_pg_dump_s3.sh and pg_disaster_pg_dump_azure.sh.
set -eu
db=dbcare_journey_pg_dump_$STORE
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/pg.sh"
fresh_db
. "$here/store.sh"
. "$here/cli.sh"
py=/usr/bin/python3
base="postgresql://$PGUSER@/%s?host=$PGHOST&port=$PGPORT"
url=$(printf "$base" "$db")
trap 'store_stop; for d in ${db}_plain ${db}_sealed; do "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done; cleanup' EXIT
store_start dumps
secret=$store_secret # run() fails when an output holds it

state() { # database: every user table's name, row count and rows' md5
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || coalesce(md5(string_agg(x::text, E''\n'' ORDER BY x::text)), ''-'') FROM %s AS x',
              c.oid::regclass::text, c.oid::regclass)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbcare')
   AND n.nspname NOT LIKE 'pg_toast%'
 ORDER BY 1 \gexec
SQL
}

mkdir db
cat >db/schema.sql <<'SQL'
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id),
  total numeric(12,2) NOT NULL CHECK (total >= 0), note text);
SQL
run 0 generate --to db/schema.sql create_shop --db "$url"
run 0 migrate --db "$url"
q -c "INSERT INTO customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 2000) g" \
  -c "INSERT INTO orders SELECT g, 1 + g % 2000, (g % 500) * 1.25, CASE WHEN g % 3 = 0 THEN 'gift' END FROM generate_series(1, 20000) g"
state "$db" >want
[ "$(wc -l <want)" -ge 2 ] || fail "the source has $(wc -l <want) tables"

# the plain dump by the setting backup.dir, the store's URL (the sealed
# one by the same URL on the command line): made in a private folder of
# TMPDIR under its default name, uploaded there, recorded as the object
# (its one row) and kept nowhere on this machine
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
run 0 config set backup.dir $store_scheme://dumps/shop --db "$url"
run 0 backup --db "$url" --json
plain=$(json "d['backup']['path'].rsplit('/', 1)[1]")
[ "$(json "d['backup']['path']")" = "$store_scheme://dumps/shop/$plain" ] ||
  fail "the backup's row names $(json "d['backup']['path']"), not the object"
case $plain in "$db"-*.dump) ;; *) fail "the dump's name $plain is not its default one" ;; esac
! ls "$work"/*.dump 2>/dev/null || fail "the dump for the store was kept here"
[ -z "$(ls -A "$TMPDIR")" ] || fail "the upload's stage was left: $(ls "$TMPDIR")"
# verify --all-backups checks the object from the store (fetched, restored
# into scratch, compared with its row; once, in the S3 run: the fetch is
# the one restore takes from either store below)
if [ "$STORE" = s3 ]; then
  run 0 verify --all-backups --db "$url"
  has "verified $store_scheme://dumps/shop/$plain" out
  # an object whose bytes changed in the store fails its row's SHA-256
  # (before any restore), named by its URL; then put back
  obj="$work/s3/dumps/shop/$plain._S3rver_object"
  cp "$obj" good.dump
  printf X | dd of="$obj" bs=1 seek=100 conv=notrunc status=none
  run 1 verify --all-backups --db "$url"
  has "failed $store_scheme://dumps/shop/$plain: " out
  cp good.dump "$obj"
  rm good.dump
fi
head -c 32 /dev/urandom >backup.key
chmod 600 backup.key
run 0 backup nightly-sealed.dump --compress zstd --encrypt-key-file backup.key \
  --copy-to $store_scheme://dumps/shop --db "$url"
# dbcare backups lists the local sealed dump and both objects, each its row
run 0 backups --json --db "$url"
[ "$(json "' '.join(sorted(b['path'] for b in d['backups']))")" = \
  "$work/nightly-sealed.dump $store_scheme://dumps/shop/$plain $store_scheme://dumps/shop/nightly-sealed.dump" ] ||
  fail "dbcare backups lists $(json "[b['path'] for b in d['backups']]")"
"$B/psql" -X -q -At -d "$db" -c "SELECT * FROM dbcare.backups" | grep -qF "$store_secret" &&
  fail "the catalog holds the secret"

# the database, its catalog and the local dumps are gone
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
rm -f nightly-sealed.dump

for kind in plain sealed; do
  new=$(printf "$base" "${db}_$kind")
  run 0 create --db "$new"
  if [ $kind = plain ]; then
    obj=$store_scheme://dumps/shop/$plain key=()
  else
    obj=$store_scheme://dumps/shop/nightly-sealed.dump key=(--encrypt-key-file backup.key)
  fi
  run 0 restore "$obj" "${key[@]}" --db "$new"
  has "every row count and content hash the source's" out
  run 0 verify "$obj" "${key[@]}" --db "$new"
  # a drill of the store's copy: fetched, restored into scratch, compared
  # a drill of the store's sealed copy (the local dumps are gone): fetched,
  # unsealed, restored into scratch and compared with its record (in the
  # S3 run: the fetch is the one restore and verify take from either
  # store, and the Azure run is near the CI budget)
  if [ $kind = sealed ] && [ "$STORE" = s3 ]; then
    run 0 backup drill "$obj" "${key[@]}" --db "$new" --json
    [ "$(json "d['drill']['ok'], d['drill']['mismatches'], d['drill']['tables'] >= 2, d['drill']['path'].endswith('/${obj##*/}')")" = "True 0 True True" ] ||
      fail "the drill of $obj: $(cat out)"
  fi
  state "${db}_$kind" >got
  cmp -s want got || fail "$kind: the restored rows differ: $(diff want got | head -5)"
  echo "$kind: $(wc -l <got) tables restored and verified from $store_words alone"
done
! grep '^refused' "$store_log" || fail "the store refused a request's signature"
! grep -qF "$store_secret" "$store_log" || fail "the secret reached the store's log"
