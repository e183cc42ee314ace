#!/usr/bin/env bash
# Scale tier, concurrency: 8 writer sessions write single-row and 3-row
# statements to two audited, hash-chained tables of the Pagila sample
# (rental, payment) while CALL dbretain_run archives 50,100 old rentals in
# batches; the archive's foreign-key action (payment.rental_id ON DELETE
# SET NULL) updates audited payments too. Afterwards, exactly: each writer's
# rows and entries are the statements it ran (240 rentals inserted, 40
# updated, 40 payments), the archive holds each due rental once and the
# table none of them, one delete entry per archived rental, one update entry
# per payment the action cleared, and the whole chain verifies clean.
set -eu
db=dbcare_scale_writers
. "$(dirname "$0")/lib/pg.sh"
writers=8
fresh_db
load_sample pagila
t0=$(date +%s)
q -c "CREATE SCHEMA archive" \
  -c "SELECT dbcare_set('audit.hash_chain', 'on')" \
  -c "SELECT dbaudit_enable('rental')" -c "SELECT dbaudit_enable('payment')" \
  -c "SELECT dbretain_add('old_rentals', 'rental', 'rental_date', '500 days', 'archive', 'archive.rental')" \
  -c "SELECT dbcare_set('retain.batch_size', '1000')" -c "SELECT dbcare_set('retain.sleep_ms', '20')" >/dev/null
base_r=$(q -c "SELECT max(rental_id) FROM rental")
base_p=$(q -c "SELECT max(payment_id) FROM payment")
due=$(q -c "SELECT due FROM dbretain_plan('old_rentals')")
[ "$due" = 50100 ] || fail "due: $due (want 50100: rentals 500 to 1,000 days and an hour old)"

# writer w: 40 rounds of 3 single-row inserts, one 3-row insert, an update
# of its newest rental and a payment for it (each statement its own transaction)
script() {
  local w=$1 r
  for r in $(seq 1 40); do
    for _ in 1 2 3; do
      echo "INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id) VALUES (now(), $((r * 7 + w)), $((r * 11 + w)), $w);"
    done
    echo "INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id)
          SELECT now(), $r + k, $w + k, $w FROM generate_series(1, 3) k;"
    echo "UPDATE rental SET return_date = now() WHERE rental_id = currval('rental_rental_id_seq');"
    echo "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
          VALUES ($w, $w, currval('rental_rental_id_seq'), 1.99, now());"
  done
}
"$B/psql" -X -q -d "$db" -c "CALL dbretain_run('old_rentals')" >"$work/retain.out" 2>&1 &
retain=$!
pids+=("$retain")
for w in $(seq 1 $writers); do
  script "$w" | "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" >"$work/writer$w.out" 2>&1 &
  pids+=($!)
  eval "writer_$w=$!"
done
for w in $(seq 1 $writers); do
  eval "wait \$writer_$w" || fail "writer $w failed: $(cat "$work/writer$w.out")"
done
writers_done=$(date +%s)
wait "$retain" || fail "dbretain_run failed: $(cat "$work/retain.out")"
echo "writers: $((writers_done - t0)) s, retention: $(($(date +%s) - t0)) s"

# each writer's rows and entries, exactly
got=$(q -c "
  WITH e AS (SELECT table_name, operation,
                    coalesce((new_values->>'staff_id')::int,
                             (SELECT staff_id FROM rental WHERE rental_id = (key->>'rental_id')::int)) AS w
               FROM dbcare.audit_log
              WHERE (table_name = 'public.rental' AND (key->>'rental_id')::int > $base_r)
                 OR (table_name = 'public.payment' AND (key->>'payment_id')::int > $base_p))
  SELECT string_agg(w || ':' || ri || ':' || ru || ':' || pi || ':' || rows_r || ':' || rows_p, ',' ORDER BY w)
    FROM (SELECT w,
                 count(*) FILTER (WHERE table_name = 'public.rental' AND operation = 'insert') AS ri,
                 count(*) FILTER (WHERE table_name = 'public.rental' AND operation = 'update') AS ru,
                 count(*) FILTER (WHERE table_name = 'public.payment' AND operation = 'insert') AS pi,
                 (SELECT count(*) FROM rental WHERE rental_id > $base_r AND staff_id = e.w) AS rows_r,
                 (SELECT count(*) FROM payment WHERE payment_id > $base_p AND staff_id = e.w) AS rows_p
            FROM e GROUP BY w) s")
want=$(for w in $(seq 1 $writers); do printf '%s:240:40:40:240:40,' "$w"; done)
[ "$got" = "${want%,}" ] || fail "writer:rental inserts:updates:payment inserts:rental rows:payment rows = $got (want ${want%,})"
# retention: each due row archived once, an entry for each, none left behind
arch=$(q -c "SELECT count(*) || ':' || count(DISTINCT rental_id) FROM archive.rental")
[ "$arch" = "$due:$due" ] || fail "archived rows:distinct = $arch (want $due:$due)"
[ "$(q -c "SELECT count(*) FROM archive.rental JOIN rental USING (rental_id)")" = 0 ] || fail "rows both archived and kept"
[ "$(q -c "SELECT count(*) FROM rental")" = $((100000 - due + writers * 240)) ] || fail "rentals: $(q -c "SELECT count(*) FROM rental")"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.rental' AND operation = 'delete'")" = "$due" ] ||
  fail "rental delete entries: $(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.rental' AND operation = 'delete'") (want $due)"
# the writers wrote while retention was moving rows: their entries interleave
[ "$(q -c "SELECT (SELECT min(id) FROM dbcare.audit_log WHERE operation = 'delete') <
                  (SELECT max(id) FROM dbcare.audit_log WHERE operation = 'insert')
              AND (SELECT max(id) FROM dbcare.audit_log WHERE operation = 'delete') >
                  (SELECT min(id) FROM dbcare.audit_log WHERE operation = 'insert')")" = t ] ||
  fail "retention and the writers did not overlap"
cleared=$(q -c "SELECT count(*) FROM payment WHERE rental_id IS NULL")
[ "$cleared" -gt 0 ] || fail "the archive cleared no payment's rental_id"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.payment' AND operation = 'update'")" = "$cleared" ] ||
  fail "payment update entries: $(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.payment' AND operation = 'update'") (want $cleared)"
total=$(q -c "SELECT count(*) FROM dbcare.audit_log")
[ "$total" = $((writers * 320 + due + cleared)) ] || fail "entries: $total (want $((writers * 320 + due + cleared)))"
v=$(q -c "SELECT checked || '|' || coalesce(broken_id::text, '') || '|' || coalesce(problem, '') FROM dbaudit_verify()")
[ "$v" = "$total||" ] || fail "dbaudit_verify: $v (want $total||)"
echo "ok: $writers writers, $due rows archived, $total entries, chain verified ($(($(date +%s) - t0)) s)"
