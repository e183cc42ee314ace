#!/usr/bin/env bash
# The day a SQLite database is gone, for every kind of backup: the steps of
# docs/backups.md, "The day the database is gone", with the same commands.
# An application's schema as code (dbcare generate), applied (dbcare
# migrate), its rows written by the sqlite3 shell; then a full backup, an
# incremental chain, a sealed (compressed, encrypted) backup and a
# point-in-time log captured by `dbcare log` into the database's
# backup.log.dir. Each time the database file is deleted with its -wal and
# -shm, restored from the backup files alone (dbcare restore, --to-time),
# verified (dbcare verify; the log: backup drill --log), its migrations
# intact (dbcare status --exit-code), and its rows those of the moment
# restored to: each table's row count and a content hash, through sqlite3.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
unset DATABASE_URL
export DBCARE_MODULE="$module"
dbcare() { "$cli" "$@"; }
cd "$work"

# each table's row count and the SHA-256 of its rows, in id order
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
  echo "$1: restored from the backup files alone, every row as it was"
}
step() { "$@" >step.out 2>&1 || fail "$*: $(cat step.out)"; }

# the application: its schema as code, generated into migrations and applied
cat >schema.sql <<'SQL'
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
                     total REAL NOT NULL);
CREATE INDEX orders_customer ON orders (customer_id);
SQL
step dbcare create --db sqlite:app.db
step dbcare generate --to schema.sql init --db sqlite:app.db
step dbcare migrate --db sqlite:app.db
# the next release adds a column: generated from the schema file again
sed -i 's/total REAL NOT NULL)/total REAL NOT NULL, note TEXT)/' schema.sql
step dbcare generate --to schema.sql add_note --db sqlite:app.db
[ -f migrations/V2__add_note.sql ] || fail "generate wrote no migration: $(ls migrations)"
step dbcare migrate --db sqlite:app.db
sqlite3 app.db "PRAGMA journal_mode = wal;
  INSERT INTO customers (email) SELECT 'c' || value || '@example.com' FROM generate_series(1, 50);
  INSERT INTO orders (customer_id, total, note)
    SELECT 1 + value % 50, value * 1.5, 'sale ' || value FROM generate_series(1, 200)" >/dev/null
mkdir backups

# a full backup
step dbcare backup backups/full.db --db sqlite:app.db
want=$(rows)
rm -f app.db app.db-wal app.db-shm # the database is gone
step dbcare restore backups/full.db --db sqlite:app.db
step dbcare verify backups/full.db --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "full backup" "$want"

# an incremental chain: sun.db full, mon.db and tue.db the pages changed since
step dbcare backup backups/sun.db --db sqlite:app.db
sqlite3 app.db "INSERT INTO orders (customer_id, total) VALUES (1, 30)"
step dbcare backup backups/mon.db --incremental --db sqlite:app.db
sqlite3 app.db "INSERT INTO orders (customer_id, total) VALUES (2, 40)"
step dbcare backup backups/tue.db --incremental --db sqlite:app.db
want=$(rows)
rm -f app.db app.db-wal app.db-shm # the database is gone
step dbcare restore backups/tue.db --db sqlite:app.db
step dbcare verify backups/tue.db --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "incremental chain" "$want"

# a sealed backup: compressed and encrypted, opened with its key alone
head -c 32 /dev/urandom >backup.key; chmod 600 backup.key
step dbcare backup backups/sealed.db --compress zstd --encrypt-key-file backup.key --db sqlite:app.db
want=$(rows)
rm -f app.db app.db-wal app.db-shm # the database is gone
step dbcare restore backups/sealed.db --encrypt-key-file backup.key --db sqlite:app.db
step dbcare verify backups/sealed.db --encrypt-key-file backup.key --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
restored "sealed backup" "$want"

# a point-in-time log, captured by `dbcare log` into backup.log.dir, and the
# database back at the moment before a mistake
mkdir log
sqlite3 app.db "PRAGMA journal_mode = wal" >/dev/null # the log reads the WAL
step dbcare config set backup.log.dir "$PWD/log" --db sqlite:app.db
"$cli" log --db sqlite:app.db >capture.out 2>&1 & echo $! >capture.pid # dbcare log, a service
timeout 30 sh -c 'until ls log/base-*.db >/dev/null 2>&1; do sleep 0.1; done' ||
  fail "dbcare log made no base in backup.log.dir: $(cat capture.out)"
sqlite3 app.db "INSERT INTO orders (customer_id, total) VALUES (3, 50)"
sleep 1; T=$(date -u +'%Y-%m-%d %H:%M:%S.%3N'); want=$(rows); sleep 1
sqlite3 app.db "DELETE FROM orders WHERE id > 10" # the mistake
sleep 1
kill "$(cat capture.pid)"; while kill -0 "$(cat capture.pid)" 2>/dev/null; do sleep 0.1; done
rm -f app.db app.db-wal app.db-shm # the database is gone
step dbcare restore --to-time "$T" log --db sqlite:app.db
step dbcare backup drill --log log
step dbcare status --exit-code --db sqlite:app.db
restored "point-in-time log" "$want"
