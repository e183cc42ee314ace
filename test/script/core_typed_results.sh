#!/usr/bin/env bash
# Inside core/ the parts hand each other typed results (structs read by
# field); dbc_rows exist only for the glue, which returns them to SQL. So no
# file of a part reads the cells of a dbc_rows by position; what a host
# hands the core is typed too (core/base/dbc.h). A static check of the
# sources, run with the unit tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

reads=$(grep -nE '(\.|->)cells\b' core/*/*.c core/*/*.h | grep -v '^core/base/' || true)
[ -z "$reads" ] || fail "positional reads of dbc_rows inside core/:
$reads"
echo "ok: no part of core/ reads another's results by column position"
