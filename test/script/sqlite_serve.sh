#!/usr/bin/env bash
# dbcare serve on a SQLite fleet: option errors (exit 2 before anything is
# opened, a port in use exit 1); every endpoint with its status, content
# type and parsed body; GET / the HTML page of dbcare report --html; one exposition for the fleet that promtool accepts
# (each family once, a database label per series), OpenMetrics by Accept
# (read by the Python client's strict parser);
# /readyz 200 -> 503 when a migration becomes pending -> 200 after POST
# /migrate, 503 while the schema has drifted; the write endpoints refused without --allow-writes, without the
# token and with a wrong one; the request log; SIGTERM ends it with 0.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

mkdir m fleet
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);' >m/V1__t.sql
for f in a b c; do
  run 0 migrate --db "sqlite:fleet/$f.db" --dir m
  sqlite3 "fleet/$f.db" "INSERT INTO t (v) VALUES ('x')"
done

# --- option errors
run 2 serve --db sqlite:fleet/a.db --listen nonsense; has '--listen needs HOST:PORT' err
run 2 serve --db sqlite:fleet/a.db --listen 127.0.0.1:99999; has '--listen needs HOST:PORT' err
run 2 serve --db sqlite:fleet/a.db --allow-writes; has 'go together' err
run 2 serve --db sqlite:fleet/a.db --allow-writes --token-file absent.tok
has 'dbcare: cannot read the token file "absent.tok"' err
echo short >short.tok; chmod 600 short.tok
run 2 serve --db sqlite:fleet/a.db --allow-writes --token-file short.tok; has 'must hold one token' err
run 2 serve --db sqlite:fleet/a.db --scrape-timeout 0; has '--scrape-timeout needs a duration' err
run 2 serve --db sqlite:fleet/a.db --min-interval soon
run 2 serve --db sqlite:fleet/a.db --report-interval often; has '--report-interval needs a duration' err
run 2 serve --db sqlite:fleet/a.db --keep-connections -1; has '--keep-connections needs a whole number from 0 to 100000' err
run 2 serve --db sqlite:fleet/a.db --keep-connections many; has 'not "many"' err
run 2 status --db sqlite:fleet/a.db --listen :9187; has 'status does not take --listen' err
run 0 serve --help; has 'dbcare serve' out; has '--scrape-timeout' out

# --- a read-only server over the fleet; every scrape reads the report too
# (--report-interval 0): the drift below is the report's finding
start_serve serve.log --db 'sqlite:fleet/*.db' --dir m --min-interval 0 --report-interval 0
run 1 serve --db sqlite:fleet/a.db --listen "127.0.0.1:$port"
has "dbcare: cannot listen on 127.0.0.1:$port" err

get "$base/livez"; want_code 200 livez; [ "$(cat body)" = ok ] || fail "livez body"
get "$base/endpoints"; want_code 200 index; grep -q '/metrics' body || fail "the index lists no /metrics"
# GET /: the page of dbcare report --html, of the fleet or of one database
get "$base/"; want_code 200 "the page"
[ "$(header Content-Type)" = "text/html; charset=utf-8" ] || fail "page type $(header Content-Type)"
for f in a b c; do grep -qF "$f.db" body || fail "the page does not show $f.db"; done
grep -q 'id="db-3"' body || fail "the fleet page has no section per database"
get "$base/?database=b.db"; want_code 200 "the page of b.db"
grep -qF b.db body && ! grep -qF a.db body || fail "the page of b.db shows others"
get "$base/?database=nope.db"; want_code 404 "the page of an unknown database"
get "$base/" -X POST; want_code 405 "POST /"
get "$base/nothing"; want_code 404 "an unknown path"
get "$base/health" -X POST; want_code 405 "POST /health"
[ "$(header Allow)" = "GET, HEAD" ] || fail "Allow: $(header Allow)"

get "$base/readyz"; want_code 200 readyz
grep -q '^ready: 3 of 3 database(s) ready' body || fail "readyz: $(cat body)"
[ "$(header Content-Type)" = "text/plain; charset=utf-8" ] || fail "readyz type"

get "$base/health"; want_code 200 health
[ "$(header Content-Type)" = application/json ] || fail "health type $(header Content-Type)"
[ "$(body_json "sorted(r['database'] for r in d)")" = "['a.db', 'b.db', 'c.db']" ] ||
  fail "health: $(cat body)"
[ "$(body_json "all(isinstance(r['score'], int) and r['status'] in ('healthy','warning','critical') and r['checks'] for r in d)")" = True ] ||
  fail "health reports: $(cat body)"
get "$base/health?database=b.db"; want_code 200 "health of b.db"
[ "$(body_json "d['database'], d['engine'], d['mode']")" = "b.db sqlite standard" ] ||
  fail "health of b.db: $(cat body)"
get "$base/health?database=nope.db"; want_code 404 "an unknown database"

get "$base/health" -H 'Accept: application/health+json'; want_code 200 health+json
[ "$(header Content-Type)" = application/health+json ] || fail "health+json type"
[ "$(body_json "d['status'], sorted(e['componentId'] for e in d['checks']['integrity:status']), d['checks']['integrity:status'][0]['status']")" = \
  "pass ['a.db', 'b.db', 'c.db'] pass" ] || fail "health+json: $(cat body)"

get "$base/schema?database=a.db"; want_code 200 schema
[ "$(body_json "[c['name'] for c in d['table']['t']['columns']]")" = "['id', 'v']" ] ||
  fail "schema: $(cat body)"
get "$base/statistics"; want_code 200 statistics
[ "$(body_json "all(r['size_bytes'] > 0 and r['tables'] >= 1 and 'bytes_per_day' in r['growth'] and isinstance(r['growth']['tables'], list) for r in d)")" = True ] ||
  fail "statistics: $(cat body)"
get "$base/migrations?database=c.db"; want_code 200 migrations
[ "$(body_json "d['pending'], [(s['version'], s['state']) for s in d['status']], len(d['history']) > 0")" = \
  "0 [('1', 'applied')] True" ] || fail "migrations: $(cat body)"

get "$base/metrics"; want_code 200 metrics
[ "$(header Content-Type)" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "metrics type"
promtool check metrics <body || fail "promtool refused /metrics"
[ -z "$(grep '^# TYPE' body | sort | uniq -d)" ] || fail "a family twice: $(grep '^# TYPE' body | sort | uniq -d)"
for f in a b c; do
  grep -qx "dbcare_up{engine=\"sqlite\",database=\"$f.db\"} 1" body || fail "dbcare_up of $f.db"
  grep -q "^dbcare_health_score{engine=\"sqlite\",database=\"$f.db\"} [0-9]" body || fail "score of $f.db"
  grep -q "^dbcare_metric_age_seconds{engine=\"sqlite\",database=\"$f.db\"} [0-9.]*$" body || fail "age of $f.db"
done
! grep -q 'query=' body || fail "a per-query label"
get "$base/metrics" -H 'Accept: application/openmetrics-text; version=1.0.0'
want_code 200 openmetrics
case "$(header Content-Type)" in application/openmetrics-text*) ;; *) fail "openmetrics type" ;; esac
[ "$(tail -n 1 body)" = "# EOF" ] || fail "OpenMetrics without # EOF"
# the strict OpenMetrics parser of the Python client reads every family
[ "$("$py" -c "
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
fams = {f.name: f for f in parse(open('body').read())}
print(len(fams['dbcare_up'].samples), fams['dbcare_health_score'].type)")" = "3 gauge" ] ||
  fail "the OpenMetrics parser: $(cat body)"
get "$base/metrics?database=b.db"
[ "$(grep -c '^dbcare_up{' body)" = 1 ] || fail "one database's metrics: $(grep dbcare_up body)"

# --- a migration becomes pending: readyz 503, and says why
db=fleet/b.db q "SELECT dbmigrate_add('2', 'u', 'CREATE TABLE u (id INTEGER PRIMARY KEY)')" >/dev/null
get "$base/readyz"; want_code 503 "readyz with a pending migration"
grep -q '^b.db: not ready: 1 migration(s) pending' body || fail "readyz: $(cat body)"
grep -q '^a.db: ready' body || fail "readyz of a.db: $(cat body)"
get "$base/readyz?database=a.db"; want_code 200 "readyz of a.db alone"
get "$base/metrics"
grep -qx 'dbcare_migrations_pending{engine="sqlite",database="b.db"} 1' body || fail "pending metric"
# the count is the core's (dbmigrate_pending, what readiness asks), read
# only: on a read-only connection, the registry's pending one, a version
# the registry lacks, a repeatable it lacks (the folder's files as JSON)
files='[{"version":"1"},{"version":"9"},{"name":"r","checksum":"sha256:x"}]'
[ "$(sqlite3 -batch -readonly -cmd ".load $module" fleet/b.db "SELECT dbmigrate_pending(), dbmigrate_pending('$files')")" = "1|3" ] ||
  fail "dbmigrate_pending: $(sqlite3 -batch -readonly -cmd ".load $module" fleet/b.db "SELECT dbmigrate_pending('$files')" 2>&1)"

# --- the schema drifts (a table created outside the migrations): 503
sqlite3 fleet/c.db "CREATE TABLE extra (id INTEGER PRIMARY KEY)"
get "$base/readyz?database=c.db"; want_code 503 "readyz after a drift"
grep -q '^c.db: not ready: the schema drifted' body || fail "readyz: $(cat body)"
sqlite3 fleet/c.db "DROP TABLE extra"
get "$base/readyz?database=c.db"; want_code 200 "readyz once the drift is undone"

# --- a critical report: 503 (an applied migration's registered checksum
# changed: the migrations check is critical; no drift, nothing pending)
sum=$(sqlite3 fleet/a.db "SELECT checksum FROM dbcare_migrations WHERE version = '1'")
sqlite3 fleet/a.db "UPDATE dbcare_migrations SET checksum = 'sha256:changed' WHERE version = '1'"
get "$base/readyz?database=a.db"; want_code 503 "readyz with a critical report"
grep -q '^a.db: not ready: the health report is critical' body || fail "readyz: $(cat body)"
sqlite3 fleet/a.db "UPDATE dbcare_migrations SET checksum = '$sum' WHERE version = '1'"
get "$base/readyz?database=a.db"; want_code 200 "readyz once the report is not critical"

# --- writes: refused by a read-only server
get "$base/migrate" -X POST; want_code 403 "POST /migrate read-only"
grep -q -- '--allow-writes' body || fail "403 body: $(cat body)"
get "$base/migrate"; want_code 405 "GET /migrate"
stop_serve
grep -q '^dbcare: stopped' serve.log || fail "no clean stop: $(cat serve.log)"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z GET /livez 200 [0-9]+ms$' serve.log ||
  fail "request log: $(cat serve.log)"
grep -Eq 'Z POST /migrate 403 [0-9]+ms$' serve.log || fail "a refused write is not logged"

# --- writes with the token
head -c 32 /dev/urandom | base64 >token
chmod 600 token
start_serve writes.log --db 'sqlite:fleet/*.db' --dir m --min-interval 0 --allow-writes --token-file token
get "$base/migrate" -X POST; want_code 401 "POST /migrate without a token"
grep -qi '^WWW-Authenticate: Bearer' headers || fail "401 without WWW-Authenticate"
get "$base/migrate" -X POST -H 'Authorization: Bearer not-the-token-at-all'; want_code 403 "a wrong token"
get "$base/readyz"; want_code 503 "readyz before the migration"
get "$base/migrate?database=b.db" -X POST -H "Authorization: Bearer $(cat token)"
want_code 200 "POST /migrate with the token"
[ "$(body_json "d['database'], d['exit_code'], d['result']['applied']")" = "b.db 0 1" ] ||
  fail "migrate: $(cat body)"
[ "$(db=fleet/b.db q "SELECT count(*) FROM u")" = 0 ] || fail "u not created"
get "$base/readyz"; want_code 200 "readyz after the migration"
get "$base/verify" -X POST -H "Authorization: Bearer $(cat token)"; want_code 200 "POST /verify"
[ "$(body_json "sorted((r['database'], r['exit_code']) for r in d)")" = \
  "[('a.db', 0), ('b.db', 0), ('c.db', 0)]" ] || fail "verify: $(cat body)"
! grep -qF "$(cat token)" writes.log || fail "the token is in the log"
stop_serve
echo "ok"
