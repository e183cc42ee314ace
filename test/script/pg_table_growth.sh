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
-- users stays the same size: vacuumed now (its visibility map and free
-- space map made), never by autovacuum between the snapshots
CREATE TABLE app.users (id integer PRIMARY KEY, name text) WITH (autovacuum_enabled = off);
CREATE TABLE app.tags (id integer PRIMARY KEY);
INSERT INTO app.users SELECT i, md5(i::text) FROM generate_series(1, 20000) i;
VACUUM ANALYZE app.users;
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

# the series the page's charts draw, read through functions: the
# snapshots (oldest first, as many as asked), each recorded table's sizes,
# the largest tables now
[ "$(q -c "SELECT count(*), bool_and(taken_at LIKE '____-__-__T__:__:__.___Z'),
                  min(epoch) < max(epoch), bool_and(size_bytes > 0) FROM dbhealth_history()")" = "4|t|t|t" ] ||
  fail "dbhealth_history: $(q -c 'SELECT * FROM dbhealth_history()')"
[ "$(q -c "SELECT string_agg(epoch::text, ',' ORDER BY epoch) = (SELECT string_agg(e::text, ',')
             FROM (SELECT epoch AS e FROM dbhealth_history(2)) s) FROM
             (SELECT epoch FROM dbhealth_history() ORDER BY epoch DESC LIMIT 2) n")" = t ] ||
  fail "dbhealth_history(2) is not the newest two, oldest first: $(q -c 'SELECT * FROM dbhealth_history(2)')"
[ "$(q -c "SELECT string_agg(table_name || ':' || n, ',' ORDER BY table_name) FROM
             (SELECT table_name, count(*) AS n FROM dbhealth_table_history(30) GROUP BY 1) s")" = \
  "app.events:3,app.users:3" ] || fail "dbhealth_table_history: $(q -c 'SELECT * FROM dbhealth_table_history()')"
q -c 'CREATE TABLE app."Odd name" (x int)' >/dev/null
[ "$(q -c "SELECT string_agg(table_name, ',') FROM dbhealth_largest_tables(2)")" = "app.events,app.users" ] ||
  fail "dbhealth_largest_tables: $(q -c 'SELECT * FROM dbhealth_largest_tables()')"
[ "$(q -c "SELECT count(*) FROM dbhealth_largest_tables(100) WHERE table_name = 'app.\"Odd name\"'")" = 1 ] ||
  fail "a name that needs quotes: $(q -c 'SELECT * FROM dbhealth_largest_tables(100)')"
q -c 'DROP TABLE app."Odd name"' >/dev/null
out=$(q -c "SELECT * FROM dbhealth_history(0)" 2>&1 || true)
grep -q 'dbcare: argument "limit" must be positive' <<<"$out" || fail "dbhealth_history(0): $out"

# a monitoring role reads the history through the metrics and the growth
q -c "CREATE ROLE growth_watch LOGIN IN ROLE pg_monitor" >/dev/null
[ "$("$B/psql" -X -At -v ON_ERROR_STOP=1 -U growth_watch -d "$db" -c "SELECT count(*) FROM dbhealth_history()")" = 4 ] ||
  fail "a monitoring role cannot read dbhealth_history"
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
