#!/usr/bin/env bash
# Bloat that plain VACUUM leaves (a table at ~6x the size its rows need after
# a mass delete) and planner statistics deleted by hand: both are health
# findings with a repair in dbmaintain_plan that needs no extension, and both
# are gone once the repair ran.
set -eu
db=dbcare_health_bloat
. "$(dirname "$0")/lib/pg.sh"
fresh_db
t0=$(date +%s)

q -c "CREATE TABLE big (id int PRIMARY KEY, qty int NOT NULL, note text) WITH (autovacuum_enabled = false)" \
  -c "INSERT INTO big SELECT i, i % 97, 'note ' || i FROM generate_series(1, 200000) i" \
  -c "CREATE TABLE small (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)" \
  -c "INSERT INTO small SELECT i, 'v' || i FROM generate_series(1, 20000) i" \
  -c "SELECT pg_stat_force_next_flush()" >/dev/null
# a session's statistics reach the shared ones when it ends or is made to
# flush them (before psql returns): the counts of changed rows are in before
# the ANALYZE that resets them
q -c "ANALYZE big" -c "ANALYZE small" -c "SELECT pg_stat_force_next_flush()" >/dev/null
check() { q -c "SELECT status || ' | ' || message || ' | ' || coalesce(hint, '') FROM dbhealth_checks('quick') WHERE name = '$1'"; }

st=$(check table_bloat)
case "$st" in "ok | no bloated table | ") ;; *) fail "table_bloat before the delete: $st" ;; esac
echo "ok: a freshly loaded table is not bloated"

# 5 rows of every 6 deleted all over the table: VACUUM frees them for reuse
# but gives no page back
q -c "DELETE FROM big WHERE id % 6 <> 0" -c "SELECT pg_stat_force_next_flush()" >/dev/null
q -c "VACUUM big" -c "ANALYZE big" -c "SELECT pg_stat_force_next_flush()" >/dev/null
pages=$(q -c "SELECT relpages FROM pg_class WHERE oid = 'big'::regclass")
st=$(check table_bloat)
echo "$st ($pages pages)"
case "$st" in "warning | 1 bloated table or index, worst "*"%: public.big (about "*" not needed by its 33333 rows (estimate))"*"See dbmaintain_plan(): vacuum_full public.big.") ;;
  *) fail "table_bloat after the delete: $st" ;; esac
pct=$(q -c "SELECT value FROM dbhealth_checks('quick') WHERE name = 'table_bloat'")
awk -v p="$pct" 'BEGIN { exit !(p >= 75 && p <= 90) }' || fail "estimate $pct% for a table at 6x its need"
echo "ok: the bloat is found, estimated at $pct% (6x its need is 83%)"

plan=$(q -c "SELECT action || ' | ' || statement || ' | ' || safety || ' | ' || outside_transaction FROM dbmaintain_plan('quick') WHERE object = 'public.big'")
echo "$plan"
[ "$plan" = "vacuum_full | VACUUM FULL public.big | locking | true" ] || fail "plan: $plan"
echo "ok: the plan rewrites the table with VACUUM FULL (locking, outside a transaction)"

# statistics deleted by hand: ANALYZE ran, yet the planner has nothing
q -c "DELETE FROM pg_statistic WHERE starelid = 'small'::regclass" >/dev/null
st=$(check statistics)
echo "$st"
case "$st" in "warning | 1 table without current statistics: public.small (analysed, but its planner statistics are gone) | Run ANALYZE. See dbmaintain_plan(): analyze public.small.") ;;
  *) fail "statistics after deleting them: $st" ;; esac
q -c "SELECT statement FROM dbmaintain_plan('quick') WHERE action = 'analyze'" | grep -qxF "ANALYZE public.small" \
  || fail "no ANALYZE planned for small"
echo "ok: missing statistics are found and ANALYZE is planned"

# the repairs: the safe rows in the run, the rest outside a transaction
q -c "SELECT count(*) FROM dbmaintain_run('quick')" >/dev/null
printf '%s\n' "SELECT statement FROM dbmaintain_plan('quick') WHERE outside_transaction \\gexec" | q >/dev/null
for c in table_bloat statistics; do
  st=$(check $c)
  case "$st" in "ok | "*) ;; *) fail "$c after the repairs: $st" ;; esac
done
[ "$(q -c "SELECT count(*) FROM big")" = 33333 ] || fail "rows lost"
echo "ok: both findings are gone after the repairs, every row kept"
echo "took $(( $(date +%s) - t0 )) s"
