#!/usr/bin/env bash
# The stored migration status summary (PostgreSQL): the first reading call
# after a change stores it with the generation of the migration tables it
# describes; answers come from it while that generation is current; every
# kind of write to the migration tables (dbcare's calls, hand edits,
# TRUNCATE, replica mode) bumps the generation, once per transaction; a
# transaction never stores a summary of its own writes; read-only,
# SERIALIZABLE and unprivileged callers answer without storing; storing never
# waits for another session, nor do writers wait for a session that stored;
# a writer still open when the summary is stored is seen once it commits;
# under a load of random writers every answer is the truth of its snapshot.
set -euo pipefail
db=dbcare_summary
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/checks.sh"
# 1 when a stored summary answers now (its generation is the current one)
valid() {
  q -c "SELECT count(*) FROM dbcare.migrations_summary s
        JOIN dbcare.migrations_generation g ON g.n = s.generation"
}
gen() { q -c "SELECT n FROM dbcare.migrations_generation"; }
# The summary fields from the full derivation that dbmigrate_status makes.
# (Every version in this test is a whole number: the current one is the
# highest applied non-repeatable version by numeric order.)
truth() {
  q -c "SELECT coalesce((SELECT version FROM dbcare.migrations_applied WHERE kind <> 'repeatable'
                         ORDER BY version::numeric DESC LIMIT 1), '')"
}
derived() {
  q -c "SELECT '$(truth)' || '|' ||
        (SELECT count(*) FROM dbmigrate_status() WHERE state IN ('pending', 'out_of_order', 'outdated')) || '|' ||
        (SELECT count(*) FROM dbmigrate_status() WHERE state = 'changed') || '|' ||
        (SELECT count(*) FROM dbmigrate_status() WHERE state = 'missing') || '|' ||
        (SELECT count(*) FROM dbcare.migrations_history WHERE NOT success) || '|' ||
        (SELECT count(*) FROM dbmigrate_status() WHERE state IN ('applied', 'changed', 'outdated'))"
}
row() {
  q -c "SELECT coalesce(current_version, '') || '|' || pending || '|' || changed || '|' || missing
            || '|' || failed || '|' || applied FROM dbcare.migrations_summary"
}
# A write that changes nothing: the summary stored so far stops answering.
stale() { q -c "UPDATE dbcare.migrations SET name = name WHERE false"; }
# Only a baseline marker at 70 applied: the current version is 70.
at_70() {
  q -c "DELETE FROM dbcare.migrations_applied" \
    -c "INSERT INTO dbcare.migrations_applied (kind, version, name) VALUES ('baseline', '70', 'seventy')"
}
fresh_db

q -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE a (x int);')" \
  -c "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE b (x int);')" \
  -c "SELECT dbmigrate_add('3', 'three', 'CREATE TABLE c (x int);')" \
  -c "SELECT dbmigrate_add_repeatable('views', 'CREATE OR REPLACE VIEW v AS SELECT 1 AS one;')" \
  -c "SELECT dbmigrate_apply('2')" >/dev/null
expect "changing calls leave no summary that answers" 0 "$(valid)"
q -c "SELECT dbmigrate_assert('2')" >/dev/null
expect "assert stores one" 1 "$(valid)"
expect "the stored row is the derivation" "$(derived)" "$(row)"

# Answers come from the row: a row edited by hand is believed (a cache, like
# any other bookkeeping row edited by hand); the summary table has no trigger.
q -c "UPDATE dbcare.migrations_summary SET changed = 1"
got=$(q -c "SELECT dbmigrate_assert('2')" 2>&1 || true)
expect "assert answers from the row" 1 "$(echo "$got" | grep -c '1 changed, 0 missing and 0 failed')"
q -c "UPDATE dbcare.migrations_summary SET changed = 0, current_version = '7'"
expect "dbmigrate_current answers from the row" 7 "$(q -c "SELECT dbmigrate_current()")"
expect "the health report answers from the row" 1 \
  "$(q -c "SELECT dbhealth_report('quick')" | grep -c 'at version 7')"
q -c "UPDATE dbcare.migrations_summary SET generation = NULL"
expect "dbmigrate_current stores one" 2 "$(q -c "SELECT dbmigrate_current()")"
expect "... the derivation" "$(derived)" "$(row)"
q -c "DELETE FROM dbcare.migrations_summary"
expect "with the row deleted by hand, the answer is derived" 2 "$(q -c "SELECT dbmigrate_current()")"
q -c "SELECT dbmigrate_current()" >/dev/null
expect "... the row comes back, and the next call stores it" 1 "$(valid)"
expect "... the derivation" "$(derived)" "$(row)"

# Readiness reads, never writes: with no valid row, the health report, its
# gauges and metrics derive the summary and store nothing (no transaction id
# is even assigned), so a probe or a scrape never writes.
stale
for call in "dbhealth_report('quick')" "dbhealth_gauges()" "dbhealth_metrics('quick')"; do
  expect "$call assigns no transaction id" "" \
    "$(q -c "BEGIN" -c "SELECT $call" -c "SELECT txid_current_if_assigned()" -c "COMMIT" | tail -1)"
  expect "... and stores no summary" 0 "$(valid)"
done
q -c "SELECT dbmigrate_current()" >/dev/null
expect "dbmigrate_current stores it again" 1 "$(valid)"

# Every kind of write to the three tables makes it stale, whoever writes
# (" ;; " separates statements run as transactions of their own).
writes=(
  "registry insert|SELECT dbmigrate_add('4', 'four', 'CREATE TABLE d (x int);')"
  "applied insert|SELECT dbmigrate_apply('3')"
  "registry update|UPDATE dbcare.migrations SET checksum = 'v1:sha256:00' WHERE version = '1'"
  "registry delete|DELETE FROM dbcare.migrations WHERE version = '1'"
  "applied update|UPDATE dbcare.migrations_applied SET checksum = 'v1:sha256:01' WHERE version = '2'"
  "applied delete|DELETE FROM dbcare.migrations_applied WHERE version = '2'"
  "history insert, a failed run|INSERT INTO dbcare.migrations_history (version, name, kind, direction, success, error) VALUES ('9', 'nine', 'versioned', 'up', false, 'boom')"
  "history update of a failed run|UPDATE dbcare.migrations_history SET success = true WHERE NOT success"
  "history update making a failed run|UPDATE dbcare.migrations_history SET success = false WHERE id = (SELECT max(id) FROM dbcare.migrations_history)"
  "history delete of a failed run|DELETE FROM dbcare.migrations_history WHERE NOT success"
  "a write that matches no row|UPDATE dbcare.migrations SET name = name WHERE false"
  "a changing call that changes nothing (it writes the lock row)|SELECT dbmigrate_repair()"
  "rollback|SELECT dbmigrate_repair() ;; SELECT dbmigrate_rollback()"
  "baseline|DELETE FROM dbcare.migrations_applied ;; SELECT dbmigrate_baseline('3')"
  "replica mode (logical replication, restores)|SET session_replication_role = replica ;; DELETE FROM dbcare.migrations WHERE version = '4'"
  "truncate|TRUNCATE dbcare.migrations_history"
)
for w in "${writes[@]}"; do
  label=${w%%|*}
  sql=${w#*|}
  q -c "SELECT dbmigrate_current()" >/dev/null
  expect "stored before: $label" 1 "$(valid)"
  before=$(gen)
  args=() # one -c (one transaction) per statement
  while [[ $sql == *" ;; "* ]]; do args+=(-c "${sql%% ;; *}"); sql=${sql#* ;; }; done
  args+=(-c "$sql")
  q "${args[@]}" >/dev/null 2>&1 || true
  expect "stale after: $label" 0 "$(valid)"
  expect "bumped by: $label" 1 "$(( $(gen) > before ))"
  q -c "SELECT dbmigrate_assert('1')" >/dev/null 2>&1 || q -c "SELECT dbmigrate_current()" >/dev/null
  expect "stored again after $label, as derived" "$(derived)" "$(row)"
done

# One bump per transaction, however many writes (a long registration stays
# linear); a bump rolled back with its savepoint is made again.
before=$(gen)
q -c "BEGIN" -c "SELECT count(dbmigrate_add((100 + i)::text, 'n' || i, 'SELECT 1;')) FROM generate_series(1, 50) i" \
  -c "DELETE FROM dbcare.migrations WHERE version::int > 100" -c "COMMIT" >/dev/null
expect "fifty writes, one bump" $((before + 1)) "$(gen)"
before=$(gen)
q -c "BEGIN" -c "SAVEPOINT s" -c "DELETE FROM dbcare.migrations WHERE false" -c "ROLLBACK TO s" \
  -c "DELETE FROM dbcare.migrations WHERE false" -c "COMMIT" >/dev/null
expect "a bump rolled back is made again" $((before + 1)) "$(gen)"

# A transaction never stores a summary of its own writes: its later writes
# do not bump again, so such a row would look current to it (and to everyone
# after its commit).
at_70
q -c "SELECT dbmigrate_current()" >/dev/null
want=$(q -c "SELECT dbmigrate_current()")
expect "a version to lose" 70 "$want"
got=$(q -c "BEGIN" -c "UPDATE dbcare.migrations SET name = name WHERE version = '3'" \
  -c "SELECT dbmigrate_current()" -c "DELETE FROM dbcare.migrations_applied" \
  -c "SELECT coalesce(dbmigrate_current(), 'none')" -c "SELECT count(*) FROM dbcare.migrations_summary WHERE generation = (SELECT n FROM dbcare.migrations_generation)" \
  -c "ROLLBACK" | tr '\n' ' ')
expect "inside a writing transaction: derived each time, nothing stored" "$want none 0 " "$got"
expect "its rollback leaves the stored row current" 1 "$(valid)"

# Where a store is not wanted or not possible, answers are derived, without
# an error, and nothing is stored.

stale
q -c "BEGIN READ ONLY" -c "SELECT dbmigrate_current()" -c "COMMIT" >/dev/null
expect "nothing stored in a read-only transaction" 0 "$(valid)"
q -c "BEGIN ISOLATION LEVEL SERIALIZABLE" -c "SELECT dbmigrate_current()" -c "COMMIT" >/dev/null
expect "nothing stored at SERIALIZABLE" 0 "$(valid)"
q -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT dbmigrate_current()" -c "COMMIT" >/dev/null
expect "stored at REPEATABLE READ" 1 "$(valid)"
stale
"$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS dbcare_summary_reader" \
  -c "CREATE ROLE dbcare_summary_reader" >/dev/null 2>&1
q -c "GRANT pg_monitor TO dbcare_summary_reader" >/dev/null
want=$(q -c "SELECT dbmigrate_current()")
stale
got=$(q -c "SET ROLE dbcare_summary_reader" -c "SELECT dbmigrate_current()")
expect "a role without UPDATE on the summary gets the answer" "$want" "$got"
expect "... and stores nothing" 0 "$(valid)"
"$B/psql" -X -q -d postgres -c "DROP ROLE dbcare_summary_reader" >/dev/null
got=$(q -c "SELECT dbcare.migrations_changed()" 2>&1 || true)
expect "the trigger function refuses a direct call" 1 "$(echo "$got" | grep -c 'trigger')"

# Sessions: a writer open while the summary is stored is seen once it commits;
# a session whose open transaction stored the row holds it, and neither a
# writer nor another reader waits for it.
at_70
top=$(truth)
stale
exec 3> >("$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" > "$work/writer.out" 2>&1)
echo "BEGIN; DELETE FROM dbcare.migrations_applied WHERE version = '$top'; SELECT 'deleted';" >&3
for _ in $(seq 1 100); do grep -q deleted "$work/writer.out" 2>/dev/null && break; sleep 0.1; done
expect "an uncommitted writer is not seen" "$top" "$(q -c "SELECT dbmigrate_current()")"
expect "... and the summary of what is committed is stored" 1 "$(valid)"
echo "COMMIT;" >&3
exec 3>&-
for _ in $(seq 1 100); do [ "$(truth)" != "$top" ] && break; sleep 0.1; done
expect "once it commits, it is" "$(truth)" "$(q -c "SELECT dbmigrate_current()")"
stale
exec 3> >("$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" > "$work/holder.out" 2>&1)
echo "BEGIN; SELECT dbmigrate_current(); SELECT 'holding';" >&3
for _ in $(seq 1 100); do grep -q holding "$work/holder.out" 2>/dev/null && break; sleep 0.1; done
expect "the open transaction that stored the row holds its lock" 0 \
  "$(q -c "SELECT count(*) FROM (SELECT 1 FROM dbcare.migrations_summary FOR UPDATE SKIP LOCKED) l")"
got=$(q -c "SET statement_timeout = '5s'" -c "SELECT dbmigrate_add('60', 'sixty', 'SELECT 1;') IS NOT NULL" 2>&1 || true)
expect "a writer does not wait for it" t "$got"
got=$(q -c "SET statement_timeout = '5s'" -c "SELECT dbmigrate_current()" 2>&1 || true)
expect "a reader after that write does not wait for it either" "$(truth)" "$got"
echo "COMMIT;" >&3
exec 3>&-
wait
q -c "SELECT dbmigrate_current()" >/dev/null
expect "all settled: the stored row is the derivation" "$(derived)" "$(row)"

# Under load: writers insert and delete applied rows at random while readers,
# each in a REPEATABLE READ transaction (one snapshot for the call and the
# check), compare dbmigrate_current() with the truth of that snapshot; a
# reader that got a stale answer fails with both in the message. Readers store summaries
# (REPEATABLE READ may), so stores race with writers and with each other.
at_70
cat > "$work/writer.sql" <<'SQL'
\set v random(71, 90)
INSERT INTO dbcare.migrations_applied (kind, version, name) VALUES ('versioned', :v, 'w') ON CONFLICT DO NOTHING;
\set d random(71, 90)
DELETE FROM dbcare.migrations_applied WHERE version = :d::text;
SQL
cat > "$work/reader.sql" <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT CASE WHEN answer IS DISTINCT FROM truth THEN
  ('stale: ' || coalesce(answer, '(none)') || ' instead of ' || coalesce(truth, '(none)'))::int END
FROM (SELECT dbmigrate_current() AS answer, (SELECT version FROM dbcare.migrations_applied
  WHERE kind <> 'repeatable' ORDER BY version::numeric DESC LIMIT 1) AS truth) x;
COMMIT;
SQL
if "$B/pgbench" -n -c 6 -j 2 -T 4 -f "$work/writer.sql@1" -f "$work/reader.sql@3" "$db" \
    > "$work/load.out" 2>&1; then load=clean; else load=$(grep -m1 -E 'ERROR|error' "$work/load.out" || echo failed); fi
expect "under load every answer was the truth of its snapshot" clean "$load"
grep -m1 'transactions actually processed' "$work/load.out" || true
expect "... and the load ran" 1 "$(grep -c 'transactions actually processed' "$work/load.out")"
q -c "SELECT dbmigrate_current()" >/dev/null
expect "after the load the stored row is the derivation" "$(derived)" "$(row)"

checks_done
