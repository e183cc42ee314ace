#!/usr/bin/env bash
# An audited statement whose transition tables do not fit in work_mem: the
# statement triggers read them back from temporary files (SET work_mem =
# '64kB', the setting this test studies, makes 10^5 rows spill). An
# INSERT ... SELECT, an UPDATE and a DELETE of 100 000 rows each record
# exactly one entry a row, with the rows' values, and the backend survives
# (the server log is checked by the harness; under make check-pg-asan the
# module runs with AddressSanitizer, which reports any use of freed memory).
set -eu
db=dbcare_audit_spilled
. "$(dirname "$0")/lib/pg.sh"
fresh_db
n=100000

q -c "CREATE TABLE big (id int PRIMARY KEY, v int, pad text)" \
  -c "SELECT dbaudit_enable('big')" > /dev/null
start=$(date +%s)
if ! q -c "SET work_mem = '64kB'" \
  -c "INSERT INTO big SELECT g, g, repeat('x', 40) FROM generate_series(1, $n) g" \
  -c "UPDATE big SET v = v + 1" \
  -c "DELETE FROM big" > /dev/null; then
  # a backend that crashed takes the cluster through recovery: the tests
  # after this one must find it accepting queries again
  for _ in $(seq 1 120); do "$B/psql" -X -q -At -d postgres -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
  fail "an audited statement over spilled transition tables failed"
fi
got=$(q -c "SELECT operation || ' ' || count(*) || ' ' || count(DISTINCT key)
              || ' ' || sum(coalesce((new_values->>'v')::bigint, 0) - coalesce((old_values->>'v')::bigint, 0))
              FROM dbcare.audit_log WHERE table_name = 'public.big' GROUP BY operation ORDER BY operation")
# per operation: entries, distinct rows, and the sum of new v - old v
want="delete $n $n -$(((n * (n + 1) / 2) + n))
insert $n $n $((n * (n + 1) / 2))
update $n $n $n"
[ "$got" = "$want" ] || fail "entries of the spilled statements:
$got
want:
$want"
echo "ok ($(($(date +%s) - start)) s)"
