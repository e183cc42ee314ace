#!/usr/bin/env bash
# A cancel or statement timeout inside a health check ends the report with
# 57014 at once: it is never turned into that check's "error" row while the
# report goes on and returns late.
set -eu
db=dbcare_health_cancel
. "$(dirname "$0")/lib/pg.sh"

fresh_db
# tables whose full-mode constraint scans make the checks the bulk of a report
q -c "SET client_min_messages = warning" -c "
DO \$\$ BEGIN
  FOR i IN 1..300 LOOP
    EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, p int REFERENCES t%s (id),
                    v int CHECK (v > 0), s text)', i, greatest(i - 1, 1));
    EXECUTE format('INSERT INTO t%s SELECT g, NULL, g, g::text FROM generate_series(1, 200) g', i);
  END LOOP;
END \$\$" -c "ANALYZE" >/dev/null

# how long an uninterrupted full report takes here: the fastest of three,
# after one that reads the schema into the backend's cache
full_ms=
for _ in 0 1 2 3; do
  ms=$(q -c "WITH r AS MATERIALIZED (SELECT dbhealth_report('full') AS report)
              SELECT (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000)::int
              FROM r WHERE r.report IS NOT NULL")
  [ -n "$full_ms" ] && [ "$ms" -ge "$full_ms" ] || full_ms=$ms
done
[ "$full_ms" -ge 40 ] || fail "the full report takes only $full_ms ms: too fast to interrupt inside a check"
echo "uninterrupted full report: $full_ms ms"

# Each call, with a timeout at 10 % ... 70 % of that: PostgreSQL's own 57014,
# never a result (a report with the timeout as a check's error row).
for call in "dbhealth_report('full')" "(SELECT count(*) FROM dbhealth_checks('full'))" \
            "dbhealth_score('full')" "dbhealth_metrics('full')"; do
  for pct in 10 25 40 55 70; do
    t=$((full_ms * pct / 100))
    out=$("$B/psql" -X -q -At -d $db 2>&1 <<SQL
SET statement_timeout = $t;
SELECT 'returned:' || ($call)::text;
\\echo code=:SQLSTATE
SET statement_timeout = 0;
SELECT 'alive';
SQL
)
    grep -q '^code=57014$' <<<"$out" || fail "$call with statement_timeout $t ms: not 57014: $out"
    grep -q 'canceling statement due to statement timeout' <<<"$out" || fail "$call: $out"
    ! grep -q '^returned:' <<<"$out" || fail "$call with statement_timeout $t ms returned: $out"
    grep -qx alive <<<"$out" || fail "$call: the session did not go on: $out"
  done
done
echo "statement_timeout inside the checks: 57014, no report, session usable"

# pg_cancel_backend from a second session halfway through a full report
half=$((full_ms / 2))
PGAPPNAME=dbcare_health_victim "$B/psql" -X -q -At -d $db >"$work/cancel.out" 2>&1 <<SQL &
SELECT 'returned:' || dbhealth_report('full')::text;
\\echo code=:SQLSTATE
SELECT 'alive';
SQL
victim=$!
pids+=("$victim")
q -c "DO \$\$ BEGIN
  FOR i IN 1..2000 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'dbcare_health_victim'
                       AND state = 'active' AND query LIKE 'SELECT ''returned:''%');
    PERFORM pg_sleep(0.005);
  END LOOP;
END \$\$" -c "SELECT pg_sleep($half / 1000.0)" \
  -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'dbcare_health_victim'" >/dev/null
wait "$victim" || true
grep -q '^code=57014$' "$work/cancel.out" || fail "cancel: not 57014: $(cat "$work/cancel.out")"
grep -q 'canceling statement due to user request' "$work/cancel.out" || fail "cancel: $(cat "$work/cancel.out")"
! grep -q '^returned:' "$work/cancel.out" || fail "the cancelled report returned"
grep -qx alive "$work/cancel.out" || fail "cancel: the session did not go on: $(cat "$work/cancel.out")"
echo "pg_cancel_backend inside the checks: 57014, no report, session usable"
echo ok
