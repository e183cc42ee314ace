#!/usr/bin/env bash
# The command line's conventions (issue 38): every option value checked
# before anything is opened (exit 2, as the exit-code table says).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"

# --- a bad value is a usage error (2) before connecting: the database named
# does not exist, so reaching it would be an error (1) instead
for c in "health --mode fast" "maintain --mode fast --dry-run" "health --fail-on bad" \
         "health --format yaml" "rollback --steps 0" "retain --budget soon"; do
  set -- $c
  run 2 "$@" --db sqlite:missing.db
  grep -q '^dbcare: ' err || fail "dbcare $c: no dbcare: error: $(cat err)"
  case $c in *--mode*) has '--mode is quick, standard or full, not "fast"' err ;; esac
done
[ ! -e missing.db ] || fail "a bad option value created the database"
echo ok

echo ok
