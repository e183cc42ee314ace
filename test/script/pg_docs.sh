#!/usr/bin/env bash
# The SQL examples of README.md and docs/*.md marked for PostgreSQL run as
# written (issue 20, items 28-30): test/script/lib/doctest.py runs them, in
# order, per document in a fresh database with dbcare installed, and compares
# the output the docs show. It also fails on any ```sql block with no doctest
# marking. Role recipes are run by pg_docs_roles.sh.
set -eu
db=dbcare_doctest
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
/usr/bin/python3 test/script/lib/doctest.py postgresql "$root" "$work" README.md docs/*.md
