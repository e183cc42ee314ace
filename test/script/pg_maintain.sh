#!/usr/bin/env bash
# dbmaintain_plan / dbmaintain_run end to end on PostgreSQL: every finding
# the plan repairs is planted (names with quotes, spaces and unicode), the
# plan gives each its statement, the run executes the safe ones, the
# statements outside a transaction run through psql's \gexec as the docs
# say, locking ones only when included, and the health checks go back to ok
# with every row still there -- except the orphans, which only the
# destructive cleanup removes, and only when included.
set -eu
db=dbcare_maintain
. "$(dirname "$0")/lib/pg.sh"
fresh_db

S='"Mä ""q"" s"'   # the schema, quoted
q -c "CREATE SCHEMA $S" \
  -c "CREATE TABLE $S.\"pa rent\" (id int PRIMARY KEY) WITH (autovacuum_enabled = false)" \
  -c "CREATE TABLE $S.\"chi'ld ü\" (id int PRIMARY KEY, \"pa rent\" int REFERENCES $S.\"pa rent\", v int, w int)
        WITH (autovacuum_enabled = false)" \
  -c "INSERT INTO $S.\"pa rent\" SELECT i FROM generate_series(1, 100) i" \
  -c "INSERT INTO $S.\"chi'ld ü\" SELECT i, 1 + i % 100, i, i FROM generate_series(1, 3000) i" \
  -c "CREATE INDEX \"v one\" ON $S.\"chi'ld ü\" (v)" \
  -c "CREATE INDEX \"v two\" ON $S.\"chi'ld ü\" (v)" \
  -c "CREATE INDEX \"w idx\" ON $S.\"chi'ld ü\" (w)" \
  -c "UPDATE pg_index SET indisvalid = false WHERE indexrelid = '$S.\"w idx\"'::regclass" \
  -c "ALTER TABLE $S.\"chi'ld ü\" ADD CONSTRAINT \"w positive\" CHECK (w > 0) NOT VALID" \
  -c "CREATE TABLE $S.\"se q\" (id serial PRIMARY KEY, x int) WITH (autovacuum_enabled = false)" \
  -c "INSERT INTO $S.\"se q\" (x) VALUES (1), (2)" \
  -c "SELECT setval(pg_get_serial_sequence('$S.\"se q\"', 'id'), 2000000000)" \
  -c "CREATE TABLE $S.\"or phan\" (id int PRIMARY KEY, parent_id int) WITH (autovacuum_enabled = false)" \
  -c "INSERT INTO $S.\"or phan\" VALUES (1, 1), (2, 999)" \
  -c "SELECT dbcheck_add_relation('orphan rel', 'Mä \"q\" s.or phan', 'parent_id', 'Mä \"q\" s.pa rent', 'id')" \
  -c "DELETE FROM $S.\"chi'ld ü\" WHERE id > 1000" \
  -c "SELECT pg_stat_force_next_flush()" >/dev/null # the session's statistics in the shared ones when psql returns

counts() { q -c "SELECT (SELECT count(*) FROM $S.\"pa rent\") || ' ' || (SELECT count(*) FROM $S.\"chi'ld ü\") || ' ' || (SELECT count(*) FROM $S.\"se q\") || ' ' || (SELECT count(*) FROM $S.\"or phan\")"; }
before=$(counts)
[ "$before" = "100 1000 2 2" ] || fail "planted rows: $before"

planted="statistics fragmentation invalid_indexes not_valid_constraints duplicate_indexes unindexed_foreign_keys sequence_exhaustion orphans"
for c in $planted; do
  st=$(q -c "SELECT status FROM dbhealth_checks('full') WHERE name = '$c'")
  case "$st" in warning|critical) echo "ok: planted $c ($st)" ;; *) fail "$c is $st after planting" ;; esac
done

hint=$(q -c "SELECT hint FROM dbhealth_checks('full') WHERE name = 'not_valid_constraints'")
case "$hint" in *"See dbmaintain_plan(): validate_constraint Mä \"q\" s.w positive.") echo "ok: the hint points to the plan row" ;;
  *) fail "the not_valid_constraints hint does not point to the plan: $hint" ;; esac

plan=$(q -c "SELECT action || ' | ' || coalesce(statement, '-') || ' | ' || safety || ' | ' || outside_transaction
             FROM dbmaintain_plan('full') ORDER BY action, statement")
echo "$plan"
want() { printf '%s\n' "$plan" | grep -qxF -- "$1" || fail "the plan lacks: $1"; echo "ok: planned: $1"; }
want "analyze | ANALYZE \"Mä \"\"q\"\" s\".\"chi'ld ü\" | safe | false"
want "vacuum | VACUUM (ANALYZE) \"Mä \"\"q\"\" s\".\"chi'ld ü\" | safe | true"
want "reindex | REINDEX INDEX CONCURRENTLY \"Mä \"\"q\"\" s\".\"w idx\" | safe | true"
want "validate_constraint | ALTER TABLE \"Mä \"\"q\"\" s\".\"chi'ld ü\" VALIDATE CONSTRAINT \"w positive\" | safe | false"
want "drop_index | DROP INDEX CONCURRENTLY \"Mä \"\"q\"\" s\".\"v two\" | safe | true"
want "create_index | CREATE INDEX CONCURRENTLY ON \"Mä \"\"q\"\" s\".\"chi'ld ü\" (\"pa rent\") | safe | true"
want "widen_sequence | ALTER SEQUENCE \"Mä \"\"q\"\" s\".\"se q_id_seq\" AS bigint | locking | false"
want "widen_column | ALTER TABLE \"Mä \"\"q\"\" s\".\"se q\" ALTER COLUMN id TYPE bigint | locking | false"
want "cleanup_orphans | SELECT dbcheck_cleanup_orphans(false) | destructive | false"

# the run: safe rows inside the function, the others returned with why
run=$(q -c "SELECT action || ' ' || status FROM dbmaintain_run('full') ORDER BY action")
echo "$run"
for line in "analyze done" "validate_constraint done" "vacuum outside_transaction" \
            "reindex outside_transaction" "drop_index outside_transaction" \
            "create_index outside_transaction" "widen_sequence not_included" \
            "widen_column not_included" "cleanup_orphans not_included"; do
  printf '%s\n' "$run" | grep -qxF "$line" || fail "the run lacks: $line"
done
echo "ok: the run did the safe rows and returned the others"

# outside a transaction, as docs/maintenance.md says
printf '%s\n' "SELECT statement FROM dbmaintain_plan('full') WHERE outside_transaction \\gexec" \
  | q >/dev/null
q -c "SELECT action || ' ' || status FROM dbmaintain_run('full', 'locking')" >/dev/null
sleep 1
after=$(counts)
[ "$after" = "$before" ] || fail "rows changed: $before -> $after"
echo "ok: every row is still there ($after)"
for c in $planted; do
  st=$(q -c "SELECT status FROM dbhealth_checks('full') WHERE name = '$c'")
  if [ "$c" = orphans ]; then
    [ "$st" = warning ] || fail "orphans is $st before the destructive cleanup"
  else
    [ "$st" = ok ] || fail "$c is $st after the repairs: $(q -c "SELECT message FROM dbhealth_checks('full') WHERE name = '$c'")"
  fi
done
echo "ok: the planted checks are ok again (orphans left for the destructive cleanup)"

q -c "SELECT * FROM dbmaintain_run('full', 'destructive')" >/dev/null
[ "$(counts)" = "100 1000 2 1" ] || fail "after the cleanup: $(counts)"
[ "$(q -c "SELECT status FROM dbhealth_checks('full') WHERE name = 'orphans'")" = ok ] || fail "orphans not ok"
echo "ok: the destructive cleanup removed the one orphan only"
[ -z "$(q -c "SELECT action FROM dbmaintain_plan('full') WHERE action <> 'analyze'")" ] \
  || fail "the plan is not empty: $(q -c "SELECT * FROM dbmaintain_plan('full')")"
echo "ok: nothing left to plan"

# history: every row of the three runs, in order
hist=$(q -c "SELECT count(DISTINCT run) || ' ' || count(*) FILTER (WHERE status = 'done' AND duration_ms >= 0) FROM dbmaintain_history()")
echo "history: $hist"
case "$hist" in "3 "*) echo "ok: three runs recorded" ;; *) fail "history: $hist" ;; esac

# a NOT VALID constraint with violations: no statement, the violations named
q -c "INSERT INTO $S.\"pa rent\" VALUES (-5)" \
  -c "ALTER TABLE $S.\"pa rent\" ADD CONSTRAINT \"id big\" CHECK (id > 0) NOT VALID" >/dev/null
row=$(q -c "SELECT coalesce(statement, '-') || ' | ' || reason FROM dbmaintain_plan('quick') WHERE action = 'validate_constraint'")
echo "$row"
case "$row" in "- | not_valid_constraints: 1 row violates it"*) echo "ok: violations named, no statement" ;; *) fail "$row" ;; esac

# all or nothing: a step that fails (a view uses the column to widen) undoes
# the steps before it (the VALIDATE) and records nothing; the session goes on
q -c "DELETE FROM $S.\"pa rent\" WHERE id < 0" \
  -c "ALTER TABLE $S.\"pa rent\" DROP CONSTRAINT \"id big\"" \
  -c "ALTER TABLE $S.\"chi'ld ü\" ADD CONSTRAINT \"v small\" CHECK (v < 10000) NOT VALID" \
  -c "CREATE TABLE $S.s2 (id serial PRIMARY KEY)" \
  -c "SELECT setval(pg_get_serial_sequence('$S.s2', 'id'), 2000000000)" \
  -c "CREATE VIEW $S.s2_ids AS SELECT id FROM $S.s2" >/dev/null
runs=$(q -c "SELECT count(*) FROM dbmaintain_history()")
out=$(printf '%s\n' "SELECT * FROM dbmaintain_run('quick', 'locking');" "SELECT 'session ok';" \
      | "$B/psql" -X -q -At -d "$db" 2>&1 || true)
echo "$out"
case "$out" in *"ERROR:  dbcare: cannot alter type of a column used by a view"*) ;; *) fail "no error: $out" ;; esac
case "$out" in *"session ok"*) echo "ok: the failing step ends the run with its error; the session goes on" ;;
  *) fail "the session did not go on: $out" ;; esac
[ "$(q -c "SELECT status FROM dbhealth_checks('quick') WHERE name = 'not_valid_constraints'")" = warning ] \
  || fail "the VALIDATE before the failing step was kept"
[ "$(q -c "SELECT count(*) FROM dbmaintain_history()")" = "$runs" ] || fail "the failed run was recorded"
echo "ok: the failed run undid its VALIDATE and recorded nothing"

# a monitoring role that may not read the table still gets its plan: the
# constraint's rows could not be counted, so there is no statement for it
q -c "DROP VIEW $S.s2_ids" -c "CREATE ROLE dbc_maintain_mon IN ROLE pg_monitor" >/dev/null
trap 'q -c "DROP OWNED BY dbc_maintain_mon" -c "DROP ROLE IF EXISTS dbc_maintain_mon" >/dev/null 2>&1 || true; cleanup' EXIT
row=$(q -c "SET ROLE dbc_maintain_mon" \
        -c "SELECT coalesce(statement, '-') || ' | ' || reason FROM dbmaintain_plan('quick') WHERE action = 'validate_constraint'")
echo "$row"
case "$row" in "- | not_valid_constraints: its rows could not be checked"*) echo "ok: a monitoring role gets the plan" ;;
  *) fail "monitoring role: $row" ;; esac

# a partitioned table's index cannot be built CONCURRENTLY: the plan builds
# it in one go (locking), inside the run when included
q -c "CREATE TABLE $S.\"pa rted\" (id int, \"pa rent\" int REFERENCES $S.\"pa rent\") PARTITION BY RANGE (id)" \
  -c "CREATE TABLE $S.\"pa rted 1\" PARTITION OF $S.\"pa rted\" FOR VALUES FROM (0) TO (1000)" >/dev/null
row=$(q -c "SELECT statement || ' | ' || safety || ' | ' || outside_transaction FROM dbmaintain_plan('quick')
             WHERE action = 'create_index' AND statement LIKE '%\"pa rted\" (%'")
[ "$row" = "CREATE INDEX ON \"Mä \"\"q\"\" s\".\"pa rted\" (\"pa rent\") | locking | false" ] || fail "partitioned: $row"
q -c "SELECT * FROM dbmaintain_run('quick', 'create_index')" >/dev/null
[ "$(q -c "SELECT count(*) FROM dbmaintain_plan('quick') WHERE action = 'create_index'")" = 0 ] \
  || fail "the partitioned table's index was not built"
echo "ok: a partitioned table's index is built in one go, when included"

# the cron line docs/maintenance.md gives for PostgreSQL, run as written
# (its schedule dropped, psql and the database replaced; by sh, as cron
# runs it): a \gexec inside psql -c is sent to the server as SQL and fails,
# so the rows outside a transaction never ran
q -c "CREATE TABLE cron_t (a int)" -c "CREATE INDEX cron_a ON cron_t (a)" \
  -c "CREATE INDEX cron_a_copy ON cron_t (a)" >/dev/null
line=$(grep -m 1 '^30 3 \* \* \* psql ' "$(dirname "$0")/../../docs/maintenance.md") ||
  fail "docs/maintenance.md has no PostgreSQL cron line"
cmd=${line#30 3 \* \* \* }
cmd=${cmd//psql /$B/psql }
cmd=${cmd//-d app/-d $db}
sh -c "$cmd" >/dev/null 2>"$work/cron.err" || fail "the documented cron line failed: $(cat "$work/cron.err")"
[ "$(q -c "SELECT count(*) FROM pg_class WHERE relname IN ('cron_a', 'cron_a_copy')")" = 1 ] ||
  fail "the documented cron line left the duplicate index: $(cat "$work/cron.err")"
echo "ok: the documented cron line runs the rows outside a transaction"
