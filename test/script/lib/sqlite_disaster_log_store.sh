# sqlite_disaster_log_store.sh — a journey's body, sourced with STORE set.
# The day the host is gone, with the point-in-time log in an object store
# (STORE: s3 or azure, lib/store.sh): the steps of docs/backups.md, "The
# log in a bucket", with the same commands, against the store's emulator
# (installed from npm at test time, on loopback; s3rver checking each
# request's Signature V4, azurite its Shared Key). `dbcare log DIR` with
# the setting backup.log.dir s3://... (or azure://...; the same as
# --copy-to URL) captures the database into a local folder and
# ships each closed segment (2 s segments) and each base (a new one every
# 4 s) to the store while an application writes: an order before a
# mistake, then a tick a row every 100 ms for 8 s. Then the capture is
# killed (kill -9: the host is lost)
# and the database, its -wal and -shm and the local log are deleted. From
# the store alone: the database restored to the moment before the
# mistake (every row as it was: counts and a content hash), the log
# drilled and its status read, the older bases pruned in the store (the
# newest kept, a restore still whole), and the database restored to the
# newest moment the store holds. What the lost host lost is measured: the
# ticks written after the newest one restored, at most a segment interval
# plus the time to ship it (asserted under 6 s: a capture that shipped
# only at its stop would lose all 8 s); the kill lands in the middle of
# an upload (the store stopped with the request in flight): the object
# absent or whole, every restore from the store whole. A store that does
# not answer stops the capture before it captures anything. The credentials never
# appear in the capture's command line, its output or any step's. Run by
# sqlite_disaster_log_s3.sh and sqlite_disaster_log_azure.sh.
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
url=$store_scheme://shop/app/log

rows() {
  sqlite3 app.db "SELECT 'customers', count(*) FROM customers; SELECT 'orders', count(*) FROM orders"
  sqlite3 app.db "SELECT * FROM customers ORDER BY id; SELECT * FROM orders ORDER BY id" | sha256sum
}
step() { "$@" >>steps.out 2>&1 || fail "$*: $(tail -20 steps.out)"; }
bases() { store_objects | grep -c '^app/log/base-.*\.db$' || true; }

cat >schema.sql <<'SQL'
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
                     total REAL NOT NULL);
CREATE TABLE ticks (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL);
SQL
step dbcare create --db sqlite:app.db
step dbcare generate --to schema.sql init --db sqlite:app.db
step dbcare migrate --db sqlite:app.db
sqlite3 app.db "PRAGMA journal_mode = wal;
  INSERT INTO customers (email) SELECT 'c' || value || '@example.com' FROM generate_series(1, 50);
  INSERT INTO orders (customer_id, total) SELECT 1 + value % 50, value * 1.5
    FROM generate_series(1, 200)" >/dev/null

# the capture, a service, shipping to the bucket; a store that does not
# answer stops it before it captures anything
mkdir log
if store_dead "$cli" log log --copy-to "$url" --run-for 1s \
  --db sqlite:app.db >dead.out 2>&1; then fail "a capture shipping to no store ran"; fi
grep -q "does not answer: nothing captured" dead.out || fail "a dead store was not said: $(cat dead.out)"
[ -z "$(ls log)" ] || fail "a capture whose store does not answer wrote $(ls log)"
# the store named once in the database (backup.log.dir, a URL): the
# capture into log/ ships there as with --copy-to
step dbcare config set backup.log.dir "$url" --db sqlite:app.db
"$cli" log log --segment-interval 2s --base-interval 4s \
  --db sqlite:app.db >capture.out 2>&1 &
capture=$!
for _ in $(seq 1 120); do [ "$(bases)" -gt 0 ] && break; sleep 0.5; done
[ "$(bases)" -gt 0 ] || fail "dbcare log shipped no base to $store_words: $(cat capture.out)"
ps -ww -o args= -p "$capture" | grep -qF -e "$store_secret" -e "$store_key_id" &&
  fail "the credentials are on the capture's command line"
sqlite3 -cmd '.timeout 10000' app.db "INSERT INTO orders (customer_id, total) VALUES (3, 50)"
sleep 1; T=$(date -u +'%Y-%m-%d %H:%M:%S.%3N'); want=$(rows); sleep 1
sqlite3 -cmd '.timeout 10000' app.db "DELETE FROM orders WHERE id > 10" # the mistake
# the application writes on, a tick every 100 ms, each stamped
end=$(($(date +%s) + 8))
while [ "$(date +%s)" -lt "$end" ]; do
  sqlite3 -cmd '.timeout 10000' app.db "INSERT INTO ticks (at_ms) VALUES (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"
  sleep 0.1
done
last_written=$(sqlite3 app.db "SELECT max(at_ms) FROM ticks")
# the host is lost in the middle of an upload: the last segment's (closed
# within 2 s of the last write), the store stopped with its request in
# flight, the capture killed (kill -9), the store let go on
mark=$(wc -l <"$store_log")
inflight=$(grep -m1 -oE "^request PUT (/[^/ ]+)?/shop/app/log/[^ ?]+" \
  < <(exec timeout 10 tail -n +"$((mark + 1))" -f --pid="$capture" -s 0.005 "$store_log") || true)
[ -n "$inflight" ] || fail "the capture uploaded nothing within 10 s of the last write (test premise)"
store_pause
kill -9 "$capture"; wait "$capture" 2>/dev/null || true
store_resume
inflight=${inflight##*/}
[ -f "log/$inflight" ] || fail "the upload in flight, $inflight, is no file of the log"
cp "log/$inflight" inflight.local
rm -rf app.db app.db-wal app.db-shm log # with the database and its log
# the object killed in its upload is absent, or whole (the store may
# have finished it): never a part
if store_objects | grep -qx "app/log/$inflight"; then
  store_get "app/log/$inflight" | cmp -s - inflight.local || fail "$inflight in $store_words is not whole"
  echo "killed in the upload of $inflight, which $store_words finished whole"
else
  echo "killed in the upload of $inflight: absent from $store_words"
fi
before=$(bases)
[ "$before" -ge 2 ] || fail "$store_words holds $before bases, not the periodic ones: $(store_objects)"

# back to the moment before the mistake, from the bucket alone
step dbcare restore --to-time "$T" $url --db sqlite:app.db
step dbcare status --exit-code --db sqlite:app.db
got=$(rows)
[ "$got" = "$want" ] || fail "the restored rows differ:
$got
want:
$want"
echo "restored to $T from $store_words alone, every row as it was"
step dbcare backup drill --log $url
step dbcare log status $url

# retention in the bucket: the newest base its records name kept, with what
# it needs (a newer base whose record was in the segment lost with the host
# is not one a restore starts from)
step dbcare log prune $url --keep 1 --apply
after=$(bases)
[ "$after" -ge 1 ] && [ "$after" -lt "$before" ] ||
  fail "log prune --keep 1 --apply left $after bases of $before: $(store_objects)"
echo "log prune deleted $((before - after)) older bases in $store_words"

# the newest moment the bucket holds, and what the lost host lost
rm -f app.db app.db-wal app.db-shm
step dbcare restore --to-time latest $url --db sqlite:app.db
newest=$(sqlite3 app.db "SELECT coalesce(max(at_ms), 0) FROM ticks")
[ "$newest" -gt 0 ] || fail "the newest moment in $store_words holds no tick"
lost=$((last_written - newest))
echo "the lost host lost the writes of its last $lost ms (2 s segments)"
[ "$lost" -lt 6000 ] || fail "$store_words lacks the last $lost ms of writes: each closed segment is not shipped"
[ "$(sqlite3 app.db "SELECT count(*) FROM orders")" -eq 10 ] ||
  fail "the newest moment lacks the mistake: $(sqlite3 app.db 'SELECT count(*) FROM orders') orders"

# the key pair is in no output
for f in dead.out capture.out steps.out; do
  if grep -qF -e "$store_secret" -e "$store_key_id" "$f"; then fail "a credential in $f"; fi
done
echo "no credential in the capture's command line or any output"
