#!/usr/bin/env bash
# The per-table growth history on PostgreSQL: each dbhealth_snapshot records
# the largest tables (reltuples, pg_total_relation_size), bounded by
# health.growth.tables and health.growth.points; dbhealth_growth lists them
# fastest-growing first; dbhealth_metrics has a series per recorded table; a
# monitoring role (pg_monitor) reads it all.
set -eu
db=dbcare_table_growth
. "$(dirname "$0")/lib/pg.sh"
fresh_db
q >/dev/null <<'SQL'
CREATE SCHEMA app;
CREATE TABLE app.events (id bigint PRIMARY KEY, body text);
CREATE TABLE app.users (id integer PRIMARY KEY, name text);
CREATE TABLE app.tags (id integer PRIMARY KEY);
INSERT INTO app.users SELECT i, md5(i::text) FROM generate_series(1, 20000) i;
ANALYZE app.users;
SELECT dbcare_set('health.growth.tables', '2');
SELECT dbcare_set('health.growth.points', '3');
SQL
for i in 1 2 3 4; do
  q >/dev/null <<SQL
SELECT dbhealth_snapshot();
INSERT INTO app.events SELECT g + $i * 100000, md5(g::text) FROM generate_series(1, 30000) g;
UPDATE dbcare.health_snapshots SET taken_at = taken_at - interval '1 day';
SQL
done
[ "$(q -c "SELECT count(*), count(DISTINCT snapshot_id), min(snapshot_id) FROM dbcare.health_table_sizes")" = "6|3|2" ] ||
  fail "not bounded to 2 tables x 3 snapshots: $(q -c 'TABLE dbcare.health_table_sizes')"
# (within a tenth: autovacuum may add the visibility map's pages since)
[ "$(q -c "SELECT rows_estimate, abs(bytes - pg_total_relation_size('app.users')) < bytes / 10 FROM dbcare.health_table_sizes
           WHERE table_schema = 'app' AND table_name = 'users' ORDER BY id DESC LIMIT 1")" = "20000|t" ] ||
  fail "users' size: $(q -c 'TABLE dbcare.health_table_sizes')"
[ "$(q -c "SELECT count(*) FROM dbcare.health_table_sizes WHERE table_name = 'tags'")" = 0 ] || fail "tags recorded"

[ "$(q -c "SELECT string_agg(t->>'schema' || '.' || (t->>'table') || ':' || (t->>'samples') || ':' ||
                  ((t->>'bytes_per_day')::float8 > 1000000)::text, ',')
           FROM jsonb_array_elements(dbhealth_growth(30)->'tables') t")" = "app.events:3:true,app.users:3:false" ] ||
  fail "dbhealth_growth's tables: $(q -c "SELECT dbhealth_growth(30)->'tables'")"

# a monitoring role reads the history through the metrics and the growth
q -c "CREATE ROLE growth_watch LOGIN IN ROLE pg_monitor" >/dev/null
out=$("$B/psql" -X -At -v ON_ERROR_STOP=1 -U growth_watch -d "$db" -c "SELECT dbhealth_metrics('quick')")
grep -q '^dbcare_table_size_bytes{engine="postgresql",database="dbcare_table_growth",table="app.events"} [1-9]' <<<"$out" ||
  fail "no events size series: $(grep dbcare_table <<<"$out")"
grep -q '^dbcare_table_growth_bytes_per_day{engine="postgresql",database="dbcare_table_growth",table="app.users"} 0.0$' <<<"$out" ||
  fail "no users growth series: $(grep dbcare_table <<<"$out")"
[ "$(grep -c '^dbcare_table_size_bytes{' <<<"$out")" = 2 ] || fail "not 2 size series"
# a role with the grants recording a snapshot needed before the history
# still records it, warned that the table sizes are missing; with INSERT and
# DELETE on the history it records them
q -c "CREATE ROLE growth_rec LOGIN IN ROLE pg_monitor; GRANT EXECUTE ON FUNCTION dbhealth_snapshot() TO growth_rec;
      GRANT INSERT ON dbcare.health_snapshots TO growth_rec" >/dev/null
rec() { "$B/psql" -X -At -v ON_ERROR_STOP=1 -U growth_rec -d "$db" -c "SELECT dbhealth_snapshot() IS NOT NULL" 2>&1; }
out=$(rec) || fail "a snapshot with the former grants failed: $out"
grep -q 'WARNING:  dbcare: the snapshot was recorded without the table sizes: .*permission denied' <<<"$out" ||
  fail "no warning for the missing table sizes: $out"
newest="(SELECT max(id) FROM dbcare.health_snapshots)"
[ "$(q -c "SELECT count(*) FROM dbcare.health_table_sizes WHERE snapshot_id = $newest")" = 0 ] ||
  fail "sizes recorded without the grant"
q -c "GRANT INSERT, DELETE ON dbcare.health_table_sizes TO growth_rec" >/dev/null
out=$(rec) || fail "a snapshot with the documented grants failed: $out"
! grep -q WARNING <<<"$out" || fail "a warning with the documented grants: $out"
[ "$(q -c "SELECT count(*) FROM dbcare.health_table_sizes WHERE snapshot_id = $newest")" = 2 ] ||
  fail "the documented grants did not record the table sizes"
echo "ok: table growth history on PostgreSQL"
