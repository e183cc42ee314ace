#!/usr/bin/env bash
# journeys_suite.sh — the users' journeys, on the tree as it is (main): each
# test/journeys/*.sh walks what a user does across features, through the
# dbcare command, the module in a real client (sqlite3, Python, psql) and
# the files a user keeps, never through internal calls. A feature is done
# when its journey is here (docs/testing.md, "Journeys").
#
#   quick_start.sh   the README's quick start on a fresh clone (make demo)
#   sqlite_*.sh      SQLite journeys (DBCARE_SQLITE_MODULE set, as in the
#                    SQLite suite)
#   pg_*.sh          PostgreSQL journeys, on a throwaway cluster of
#                    test/harness/pg_suite.sh (PG_BIN, PGHOST, PGPORT set)
#
# Results are "journeys/NAME"; DBC_ONLY=REGEX selects as in the other suites.
set -u
cd "$(dirname "$0")/../.."
: "${DBC_RESULTS:?run through test/harness/run_tests.sh}"
root=$(pwd)
out_dir="$root/build/journeys-results"
rm -rf "$out_dir"
mkdir -p "$out_dir"
status=0
selected() { [ -z "${DBC_ONLY:-}" ] || [[ "$1" =~ $DBC_ONLY ]]; }

DBC_LAST_NS=$(date +%s%N)
record() { # verdict name
  echo "$1 $2" >> "$DBC_RESULTS"
  local now; now=$(date +%s%N)
  printf '%-4s %s (%d.%ds)\n' "$([ "$1" = PASS ] && echo ok || echo "$1")" "$2" \
    $(((now - DBC_LAST_NS) / 1000000000)) $(((now - DBC_LAST_NS) / 100000000 % 10))
  DBC_LAST_NS=$now
}

export DBCARE_SQLITE_MODULE="$root/build/sqlite/dbcare"
. test/harness/test_limit.sh
for script in test/journeys/quick_start.sh test/journeys/sqlite_*.sh; do
  [ -f "$script" ] || continue
  name=$(basename "$script" .sh)
  selected "journeys/$name" || continue
  if run_limited "$out_dir/$name.log" "$script"; then
    record PASS "journeys/$name"
  else
    record FAIL "journeys/$name"; tail -40 "$out_dir/$name.log" | sed 's/^/    /'; status=1
  fi
done

# The PostgreSQL half: pg_suite.sh's private installation and cluster, with
# only this folder's pg_*.sh run on it.
if compgen -G "test/journeys/pg_*.sh" >/dev/null; then
  DBC_PG_TAG=journeys/ DBC_PG_SCRIPTS_FROM=test/journeys test/harness/pg_suite.sh || status=1
fi
exit "$status"
