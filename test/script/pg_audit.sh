#!/usr/bin/env bash
# The audit trail on PostgreSQL (docs/audit.md): dbaudit_enable's options and
# refusals, what the C trigger records (insert, changed columns of an
# update, delete, TRUNCATE, the baseline), the actor (current_user and SET
# LOCAL dbcare.actor), the transaction id, names with quotes, spaces and
# unicode, a column added later, history, the log and a row rebuilt at a
# time, and the privileges: an audited role writes the table but cannot
# write or read the log, and PUBLIC reads nothing of it.
set -eu
db=dbcare_audit
. "$(dirname "$0")/lib/pg.sh"
fresh_db
roles() { "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS dbc_clerk" "$@" > /dev/null; }
roles -c "CREATE ROLE dbc_clerk"
trap 'cleanup; roles >/dev/null 2>&1 || true' EXIT
expect_error() { # pattern, sql...
  local pat=$1; shift
  if q "$@" > "$work/err" 2>&1; then fail "no error for: $*"; fi
  grep -q -- "$pat" "$work/err" || fail "expected /$pat/ for $*, got: $(cat "$work/err")"
}

q -c 'CREATE TABLE "Odd ""Name"" tâble" (id int PRIMARY KEY, "full name" text, pw text, n numeric, ok boolean, doc jsonb)' \
  -c "INSERT INTO \"Odd \"\"Name\"\" tâble\" VALUES (1, 'before', 'h0', 1.5, true, '{\"a\": 1}')" \
  -c 'CREATE TABLE nokey (a int, b text)' -c 'CREATE VIEW v AS SELECT 1 AS x' \
  -c "GRANT SELECT, INSERT, UPDATE, DELETE ON \"Odd \"\"Name\"\" tâble\" TO dbc_clerk"
T='"Odd ""Name"" tâble"'
name=$(q -c "SELECT dbaudit_enable('$T', '{\"exclude\": [\"pw\"], \"baseline\": true}')")
[ "$name" = "public.$T" ] || fail "stored name: $name"

# refusals, each a dbcare: error that names the problem
expect_error 'dbcare: .*already audited' -c "SELECT dbaudit_enable('$T')"
expect_error 'dbcare: .*no primary key' -c "SELECT dbaudit_enable('nokey')"
expect_error 'dbcare: .*is a view' -c "SELECT dbaudit_enable('v')"
expect_error 'dbcare: .*not audited' -c "SELECT dbaudit_disable('nokey')"
expect_error 'dbcare: .*does not exist' -c "SELECT dbaudit_enable('missing')"
expect_error 'dbcare: .*is temporary: only permanent tables' -c "CREATE TEMP TABLE tt (id int PRIMARY KEY)" -c "SELECT dbaudit_enable('tt')"
expect_error 'dbcare: .*no column "nope"' -c "SELECT dbaudit_enable('nokey', '{\"key\": [\"nope\"]}')"
expect_error 'dbcare: unknown option' -c "SELECT dbaudit_enable('nokey', '{\"key\": [\"a\"], \"bogus\": 1}')"
[ "$(q -c "SELECT dbaudit_enable('nokey', '{\"key\": [\"a\"], \"updates\": \"full\"}')")" = public.nokey ] || fail "named key"

# changes as an audited role, with the application's actor in one transaction
q -c "SET ROLE dbc_clerk" -c "BEGIN" -c "SET LOCAL dbcare.actor = 'alice@example'" \
  -c "INSERT INTO $T VALUES (2, 'Zoë', 'h1', 2, false, NULL)" \
  -c "UPDATE $T SET \"full name\" = 'Zoe', pw = 'h2' WHERE id = 2" \
  -c "UPDATE $T SET pw = 'h3' WHERE id = 2" \
  -c "COMMIT" -c "DELETE FROM $T WHERE id = 1" > /dev/null
got=$(q -c "SELECT operation, db_user, coalesce(actor, '-'), key, coalesce(old_values::text, '-'), coalesce(new_values::text, '-') FROM dbcare.audit_log WHERE table_name = 'public.$T' ORDER BY id")
want="snapshot|postgres|-|{\"id\": 1}|-|{\"n\": 1.5, \"id\": 1, \"ok\": true, \"doc\": {\"a\": 1}, \"full name\": \"before\"}
insert|dbc_clerk|alice@example|{\"id\": 2}|-|{\"n\": 2, \"id\": 2, \"ok\": false, \"doc\": null, \"full name\": \"Zoë\"}
update|dbc_clerk|alice@example|{\"id\": 2}|{\"full name\": \"Zoë\"}|{\"full name\": \"Zoe\"}
delete|dbc_clerk|-|{\"id\": 1}|{\"n\": 1.5, \"id\": 1, \"ok\": true, \"doc\": {\"a\": 1}, \"full name\": \"before\"}|-"
[ "$got" = "$want" ] || fail "log:
$got
want:
$want"
# one transaction, one xid8
[ "$(q -c "SELECT count(DISTINCT txid) FROM dbcare.audit_log WHERE actor IS NOT NULL")" = 1 ] || fail "txid of one transaction"
[ "$(q -c "SELECT pg_typeof(txid) FROM dbcare.audit_log LIMIT 1")" = xid8 ] || fail "txid type"

# the audited role can neither write nor read the log, nor can PUBLIC
expect_error 'permission denied' -c "SET ROLE dbc_clerk" -c "INSERT INTO dbcare.audit_log (at, txid, db_user, operation, table_name) VALUES (now(), '1', 'x', 'insert', 'x')"
expect_error 'permission denied' -c "SET ROLE dbc_clerk" -c "SELECT count(*) FROM dbcare.audit_log"
expect_error 'permission denied' -c "SET ROLE dbc_clerk" -c "DELETE FROM dbcare.audit_log"
expect_error 'permission denied' -c "SET ROLE dbc_clerk" -c "SELECT dbaudit_enable('nokey')"
[ "$(q -c "SELECT has_table_privilege('public', 'dbcare.audit_log', 'SELECT')")" = f ] || fail "PUBLIC reads the log"

# a column added later is recorded by the same trigger
q -c "ALTER TABLE $T ADD COLUMN \"new col\" text" -c "UPDATE $T SET \"new col\" = 'x' WHERE id = 2" > /dev/null
[ "$(q -c "SELECT new_values::text FROM dbcare.audit_log ORDER BY id DESC LIMIT 1")" = '{"new col": "x"}' ] || fail "added column"

# TRUNCATE is one entry
q -c "TRUNCATE nokey" > /dev/null
[ "$(q -c "SELECT operation || ' ' || table_name FROM dbcare.audit_log ORDER BY id DESC LIMIT 1")" = "truncate public.nokey" ] || fail "truncate"

# reading: history oldest first, the log, the row at a time
[ "$(q -c "SELECT string_agg(operation, ',' ORDER BY id) FROM dbaudit_history('$T', '{\"id\": 2}')")" = "insert,update,update" ] || fail "history"
[ "$(q -c "SELECT count(*) FROM dbaudit_log('$T')")" = 5 ] || fail "log of a table"
[ "$(q -c "SELECT count(*) FROM dbaudit_log(NULL, now() + interval '1 day')")" = 0 ] || fail "log since"
[ "$(q -c "SELECT dbaudit_row_at('$T', '{\"id\": 1}', now() - interval '1 day')")" = "" ] || fail "row before it existed"
[ "$(q -c "SELECT dbaudit_row_at('$T', '{\"id\": 2}', now())::text")" = '{"n": 2, "id": 2, "ok": false, "doc": null, "new col": "x", "full name": "Zoe"}' ] || fail "row at now: $(q -c "SELECT dbaudit_row_at('$T', '{\"id\": 2}', now())::text")"
[ "$(q -c "SELECT \"table\" || ' ' || entries FROM dbaudit_tables() ORDER BY 1")" = "public.$T 5
public.nokey 1" ] || fail "dbaudit_tables: $(q -c "SELECT * FROM dbaudit_tables()")"

# the hash chain: on for tables enabled while audit.hash_chain is on; a
# changed entry and a deleted one are the first broken links reported
q -c "SELECT dbcare_set('audit.hash_chain', 'on')" \
  -c "CREATE TABLE chained (id int PRIMARY KEY, v text)" -c "SELECT dbaudit_enable('chained')" \
  -c "INSERT INTO chained SELECT g, 'v' || g FROM generate_series(1, 5) g" \
  -c "UPDATE chained SET v = 'w' WHERE id = 2" -c "DELETE FROM chained WHERE id = 3" > /dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE hash IS NOT NULL")" = 7 ] || fail "chained entries"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE hash IS NULL AND table_name = 'public.chained'")" = 0 ] || fail "unchained entry"
[ "$(q -c "SELECT checked || ' ' || coalesce(broken_id::text, '-') FROM dbaudit_verify()")" = "7 -" ] || fail "verify: $(q -c "SELECT * FROM dbaudit_verify()")"
changed=$(q -c "SELECT min(id) + 2 FROM dbcare.audit_log WHERE hash IS NOT NULL")
q -c "UPDATE dbcare.audit_log SET new_values = '{\"id\": 3, \"v\": \"forged\"}' WHERE id = $changed" > /dev/null
[ "$(q -c "SELECT broken_id || ' ' || problem FROM dbaudit_verify()")" = "$changed its hash does not match its content: the entry was changed" ] || fail "verify after a change: $(q -c "SELECT * FROM dbaudit_verify()")"
q -c "DELETE FROM dbcare.audit_log WHERE id = $changed" > /dev/null
[ "$(q -c "SELECT broken_id FROM dbaudit_verify()")" = "$((changed + 1))" ] || fail "verify after a delete: $(q -c "SELECT * FROM dbaudit_verify()")"
# with the chain off a writer never touches the chain's head row
q -c "SELECT dbcare_set('audit.hash_chain', 'off')" -c "BEGIN" -c "SELECT * FROM dbcare.audit_chain FOR UPDATE" \
  -c "SET LOCAL lock_timeout = '2s'" -c "INSERT INTO nokey VALUES (99, 'x')" -c "COMMIT" > /dev/null ||
  fail "an unchained write waited for the chain"

# disable drops the triggers and keeps the log; the log is dumped
[ "$(q -c "SELECT dbaudit_disable('$T')")" = t ] || fail "disable"
q -c "INSERT INTO $T (id) VALUES (9)" > /dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE key = '{\"id\": 9}'")" = 0 ] || fail "recorded after disable"
"$B/pg_dump" -d "$db" > "$work/dump.sql"
grep -q 'COPY dbcare.audit_log ' "$work/dump.sql" || fail "pg_dump left the log out"
echo ok
