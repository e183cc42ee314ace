#!/usr/bin/env bash
# SQLite: an interrupt during a health check (a progress handler that stops
# the statement) ends the report with "dbcare: interrupted": it is never one
# check's "error" row in a report that goes on.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/interrupt.db"

q "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER CHECK (v > 0));
   WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
   INSERT INTO t SELECT i, i FROM n;"
[ "$(q "SELECT count(*) FROM dbhealth_checks('full') WHERE status = 'error'")" = 0 ] ||
  fail "error rows without an interrupt"

# The shell's progress handler stops the statement after N callbacks of 100
# instructions: from early in the report to well inside its checks.
interrupted=0
for limit in 5 20 50 100 200 400; do
  out=$(sqlite3 -batch -cmd ".load $module" -cmd ".progress 100 --limit $limit --quiet" "$db" \
    "SELECT name || ': ' || message FROM dbhealth_checks('full') WHERE status = 'error';" 2>&1 || true)
  if grep -q 'dbcare: interrupted' <<<"$out"; then
    interrupted=$((interrupted + 1))
    ! grep -q ': interrupted$' <<<"$out" || fail "limit $limit: an error row besides the error: $out"
  else
    ! grep -qi 'interrupt' <<<"$out" || fail "limit $limit: the interrupt became a check's row: $out"
  fi
done
[ "$interrupted" -ge 4 ] || fail "only $interrupted of 6 reports were interrupted"
echo "ok: $interrupted interrupted reports ended with dbcare: interrupted"
