#!/usr/bin/env bash
# The per-table growth history on SQLite: each dbhealth_snapshot records the
# largest tables' rows and bytes, bounded by health.growth.tables (tables per
# snapshot) and health.growth.points (snapshots kept); dbhealth_growth lists
# the tables fastest-growing first; dbhealth_metrics has a bounded
# dbcare_table_size_bytes / dbcare_table_growth_bytes_per_day per table; a
# file from before the history reads as none; a read-only call makes nothing.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"
q "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT);
   CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
   CREATE TABLE tags (id INTEGER PRIMARY KEY);
   CREATE TABLE \"odd \"\"name\" (x);
   INSERT INTO users SELECT value, hex(randomblob(200)) FROM generate_series(1, 5000);
   INSERT INTO events SELECT value, hex(randomblob(40)) FROM generate_series(1, 1000);"

# before any snapshot: no history, and reading makes no table
[ "$(q "SELECT json_array_length(dbhealth_growth(30), '\$.tables')")" = 0 ] || fail "history before a snapshot"
[ "$(q "SELECT (SELECT count(*) FROM dbhealth_history()) + (SELECT count(*) FROM dbhealth_table_history())")" = 0 ] ||
  fail "series before a snapshot"
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'dbcare_health_table_sizes'")" = 0 ] ||
  fail "a read made the history table"
! q "SELECT dbhealth_metrics('quick')" | grep -q dbcare_table_ || fail "table series without history"

# four snapshots a day apart; events grows between each, users stays; at most
# 3 tables each, 3 snapshots kept
q "SELECT dbcare_set('health.growth.tables', '3'); SELECT dbcare_set('health.growth.points', '3');" >/dev/null
for i in 1 2 3 4; do
  q "SELECT dbhealth_snapshot();
     INSERT INTO events SELECT value + $i * 100000, hex(randomblob(40)) FROM generate_series(1, 20000);
     UPDATE dbcare_health_snapshots SET taken_at = strftime('%Y-%m-%dT%H:%M:%fZ', taken_at, '-1 day');" >/dev/null
done
[ "$(q "SELECT count(*), count(DISTINCT snapshot_id), max(n) FROM dbcare_health_table_sizes,
        (SELECT max(c) AS n FROM (SELECT count(*) AS c FROM dbcare_health_table_sizes GROUP BY snapshot_id))")" = "9|3|3" ] ||
  fail "not bounded to 3 tables x 3 snapshots: $(q "SELECT * FROM dbcare_health_table_sizes")"
[ "$(q "SELECT min(snapshot_id) FROM dbcare_health_table_sizes")" = 2 ] || fail "the oldest snapshot's sizes were kept"
# the rows are counted, the bytes are dbstat's
[ "$(q "SELECT rows_estimate FROM dbcare_health_table_sizes WHERE table_name = 'users' ORDER BY id DESC LIMIT 1")" = 5000 ] ||
  fail "users' rows"
[ "$(q "SELECT bytes = (SELECT sum(pgsize) FROM dbstat WHERE name = 'users') FROM dbcare_health_table_sizes
        WHERE table_name = 'users' ORDER BY id DESC LIMIT 1")" = 1 ] || fail "users' bytes"
# the largest three: events and users always, never the empty tags
[ "$(q "SELECT count(*) FROM dbcare_health_table_sizes WHERE table_name = 'tags'")" -le 3 ] || fail "tags"

# the series the page's charts draw, through functions: 4 snapshots oldest
# first, each kept table's 3 sizes; the largest tables now, without counting
[ "$(q "SELECT count(*), min(epoch) < max(epoch), sum(size_bytes > 0) FROM dbhealth_history()")" = "4|1|4" ] ||
  fail "dbhealth_history: $(q "SELECT * FROM dbhealth_history()")"
[ "$(q "SELECT group_concat(e) FROM (SELECT epoch AS e FROM dbhealth_history(2))")" = \
  "$(q "SELECT group_concat(e) FROM (SELECT e FROM (SELECT epoch AS e FROM dbhealth_history() ORDER BY e DESC LIMIT 2) ORDER BY e)")" ] ||
  fail "dbhealth_history(2) is not the newest two, oldest first"
[ "$(q "SELECT count(*) FROM dbhealth_table_history(30) WHERE table_name = 'events'")" = 3 ] ||
  fail "dbhealth_table_history: $(q "SELECT * FROM dbhealth_table_history(30)")"
[ "$(q "SELECT table_name, bytes = (SELECT sum(pgsize) FROM dbstat WHERE name = 'events') FROM dbhealth_largest_tables(1)")" = "events|1" ] ||
  fail "dbhealth_largest_tables: $(q "SELECT * FROM dbhealth_largest_tables()")"

# dbhealth_growth: events first (it grows), users flat, then the rest
out=$(q "SELECT dbhealth_growth(30)")
"$py" - "$out" <<'PY' || fail "dbhealth_growth's tables: $out"
import json, sys
t = json.loads(sys.argv[1])["tables"]
assert t[0]["table"] == "events" and t[0]["schema"] is None and t[0]["samples"] == 3, t
assert t[0]["bytes_per_day"] > 500000, t[0]                 # 20,000 rows of ~100 bytes a day
assert t[0]["rows"] == 61000 and t[0]["size_bytes"] > 0, t[0]
u = [x for x in t if x["table"] == "users"][0]
assert u["bytes_per_day"] == 0 and u["rows"] == 5000, u
assert [x["bytes_per_day"] for x in t] == sorted((x["bytes_per_day"] for x in t), reverse=True), t
PY

# the exposition: one sample per table of the newest snapshot, escaped labels
q "SELECT dbhealth_metrics('quick')" > "$work/metrics"
grep -q '^dbcare_table_size_bytes{engine="sqlite",database="app.db",table="events"} [1-9]' "$work/metrics" ||
  fail "no events size: $(grep dbcare_table "$work/metrics")"
grep -q '^dbcare_table_growth_bytes_per_day{engine="sqlite",database="app.db",table="users"} 0.0$' "$work/metrics" ||
  fail "users' growth: $(grep dbcare_table "$work/metrics")"
[ "$(grep -c '^dbcare_table_size_bytes{' "$work/metrics")" = 3 ] || fail "not 3 size series"
if command -v promtool >/dev/null; then
  promtool check metrics < "$work/metrics" > "$work/promtool" 2>&1 ||
    fail "promtool refuses the exposition: $(head -3 "$work/promtool")"
fi

# a table name that needs escaping in a label
q "INSERT INTO \"odd \"\"name\" SELECT hex(randomblob(4000)) FROM generate_series(1, 200);
   SELECT dbcare_set('health.growth.tables', '20'); SELECT dbhealth_snapshot();" >/dev/null
q "SELECT dbhealth_metrics('quick')" | grep -qF 'table="odd \"name"}' || fail "the odd name's label"

# 0 tables: a snapshot records none, and old rows still age out
q "SELECT dbcare_set('health.growth.tables', '0'); SELECT dbhealth_snapshot(); SELECT dbhealth_snapshot();
   SELECT dbhealth_snapshot();" >/dev/null
[ "$(q "SELECT count(*) FROM dbcare_health_table_sizes")" = 0 ] || fail "health.growth.tables 0 recorded sizes"
q "SELECT dbcare_set('health.growth.points', '1')" >/dev/null 2>&1 && fail "points 1 accepted" || true
echo "ok: table growth history"
