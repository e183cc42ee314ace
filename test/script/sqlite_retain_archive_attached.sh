#!/usr/bin/env bash
# Archives in an ATTACHed database, in the module (docs/retention.md,
# "Archives in an attached database"): dbretain_archive_attached(policy,
# schema) moves an archive-db:NAME policy's due rows into the database
# attached as schema, one stage per call, each call writing one database
# (both files in WAL mode, where a transaction over two files is not
# atomic).
#  1. Stages: picked, stored, done, then idle; a row changed after its
#     batch was stored is picked again and stored again, once; refused
#     inside a transaction, without an attached database and into one
#     without a file (in memory: gone with the connection); the archive
#     file reads back with dbretain_archive_read.
#  2. kill -9 of a process calling it in a loop, DBC_KILLS times (12 in the
#     suite, 20 or more in the long tier), 300 more due rows before each:
#     after each kill no row is lost
#     (each is in the source or the archive), none is archived twice, rows
#     in both databases are at most one batch, both files integrity-clean;
#     after a run to the end the archive holds exactly the due rows, with
#     their values, and the source exactly the others.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"
arch="$work/arch.db"
rounds=${DBC_KILLS:-12}
total=4000 due=3910 batch=100

sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL, body TEXT);
  CREATE INDEX events_at ON events (at);
  INSERT INTO events SELECT value, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || value || ' days', '+1 hour'),
    'body ' || value FROM generate_series(1, $total);" >/dev/null
sqlite3 "$arch" "PRAGMA journal_mode = wal" >/dev/null
q "SELECT dbcare_set('retain.batch_size', '$batch');
   SELECT dbretain_add('old_events', 'events', 'at', '90 days', 'archive', 'archive-db:events')" >/dev/null
step() { q "ATTACH '$arch' AS arch; SELECT json_extract(dbretain_archive_attached('old_events', 'arch'), '\$.stage')"; }
# archived ids: count, distinct, in the source too, union with the source
state() {
  ids=$(sqlite3 -cmd ".load $module" "$arch" \
    "SELECT group_concat(json_extract(row, '\$.id')) FROM dbretain_archive_read()")
  sqlite3 "$db" "CREATE TEMP TABLE a AS SELECT value AS id FROM json_each('[$ids]');
    SELECT (SELECT count(*) FROM a), (SELECT count(DISTINCT id) FROM a),
      (SELECT count(*) FROM a WHERE id IN (SELECT id FROM main.events)),
      (SELECT count(*) FROM (SELECT id FROM a UNION SELECT id FROM main.events))"
}

# ---- 1. the stages
[ "$(step)" = picked ] || fail "the first call does not pick"
[ "$(step)" = stored ] || fail "the second call does not store"
q "UPDATE events SET body = 'changed' WHERE id = (SELECT max(id) FROM events)" >/dev/null
[ "$(step)" = picked ] || fail "a batch whose row changed is not picked again"
[ "$(step)" = stored ] || fail "the batch picked again is not stored"
[ "$(step)" = done ] || fail "the stored batch is not deleted"
[ "$(state)" = "$batch|$batch|0|$total" ] || fail "after one batch: $(state)"
[ "$(sqlite3 -cmd ".load $module" "$arch" "SELECT count(*) FROM dbretain_archive_read()
     WHERE json_extract(row, '\$.body') = 'changed'")" = 1 ] || fail "the changed row is not archived once"
out=$(q "ATTACH '$arch' AS arch; BEGIN; SELECT dbretain_archive_attached('old_events', 'arch')" 2>&1) &&
  fail "ran inside a transaction"
echo "$out" | grep -q "dbcare: an archive into an attached database runs outside a transaction" || fail "txn: $out"
out=$(q "SELECT dbretain_archive_attached('old_events', 'arch')" 2>&1) && fail "ran without an attachment"
echo "$out" | grep -q 'dbcare: no database is attached as "arch"' || fail "no attach: $out"
out=$(q "ATTACH '$arch' AS arch; SELECT dbretain_archive_attached('old_events', 'main')" 2>&1) && fail "main as archive"
# a database without a file (in memory, or a temporary one) keeps nothing
# past the connection: rows "archived" there would be gone with it
before=$(q "SELECT count(*) FROM events")
for f in ':memory:' ''; do
  out=$(q "ATTACH '$f' AS mem; SELECT dbretain_archive_attached('old_events', 'mem');
           SELECT dbretain_archive_attached('old_events', 'mem');
           SELECT dbretain_archive_attached('old_events', 'mem')" 2>&1) && fail "archived into '$f': $out"
  echo "$out" | grep -q 'dbcare: the database attached as "mem" has no file' || fail "'$f': $out"
done
[ "$(q "SELECT count(*) FROM events")" = "$before" ] || fail "rows left the source for a database without a file"

# ---- 2. kills
killed=0
loop_sql() {
  printf "ATTACH '%s' AS arch;\n" "$arch"
  for _ in $(seq 1 200); do echo "SELECT dbretain_archive_attached('old_events', 'arch');"; done
}
loop_sql >"$work/loop.sql"
for i in $(seq 1 "$rounds"); do
  # new due rows each round: the killed loop always has batches to move
  sqlite3 "$db" "INSERT INTO events SELECT $total + value, '2000-01-01T00:00:00Z', 'body ' || ($total + value)
    FROM generate_series(1, 300)" >/dev/null
  total=$((total + 300)) due=$((due + 300))
  sqlite3 -batch -cmd ".load $module" "$db" <"$work/loop.sql" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(( RANDOM % 4 ))$(( RANDOM % 10 ))"
  kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true
  wait "$pid" 2>/dev/null || true
  IFS='|' read -r n distinct both union <<<"$(state)"
  [ "$union" = "$total" ] || fail "round $i: rows lost: $(state)"
  [ "$n" = "$distinct" ] || fail "round $i: a row archived twice: $(state)"
  [ "$both" -le "$batch" ] || fail "round $i: more than a batch in both databases: $(state)"
  for f in "$db" "$arch"; do
    [ "$(sqlite3 "$f" "PRAGMA integrity_check")" = ok ] || fail "round $i: $f is damaged"
  done
done
for _ in $(seq 1 200); do [ "$(step)" = idle ] && break; done
[ "$(state)" = "$due|$due|0|$total" ] || fail "after the run: $(state)"
[ "$(sqlite3 -cmd ".load $module" "$arch" "SELECT count(*) FROM dbretain_archive_read()
     WHERE json_extract(row, '\$.body') <> 'body ' || json_extract(row, '\$.id')")" = 1 ] ||
  fail "archived values differ from the rows'"
[ "$(sqlite3 "$db" "SELECT count(*), min(id), max(id) FROM events")" = "90|1|90" ] ||
  fail "the source keeps other rows: $(sqlite3 "$db" "SELECT count(*), min(id), max(id) FROM events")"
[ "$(q "SELECT archived_rows FROM dbretain_policies WHERE name = 'old_events'")" = "$due" ] ||
  fail "the policy counts $(q "SELECT archived_rows FROM dbretain_policies") rows"
echo "ok: stages, $killed kills, $due rows archived once"
