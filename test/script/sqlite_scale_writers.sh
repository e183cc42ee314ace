#!/usr/bin/env bash
# Scale tier (SQLite), concurrency: 8 writer processes (Python, the module
# loaded, WAL, busy timeout) write single-row and 3-row statements to two
# audited, hash-chained tables of the Pagila sample (rental, payment) while
# a ninth process archives 50,100 old rentals with a loop of dbretain_apply
# calls (BEGIN IMMEDIATE each). Afterwards, exactly: each writer's rows and
# entries are the statements it committed (240 rentals inserted, 40
# updated, 40 payments), the archive holds each due rental once and the
# table none of them, one delete entry per archived rental, one update entry
# per payment its ON DELETE SET NULL key updated (the loop enforces the keys:
# no payment is left pointing at an archived rental), and the chain verifies
# clean.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/pagila.db"
writers=8
load_sample pagila
t0=$(date +%s)
q "PRAGMA journal_mode = wal;
   SELECT dbcare_set('audit.hash_chain', 'on');
   SELECT dbaudit_enable('rental'); SELECT dbaudit_enable('payment');
   SELECT dbretain_add('old_rentals', 'rental', 'rental_date', '500 days', 'archive', 'rental_archive');" >/dev/null
base_r=$(q "SELECT max(rental_id) FROM rental;")
base_p=$(q "SELECT max(payment_id) FROM payment;")
due=$(q "SELECT due FROM dbretain_plan WHERE policy = 'old_rentals';")
[ "$due" = 50100 ] || fail "due: $due (want 50100: rentals 500 to 1,000 days and an hour old)"

cat > "$work/writer.py" <<'PY'
import sqlite3, sys
db, mod, w = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = sqlite3.connect(db, timeout=60, isolation_level=None)
c.enable_load_extension(True); c.load_extension(mod); c.enable_load_extension(False)
def tx(*stmts):  # one transaction, retried whole when SQLite reports the database busy
    while True:
        try:
            c.execute("BEGIN IMMEDIATE")
            for s, a in stmts:
                c.execute(s, a)
            c.execute("COMMIT")
            return
        except sqlite3.OperationalError as e:
            if c.in_transaction:
                c.execute("ROLLBACK")
            if "locked" not in str(e) and "busy" not in str(e):
                raise
ins = "INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id) VALUES (datetime('now'), ?, ?, ?)"
for r in range(1, 41):
    for _ in range(3):
        tx((ins, (r * 7 + w, r * 11 + w, w)))
    tx(("""INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id)
           SELECT datetime('now'), ? + k, ? + k, ? FROM (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3)""",
        (r, w, w)))
    last = c.execute("SELECT max(rental_id) FROM rental WHERE staff_id = ? AND rental_id > ?",
                     (w, int(sys.argv[4]))).fetchone()[0]
    tx(("UPDATE rental SET return_date = datetime('now') WHERE rental_id = ?", (last,)),)
    tx(("""INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
           VALUES (?, ?, ?, 1.99, datetime('now'))""", (w, w, last)),)
PY
for _ in $(seq 1 200); do
  echo "BEGIN IMMEDIATE; SELECT archived FROM dbretain_apply('old_rentals', 1000); COMMIT;"
done > "$work/retain.sql"
# payment.rental_id is ON DELETE SET NULL: the archive needs the key enforced
# (the payments of archived rentals are updated, and audited, in its batches)
sqlite3 -batch -cmd ".load $module" -cmd ".timeout 60000" -cmd "PRAGMA foreign_keys = ON" "$db" < "$work/retain.sql" >"$work/retain.out" 2>&1 &
retain=$!
wpids=()
for w in $(seq 1 $writers); do
  "$py" "$work/writer.py" "$db" "$module" "$w" "$base_r" >"$work/writer$w.out" 2>&1 &
  wpids+=($!)
done
for w in $(seq 1 $writers); do
  wait "${wpids[$((w - 1))]}" || fail "writer $w failed: $(cat "$work/writer$w.out")"
done
wait "$retain" || fail "the retention loop failed: $(tail -3 "$work/retain.out")"
echo "writers and retention: $(($(date +%s) - t0)) s"

got=$(q "
  WITH e AS (SELECT table_name, operation,
                    coalesce(json_extract(new_values, '$.staff_id'),
                             (SELECT staff_id FROM rental WHERE rental_id = json_extract(key, '$.rental_id'))) AS w
               FROM dbcare_audit_log
              WHERE (table_name = 'rental' AND json_extract(key, '$.rental_id') > $base_r)
                 OR (table_name = 'payment' AND json_extract(key, '$.payment_id') > $base_p))
  SELECT group_concat(w || ':' || ri || ':' || ru || ':' || pi || ':' || rows_r || ':' || rows_p, ',')
    FROM (SELECT w,
                 sum(table_name = 'rental' AND operation = 'insert') AS ri,
                 sum(table_name = 'rental' AND operation = 'update') AS ru,
                 sum(table_name = 'payment' AND operation = 'insert') AS pi,
                 (SELECT count(*) FROM rental WHERE rental_id > $base_r AND staff_id = e.w) AS rows_r,
                 (SELECT count(*) FROM payment WHERE payment_id > $base_p AND staff_id = e.w) AS rows_p
            FROM e GROUP BY w ORDER BY w);")
want=$(for w in $(seq 1 $writers); do printf '%s:240:40:40:240:40,' "$w"; done)
[ "$got" = "${want%,}" ] || fail "writer:rental inserts:updates:payment inserts:rental rows:payment rows = $got (want ${want%,})"
arch=$(q "SELECT count(*) || ':' || count(DISTINCT rental_id) FROM rental_archive;")
[ "$arch" = "$due:$due" ] || fail "archived rows:distinct = $arch (want $due:$due)"
[ "$(q "SELECT count(*) FROM rental_archive JOIN rental USING (rental_id);")" = 0 ] || fail "rows both archived and kept"
[ "$(q "SELECT count(*) FROM rental;")" = $((100000 - due + writers * 240)) ] || fail "rentals: $(q "SELECT count(*) FROM rental;")"
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'rental' AND operation = 'delete';")" = "$due" ] ||
  fail "rental delete entries: $(q "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'rental' AND operation = 'delete';") (want $due)"
[ "$(q "SELECT (SELECT min(id) FROM dbcare_audit_log WHERE operation = 'delete') <
               (SELECT max(id) FROM dbcare_audit_log WHERE operation = 'insert')
           AND (SELECT max(id) FROM dbcare_audit_log WHERE operation = 'delete') >
               (SELECT min(id) FROM dbcare_audit_log WHERE operation = 'insert');")" = 1 ] ||
  fail "retention and the writers did not overlap"
# the payments of archived rentals were set NULL by their key, each update audited
setnull=$(q "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'payment' AND operation = 'update';")
[ "$setnull" -gt 0 ] &&
  [ "$setnull" = "$(q "SELECT count(*) FROM payment WHERE payment_id <= $base_p AND rental_id IS NULL;")" ] ||
  fail "payment updates: $setnull, payments set NULL: $(q "SELECT count(*) FROM payment WHERE rental_id IS NULL;")"
[ -z "$(q "PRAGMA foreign_key_check;")" ] || fail "orphans: $(q "PRAGMA foreign_key_check;" | head -3)"
total=$(q "SELECT count(*) FROM dbcare_audit_log;")
[ "$total" = $((writers * 320 + due + setnull)) ] || fail "entries: $total (want $((writers * 320 + due + setnull)))"
v=$(q "SELECT checked || '|' || ifnull(broken_id, '') || '|' || ifnull(problem, '') FROM dbaudit_verify;")
[ "$v" = "$total||" ] || fail "dbaudit_verify: $v (want $total||)"
[ "$(q "PRAGMA integrity_check;")" = ok ] || fail "integrity_check"
echo "ok: $writers writers, $due rows archived, $total entries, chain verified ($(($(date +%s) - t0)) s)"
