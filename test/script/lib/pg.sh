# pg.sh — the prelude every PostgreSQL script test shares (sourced, not run).
# Needs PG_BIN, PGHOST, PGPORT (set by test/scripts/pg_suite.sh) and $db.
B="${PG_BIN:?}"
: "${db:?set db before sourcing lib/pg.sh}"
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
# Background processes to stop on exit (a test appends their pids).
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
q() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# A fresh database with the extension in it.
fresh_db() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
  "$B/psql" -X -q -d postgres -c "CREATE DATABASE $db"
  q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
}
