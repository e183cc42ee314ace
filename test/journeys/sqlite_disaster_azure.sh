#!/usr/bin/env bash
# The day the host is gone, with the backups in an Azure container: the
# steps of docs/backups.md, "Backups in an Azure container", with the same
# commands, against azurite (Microsoft's Azure Storage emulator, installed
# from npm at test time, on loopback, checking each request's Shared Key
# signature). An application's schema
# as code, migrated, its rows written by the sqlite3 shell; a full backup,
# an incremental chain and a sealed backup, each uploaded with --copy-to.
# Then the database file, its -wal and -shm and every local backup file are
# deleted, and each backup is restored from the container alone (dbcare
# restore azure://...), verified from the container, its migrations intact
# (status --exit-code), every row as it was: each table's count and a
# content hash through sqlite3. The account key appears in no output.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/../script/lib/azure.sh"
. "$(dirname "$0")/lib/built_cli.sh"
unset DATABASE_URL
export DBCARE_MODULE="$module"
dbcare() { "$cli" "$@"; }
cd "$work"
azure_start shop # AZURE_STORAGE_CONNECTION_STRING, exported

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
  echo "$1: restored from the container alone, every row as it was"
}
step() {
  "$@" >step.out 2>&1 || fail "$*: $(cat step.out)"
  ! grep -qF "$azure_key" step.out || fail "$*: printed the account key"
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
step dbcare backup backups/full.db --copy-to azure://shop/app --db sqlite:app.db
want=$(rows)
gone
step dbcare restore azure://shop/app/full.db --db sqlite:app.db
step dbcare verify azure://shop/app/full.db --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "full backup" "$want"

# an incremental chain, each link uploaded
step dbcare backup backups/sun.db --copy-to azure://shop/app/chain --db sqlite:app.db
sqlite3 app.db "INSERT INTO orders (customer_id, total) VALUES (1, 30)"
step dbcare backup backups/mon.db --incremental --copy-to azure://shop/app/chain --db sqlite:app.db
sqlite3 app.db "INSERT INTO orders (customer_id, total) VALUES (2, 40)"
step dbcare backup backups/tue.db --incremental --copy-to azure://shop/app/chain --db sqlite:app.db
want=$(rows)
gone
step dbcare restore azure://shop/app/chain/tue.db --db sqlite:app.db
step dbcare verify azure://shop/app/chain/tue.db --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "incremental chain" "$want"

# a sealed backup, uploaded; its key kept elsewhere
head -c 32 /dev/urandom >backup.key; chmod 600 backup.key
step dbcare backup backups/sealed.db --compress zstd --encrypt-key-file backup.key \
  --copy-to azure://shop/app --db sqlite:app.db
want=$(rows)
gone
step dbcare restore azure://shop/app/sealed.db --encrypt-key-file backup.key --db sqlite:app.db
step dbcare verify azure://shop/app/sealed.db --encrypt-key-file backup.key --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "sealed backup" "$want"
