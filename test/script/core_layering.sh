#!/usr/bin/env bash
# The parts of core/ (one folder each) depend on each other in one
# direction: the graph of "part A includes a header of part B" has no
# cycle, so each part can be read, tested and changed after the parts it
# builds on. A static check of the sources, run with the unit tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

edges=$(for f in core/*/*.c core/*/*.h; do
  part=$(basename "$(dirname "$f")")
  sed -n 's/^#include "\([a-z_]*\)\/[^"]*".*/\1/p' "$f" | while read -r dep; do
    [ "$dep" = "$part" ] || echo "$dep $part"
  done
done | sort -u)
[ -n "$edges" ] || fail "no include between the parts of core/ found"
# tsort names the parts of every loop on stderr
loops=$(tsort <<<"$edges" 2>&1 >/dev/null || true)
[ -z "$loops" ] || fail "the parts of core/ include each other: $(tr '\n' ' ' <<<"$loops") (edges: $(tr '\n' ',' <<<"$edges"))"
echo "ok: core/ parts in one order: $(tsort <<<"$edges" | tr '\n' ' ')"
