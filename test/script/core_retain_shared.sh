#!/usr/bin/env bash
# core/retain: soft delete and retention read their bookkeeping tables
# through one helper (dbc_retain_book_readable in retain_common.c), so a
# change to when a bookkeeping table counts as readable (a SQLite file whose
# bookkeeping predates it) is made once. A static check of the sources, run
# with the unit tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

asks=$(grep -l 'book_has_column(' core/retain/*.c || true)
[ "$asks" = core/retain/retain_common.c ] ||
  fail "core/retain asks book_has_column outside retain_common.c: $(tr '\n' ' ' <<<"$asks")"
for f in core/retain/softdelete.c core/retain/retain_policy.c; do
  grep -q 'dbc_retain_book_readable(' "$f" || fail "$f does not use dbc_retain_book_readable"
done
echo "ok: core/retain reads its bookkeeping tables through one helper"
