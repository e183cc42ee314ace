#!/usr/bin/env bash
# A monitor that reads nothing never says healthy (issue 62), on
# PostgreSQL: a login role without dbcare's grants (no pg_monitor, so no
# read of dbcare's bookkeeping) runs `dbcare health --fail-on warning`
# (table, --json, --format prometheus): the report is not healthy, the exit
# code fails, and the message names the role and the grant it needs. The
# same role with the grant of docs/security.md's monitoring recipe is
# healthy again.
set -eu
db=dbcare_no_grants
py=/usr/bin/python3
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
fresh_db
q -c "CREATE TABLE orders (id int PRIMARY KEY, note text); ANALYZE"
role=watcher_$$
"$B/psql" -X -q -d postgres -c "CREATE ROLE $role LOGIN"
cleanup_role() { "$B/psql" -X -q -d postgres -c "DROP OWNED BY $role" -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true; }
trap 'cleanup_role; cleanup' EXIT
url="postgresql:///$db?host=$PGHOST&port=$PGPORT&user=$role"

run 3 health --db "$url" --fail-on warning
grep -q "status healthy" "$work/out" && fail "a role without dbcare's grants is told healthy"
grep -q "score 100," "$work/out" && fail "a role without dbcare's grants scores 100"
has "status unknown" out
has "could not read the database" err
has "GRANT pg_monitor TO $role;" err

run 3 health --db "$url" --fail-on critical --json
[ "$(json "d['status']")" = unknown ] || fail "--json: status $(json "d['status']"), want unknown"
[ "$(json "d['score'] < 100")" = True ] || fail "--json: score $(json "d['score']")"
[ "$(json "any('TO $role;' in (c['hint'] or '') for c in d['checks'] if c['name'] == 'migrations')")" = True ] ||
  fail "--json: the migrations row does not name the role in its grant"

run 3 health --db "$url" --fail-on warning --format prometheus
has "dbcare_health_status{engine=\"postgresql\",database=\"$db\"} 3" out
grep -q '^dbcare_health_score{[^}]*} 100$' "$work/out" && fail "prometheus scores 100"

# a health repair the role may not run: PostgreSQL's "permission denied for
# function" becomes a message naming the role, and the grant
run 1 maintain --db "$url"
has "role \"$role\" may not run dbmaintain_run()" err
has "GRANT EXECUTE ON FUNCTION dbmaintain_run TO \"$role\"" err

# the monitoring role of docs/security.md: pg_monitor brings dbcare's tables
"$B/psql" -X -q -d postgres -c "GRANT pg_monitor TO $role"
run 0 health --db "$url" --fail-on warning
has "status healthy" out
echo "ok: a role without dbcare's grants is unknown, named with its grant"
