#!/usr/bin/env bash
# The README's quick start as a newcomer meets it: a fresh copy of the tree
# (no build/; then the compiled objects only, see below), `make demo`, which
# must exit 0, and the demo's database then
# healthy by `dbcare health --fail-on warning` on both of the demo's files:
# the demo's own steps (retention's archive table, the audit log, backups)
# must not make dbcare report its own objects as faults.
# dbcare-test-timeout: 600
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# What a clone has: the tracked files (and new ones not yet committed, so a
# working tree is tested as it stands), nothing built.
clone=$work/dbcare
mkdir -p "$clone"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$clone"
[ -f "$clone/Makefile" ] && [ ! -e "$clone/build" ] || fail "the fresh copy of the tree is not one"

# The objects of the module and the command that make test's build compiled
# a moment ago from these very sources, with the same rules and flags, go
# into the copy with their times (and their .d files, which list each one's
# sources and headers), when that build is current (`make -q`): `make demo`
# then decides from them what is left to do, as it would on a second run,
# and links the module and the command in the copy, then runs the demo. A
# compile from nothing of the same sources is make test's own build on
# CI's fresh clone; compiling them all again here took most of this test's
# minute of CPU. (A build that is not current, as in a working tree changed
# since, leaves the copy with nothing built: every object is compiled.)
if (cd "$root" && make -q sqlite cli) >/dev/null 2>&1; then
  (cd "$root" && find build/sqlite build/cli -name '*.[od]' -print0 |
    tar --null -T - -cf -) | tar -xf - -C "$clone"
  echo "quick start: the copy has the build's $(find "$clone/build" -name '*.o' | wc -l) objects"
fi

rc=0
(cd "$clone" && make demo) >"$work/demo.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { tail -30 "$work/demo.log"; fail "make demo exited $rc on a fresh copy of the tree"; }

export DBCARE_MODULE="$clone/build/sqlite/dbcare.so"
for db in "$clone/build/demo/demo.db" "$clone/build/demo/cli.db"; do
  [ -s "$db" ] || fail "make demo left no database $db"
  if ! "$clone/build/cli/dbcare" health --db "sqlite:$db" --fail-on warning >"$work/health.out" 2>&1; then
    cat "$work/health.out"
    fail "the demo's database $db is not healthy after make demo"
  fi
done
echo "quick start: make demo passed and its databases are healthy"
