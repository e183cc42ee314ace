#!/usr/bin/env bash
# The archive-db stages (dbretain_export_delete, the last one) delete a
# verified batch's rows that are still due and not blocked by a foreign
# key. The DELETE read the children under its snapshot but locked each row
# only as it reached it: a child committed in between made the foreign key
# fail the whole call with 23503. Here another session holds the batch's
# oldest row (FOR NO KEY UPDATE: the DELETE waited on it, a child's
# key-share lock does not) while a child of that row is committed. Now the
# batch's rows are locked before the DELETE reads the children, and the call ends
# without an error: the rows changed since the archive took them, so
# nothing is deleted and the batch is picked again (-1); the parent and its
# child are kept, and no row is lost.
set -eu
db=dbcare_retain_export_child_race
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE p (id int PRIMARY KEY, at timestamptz NOT NULL)" \
  -c "INSERT INTO p SELECT i, now() - interval '100 days' + i * interval '1 second'
      FROM generate_series(1, 1000) i" \
  -c "CREATE TABLE c (id serial PRIMARY KEY, pid int REFERENCES p (id))" \
  -c "INSERT INTO c (pid) VALUES (1000)" \
  -c "SELECT dbretain_add('p', 'p', 'at', '30 days', 'archive', 'archive-db:race')" >/dev/null

# the stages the command runs, up to verified: a batch picked, then marked
# as held by the archive with the count and hash it was picked with
q -c "SELECT batch_id, rows, hash FROM dbretain_export_next('p', 100)" -F ' ' >"$work/batch"
read -r batch rows hash <"$work/batch"
[ "$rows" = 100 ] || fail "the batch: $(cat "$work/batch")"
[ "$(q -c "SELECT dbretain_export_mark('p', $batch, $rows, '$hash')")" = verified ] ||
  fail "the batch was not verified"

long_lived_session
s "BEGIN; SELECT id FROM p WHERE id = 1 FOR NO KEY UPDATE;" >/dev/null
"$B/psql" -X -q -At -d "$db" -c "SELECT dbretain_export_delete('p', $batch)" >"$work/delete" 2>&1 &
del=$!
pids+=("$del")
# the DELETE waits on the row the other session holds, its snapshot taken
# (the code before the fix); now the batch's rows are locked first, the
# held one skipped, and the call may end before the child comes
waiting() {
  q -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
          AND query LIKE '%dbretain_export_delete%'"
}
for _ in $(seq 1 600); do
  [ "$(waiting)" = 1 ] || ! kill -0 "$del" 2>/dev/null && break
  sleep 0.05
done
q -c "INSERT INTO c (pid) VALUES (1)" >/dev/null
s "COMMIT;" >/dev/null
wait "$del" || fail "dbretain_export_delete failed on a child committed during it: $(cat "$work/delete")"

[ "$(cat "$work/delete")" = -1 ] || fail "delete: $(cat "$work/delete")"
[ "$(q -c "SELECT count(*) FROM p")" = 1000 ] || fail "rows were deleted: $(q -c "SELECT count(*) FROM p")"
[ "$(q -c "SELECT count(*) FROM c")" = 2 ] || fail "a child row is gone"
# picked again from the rows as they are, without the referenced row
q -c "SELECT stage, payload NOT LIKE '%\"id\": 1,%' AND payload NOT LIKE '%\"id\":1,%'
      FROM dbretain_export_next('p', 100)" -F ' ' >"$work/again"
[ "$(cat "$work/again")" = "picked t" ] || fail "picked again: $(cat "$work/again")"
echo "ok: a child committed during the archive's delete keeps its parent"
