#!/usr/bin/env bash
# Archives in another database (docs/retention.md, "Archives in another
# database"), SQLite: `dbcare retain --archive-db FILE` moves the due rows of
# an archive-db:NAME policy into a second database file.
#  3. A run stopped after each stage (picked; stored but not verified;
#     verified but not deleted; a row changed after it was verified) is
#     finished by the next one exactly once.
#  4. kill -9 of the command at random moments, DBC_KILLS times (6 in the
#     suite, 20 or more in the long tier): each rerun ends exactly, and
#     both files pass integrity_check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
rows=2000
. "$here/lib/retain_archive_sqlite.sh"
retain --quiet
exact "the first run"

# ---- 3. a run stopped after each stage
add_due() { # N rows, due, from id $2
  q "WITH RECURSIVE g(i) AS (SELECT $2 UNION ALL SELECT i + 1 FROM g WHERE i < $2 + $1 - 1)
     INSERT INTO ev SELECT i, datetime('now', '-35 days'), 'stage ' || i, i FROM g;
     INSERT INTO ev_all SELECT * FROM ev WHERE id BETWEEN $2 AND $2 + $1 - 1;" >/dev/null
}
store() { # the batch in flight, stored in the archive (as the command does)
  "$py" - "$module" "$db" "$arch" <<'PY'
import sqlite3, sys
mod, src, arch = sys.argv[1:]
s = sqlite3.connect(src); s.enable_load_extension(True); s.load_extension(mod)
b = s.execute("SELECT batch_key, archive, source, rows, hash, payload FROM dbretain_export_next('old_ev')").fetchone()
s.commit()
a = sqlite3.connect(arch); a.enable_load_extension(True); a.load_extension(mod)
r = a.execute('SELECT stored_rows, stored_hash FROM dbretain_archive_store(?, ?, ?, ?, ?, ?)', b).fetchone()
a.commit()
print('%d|%s' % r)
PY
}
batch_id() { q "SELECT batch_id FROM dbcare_retain_batches WHERE stage <> 'done';"; }
q "SELECT dbcare_set('retain.batch_size', '100');" >/dev/null
add_due 150 400000001
q "SELECT count(*) FROM dbretain_export_next('old_ev');" >/dev/null             # picked
retain --quiet
counts "after picked"
add_due 150 400001001
got=$(store)                                                                   # stored, not verified
retain --quiet
counts "after stored ($got)"
add_due 150 400002001
got=$(store); id=$(batch_id)
[ "$(q "SELECT dbretain_export_mark('old_ev', $id, ${got%|*}, '${got#*|}');")" = verified ] || fail "not verified"
retain --quiet                                                                 # verified, not deleted
counts "after verified"
add_due 150 400003001
got=$(store); id=$(batch_id)
q "SELECT dbretain_export_mark('old_ev', $id, ${got%|*}, '${got#*|}');" >/dev/null
changed=$(q "SELECT min(CAST(row_key AS INTEGER)) FROM dbcare_retain_batch_rows WHERE batch_id = $id;")
q "UPDATE ev SET body = 'changed after the copy' WHERE id = $changed;
   UPDATE ev_all SET body = 'changed after the copy' WHERE id = $changed;"
[ "$(q "SELECT dbretain_export_delete('old_ev', $id);")" = -1 ] || fail "a batch whose row changed was deleted"
retain --quiet
exact "after a changed row"
[ "$(aq "SELECT count(*) FROM dbretain_archive_read WHERE json_extract(\"row\", '$.body') = 'changed after the copy';")" = 1 ] ||
  fail "the changed row was not archived as it is now"

echo "$(($(date +%s) - t0)) s: stages"
# ---- 4. kill -9 at random moments
kills=${DBC_KILLS:-6}
q "SELECT dbcare_set('retain.batch_size', '200');" >/dev/null
landed=0
# How long one uninterrupted run of a round's rows takes here (on scratch
# files in memory a fixed delay lands after the command has finished): each
# kill comes at a random 5-50 % of it.
add_due 2000 500000001
s0=$(date +%s%N)
retain --quiet
run_ms=$((($(date +%s%N) - s0) / 1000000))
counts "the timed run"
# A kill that comes after the command ended (the machine got faster than
# the timed run) does not count: the next comes sooner, until $kills have
# landed, in at most three times as many rounds.
k=0
while [ "$landed" -lt "$kills" ] && [ "$k" -lt $((kills * 3)) ]; do
  k=$((k + 1))
  add_due 2000 $((500000001 + k * 10000))
  "$cli" retain --db "sqlite:$db" --module "$module" --archive-db "sqlite:$arch" --quiet >/dev/null 2>&1 &
  victim=$!
  delay=$((run_ms * (RANDOM % 46 + 5) / 100))
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  if kill -9 "$victim" 2>/dev/null; then landed=$((landed + 1)); else run_ms=$((run_ms * 2 / 3)); fi
  wait "$victim" 2>/dev/null || true
  [ "$(q "PRAGMA integrity_check;")" = ok ] || fail "kill $k: the source fails integrity_check"
  [ "$(aq "PRAGMA integrity_check;")" = ok ] || fail "kill $k: the archive fails integrity_check"
  retain --quiet
  counts "kill $k"
done
exact "after the kills"
[ "$landed" -ge "$kills" ] || fail "only $landed of $k kills landed while the command ran"
[ "$(q "SELECT count(*) FROM dbcare_retain_batch_rows;")" = 0 ] || fail "finished batches left their rows"
echo "$(($(date +%s) - t0)) s: $k kills, $landed while at work (a run: $run_ms ms)"

echo "sqlite_retain_archive_db_crash: ok ($(($(date +%s) - t0)) s)"
