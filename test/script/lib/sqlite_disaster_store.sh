# sqlite_disaster_store.sh — a journey's body, sourced with STORE set.
# The day the host is gone, with the backups in an object store (STORE:
# s3 or azure, lib/store.sh): the steps of docs/backups.md, "Backups in a
# bucket (S3)" and "Backups in an Azure container", with the same
# commands, against the store's emulator installed from npm at test time
# (s3rver checking each request's Signature V4, azurite its Shared Key), on
# loopback. An application's schema as code, migrated, its rows written by
# the sqlite3 shell; a full backup, an incremental chain and a sealed
# backup, each uploaded with --copy-to. Then the database file, its -wal
# and -shm and every local backup file are deleted, and each backup is
# restored from the store alone (dbcare restore s3://... or azure://...;
# an incremental fetches its chain's links by their SHA-256 index alone,
# never another database's backup beside them), verified from the store,
# its migrations intact (status --exit-code), every row as it was: each
# table's count and a content hash through sqlite3. The secret appears in
# no output. Run by sqlite_disaster_s3.sh and sqlite_disaster_azure.sh.
set -eu
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/sqlite.sh"
. "$here/store.sh"
. "$here/built_cli.sh"
unset DATABASE_URL
export DBCARE_MODULE="$module"
dbcare() { "$cli" "$@"; }
cd "$work"
store_start shop # the credentials exported as users keep them

rows() {
  sqlite3 app.db "SELECT 'customers', count(*) FROM customers; SELECT 'orders', count(*) FROM orders"
  sqlite3 app.db "SELECT * FROM customers ORDER BY id; SELECT * FROM orders ORDER BY id" | sha256sum
}
restored() { # KIND WANT: the rows restored are WANT
  local got; got=$(rows)
  [ "$got" = "$2" ] || fail "$1: the restored rows differ:
$got
want:
$2"
  echo "$1: restored from $store_words alone, every row as it was"
}
step() {
  "$@" >step.out 2>&1 || fail "$*: $(cat step.out)"
  ! grep -qF "$store_secret" step.out || fail "$*: printed the store's secret"
}
gone() { # the host's files are gone: the database and every local backup
  rm -rf app.db app.db-wal app.db-shm backups
  mkdir backups
}

cat >schema.sql <<'SQL'
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
                     total REAL NOT NULL, note TEXT);
SQL
step dbcare create --db sqlite:app.db
step dbcare generate --to schema.sql init --db sqlite:app.db
step dbcare migrate --db sqlite:app.db
sqlite3 app.db "PRAGMA journal_mode = wal;
  INSERT INTO customers (email) SELECT 'c' || value || '@example.com' FROM generate_series(1, 50);
  INSERT INTO orders (customer_id, total, note)
    SELECT 1 + value % 50, value * 1.5, 'sale ' || value FROM generate_series(1, 200)" >/dev/null
mkdir backups

# a full backup, uploaded
step dbcare backup backups/full.db --copy-to $store_scheme://shop/app --db sqlite:app.db
want=$(rows)
gone
step dbcare restore $store_scheme://shop/app/full.db --db sqlite:app.db
step dbcare verify $store_scheme://shop/app/full.db --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "full backup" "$want"

# an incremental chain, each link uploaded
step dbcare backup backups/sun.db --copy-to $store_scheme://shop/app/chain --db sqlite:app.db
sqlite3 app.db "INSERT INTO orders (customer_id, total) VALUES (1, 30)"
step dbcare backup backups/mon.db --incremental --copy-to $store_scheme://shop/app/chain --db sqlite:app.db
sqlite3 app.db "INSERT INTO orders (customer_id, total) VALUES (2, 40)"
step dbcare backup backups/tue.db --incremental --copy-to $store_scheme://shop/app/chain --db sqlite:app.db
want=$(rows)
# another database's backup beside the chain: the restore fetches the
# chain's links by their index alone, never it
sqlite3 other.db "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
step dbcare backup backups/other.db --copy-to $store_scheme://shop/app/chain --db sqlite:other.db
gone
mark=$(wc -l <"$store_log")
step dbcare restore $store_scheme://shop/app/chain/tue.db --db sqlite:app.db
fetched=$(tail -n +"$((mark + 1))" "$store_log" | grep -o '^request GET [^ ?]*/app/chain/[a-z]*\.db' |
  sed 's|.*/||' | sort -u | tr '\n' ' ')
[ "$fetched" = "mon.db sun.db tue.db " ] ||
  fail "the restore of tue.db fetched [$fetched], not its chain (sun, mon, tue) alone"
step dbcare verify $store_scheme://shop/app/chain/tue.db --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "incremental chain" "$want"

# a sealed backup, uploaded; its key kept elsewhere
head -c 32 /dev/urandom >backup.key; chmod 600 backup.key
step dbcare backup backups/sealed.db --compress zstd --encrypt-key-file backup.key \
  --copy-to $store_scheme://shop/app --db sqlite:app.db
want=$(rows)
gone
step dbcare restore $store_scheme://shop/app/sealed.db --encrypt-key-file backup.key --db sqlite:app.db
step dbcare verify $store_scheme://shop/app/sealed.db --encrypt-key-file backup.key --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "sealed backup" "$want"
