#!/usr/bin/env bash
# Archives in another database (docs/retention.md, "Archives in another
# database"), PostgreSQL: `dbcare retain --archive-db URL` moves the due rows
# of an archive-db:NAME policy into a second database.
#  3. A run stopped after each stage (picked; stored but not verified;
#     verified but not deleted; a row changed after it was verified) is
#     finished by the next one exactly once.
#  4. kill -9 of the command at random moments, DBC_KILLS times (6 in the
#     suite, 20 or more in the long tier): each rerun ends exactly.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
db=dbcare_archive_crash
adb=dbcare_archive_crash_dst
rows=2000
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
. "$here/lib/retain_archive_pg.sh"
run 0 retain --db "$src" --archive-db "$arch" --quiet
exact "the first run"

# ---- 3. a run stopped after each stage
add_due() { # N rows, due, from id $2
  q -c "INSERT INTO ev SELECT i, now() - interval '35 days', 'stage ' || i, i FROM generate_series($2, $2 + $1 - 1) i" \
    -c "INSERT INTO ev_all SELECT * FROM ev WHERE id BETWEEN $2 AND $2 + $1 - 1" >/dev/null
}
store() { # the batch in flight, stored in the archive (as the command does)
  q -c "\\copy (SELECT batch_key, archive, source, rows, hash, payload FROM dbretain_export_next('old_ev')) TO '$work/batch.csv' CSV"
  aq -c "CREATE TEMP TABLE b (k text, a text, s jsonb, r bigint, h text, p text)" \
     -c "\\copy b FROM '$work/batch.csv' CSV" \
     -c "SELECT x.stored_rows || '|' || x.stored_hash FROM b, dbretain_archive_store(b.k, b.a, b.s, b.r, b.h, b.p) x"
}
batch_id() { q -c "SELECT batch_id FROM dbcare.retain_batches WHERE stage <> 'done'"; }
q -c "SELECT dbcare_set('retain.batch_size', '100')" >/dev/null
add_due 150 400000001
q -c "SELECT count(*) FROM dbretain_export_next('old_ev')" >/dev/null          # picked
run 0 retain --db "$src" --archive-db "$arch" --quiet
counts "after picked"
add_due 150 400001001
got=$(store)                                                                   # stored, not verified
run 0 retain --db "$src" --archive-db "$arch" --quiet
counts "after stored ($got)"
add_due 150 400002001
got=$(store); id=$(batch_id)
q -c "SELECT dbretain_export_mark('old_ev', $id, ${got%|*}, '${got#*|}')" | grep -qx verified || fail "not verified"
run 0 retain --db "$src" --archive-db "$arch" --quiet                           # verified, not deleted
counts "after verified"
# a row changed after it was verified: nothing is deleted, the batch is
# picked again and its new content archived
add_due 150 400003001
got=$(store); id=$(batch_id)
q -c "SELECT dbretain_export_mark('old_ev', $id, ${got%|*}, '${got#*|}')" >/dev/null
victim=$(q -c "SELECT min(row_key::tid)::text FROM dbcare.retain_batch_rows WHERE batch_id = $id")
q -c "UPDATE ev SET body = 'changed after the copy' WHERE ctid = '$victim'::tid RETURNING id" > "$work/changed"
q -c "UPDATE ev_all SET body = 'changed after the copy' WHERE id = $(cat "$work/changed")" >/dev/null
[ "$(q -c "SELECT dbretain_export_delete('old_ev', $id)")" = -1 ] || fail "a batch whose row changed was deleted"
run 0 retain --db "$src" --archive-db "$arch" --quiet
exact "after a changed row"
[ "$(aq -c "SELECT count(*) FROM dbretain_archive_read() WHERE \"row\"->>'body' = 'changed after the copy'")" = 1 ] ||
  fail "the changed row was not archived as it is now"

echo "$(($(date +%s) - t0)) s: stages"
# ---- 4. kill -9 at random moments
kills=${DBC_KILLS:-6}
q -c "SELECT dbcare_set('retain.batch_size', '200')" >/dev/null
landed=0
# How long one uninterrupted run of a round's rows takes here (a fixed
# delay can land after the command has finished on a fast machine): each
# kill comes at a random 5-50 % of it.
add_due 1000 500000001
s0=$(date +%s%N)
run 0 retain --db "$src" --archive-db "$arch" --quiet
run_ms=$((($(date +%s%N) - s0) / 1000000))
counts "the timed run"
# A kill that comes after the command ended (the machine got faster than
# the timed run) does not count: the next comes sooner, until $kills have
# landed, in at most three times as many rounds.
k=0
while [ "$landed" -lt "$kills" ] && [ "$k" -lt $((kills * 3)) ]; do
  k=$((k + 1))
  add_due 1000 $((500000001 + k * 10000))
  "$cli" retain --db "$src" --archive-db "$arch" --quiet >/dev/null 2>&1 &
  victim=$!
  delay=$((run_ms * (RANDOM % 46 + 5) / 100))
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  if kill -9 "$victim" 2>/dev/null; then landed=$((landed + 1)); else run_ms=$((run_ms * 2 / 3)); fi
  wait "$victim" 2>/dev/null || true
  in_flight=$(q -c "SELECT count(*) FROM dbcare.retain_batches WHERE stage <> 'done'")
  run 0 retain --db "$src" --archive-db "$arch" --quiet
  counts "kill $k (a batch in flight: $in_flight)"
done
exact "after the kills"
[ "$landed" -ge "$kills" ] || fail "only $landed of $k kills landed while the command ran"
[ "$(q -c "SELECT count(*) FROM dbcare.retain_batch_rows")" = 0 ] || fail "finished batches left their rows"
echo "$(($(date +%s) - t0)) s: $k kills, $landed while at work (a run: $run_ms ms)"

echo "pg_retain_archive_db_crash: ok ($(($(date +%s) - t0)) s)"
