#!/usr/bin/env bash
# dbcare serve's page on SQLite (issue 67), in headless Chromium: what
# applies to a file is shown (its size, pages, free pages and journal mode;
# every table's and index's bytes and exact row count, a WITHOUT ROWID
# table's too, all refreshed by the page's script), the statements the
# application's dbmonitor recorded at its newest snapshot with their deltas
# since the one before, and no panel of PostgreSQL's (no pg_stat_statements
# statistics, sessions, connections, lock waits or xmin horizon); a table whose name holds markup stays text; no console
# message; POST /cancel has no session to cancel (400, with the token).
# Screenshots: build/screenshots/.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
. "$root/test/script/lib/serve_page.sh"
export DBCARE_MODULE="$module"
db=app.db
sqlite3 "$db" <<'SQL'
PRAGMA journal_mode = wal;
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO orders SELECT i, 'customer ' || (i % 97), i * 1.5 FROM n;
CREATE INDEX orders_customer ON orders (customer);
CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO kv SELECT printf('key-%06d', i), randomblob(100) FROM n;
CREATE TABLE "<img src=x onerror=alert(1)><script>document.body.dataset.pwned=1</script>" (x);
INSERT INTO "<img src=x onerror=alert(1)><script>document.body.dataset.pwned=1</script>" VALUES (1), (2);
SQL
run 0 health --db "sqlite:$db" # the module's bookkeeping made before serve reads it
# the application's connection: two snapshots of what dbmonitor recorded
# (a statement of some tens of ms: among the 20 of most time, beside dbcare's own)
slow='SELECT count(*) FROM orders a, orders b WHERE a.id <= 400;'
sqlite3 -batch -cmd ".load $module" "$db" "SELECT dbmonitor_start(0, 1); $slow
  SELECT dbhealth_snapshot(); $slow SELECT dbhealth_snapshot();" >/dev/null
head -c 32 /dev/urandom | base64 >token
chmod 600 token
start_serve serve.log --db "sqlite:$db" --allow-writes --token-file token --min-interval 0
get "$base/health"; want_code 200 "the first report"
page_in_chromium "$base/" sqlite
page_views sqlite "
need(p.body.get('data-live-refreshes') == '1', 'the live panels did not refresh once in 20 s: %r' % p.body)
for gone in ('queries', 'live', 'connections', 'blocked', 'indexes', 'xmin'):
    need(gone not in p.panels, 'a panel of PostgreSQL on SQLite: %s' % gone)
qd = {r['cells'][0]: r['cells'] for r in rows('query-deltas')}
qh = p.heads.get('query-deltas', [[]])[0]
need('calls_delta' in qh and qd.get('$slow', [''] * 9)[qh.index('calls_delta') if 'calls_delta' in qh else 0] == '1', 'the recorded statement and its delta: %r %r' % (qh, sorted(qd)[:5]))
f = dict(zip(p.heads['file'][0], rows('file')[0]['cells'])) if rows('file') else {}
need(f.get('journal_mode') == 'wal' and int(f.get('bytes', 0)) == int(f.get('pages', 0)) * int(f.get('page_size', 0)) > 0, 'file: %r' % f)
t = {r['cells'][0]: r['cells'] for r in rows('tables')}
h = p.heads['tables'][0]
def cell(name, c): return t.get(name, [''] * len(h))[h.index(c)]
need(cell('orders', 'rows') == '5000' and int(cell('orders', 'bytes')) > 0, 'orders: %r' % t.get('orders'))
need(cell('orders_customer', 'rows') == '5000' and cell('orders_customer', 'type') == 'index', 'orders_customer: %r' % t.get('orders_customer'))
need(cell('kv', 'rows') == '3000', 'a WITHOUT ROWID table: %r' % t.get('kv'))
odd = '<img src=x onerror=alert(1)><script>document.body.dataset.pwned=1</script>'
need(cell(odd, 'rows') == '2', 'the table named with markup: %r' % sorted(t))
"
get "$base/cancel?pid=1" -X POST -H "Authorization: Bearer $(cat token)"; want_code 400 "cancel on SQLite"
grep -q 'has no sessions to cancel' body || fail "cancel on SQLite: $(cat body)"
get "$base/cancel?pid=1" -X POST; want_code 401 "cancel without the token"
stop_serve
echo "ok: sqlite_serve_page"
