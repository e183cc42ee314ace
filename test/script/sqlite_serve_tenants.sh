#!/usr/bin/env bash
# Fleet members are tenants (docs/security.md): a member's label is decided
# by its path, never by the file. A file name or a health.database_label
# holding } " \ or a newline, or a file name that is not UTF-8, leaves
# /metrics valid for the whole fleet (promtool), each series labelled once
# (the member itself monitored); a tenant that sets its label to
# another's name ('victim.db') takes neither its /health?database= nor its
# series (the label it set is its report's display_name); two members of one
# name are told apart by their paths, one database served twice is a usage
# error naming both. And one report, judged once, everywhere: a file whose
# foreign keys dbcare's own connection does not enforce has the same score
# in `dbcare health`, `dbcare report --html`, serve's page, /health and
# /metrics, its foreign_keys_enforced check skipped in all.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

mkdir fleet d1 d2
schema='CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p(id)); CREATE INDEX c_p ON c(p);'
for f in victim evil 'a}b' 'q"uote' 'back\slash' hostile; do sqlite3 "fleet/$f.db" "$schema"; done
sqlite3 "fleet/$(printf 'bad\377name').db" "$schema" # not UTF-8: Prometheus refuses such a label
db=fleet/evil.db q "SELECT dbcare_set('health.database_label', 'victim.db')" >/dev/null
db=fleet/hostile.db q "SELECT dbcare_set('health.database_label', 'x}\"\\' || char(10) || 'y')" >/dev/null

# --- one report everywhere: the command, the page, serve
run 0 health --db sqlite:fleet/victim.db --json
score=$(json "d['score']")
[ "$(json "[c['status'] for c in d['checks'] if c['name'] == 'foreign_keys_enforced'][0]")" = skipped ] ||
  fail "health: foreign_keys_enforced is not skipped: $(cat out)"
run 0 report --db sqlite:fleet/victim.db --html page.html
page=$(sed -n 's/.*data-score="\([0-9]*\)".*/\1/p' page.html | head -1)
[ "$page" = "$score" ] || fail "report --html says $page, health says $score"
! grep -q 'foreign_keys_enforced</td><td[^>]*>warning' page.html || fail "the page grades the connection"
run 0 health --db sqlite:fleet/victim.db --format prometheus
grep -qx "dbcare_health_score{engine=\"sqlite\",database=\"victim.db\"} $score" out ||
  fail "health --format prometheus: $(grep score out)"

start_serve serve.log --db 'sqlite:fleet/*.db'
get "$base/metrics"; want_code 200 metrics
promtool check metrics <body || fail "promtool refused /metrics: $(grep -a database body | head -20)"
[ "$(grep -c '^dbcare_health_score{' body)" = 7 ] || fail "not seven scores: $(grep '^dbcare_health_score' body)"
[ "$(grep -c '^dbcare_health_score{engine="sqlite",database="victim.db"}' body)" = 1 ] ||
  fail "victim.db's score twice: $(grep '^dbcare_health_score' body)"
grep -qx "dbcare_health_score{engine=\"sqlite\",database=\"victim.db\"} $score" body ||
  fail "/metrics' score is not health's ($score): $(grep '^dbcare_health_score' body)"
grep -q '^dbcare_up{engine="sqlite",database="evil.db"} 1$' body || fail "evil.db is not labelled by its path"
grep -q '^dbcare_up{engine="sqlite",database="a}b.db"} 1$' body || fail "a}b.db: $(grep '^dbcare_up' body)"
grep -q '^dbcare_up{engine="sqlite",database="bad?name.db"} 1$' body || fail "bad\\377name.db: $(grep -a '^dbcare_up' body)"
grep -q '^dbcare_up{engine="sqlite",database="back\\\\slash.db"} 1$' body || fail "back\\slash.db"
grep -q '^dbcare_database_size_bytes{engine="sqlite",database="q\\"uote.db"} [0-9]' body || fail "q\"uote.db"
# OpenMetrics too, read by the Python client's strict parser
get "$base/metrics" -H 'Accept: application/openmetrics-text'; want_code 200 openmetrics
"$py" -c "
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
labels = sorted({s.labels['database'] for f in parse(open('$work/body').read()) for s in f.samples if f.name == 'dbcare_up'})
assert labels == sorted(['victim.db', 'evil.db', 'a}b.db', 'q\"uote.db', 'back\\\\slash.db', 'hostile.db', 'bad?name.db']), labels
" || fail "OpenMetrics parse"
get "$base/health?database=victim.db"; want_code 200 "victim's health"
[ "$(body_json "d['database'], d.get('display_name')")" = "victim.db None" ] || fail "victim: $(head -c 300 body)"
[ "$(body_json "d['score']")" = "$score" ] || fail "/health's score is not health's"
get "$base/health?database=evil.db"; want_code 200 "evil's health"
[ "$(body_json "d['database'], d['display_name']")" = "evil.db victim.db" ] || fail "evil: $(head -c 300 body)"
get "$base/?database=victim.db"; want_code 200 "serve's page"
[ "$(sed -n 's/.*data-score="\([0-9]*\)".*/\1/p' body | head -1)" = "$score" ] || fail "serve's page score"
stop_serve

# --- two members of one name: their paths; one database twice: refused
sqlite3 d1/x.db "$schema"; sqlite3 d2/x.db "$schema"
start_serve serve2.log --db sqlite:d1/x.db --db sqlite:d2/x.db
get "$base/metrics"; want_code 200 metrics
grep -q '^dbcare_up{engine="sqlite",database="d1/x.db"} 1$' body &&
  grep -q '^dbcare_up{engine="sqlite",database="d2/x.db"} 1$' body || fail "d1/x.db, d2/x.db: $(grep '^dbcare_up' body)"
stop_serve
run 2 serve --db sqlite:fleet/victim.db --db sqlite:fleet/victim.db --listen 127.0.0.1:0
has 'sqlite:fleet/victim.db and sqlite:fleet/victim.db are one database served twice' err
ln -s victim.db fleet/link.db
run 2 serve --db sqlite:fleet/victim.db --db sqlite:fleet/link.db --listen 127.0.0.1:0
has 'are one database served twice' err

# --- pending migrations: the page counts the --dir files as /readyz does,
# and readiness only reads: with another process holding the write lock
# (BEGIN IMMEDIATE), a refresh still counts them at once
mkdir m ro
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' >m/V1__t.sql
run 0 migrate --db sqlite:ro/app.db --dir m
echo 'CREATE TABLE u (id INTEGER PRIMARY KEY);' >m/V2__u.sql
echo 'DROP VIEW IF EXISTS v; CREATE VIEW v AS SELECT 1 AS one;' >m/R__v.sql
start_serve serve3.log --db sqlite:ro/app.db --dir m --min-interval 0 --scrape-timeout 2s
get "$base/readyz"; want_code 503 "readyz with two files pending"
"$py" -c "
import sqlite3, time
c = sqlite3.connect('ro/app.db', isolation_level=None)
c.execute('BEGIN IMMEDIATE')
open('writing', 'w').close()
time.sleep(30)
" &
writer=$!
serve_pids+=("$writer")
for _ in $(seq 1 100); do [ -e writing ] && break; sleep 0.05; done
[ -e writing ] || fail "the write lock was not taken"
get "$base/readyz"; want_code 503 "readyz with two files pending"
grep -q '2 migration(s) pending' body || fail "readyz: $(cat body)"
! grep -q 'since then' body || fail "readyz's refresh waited for the write lock: $(cat body)"
get "$base/migrations"; want_code 200 migrations
[ "$(body_json "d['pending']")" = 2 ] || fail "/migrations: $(cat body)"
kill "$writer"; wait "$writer" 2>/dev/null || true
get "$base/"; want_code 200 "the page"
grep -q '1 migration(s), 2 pending' body || fail "the page: $(grep -o '[0-9]* migration(s)[^<]*' body)"
stop_serve
run 0 report --db sqlite:ro/app.db --dir m --html page2.html
grep -q '1 migration(s), 2 pending' page2.html || fail "report --html --dir: $(grep -o '[0-9]* migration(s)[^<]*' page2.html)"
# a repeatable changed since it was applied is pending again
run 0 migrate --db sqlite:ro/app.db --dir m
echo 'DROP VIEW IF EXISTS v; CREATE VIEW v AS SELECT 2 AS two;' >m/R__v.sql
start_serve serve4.log --db sqlite:ro/app.db --dir m
get "$base/readyz"; want_code 503 "readyz with a changed repeatable"
grep -q '1 migration(s) pending' body || fail "readyz after the repeatable changed: $(cat body)"
stop_serve
run 0 migrate --db sqlite:ro/app.db --dir m
start_serve serve5.log --db sqlite:ro/app.db --dir m
get "$base/readyz"; want_code 200 "readyz with nothing pending"
stop_serve
echo "ok"
