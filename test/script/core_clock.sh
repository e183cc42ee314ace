#!/usr/bin/env bash
# The monotonic clock that times statements, checks, runs, waits and budgets
# is read in one place, dbc_monotonic_ms (core/base/clock.c), so every
# duration the parts, the glues and the command report (health checks,
# retention batches, migrations, backups, maintenance, a fleet's databases)
# comes from the same clock. A static check of the sources, run with the
# unit tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

readers=$(grep -l 'CLOCK_MONOTONIC' core/*/*.c sqlite/*/*.c pg/*/*.c cli/*.c cli/*/*.c cli/*/*/*.c || true)
[ "$readers" = core/base/clock.c ] ||
  fail "the monotonic clock is read outside core/base/clock.c: $(tr '\n' ' ' <<<"$readers")"
grep -q '^double dbc_monotonic_ms(void)' core/base/clock.c || fail "core/base/clock.c has no dbc_monotonic_ms"
for f in core/retain/retain_apply.c core/health/health_run.c; do
  grep -q 'dbc_monotonic_ms()' "$f" || fail "$f does not time with dbc_monotonic_ms"
done
echo "ok: one monotonic clock (core/base/clock.c)"
