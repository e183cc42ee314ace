#!/usr/bin/env bash
# The dbcare lifecycle commands on SQLite: lint (exit 3 on an error, or a
# warning with --fail-on warning; nothing registered), each --json parsed.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"

db="$work/app.db"
mkdir m
echo 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);' >m/V1__users.sql
run 0 migrate --db "sqlite:$db" --dir m
q "INSERT INTO users VALUES (1, 'a'), (2, 'b');"

# --- lint: the files read on the client, findings from dbmigrate_lint
echo 'ALTER TABLE users ADD COLUMN note TEXT;' >m/V2__note.sql
run 0 lint --db "sqlite:$db" --dir m --json
[ "$(json "d['errors'], d['warnings'], d['findings']")" = "0 0 []" ] || fail "lint clean: $(cat out)"
echo 'ALTER TABLE users ALTER COLUMN name SET NOT NULL;' >m/V3__notnull.sql
run 3 lint --db "sqlite:$db" --dir m --json
[ "$(json "d['errors'], [(f['version'], f['rule'], f['severity']) for f in d['findings']]")" = \
  "1 [('3', 'alter-unsupported', 'error')]" ] || fail "lint error: $(cat out)"
run 3 lint --db "sqlite:$db" --dir m; has "alter-unsupported" out; has "1 error(s)" err
run 0 lint --db "sqlite:$db" --dir m --version 2
run 1 lint --db "sqlite:$db" --dir m --version 1; has "dbcare: " err
run 2 lint --db "sqlite:$db" --dir m --verison 2; has 'unknown option "--verison"' err
[ "$(q "SELECT count(*) FROM dbmigrate_status WHERE version IN ('2','3')")" = 0 ] ||
  fail "lint registered files"
rm m/V3__notnull.sql

# --- maintain: the plan; the run; the row outside a transaction run here
# only when --include names its class or action (the docs' worked example)
q "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer (id), total REAL);
CREATE INDEX orders_total ON orders (total);
CREATE INDEX orders_total_copy ON orders (total);
INSERT INTO customer SELECT value, 'c' || value FROM generate_series(1, 50);
INSERT INTO orders SELECT value, 1 + value % 50, value FROM generate_series(1, 500);"
run 0 maintain --db "sqlite:$db" --mode quick --dry-run --json
[ "$(json "sorted((p['action'], p['safety']) for p in d['plan'])")" = \
  "[('analyze', 'safe'), ('create_index', 'locking'), ('drop_index', 'locking'), ('optimize', 'safe')]" ] ||
  fail "maintain plan: $(cat out)"
[ "$(q "SELECT count(*) FROM dbmaintain_history")" = 0 ] || fail "a dry run ran"
run 2 maintain --db "sqlite:$db" --mode quick --dryrun
run 0 maintain --db "sqlite:$db" --mode quick --include create_index --json
[ "$(json "sorted((p['action'], p['status']) for p in d['run'])")" = \
  "[('analyze', 'done'), ('create_index', 'done'), ('drop_index', 'not_included'), ('optimize', 'done')]" ] ||
  fail "maintain run: $(cat out)"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'orders_total_copy'")" = 1 ] ||
  fail "maintain ran a row --include did not name"
run 0 maintain --db "sqlite:$db" --mode quick --include 'create_index, drop_index'
has "1 of 1 outside a transaction run here" err
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'orders_total_copy'")" = 0 ] ||
  fail "maintain did not run the row outside a transaction"
run 0 maintain --db "sqlite:$db" --mode quick --dry-run --json
[ "$(json "len(d['plan'])")" = 0 ] || fail "maintain left work: $(cat out)"
# an unknown --include item is a bad value: usage (2), before connecting
run 2 maintain --db "sqlite:$db" --mode quick --include bogus; has "dbcare: " err

# --- retain: committed batches of retain.batch_size until nothing moves
q "CREATE TABLE events (id INTEGER PRIMARY KEY, created_at TEXT);
CREATE INDEX events_created ON events (created_at);
INSERT INTO events SELECT value, datetime('now', '-10 days') FROM generate_series(1, 25);
INSERT INTO events VALUES (100, datetime('now'));
CREATE TABLE logs (id INTEGER PRIMARY KEY, at TEXT);
CREATE INDEX logs_at ON logs (at);
INSERT INTO logs SELECT value, datetime('now', '-10 days') FROM generate_series(1, 3);
SELECT dbcare_set('retain.batch_size', '10');
SELECT dbretain_add('old_events', 'events', 'created_at', '1 day', 'delete');
SELECT dbretain_add('old_logs', 'logs', 'at', '1 day', 'delete');" >/dev/null
run 0 retain --db "sqlite:$db" --policy old_events --sleep-ms 1 --json
[ "$(json "d['batches'], d['stopped'], [(p['policy'], p['deleted'], p['remaining']) for p in d['policies']]")" = \
  "4 done [('old_events', 25, 0)]" ] || fail "retain: $(cat out)"
[ "$(q "SELECT count(*) FROM events")" = 1 ] || fail "retain left due rows"
[ "$(q "SELECT count(*) FROM logs")" = 3 ] || fail "retain --policy touched another policy"
run 0 retain --db "sqlite:$db"
has "batch 1: 3 row(s) moved" err; has "old_logs" out
[ "$(q "SELECT count(*) FROM logs")" = 0 ] || fail "retain: logs"
# a budget of 0 stops after the first batch that moved rows
q "INSERT INTO logs SELECT value, datetime('now', '-10 days') FROM generate_series(1, 25);"
run 0 retain --db "sqlite:$db" --budget 0 --json
[ "$(json "d['batches'], d['stopped']")" = "1 budget" ] || fail "retain budget: $(cat out)"
[ "$(q "SELECT count(*) FROM logs")" = 15 ] || fail "retain budget: batch not committed"
run 2 retain --db "sqlite:$db" --sleep-ms soon
run 1 retain --db "sqlite:$db" --policy nosuch; has "dbcare: " err

# --- backup, backups, backups prune (a dry run unless --apply)
run 0 backup "$work/b1.db" --db "sqlite:$db" --json
[ "$(json "d['backup']['verified'], d['backup']['id']")" = "True 1" ] || fail "backup: $(cat out)"
[ -f "$work/b1.db" ] || fail "backup: no file"
run 0 backup "$work/b2.db" --db "sqlite:$db"
grep -Eq "^verified +true$" out || fail "backup without --json: $(cat out)"   # a table, not JSON
run 1 backup "$work/b2.db" --db "sqlite:$db"; has "dbcare: " err
# the method table: the module's backup refuses pgBackRest's options
run 2 backup "$work/b3.db" --stanza main --db "sqlite:$db"; has "--stanza and --type are for PostgreSQL" err
[ ! -e "$work/b3.db" ] || fail "a refused backup wrote a file"
run 0 backups --db "sqlite:$db" --json
[ "$(json "[(b['id'], b['status'], b['exists']) for b in d['backups']]")" = \
  "[(1, 'verified', True), (2, 'verified', True)]" ] || fail "backups: $(cat out)"
run 2 backups --db "sqlite:$db" --keep 1
run 2 backups prune --db "sqlite:$db"
run 0 backups prune --keep 1 --db "sqlite:$db" --json
[ "$(json "d['prune']['dry_run'], len(d['prune']['would_delete'])")" = "True 1" ] || fail "prune dry: $(cat out)"
[ -f "$work/b1.db" ] || fail "a dry run deleted"
run 0 backups prune --keep 1 --apply --db "sqlite:$db"
[ ! -e "$work/b1.db" ] && [ -f "$work/b2.db" ] || fail "prune --apply"

# --- restore: verified first, the database backed up, then copied in with
# the backup API (a connection that has the database open sees the result)
q "CREATE TABLE kept (x INTEGER); INSERT INTO kept VALUES (1), (2);"
run 0 backup "$work/good.db" --db "sqlite:$db"
q "INSERT INTO kept VALUES (3); DROP TABLE events;"
echo 'not a database' >"$work/bad.db"
run 1 restore "$work/bad.db" --db "sqlite:$db"; has "did not verify; the database is unchanged" err
[ "$(q "SELECT count(*) FROM kept")" = 3 ] || fail "a failed restore changed the database"
ls "$work"/app.db.before-restore-* >/dev/null 2>&1 && fail "a failed restore took a safety backup"
# a reader holding the database open across the restore
"$py" -c "
import os, sqlite3, time
c = sqlite3.connect('$db')
first = c.execute('SELECT count(*) FROM kept').fetchone()[0]
open('$work/reader_ready', 'w').close()
for _ in range(200):
    if os.path.exists('$work/restored'): break
    time.sleep(0.05)
print(first, c.execute('SELECT count(*) FROM kept').fetchone()[0])
" >"$work/reader" 2>&1 &
reader=$!
for _ in $(seq 100); do [ -e "$work/reader_ready" ] && break; sleep 0.05; done
run 0 restore "$work/good.db" --db "sqlite:$db" --json
touch "$work/restored"; wait $reader
[ "$(cat "$work/reader")" = "3 2" ] || fail "the open connection did not see the restore: $(cat "$work/reader")"
[ "$(json "d['verified']['verified'], d['safety_backup']['verified']")" = "True True" ] || fail "restore json: $(cat out)"
[ "$(q "SELECT count(*) FROM kept")" = 2 ] || fail "restore: rows"
[ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 'events'")" = 1 ] || fail "restore: schema"
safety=$(json "d['safety_backup']['path']")
[ "$(sqlite3 "$safety" "SELECT count(*) FROM kept")" = 3 ] || fail "the safety backup is not the database before"
# another restore within the same second: its safety backup gets a name of
# its own (files named by the second stand in the way)
for s in 0 1 2; do touch "$db.before-restore-$(date -u -d "+$s sec" +%Y%m%dT%H%M%SZ).db"; done
run 0 restore "$work/good.db" --db "sqlite:$db"

# --- audit history TABLE KEY_JSON
q "CREATE TABLE account (id INTEGER PRIMARY KEY, email TEXT);
SELECT dbaudit_enable('account');
INSERT INTO account VALUES (1, 'ann@example.com');
UPDATE account SET email = 'ann@example.org' WHERE id = 1;" >/dev/null
run 0 audit history account '{"id": 1}' --db "sqlite:$db" --json
[ "$(json "[(h['operation'], (h['new_values'] or {}).get('email')) for h in d['history']]")" = \
  "[('insert', 'ann@example.com'), ('update', 'ann@example.org')]" ] || fail "audit: $(cat out)"
run 2 audit log account '{"id": 1}' --db "sqlite:$db"
run 2 audit history account --db "sqlite:$db"
run 1 audit history account '{bad' --db "sqlite:$db"; has "dbcare: " err
# a table never audited (a typo) is an error, not a row without history
run 1 audit history acount '{"id": 1}' --db "sqlite:$db"
has "is not audited and has no entries in the log" err
has "dbaudit_tables()" err
# one audited once, then no more, still has its history
q "SELECT dbaudit_disable('account');" >/dev/null
run 0 audit history account '{"id": 1}' --db "sqlite:$db" --json
[ "$(json "len(d['history'])")" = 2 ] || fail "a table audited once lost its history: $(cat out err)"
q "SELECT dbaudit_enable('account');" >/dev/null

# --- fleets: the lifecycle commands on several databases; a file argument
# that names one database refuses a fleet
cp "$work/good.db" "$work/second.db"
run 0 backups --db "sqlite:$db" --db "sqlite:$work/second.db" --json
run 0 retain --db "sqlite:$db" --db "sqlite:$work/second.db"
run 2 restore "$work/good.db" --db "sqlite:$db" --db "sqlite:$work/second.db"
has "restore $work/good.db takes one database, not a fleet" err
run 2 backup "$work/b9.db" --db "sqlite:$work/*.db"
