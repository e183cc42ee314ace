#!/usr/bin/env bash
# Inside core/ the parts hand each other typed results (structs read by
# field); dbc_rows exist only for the glue, which returns them to SQL. So no
# file of a part reads the cells of a dbc_rows by position, except the
# listed reads of rows an engine hands to the core (with the reason). A
# static check of the sources, run with the unit tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

# file:reason -- rows that come from the host, not from another part
allowed="core/check/check_run.c" # dbc_host.domain_checks' rows (the host interface's own shape)

reads=$(grep -nE '(\.|->)cells\b' core/*/*.c core/*/*.h | grep -v '^core/base/' || true)
bad=$(grep -vF "$allowed:" <<<"$reads" | grep . || true)
[ -z "$bad" ] || fail "positional reads of dbc_rows inside core/:
$bad"
# the allowed file reads only the host's domain rows
others=$(grep -F "$allowed:" <<<"$reads" | grep -v 'domains' || true)
[ -z "$others" ] || fail "positional reads besides the host's rows in $allowed:
$others"
echo "ok: no part of core/ reads another's results by column position"
