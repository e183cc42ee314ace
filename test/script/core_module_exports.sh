#!/usr/bin/env bash
# The SQLite module is loaded into processes it does not own (sqlite3,
# Python, Node, an application): it exports its entry point alone
# (sqlite/api/exports.map), so none of its ~1,200 functions (dbc_*, sqldbc_*,
# pitr_*, wal_*) can bind to, or be bound by, a same-named symbol of the host
# or of another extension. A check of the built module, run with the unit
# tests; it fails when a symbol leaks or the entry point is gone.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

so=build/sqlite/dbcare.so
make -s --no-print-directory "$so" >/dev/null || fail "$so does not build"
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
[ "$exported" = sqlite3_dbcare_init ] ||
  fail "$so exports more than its entry point: $(head -c 400 <<<"$exported" | tr '\n' ' ')"
# and the entry point still loads and answers
out=$(sqlite3 :memory: ".load $so" "SELECT dbcare_version() IS NOT NULL" 2>&1) ||
  fail "the module does not load: $out"
[ "$out" = 1 ] || fail "the loaded module does not answer dbcare_version(): $out"
echo "ok: $so exports sqlite3_dbcare_init alone"
