#!/usr/bin/env bash
# The SQL examples of README.md and docs/*.md marked for SQLite run as written
# (issue 20, items 28-30): test/script/lib/doctest.py runs them, in order, per
# document on a fresh database file with the module loaded, and compares the
# output the docs show. It also fails on any ```sql block with no doctest
# marking, so a new example cannot go untested.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
/usr/bin/python3 test/script/lib/doctest.py sqlite "$root" "$work" README.md docs/*.md
