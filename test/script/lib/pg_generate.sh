# pg_generate.sh — a generate case for the PostgreSQL generator's script
# tests (sourced after lib/pg.sh, which gives fresh_db, q, fail, $work).
#
# generate_case NAME LIVE DESIRED: the plan from LIVE to DESIRED (drops
# allowed), proved by the generator, into $work/plan.txt (one line a step:
# step | statement | hazard | reverse), applied in the same session, and
# the result compared with the fingerprint of a database made by DESIRED.
generate_case() {
  fresh_db
  q -c "SET client_min_messages = warning" -c "$3" >/dev/null
  local want
  want=$(q -c "SELECT dbschema_fingerprint()")
  fresh_db
  q -c "SET client_min_messages = warning" -c "$2" >/dev/null
  q -v "desired=$3" > "$work/plan.txt" 2>&1 <<'SQL' || fail "$1: $(grep -m1 -A1 ERROR "$work/plan.txt")"
CREATE TEMP TABLE plan AS SELECT * FROM dbmigrate_generate(:'desired', '{"allow_drop": true}');
SELECT step || ' | ' || statement || ' | ' || coalesce(hazard, '') || ' | ' || coalesce(reverse, '')
  FROM plan ORDER BY step;
SELECT statement FROM plan WHERE statement NOT LIKE '-- %' ORDER BY step \gexec
SQL
  [ "$(q -c "SELECT dbschema_fingerprint()")" = "$want" ] || fail "$1: the up does not reach the desired schema"
  echo "$1: planned, proved, applied: the desired schema"
}
# plan_has NAME TEXT: the last case's plan holds TEXT
plan_has() {
  grep -qF -- "$2" "$work/plan.txt" || { cat "$work/plan.txt"; fail "$1: the plan has no \"$2\""; }
}
