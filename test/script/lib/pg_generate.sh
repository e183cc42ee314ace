# pg_generate.sh — a generate case for the PostgreSQL generator's script
# tests (sourced after lib/pg.sh, which gives fresh_db, q, fail, $work).
#
# generate_fresh_db: fresh_db's database, copied from a template made by
# the first call (CREATE EXTENSION once, not twice a case); the template
# goes with the test. Each copy is STRATEGY FILE_COPY: the files copied,
# not each block written to the WAL (WAL_LOG, the default, costs more).
generate_fresh_db() {
  if [ -z "${generate_template:-}" ]; then
    fresh_db
    generate_template=${db}_template
    "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $generate_template" \
      -c "CREATE DATABASE $generate_template TEMPLATE $db STRATEGY FILE_COPY" >/dev/null
    trap 'cleanup; "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $generate_template" >/dev/null 2>&1 || true' EXIT
    return
  fi
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db TEMPLATE $generate_template STRATEGY FILE_COPY" >/dev/null
}
# generate_case NAME LIVE DESIRED [MADE_BY]: the plan from LIVE to DESIRED
# (drops allowed), proved by the generator, into $work/plan.txt (one line
# a step: step | statement | hazard | reverse), applied in the same
# session, and the result compared with the fingerprint of a database
# made by DESIRED, or by MADE_BY where DESIRED is its dump.
generate_case() {
  generate_fresh_db
  q -c "SET client_min_messages = warning" -c "${4:-$3}" >/dev/null
  local want
  want=$(q -c "SELECT dbschema_fingerprint()")
  generate_fresh_db
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
