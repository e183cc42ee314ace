#!/usr/bin/env bash
# A failing check fails alone, also where the PostgreSQL report reads
# several checks in one statement. (1) A second session holds a sequence
# locked (ALTER SEQUENCE in an open transaction) and the report runs with a
# short lock_timeout: sequence_exhaustion alone is an error, every other
# check reports what it reports without the lock. (2) pg_stat_get_activity
# is revoked from a monitoring role: the one read of the sessions fails, and
# only connections (which needs no other privilege) is skipped for it, while
# fragmentation, statistics and cache_hit_ratio answer.
set -eu
db=dbcare_health_isolation
. "$(dirname "$0")/lib/pg.sh"
PSQL="$B/psql"
fresh_db
q <<'SQL'
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent (id), q int);
CREATE INDEX child_q1 ON child (q);
CREATE INDEX child_q2 ON child (q);
CREATE TABLE nopk (a int);
CREATE TABLE fkoff (id int PRIMARY KEY, pid int REFERENCES parent (id));
ALTER TABLE fkoff DISABLE TRIGGER ALL;
CREATE SEQUENCE s MAXVALUE 100;
SELECT setval('s', 90) IS NOT NULL AS set \gset
ANALYZE;
SQL

# the checks whose rows do not move by themselves meanwhile
catalog="'foreign_keys_enforced', 'tables_without_primary_key', 'unindexed_foreign_keys',
  'duplicate_indexes', 'invalid_indexes', 'unused_indexes', 'not_valid_constraints',
  'disabled_triggers', 'migrations', 'schema_drift'"
rows() {
  q -c "SET lock_timeout = '300ms'" \
    -c "SELECT name || '|' || status || '|' || message FROM dbhealth_checks('standard') WHERE name IN ($catalog)"
}
q -c "SELECT name || '|' || status || '|' || message FROM dbhealth_checks('standard')" > "$work/all.before"
rows > "$work/before"
grep -q '^sequence_exhaustion|warning|' "$work/all.before" || fail "no sequence warning before: $(cat "$work/all.before")"
grep -q '^duplicate_indexes|warning|' "$work/before" || fail "no duplicate index found: $(cat "$work/before")"

mkfifo "$work/in"
"$PSQL" -X -q -At -d "$db" < "$work/in" > "$work/holder.out" 2>&1 &
holder=$!
pids+=("$holder")
exec 3> "$work/in"
echo "BEGIN; ALTER SEQUENCE s MAXVALUE 200; SELECT 'locked';" >&3
for _ in $(seq 1 100); do
  grep -q locked "$work/holder.out" 2>/dev/null && break
  sleep 0.1
done
grep -q locked "$work/holder.out" || fail "the holder session did not lock the sequence"

q -c "SET lock_timeout = '300ms'" \
  -c "SELECT name || '|' || status || '|' || message FROM dbhealth_checks('standard')" > "$work/all.locked"
rows > "$work/locked"
echo "ROLLBACK;" >&3
exec 3>&-
wait "$holder" || true

grep -q '^sequence_exhaustion|error|.*lock timeout' "$work/all.locked" ||
  fail "sequence_exhaustion is not the lock timeout error: $(grep sequence_exhaustion "$work/all.locked")"
errors=$(grep -c '|error|' "$work/all.locked" || true)
[ "$errors" = 1 ] || fail "$errors error rows with the sequence locked: $(grep '|error|' "$work/all.locked")"
diff "$work/before" "$work/locked" || fail "the other checks changed while the sequence was locked"
echo "sequence locked: only sequence_exhaustion failed; $(wc -l < "$work/locked") catalog checks unchanged"

role=dbcare_isolation_mon
"$PSQL" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $role" -c "CREATE ROLE $role LOGIN"
q -c "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_stat_get_activity(integer) FROM PUBLIC" \
  -c "GRANT USAGE ON SCHEMA dbcare TO $role" -c "GRANT SELECT ON ALL TABLES IN SCHEMA dbcare TO $role"
as_mon() {
  "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -U "$role" -d "$db" \
    -c "SELECT name || '|' || status || '|' || message FROM dbhealth_checks('quick') WHERE name IN
        ('fragmentation', 'statistics', 'cache_hit_ratio', 'connections')"
}
as_mon > "$work/mon" || fail "the report failed for $role: $(cat "$work/mon")"
q -c "GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_get_activity(integer) TO PUBLIC"
q -c "DROP OWNED BY $role"
"$PSQL" -X -q -d postgres -c "DROP ROLE $role"
grep -q '^connections|skipped|permission denied' "$work/mon" ||
  fail "connections is not skipped for the privilege: $(cat "$work/mon")"
for check in fragmentation statistics cache_hit_ratio; do
  grep -q "^$check|\(ok\|warning\)|" "$work/mon" || fail "$check did not answer alone: $(cat "$work/mon")"
done
echo "pg_stat_get_activity revoked: only connections skipped"
