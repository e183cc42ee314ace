#!/usr/bin/env bash
# Readiness reads, never writes: the health report, its gauges and its
# metrics (and so serve's /readyz, /health and /metrics, which call them)
# leave the database file byte for byte as it was, even where no migration
# summary is stored yet (a row deleted by hand, a file whose bookkeeping was
# never summarised): the summary they need is derived and not stored. Only
# dbmigrate_current and dbmigrate_assert, which applications call at
# start-up, store it.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
db="$work/app.db"
mkdir "$work/m"
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);' >"$work/m/V1__t.sql"
echo 'CREATE INDEX t_v ON t (v);' >"$work/m/V2__t_v.sql"
"$cli" migrate --db "sqlite:$db" --dir "$work/m" --quiet
q "DELETE FROM dbcare_migrations_summary" >/dev/null
stored() { q "SELECT count(*) FROM dbcare_migrations_summary"; }
digest() { md5sum "$db" | cut -d' ' -f1; }
before=$(digest)
[ "$(stored)" = 0 ] || fail "the summary row was not deleted"

for call in "dbhealth_report('quick')" "dbhealth_report('standard')" "dbhealth_gauges()" \
  "dbhealth_metrics('quick')" "dbhealth_score('quick')"; do
  q "SELECT $call" >/dev/null
  [ "$(stored)" = 0 ] || fail "SELECT $call stored a migration summary"
  [ "$(digest)" = "$before" ] || fail "SELECT $call changed the file"
  echo "ok: $call writes nothing"
done

start_serve "$work/serve.log" --db "sqlite:$db" --dir "$work/m"
for path in /readyz /health /metrics /readyz; do
  get "$base$path"
  [ "$code" = 200 ] || { cat "$work/body"; fail "GET $path: HTTP $code, want 200"; }
  [ "$(stored)" = 0 ] || fail "GET $path stored a migration summary"
  [ "$(digest)" = "$before" ] || fail "GET $path changed the file"
  echo "ok: GET $path writes nothing"
done
stop_serve

# the calls made to store it still do
q "SELECT dbmigrate_current()" >/dev/null
[ "$(stored)" = 1 ] || fail "dbmigrate_current no longer stores the summary"
echo "ok: dbmigrate_current stores it"
