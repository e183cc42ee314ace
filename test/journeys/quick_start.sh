#!/usr/bin/env bash
# The README's quick start as a newcomer meets it: a fresh copy of the tree
# (no build/), `make demo`, which must exit 0, and the demo's database then
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
