#!/usr/bin/env bash
# dbcare serve's page on a pgbench database (issue 67), in headless
# Chromium: pgbench -i at scale 2 and a pgbench run beside it. The setting
# studied: shared_preload_libraries with pg_stat_statements (the suite's
# cluster preloads it; the test fails when it does not). Each view has real
# data: query statistics with pgbench's statements (and their deltas since
# a snapshot taken while pgbench runs), the live queries, the
# connections by state, user, database and application, the blocked-query
# tree with the blocker first, table and index sizes with row estimates and
# the last VACUUM and ANALYZE (a table another session locks is shown
# "locked": reading its size would wait; the report's largest tables do
# not wait for it either), the xmin horizon's finding; the live panels
# refresh by themselves; a query text holding <script> stays text; no
# console message. Cancel and terminate work with the write token and are
# refused without it, with a wrong one, by GET, and without
# --allow-writes (whose page has no such buttons). Without the extension
# pg_stat_statements the page says how to enable it. Screenshots: build/screenshots/.
set -eu
db=dbcare_serve_page
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
. "$root/test/script/lib/serve_page.sh"
py=/usr/bin/python3
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db
case ",$(q -c 'SHOW shared_preload_libraries' | tr -d ' ')," in
*,pg_stat_statements,*) ;;
*) fail "the cluster does not preload pg_stat_statements (shared_preload_libraries)" ;;
esac
head -c 32 /dev/urandom | base64 >token
chmod 600 token

# --- without the extension pg_stat_statements: the page says how to enable it
q -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS pg_stat_statements"
start_serve serve0.log --db "$url" --allow-writes --token-file token
get "$base/live"; want_code 200 "GET /live"
grep -q 'shared_preload_libraries' body && grep -q 'CREATE EXTENSION pg_stat_statements' body ||
  fail "no hint to enable pg_stat_statements: $(cat body)"
stop_serve

q -c "CREATE EXTENSION pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
"$B/pgbench" -i -s 2 -q "$db" >"$work/pgbench-init.log" 2>&1 || { cat "$work/pgbench-init.log"; fail "pgbench -i"; }
q -c "VACUUM ANALYZE pgbench_accounts" -c "CREATE TABLE held (id int PRIMARY KEY)"
PGAPPNAME=bench "$B/pgbench" -n -c 2 -R 50 -T 300 "$db" >"$work/pgbench.log" 2>&1 &
pids+=($!)
# a blocker whose query text holds markup, and two sessions waiting on it
PGAPPNAME=blocker "$B/psql" -X -q -d "$db" -c "BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE;
  SELECT '<script>document.body.dataset.pwned = 1</script><img src=x onerror=alert(1)>', pg_sleep(300)" \
  >"$work/blocker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'held'::regclass AND granted")" = 1 ] && break
  sleep 0.05
done
for w in waiter1 waiter2; do
  PGAPPNAME=$w "$B/psql" -X -q -d "$db" -c "SELECT count(*) FROM held" >"$work/$w.log" 2>&1 &
  pids+=($!)
done
pid_of() { q -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$1' AND datname = '$db'"; }
for _ in $(seq 1 600); do
  [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND wait_event_type = 'Lock' AND application_name LIKE 'waiter%'")" = 2 ] &&
    [ "$(q -c "SELECT sum(calls) >= 50 FROM pg_stat_statements WHERE query LIKE 'UPDATE pgbench_accounts%'")" = t ] && break
  sleep 0.1
done
blocker=$(pid_of blocker) waiter1=$(pid_of waiter1) waiter2=$(pid_of waiter2)
[ -n "$blocker" ] && [ -n "$waiter1" ] && [ -n "$waiter2" ] || fail "the sessions did not start"

# a snapshot while pgbench runs: the query panel's deltas are since it
q -c "SELECT dbhealth_snapshot()" >/dev/null
sleep 1

# the report's sizes never wait for a table another session locks
got=$(q -c "SET statement_timeout = '3s'" -c "SELECT count(*) FILTER (WHERE table_name = 'public.held') FROM dbhealth_largest_tables(100)" 2>&1) ||
  fail "dbhealth_largest_tables waited on the locked table: $got"
[ "$got" = 1 ] || fail "dbhealth_largest_tables without the locked table: $got"

# --- the page in Chromium
start_serve serve.log --db "$url" --allow-writes --token-file token --min-interval 0
get "$base/health"; want_code 200 "the first report" # the xmin panel shows the last report's finding
xmin_message=$(body_json "[c['message'] for c in d['checks'] if c['name'] == 'xmin_horizon'][0]")
[ -n "$xmin_message" ] || fail "the report has no xmin_horizon message: $(cat body)"
page_in_chromium "$base/" pg
page_views pg "
need(p.body.get('data-live-refreshes') == '1', 'the live panels did not refresh once in 20 s: %r' % p.body)
q = col('queries', 'query')
need(any(x.startswith('UPDATE pgbench_accounts') for x in q), 'no pgbench statement in the query statistics: %r' % q[:5])
calls = [float(x) for x in col('queries', 'calls')]
need(calls and max(calls) >= 50, 'query statistics without calls: %r' % calls[:5])
for c in ('total_ms', 'mean_ms', 'rows'):
    need(c in p.heads['queries'][0], 'query statistics without %s' % c)
upd = [r['cells'] for r in rows('query-deltas') if r['cells'][0].startswith('UPDATE pgbench_accounts')]
h = p.heads.get('query-deltas', [[]])[0]
need(upd and 'calls_delta' in h and int(upd[0][h.index('calls_delta')]) > 0, 'no pgbench delta since the snapshot: %r %r' % (h, upd))
need('Deltas over' in p.texts.get('query-deltas', ''), 'the query panel does not say since when')
live = {r['cells'][0]: r for r in rows('live')}
need('$blocker' in live and ('cancel', '$blocker') in live['$blocker']['buttons'] and ('terminate', '$blocker') in live['$blocker']['buttons'], 'the blocker is not a live query with cancel and terminate: %r' % list(live))
need(any('<script>document.body.dataset.pwned' in c for c in live.get('$blocker', {'cells': []})['cells']), 'the markup of the query text is not shown as text')
need(sum(1 for r in live.values() if 'bench' in r['cells']) >= 2, 'no pgbench session among the live queries')
conn = {(r['cells'][0], r['cells'][1]) for r in rows('connections')}
for k in (('state', 'active'), ('user', 'postgres'), ('database', '$db'), ('application', 'bench'), ('application', 'blocker')):
    need(k in conn, 'connections lack %r: %r' % (k, sorted(conn)))
tree = [(r['cells'][0], r['cells'][1].lstrip('\u21b3 '), r['cells'][2]) for r in rows('blocked')]
need(tree[:1] == [('0', '$blocker', '')], 'the blocker does not head the tree: %r' % tree)
need({('1', '$waiter1', '$blocker'), ('1', '$waiter2', '$blocker')} <= set(tree), 'the waiters are not under the blocker: %r' % tree)
tables = {r['cells'][0]: r['cells'] for r in rows('tables')}
acc = tables.get('public.pgbench_accounts')
need(acc is not None and abs(int(acc[4]) - 200000) <= 10000 and acc[6] != '' and acc[7] != '', 'pgbench_accounts: %r %r' % (acc, p.texts.get('tables', '')[-400:]))
need(tables.get('public.held', [''] * 2)[1] == 'locked', 'a table another session locks is not shown locked: %r' % tables.get('public.held'))
idx = col('indexes', 'index')
need('public.pgbench_accounts_pkey' in idx, 'indexes: %r' % idx)
need('canceling statement' not in dom, 'a part of the page was cancelled: it waited on a lock')
need('xmin' in p.panels and '''$xmin_message''' in ' '.join(p.texts['xmin'].split()), 'the xmin horizon panel lacks the report\'s finding: %r' % p.texts.get('xmin'))
"

# --- cancel and terminate: only by POST with the token
get "$base/cancel?pid=$waiter1" -X POST; want_code 401 "cancel without the token"
get "$base/cancel?pid=$waiter1" -X POST -H "Authorization: Bearer wrong"; want_code 403 "cancel with a wrong token"
get "$base/cancel?pid=$waiter1"; want_code 405 "cancel by GET"
[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $waiter1 AND wait_event_type = 'Lock'")" = 1 ] ||
  fail "a refused cancel cancelled the statement"
get "$base/cancel?pid=$waiter1" -X POST -H "Authorization: Bearer $(cat token)"; want_code 200 "cancel with the token"
[ "$(body_json "d['signalled'], d['action'], d['pid']")" = "True cancel $waiter1" ] || fail "cancel: $(cat body)"
for _ in $(seq 1 100); do grep -q 'canceling statement due to user request' "$work/waiter1.log" && break; sleep 0.1; done
grep -q 'canceling statement due to user request' "$work/waiter1.log" || fail "waiter1 was not cancelled: $(cat "$work/waiter1.log")"
get "$base/terminate?pid=$blocker" -X POST -H "Authorization: Bearer $(cat token)"; want_code 200 "terminate with the token"
for _ in $(seq 1 100); do [ -z "$(pid_of blocker)" ] && break; sleep 0.1; done
[ -z "$(pid_of blocker)" ] || fail "the blocker was not terminated"
for _ in $(seq 1 100); do [ -z "$(pid_of waiter2)" ] && break; sleep 0.1; done
[ -z "$(pid_of waiter2)" ] || fail "waiter2 still waits after its blocker ended"
get "$base/cancel?pid=$blocker" -X POST -H "Authorization: Bearer $(cat token)"; want_code 404 "cancel of a gone session"
get "$base/cancel?pid=1%20OR%201=1" -X POST -H "Authorization: Bearer $(cat token)"; want_code 400 "a pid that is not a number"
# a session of another database is not this database's to signal
other=$(q -c "SELECT pid FROM pg_stat_activity WHERE datname IS NULL OR datname <> '$db' LIMIT 1")
if [ -n "$other" ]; then
  get "$base/terminate?pid=$other" -X POST -H "Authorization: Bearer $(cat token)"; want_code 404 "a session of another database"
fi
stop_serve

# --- read-only serve: no cancel at all, and no buttons for it
PGAPPNAME=sleeper "$B/psql" -X -q -d "$db" -c "SELECT pg_sleep(120)" >"$work/sleeper.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do [ -n "$(pid_of sleeper)" ] && break; sleep 0.05; done
sleeper=$(pid_of sleeper)
[ -n "$sleeper" ] || fail "the sleeping session did not start"
start_serve serve2.log --db "$url"
get "$base/live"; want_code 200 "GET /live read-only"
grep -q "<td>$sleeper</td>" body || fail "the sleeper is not among the live queries: $(cat body)"
! grep -q 'data-action=' body || fail "cancel buttons on a read-only serve"
get "$base/cancel?pid=$sleeper" -X POST -H "Authorization: Bearer $(cat token)"; want_code 403 "cancel without --allow-writes"
[ -n "$(pid_of sleeper)" ] || fail "a refused cancel ended the sleeper"
grep -q 'canceling statement' "$work/sleeper.log" && fail "a refused cancel cancelled the sleeper"
stop_serve
echo "ok: pg_serve_page"
