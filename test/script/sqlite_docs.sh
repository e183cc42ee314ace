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

# The runner itself: a document whose every bad block it must report, each
# at its line, and nothing for the good ones.
mkdir "$work/self"
if /usr/bin/python3 test/script/lib/doctest.py sqlite "$root" "$work/self" \
    test/script/data/doctest_selftest.md > "$work/self.out" 2>&1; then
  fail "the runner passed a document with failing examples: $(cat "$work/self.out")"
fi
while read -r line phrase; do
  grep -F "doctest_selftest.md:$line" "$work/self.out" | grep -qF "$phrase" ||
    fail "the runner did not report line $line ($phrase): $(cat "$work/self.out")"
done <<'WANT'
22 does not run as written
27 output line 'not printed' not printed
36 marked 'fails' but ran without an error
40 a ```sql block without a doctest marking
44 a skip needs its reason
50 (python): exits 3
55 does not run as written
WANT
grep -q 'the session never reached the end' "$work/self.out" ||
  fail "the runner did not say a string was left open: $(cat "$work/self.out")"
[ "$(grep -c '^FAIL: ' "$work/self.out")" = 7 ] ||
  fail "the runner reported other problems too: $(cat "$work/self.out")"

/usr/bin/python3 test/script/lib/doctest.py sqlite "$root" "$work" README.md docs/*.md
