#!/usr/bin/env bash
# The shell examples of README.md and docs/*.md that run dbcare (issue 38):
# test/script/lib/doctest_sh.py runs every marked ```sh block, in order, per
# document in a fresh folder with the built command on PATH, and fails on an
# unmarked one. Also: the docs say one thing about what make install
# installs, and every example loading the module from the build tree shows
# the installed path too.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ -x build/cli/dbcare ] || fail "build/cli/dbcare is missing (make cli)"

# The runner itself: every bad block reported at its line, nothing else.
mkdir "$work/self"
if /usr/bin/python3 test/script/lib/doctest_sh.py "$root" "$work/self" \
    test/script/data/doctest_sh_selftest.md >"$work/self.out" 2>&1; then
  fail "the runner passed a document with failing examples: $(cat "$work/self.out")"
fi
while read -r line phrase; do
  grep -F "doctest_sh_selftest.md:$line" "$work/self.out" | grep -qF "$phrase" ||
    fail "the runner did not report line $line ($phrase): $(cat "$work/self.out")"
done <<'WANT'
13 exits 2
17 without a doctest marking
22 marked 'fails' but ran without an error
26 a skip needs its reason
WANT
[ "$(grep -c '^FAIL: ' "$work/self.out")" = 4 ] ||
  fail "the runner reported other problems too: $(cat "$work/self.out")"

/usr/bin/python3 test/script/lib/doctest_sh.py "$root" "$work" README.md docs/*.md

# What make install installs is told one way: the command, the SQLite module
# and the PostgreSQL extension; never "only the PostgreSQL module".
if grep -rniE "install(s)? only (the )?PostgreSQL|does not install it|installs only PostgreSQL" \
    README.md docs/*.md; then
  fail "a page says make install leaves the SQLite module out"
fi
# Every example loading build/sqlite/dbcare (which works only from the
# repository's root) shows the installed path, on its line or the 4 before.
/usr/bin/python3 - README.md docs/*.md <<'PY'
import re, sys
bad = []
for path in sys.argv[1:]:
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, l in enumerate(lines):
        if re.search(r"(\.load |load_extension\(\")build/sqlite/dbcare", l):
            near = "\n".join(lines[max(0, i - 4):i + 1])
            if "/lib/dbcare" not in near:
                bad.append("%s:%d" % (path, i + 1))
if bad:
    print("FAIL: examples load build/sqlite/dbcare without the installed path: " + " ".join(bad))
    sys.exit(1)
PY
echo ok
