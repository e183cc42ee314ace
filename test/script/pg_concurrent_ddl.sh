#!/usr/bin/env bash
# dbcare's readers and migration runners under concurrent application DDL:
# sessions that create, alter and drop tables (with keys, checks, defaults,
# indexes and views) in a loop, while others call the health reports, the
# metrics, the schema fingerprint and snapshot, and dbmigrate_apply of small
# migrations. A table dropped or altered while dbcare reads it is skipped or
# re-read: no call fails with an internal error (XX000) or "relation does not
# exist" (42P01), no report carries such an error as a check's row, and every
# session stays usable after every call.
set -eu
db=dbcare_concurrent_ddl
. "$(dirname "$0")/lib/pg.sh"
seconds=${DBC_DDL_SECONDS:-20}

fresh_db
q -c "SET client_min_messages = warning" -c "
DO \$\$ BEGIN
  FOR i IN 1..150 LOOP
    EXECUTE format('CREATE TABLE base%s (id int PRIMARY KEY, p int REFERENCES base%s (id),
                    v int CHECK (v > 0) DEFAULT 1, s text)', i, greatest(i - 1, 1));
    EXECUTE format('CREATE INDEX ON base%s (s)', i);
  END LOOP;
END \$\$" >/dev/null

# DDL workers: each its own set of tables, every statement its own transaction.
ddl_script() { # worker
  local w=$1 n t
  for n in $(seq 1 1500); do
    t="ddl_${w}_$((n % 6))"
    printf '%s\n' "DROP TABLE IF EXISTS $t CASCADE;" \
      "CREATE TABLE $t (id int PRIMARY KEY, p int REFERENCES base1 (id), v int CHECK (v > $n) DEFAULT $n, s text COLLATE \"C\", g int GENERATED ALWAYS AS (v * 2) STORED);" \
      "CREATE INDEX ${t}_s ON $t (lower(s)) WHERE v > 0;" \
      "CREATE VIEW ${t}_v AS SELECT id, s FROM $t;" \
      "ALTER TABLE $t ADD COLUMN extra int DEFAULT 0;"
  done
}
end=$((SECONDS + seconds))
for w in 1 2 3 4 5 6; do
  ddl_script $w >"$work/ddl$w.sql"
  timeout $((seconds + 5)) "$B/psql" -X -q -d $db -f "$work/ddl$w.sql" >"$work/ddl$w.out" 2>&1 &
  pids+=($!)
done

# Reader sessions: each loops over its calls until the time is up, echoing
# each call's SQLSTATE and whether the session still answers after it.
reader_script() { # calls...
  local i c
  for i in $(seq 1 400); do
    for c in "$@"; do
      # the call's text in the echoed line without its '|'
      printf '%s\n' "SELECT /*call*/ $c;" "\\echo R|${c//|/\/}|:SQLSTATE|:LAST_ERROR_MESSAGE" \
        "SELECT 1 AS alive;" "\\echo A|${c//|/\/}|:SQLSTATE"
    done
  done
}
readers=(
  "(dbhealth_report('quick'))->'checks'"
  "(dbhealth_report('standard'))->'checks'"
  "dbhealth_metrics('standard')#dbschema_fingerprint()"
  "(dbschema_snapshot())->'tables' IS NOT NULL#(SELECT string_agg(name || ':' || message, ';') FROM dbhealth_checks('quick') WHERE status = 'error')"
  "(dbhealth_report('full'))->'checks'"
)
n=0
for r in "${readers[@]}"; do
  n=$((n + 1))
  IFS='#' read -ra calls <<<"$r"
  reader_script "${calls[@]}" >"$work/reader$n.sql"
  timeout "$seconds" "$B/psql" -X -q -At -d $db -f "$work/reader$n.sql" >"$work/reader$n.out" 2>&1 &
  pids+=($!)
done

# The migration runner: a new small migration applied again and again.
{
  echo "SET client_min_messages = warning;"
  for v in $(seq 1 2000); do
    printf '%s\n' \
      "SELECT /*call*/ dbmigrate_add('$v', 'm$v', 'CREATE TABLE mig$v (a int); DROP TABLE IF EXISTS mig$((v - 1))');" \
      "\\echo R|add $v|:SQLSTATE|:LAST_ERROR_MESSAGE" \
      "SELECT /*call*/ dbmigrate_apply();" "\\echo R|apply $v|:SQLSTATE|:LAST_ERROR_MESSAGE" \
      "SELECT 1 AS alive;" "\\echo A|apply $v|:SQLSTATE"
  done
} >"$work/runner.sql"
timeout "$seconds" "$B/psql" -X -q -At -d $db -f "$work/runner.sql" >"$work/runner.out" 2>&1 &
pids+=($!)

wait
pids=()

calls=0
problems=$work/problems
: >"$problems"
for out in "$work"/reader*.out "$work"/runner.out; do
  name=$(basename "$out" .out)
  grep FATAL "$out" | sed "s/^/$name: /" >>"$problems" || true
  while IFS='|' read -r tag call code rest; do
    case $tag in
    R)
      calls=$((calls + 1))
      [ "$code" = 00000 ] || echo "$name: $call failed with $code: $rest" >>"$problems"
      ;;
    A) [ "$code" = 00000 ] || echo "$name: the session is broken after $call: $code" >>"$problems" ;;
    esac
  done < <(grep -E '^(R|A)\|' "$out")
  # the reports' checks and dbhealth_checks' error rows: none from the DDL
  grep -v -e '^[RA]|' -e '^psql:' "$out" | grep -oE '"status": "error", "message": "[^"]*"|^[a-z_]+:[^;]*(could not|does not exist|cache lookup)[^;]*' |
    sed "s/^/$name: error row: /" >>"$problems" || true
done
if [ -s "$problems" ]; then
  sort "$problems" | uniq -c | sort -rn | head -n 20
  fail "$(wc -l <"$problems") problems under concurrent DDL (above)"
fi
applied=$(q -c "SELECT count(*) FROM dbmigrate_history() WHERE direction = 'up' AND success")
ddl=$(cat "$work"/ddl*.out | grep -c ERROR || true)
echo "$calls calls under concurrent DDL, all succeeded; $applied migrations applied; $ddl DDL errors (ignored)"
[ "$calls" -ge 40 ] || fail "only $calls calls ran"
[ "$applied" -ge 5 ] || fail "only $applied migrations applied"
echo ok
