#!/usr/bin/env bash
# CALL dbretain_run keeps its policy name across the commits of its batches;
# a run whose batch fails must not leave that copy behind in the session's
# long-lived memory. Forty failing runs with a 64 kB name in one session:
# the session's TopMemoryContext does not grow by their names (40 x 64 kB).
set -eu
db=dbcare_retain_run_leak
. "$(dirname "$0")/lib/pg.sh"
fresh_db
name=$(head -c 65536 /dev/zero | tr '\0' 'x')
top="SELECT 'top ' || total_bytes FROM pg_backend_memory_contexts WHERE name = 'TopMemoryContext';"
{
  # warm up: the first failing calls fill the session's caches
  for _ in 1 2 3; do echo "CALL dbretain_run('$name');"; done
  echo "$top"
  for _ in $(seq 1 40); do echo "CALL dbretain_run('$name');"; done
  echo "$top"
} > "$work/calls.sql"
"$B/psql" -X -q -At -v ON_ERROR_STOP=0 -d "$db" -f "$work/calls.sql" > "$work/out" 2>&1 || true
errors=$(grep -c 'dbcare: retention policy "x*.*" does not exist' "$work/out" || true)
[ "$errors" = 43 ] || fail "expected 43 failing runs, saw $errors: $(grep -v '^top' "$work/out" | head -c 400)"
before=$(sed -n 's/^top //p' "$work/out" | sed -n 1p)
after=$(sed -n 's/^top //p' "$work/out" | sed -n 2p)
[ -n "${before:-}" ] && [ -n "${after:-}" ] || fail "no memory figures: $(head -c 400 "$work/out")"
grown=$((after - before))
# 40 leaked names would be 2.6 MB; allow the odd block of other growth
[ "$grown" -lt 1048576 ] ||
  fail "TopMemoryContext grew by $grown bytes over 40 failing dbretain_run calls ($before -> $after)"
echo "ok: 40 failing dbretain_run calls, TopMemoryContext $before -> $after bytes"
