#!/usr/bin/env bash
# dbhealth_* on SQLite files shaped like real ones: metrics of several files
# told apart by their label, numbers in dbhealth_checks, foreign keys counted
# as keys (Chinook-like: more keys than tables), and a bookkeeping table
# dropped by hand failing only the checks that read it (dbhealth_gauges
# too: its migration numbers unknown).
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"

# --- every file labels its metrics with its own name ---------------------
db="$work/chinook.db"
q "CREATE TABLE artist (id INTEGER PRIMARY KEY, name TEXT);
   CREATE TABLE album (id INTEGER PRIMARY KEY, artist_id INTEGER REFERENCES artist (id),
                       title TEXT);
   CREATE TABLE track (id INTEGER PRIMARY KEY, album_id INTEGER REFERENCES album (id),
                       artist_id INTEGER REFERENCES artist (id),
                       composer_id INTEGER REFERENCES artist (id));"
db="$work/northwind.db"
q "CREATE TABLE region (id INTEGER PRIMARY KEY);"
a=$(db="$work/chinook.db" q "SELECT dbhealth_metrics('quick')")
b=$(db="$work/northwind.db" q "SELECT dbhealth_metrics('quick')")
grep -q '^dbcare_health_score{engine="sqlite",database="chinook.db"} ' <<<"$a" ||
  fail "chinook.db's metrics are not labelled with its name: $(grep health_score <<<"$a")"
grep -q '^dbcare_health_score{engine="sqlite",database="northwind.db"} ' <<<"$b" ||
  fail "northwind.db's metrics are not labelled with its name"
[ "$(db="$work/chinook.db" q "SELECT json_extract(dbhealth_report('quick'), '\$.database')")" = chinook.db ] ||
  fail "the report does not name its file"
# health.database_label overrides the file's name
q "SELECT dbcare_set('health.database_label', 'nw-eu')" > /dev/null
b=$(q "SELECT dbhealth_metrics('quick')")
grep -q '^dbcare_health_score{engine="sqlite",database="nw-eu"} ' <<<"$b" ||
  fail "health.database_label is not the label"
echo "ok: each file labels its metrics"

# --- value and threshold are numbers --------------------------------------
db="$work/chinook.db"
got=$(q "SELECT typeof(value) || ' ' || typeof(threshold) FROM dbhealth_checks('quick')
          WHERE name = 'foreign_keys_enforced'")
[ "$got" = "integer integer" ] || fail "value/threshold are $got, not numbers"
got=$(q "SELECT group_concat(name, ',') FROM dbhealth_checks('quick') WHERE value > 2")
[ "$got" = foreign_keys_enforced,unindexed_foreign_keys ] ||
  fail "WHERE value > 2 found $got, not the two checks counting 4 foreign keys"
got=$(q "SELECT quote(value) FROM dbhealth_checks('quick') WHERE name = 'journal_mode'")
[ "$got" = NULL ] || fail "journal_mode's word became the number $got"
echo "ok: numbers"

# --- foreign keys not enforced: counted as keys, named with their table ----
got=$(q "SELECT message FROM dbhealth_checks('quick') WHERE name = 'foreign_keys_enforced'")
case "$got" in
  "4 foreign keys not enforced: album(artist_id) (references artist), track("*) ;;
  *) fail "foreign_keys_enforced says: $got" ;;
esac
echo "ok: foreign keys counted"

# --- a bookkeeping table dropped by hand ----------------------------------
q "SELECT dbmigrate_add('1', 'init', 'CREATE TABLE genre (id INTEGER PRIMARY KEY)');
   SELECT dbmigrate_apply();" > /dev/null
q "DROP TABLE dbcare_migrations_history"
score=$(q "SELECT dbhealth_score('full')") || fail "dbhealth_score failed as a whole"
[ -n "$score" ] || fail "no score"
got=$(q "SELECT group_concat(name, ',') FROM dbhealth_checks('full') WHERE status = 'error'")
[ "$got" = "orphans,migrations,schema_drift,backups,retention,audit,migrations_overdue,score_drop,backup_drills,point_in_time_log" ] || fail "error rows: $got"
m=$(q "SELECT dbhealth_metrics('full')") || fail "dbhealth_metrics failed as a whole"
grep -q '^dbcare_migrations_pending{engine="sqlite",database="chinook.db"} NaN$' <<<"$m" ||
  fail "pending migrations are not NaN when unknown: $(grep migrations_pending <<<"$m")"
grep -q '^dbcare_health_check_errors{.*check="migrations"} 1$' <<<"$m" ||
  fail "the migrations check's error is not counted"
# dbhealth_gauges, the report's cheap numbers (read by dbcare serve on
# every scrape), knows as much as the report: the migrations unknown
g=$(q "SELECT dbhealth_gauges()") || fail "dbhealth_gauges failed as a whole"
[ "$(q "SELECT json_extract('$g', '\$.tables') || '|' || ifnull(json_extract('$g', '\$.pending_migrations'), 'null')")" = "4|null" ] ||
  fail "dbhealth_gauges with a missing bookkeeping table: $g"
echo "ok: a missing bookkeeping table fails its checks, not the report"
