#!/usr/bin/env bash
# The dbcare lifecycle commands on PostgreSQL: lint (a warning is exit 0,
# exit 3 with --fail-on warning; nothing registered), each --json parsed;
# the password never printed.
set -eu
db=dbcare_cli_life
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
secret=Sup3rS3cretPw
url="postgresql://$PGUSER:$secret@/$db?host=$PGHOST&port=$PGPORT"

fresh_db
mkdir -p m && chmod 700 "$work" m
echo 'CREATE TABLE accounts (id int PRIMARY KEY, email text);' >m/V1__accounts.sql
run 0 migrate --db "$url" --dir m
q -c "INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 100) g"

# --- lint: the files read on the client (the server cannot read m/)
echo 'CREATE INDEX accounts_email ON accounts (email);' >m/V2__email.sql
run 0 lint --db "$url" --dir m --json
[ "$(json "d['errors'], d['warnings'], [(f['version'], f['rule']) for f in d['findings']]")" = \
  "0 1 [('2', 'index-not-concurrent')]" ] || fail "lint warning: $(cat out)"
run 3 lint --db "$url" --dir m --fail-on warning
has "index-not-concurrent" out
run 0 lint --db "$url" --dir m --version 2
[ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE version = '2'")" = 0 ] || fail "lint registered"
rm m/V2__email.sql

# --- maintain: the safe rows outside a transaction (CONCURRENTLY) run here,
# each on its own, after dbmaintain_run
q -c "CREATE TABLE customer (id int PRIMARY KEY, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customer, total numeric);
CREATE INDEX orders_total ON orders (total);
CREATE INDEX orders_total_copy ON orders (total);
INSERT INTO customer SELECT i, 'c' || i FROM generate_series(1, 50) i;
INSERT INTO orders SELECT i, 1 + i % 50, i FROM generate_series(1, 500) i;"
run 0 maintain --db "$url" --mode quick --dry-run --json
[ "$(json "sorted((p['action'], p['safety'], p['outside_transaction']) for p in d['plan'] if p['action'] != 'analyze')")" = \
  "[('create_index', 'safe', True), ('drop_index', 'safe', True)]" ] || fail "maintain plan: $(cat out)"
[ "$(q -c "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_total_copy'")" = 1 ] || fail "a dry run ran"
run 0 maintain --db "$url" --mode quick --json
[ "$(json "sorted((p['action'], p['status']) for p in d['run'] if p['action'] != 'analyze')")" = \
  "[('create_index', 'done'), ('drop_index', 'done')]" ] || fail "maintain run: $(cat out)"
[ "$(q -c "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_total_copy'")" = 0 ] ||
  fail "maintain did not drop the duplicate"
[ "$(q -c "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders' AND indexdef LIKE '%(customer_id)'")" = 1 ] ||
  fail "maintain did not build the foreign key's index"
run 0 maintain --db "$url" --mode quick --dry-run --json
[ "$(json "[p['action'] for p in d['plan'] if p['action'] != 'analyze']")" = "[]" ] || fail "maintain left work: $(cat out)"

# --- retain: committed batches until nothing moves; a budget stops early
q -c "CREATE TABLE events (id int PRIMARY KEY, created_at timestamptz);
CREATE INDEX events_created ON events (created_at);
INSERT INTO events SELECT g, now() - interval '10 days' FROM generate_series(1, 25) g;
INSERT INTO events VALUES (100, now());
SELECT dbcare_set('retain.batch_size', '10');
SELECT dbretain_add('old_events', 'events', 'created_at', '1 day', 'delete');" >/dev/null
run 0 retain --db "$url" --budget 0 --json
# remaining is counted up to what one call moves (retain.batch_size here):
# 15 rows are left, reported as 10, "at least one more full call"
[ "$(json "d['batches'], d['stopped'], [(p['policy'], p['deleted'], p['remaining']) for p in d['policies']]")" = \
  "1 budget [('old_events', 10, 10)]" ] || fail "retain budget: $(cat out)"
[ "$(q -c "SELECT count(*) FROM events")" = 16 ] || fail "retain: the batch was not committed"
run 0 retain --db "$url" --policy old_events --sleep-ms 1
has "batch 3: 0 row(s) moved, 15 in all" err; has "old_events" out
[ "$(q -c "SELECT count(*) FROM events")" = 1 ] || fail "retain left due rows"
# --attach is SQLite's ATTACH: refused with a clear error on PostgreSQL
run 2 retain --db "$url" --attach "archive=archive.db"; has "dbcare: --attach" err

# --- backup: pg_dump with the connection's parameters (the password through
# the environment, never on pg_dump's command line), recorded with the
# schema's fingerprint; backups; prune is SQLite's
PATH="$B:$PATH" run 0 backup "$work/app.dump" --db "$url" --json
[ "$(json "d['backup']['fingerprint'] == '$(q -c "SELECT dbschema_fingerprint()")', d['backup']['id']")" = "True 1" ] ||
  fail "backup: $(cat out)"
[ "$(head -c 5 "$work/app.dump")" = PGDMP ] || fail "backup: not a pg_dump archive"
"$B/pg_restore" -l "$work/app.dump" | grep -q "TABLE public events" || fail "backup: events missing"
PATH="$B:$PATH" run 1 backup "$work/app.dump" --db "$url"; has "exists already" err
run 0 backups --db "$url" --json
[ "$(json "[(b['kind'], b['path'], b['status']) for b in d['backups']]")" = \
  "[('pg_dump', '$work/app.dump', 'verified')]" ] || fail "backups: $(cat out)"
run 1 backups prune --keep 1 --db "$url"; has "backups prune is for SQLite" err

# --- restore goes into a new database only: over this one it changes nothing
run 1 restore "$work/app.dump" --db "$url"; has "is not empty" err
has "HINT: Restore into a new database" err

# --- audit history TABLE KEY_JSON
q -c "CREATE TABLE account (id int PRIMARY KEY, email text)" -c "SELECT dbaudit_enable('account')" \
  -c "INSERT INTO account VALUES (1, 'ann@example.com')" \
  -c "UPDATE account SET email = 'ann@example.org' WHERE id = 1" >/dev/null
run 0 audit history account '{"id": 1}' --db "$url" --json
[ "$(json "[(h['operation'], (h['new_values'] or {}).get('email')) for h in d['history']]")" = \
  "[('insert', 'ann@example.com'), ('update', 'ann@example.org')]" ] || fail "audit: $(cat out)"
run 1 audit history account '{bad' --db "$url"; has "dbcare: " err
# a table never audited (a typo) is an error, not a row without history
run 1 audit history acount '{"id": 1}' --db "$url"
has "is not audited and has no entries in the log" err
has "dbaudit_tables()" err
# one audited once, then no more, still has its history
q -c "SELECT dbaudit_disable('account')" >/dev/null
run 0 audit history account '{"id": 1}' --db "$url" --json
[ "$(json "len(d['history'])")" = 2 ] || fail "a table audited once lost its history: $(cat out err)"
q -c "SELECT dbaudit_enable('account')" >/dev/null
