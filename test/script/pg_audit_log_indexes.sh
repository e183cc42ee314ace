#!/usr/bin/env bash
# The log's index entries of a bulk statement (pg/audit/audit_write_index.c): the
# direct path inserts the entries 1,000 at a time (the table access method's
# multi-insert) and the entries of every non-unique B-tree index of the log
# (any its owner adds; the row index is the primary key, unique, maintained
# entry by entry) sorted, 50,000 at a time, after the entries. 60,000 rows cross both bounds and end in partial ones.
# amcheck's heapallindexed proves every entry is in every B-tree index, and
# each index finds what a scan of the log finds; an owner's partial
# expression index gets its entries (its predicate and expression computed
# from each entry); an owner's unique index still fails the statement at
# the entry that breaks it, with nothing recorded; large entries (bounded
# by their bytes, TOASTed) read back whole; an owner's index calling an SQL
# function is planned under the pinned path whatever the writer's path. A
# fresh log's live page range is not summarised by its BRIN index.
set -eu
db=dbcare_audit_log_indexes
. "$(dirname "$0")/lib/pg.sh"
fresh_db
start=$(date +%s)
q -c "CREATE EXTENSION amcheck" \
  -c "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, name text)" > /dev/null
t=$(q -c "SELECT dbaudit_enable('t')")
# the owner's own indexes: a partial expression index (sorted like the row
# index) and a unique one (maintained entry by entry)
q -c "CREATE INDEX owner_updates ON dbcare.audit_log (((key->>'id')::int)) WHERE operation = 'update'" \
  -c "CREATE UNIQUE INDEX owner_once ON dbcare.audit_log (table_name, (key->>'id'), operation)
      WHERE operation = 'insert'" > /dev/null
# a fresh log's live page range is unsummarised (pg/sql/70_audit.sql), so a
# transaction's entries leave its BRIN summary alone: summarising the range
# after an entry summarises one (left as it was found afterwards)
q -c "CREATE TABLE first (id int PRIMARY KEY)" -c "SELECT dbaudit_enable('first')" \
  -c "INSERT INTO first VALUES (1)" > /dev/null
[ "$(q -c "SELECT brin_summarize_range('dbcare.dbcare_audit_log_at', 0)")" = 1 ] ||
  fail "the fresh log's first page range was summarised"
q -c "SELECT brin_desummarize_range('dbcare.dbcare_audit_log_at', 0)" > /dev/null
echo "ok: a fresh log's live page range is unsummarised"
q -c "INSERT INTO t SELECT g, g % 100, 'n' || g FROM generate_series(1, 60000) g" \
  -c "UPDATE t SET v = v + 1 WHERE id % 3 = 0" > /dev/null

got=$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = '$t'")
[ "$got" = 80000 ] || fail "entries: $got (expected 60,000 inserts and 20,000 updates)"
for i in dbcare_audit_log_pkey owner_updates owner_once; do
  q -c "SELECT bt_index_check('dbcare.$i', true)" > /dev/null ||
    fail "amcheck: $i lacks entries of the log or is out of order"
done
echo "ok: every entry in every B-tree index of the log (amcheck, heapallindexed)"

# each index finds what the log holds, read through the index alone
got=$(q -c "SET enable_seqscan = off" -c "SET enable_bitmapscan = off" \
  -c "SELECT count(*) FROM dbcare.audit_log WHERE row_hash IS NOT NULL AND table_name = '$t'" | tail -n 1)
[ "$got" = 80000 ] || fail "the row index finds $got entries"
got=$(q -c "SET enable_seqscan = off" \
  -c "SELECT count(*) FROM dbcare.audit_log WHERE operation = 'update' AND (key->>'id')::int BETWEEN 1 AND 30000" |
  tail -n 1)
[ "$got" = 10000 ] || fail "the owner's partial index finds $got updates of rows 1-30,000"
got=$(q -c "SELECT string_agg(operation, ',' ORDER BY id) FROM dbaudit_history('t', '{\"id\": 59997}')")
[ "$got" = insert,update ] || fail "history of row 59,997: $got"
[ "$(q -c "SELECT count(*) FROM dbaudit_history('t', '{\"id\": 50002}')")" = 1 ] ||
  fail "history of row 50,002 (past the first sorted chunk)"
echo "ok: the row index and the owner's partial expression index find every entry"

# the BRIN index on at takes a writer's first entry in each page range alone
# (the others repeat its value). Entries of even rows deleted and the log
# vacuumed, every range summarized: the next statement's entries fill the
# freed space of several summarized ranges, and each must be widened
q -c "DELETE FROM dbcare.audit_log WHERE table_name = '$t' AND (key->>'id')::int BETWEEN 2000 AND 60000
        AND (key->>'id')::int % 2 = 0" > /dev/null
q -c "VACUUM dbcare.audit_log" > /dev/null
q -c "SELECT brin_summarize_new_values('dbcare.dbcare_audit_log_at')" \
  -c "INSERT INTO t SELECT g, 0, 'brin' FROM generate_series(300001, 310000) g" \
  -c "SELECT brin_summarize_new_values('dbcare.dbcare_audit_log_at')" > /dev/null
at_of="SELECT at FROM dbcare.audit_log WHERE key = '{\"id\": 300001}'"
plan=$(q -c "SET enable_seqscan = off" -c "SET enable_indexscan = off" \
  -c "EXPLAIN SELECT count(*) FROM dbcare.audit_log WHERE at = ($at_of)")
grep -q 'Bitmap Index Scan on dbcare_audit_log_at' <<<"$plan" || fail "not read through the BRIN index: $plan"
got=$(q -c "SET enable_seqscan = off" -c "SET enable_indexscan = off" \
  -c "SELECT count(*) FROM dbcare.audit_log WHERE at = ($at_of)" | tail -n 1)
[ "$got" = 10000 ] || fail "the BRIN index on at finds $got of the statement's 10,000 entries"
echo "ok: the BRIN index on at finds every entry of a statement, in ranges summarized before it"

# the unique index still checks each entry: rows 1,000-1,999 deleted and
# inserted again, their insert entries a second time
q -c "DELETE FROM t WHERE id BETWEEN 1000 AND 1999" > /dev/null
before=$(q -c "SELECT count(*) FROM dbcare.audit_log")
if out=$(q -c "INSERT INTO t SELECT g, 0, 'again' FROM generate_series(1000, 1999) g" 2>&1); then
  fail "an entry breaking the owner's unique index was written"
fi
grep -q 'owner_once' <<<"$out" || fail "not the unique index's error: $out"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log")" = "$before" ] || fail "entries of the failed statement stayed"
q -c "SELECT bt_index_check('dbcare.dbcare_audit_log_pkey', true)" > /dev/null ||
  fail "amcheck after the failed statement"
echo "ok: the owner's unique index fails the statement whole"
# large entries: buffered by their bytes as well (64kB of JSON), TOASTed
# when inserted, read back whole
q -c "INSERT INTO t SELECT 100000 + g, g, repeat(md5(g::text), 10000) FROM generate_series(1, 40) g" > /dev/null
got=$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = '$t' AND (key->>'id')::int > 100000
  AND length(new_values->>'name') = 320000 AND new_values->>'name' = repeat(md5((new_values->>'v')), 10000)")
[ "$got" = 40 ] || fail "$got of 40 large entries read back whole"
# a one-row statement's entry goes into every index at once (no sort)
q -c "UPDATE t SET v = -1 WHERE id = 100001" > /dev/null
for i in dbcare_audit_log_pkey owner_updates; do
  q -c "SELECT bt_index_check('dbcare.$i', true)" > /dev/null ||
    fail "amcheck of $i after the large entries and a one-row update"
done
got=$(q -c "SET enable_seqscan = off" -c "SET enable_bitmapscan = off" \
  -c "SELECT count(*) FROM dbcare.audit_log WHERE operation = 'update' AND (key->>'id')::int = 100001" |
  tail -n 1)
[ "$got" = 1 ] || fail "the owner's partial index finds $got updates of row 100,001"
echo "ok: large entries written whole (TOASTed); a small statement's entries indexed at once"

# An owner's index whose expression calls an SQL function: a backend that
# first opens the log's indexes under a writer's search_path that finds a
# planted "->>" first must still plan the function's body under the pinned
# path (the trigger function has no SET clause). Each q is a new backend.
q -c "CREATE FUNCTION dbcare.owner_entry_id(jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$SELECT \$1->>'id'\$\$" \
  -c "CREATE INDEX owner_fn ON dbcare.audit_log (dbcare.owner_entry_id(key))" \
  -c "CREATE FUNCTION public.planted_get(jsonb, text) RETURNS text LANGUAGE plpgsql IMMUTABLE
        AS \$\$BEGIN RAISE EXCEPTION 'planted operator ran'; END\$\$" \
  -c "CREATE OPERATOR public.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = public.planted_get)" > /dev/null
out=$(q -c "SET search_path = public, pg_catalog" -c "INSERT INTO t VALUES (200001, 1, 'hostile')" 2>&1) ||
  fail "an audited INSERT under a planted path planned the owner's index with it: $out"
q -c "DROP OPERATOR public.->> (jsonb, text)" -c "DROP FUNCTION public.planted_get(jsonb, text)" > /dev/null
got=$(q -c "SET enable_seqscan = off" -c "SET enable_bitmapscan = off" \
  -c "SELECT count(*) FROM dbcare.audit_log WHERE dbcare.owner_entry_id(key) = '200001'" | tail -n 1)
[ "$got" = 1 ] || fail "the owner's function index finds $got entries of row 200,001"
echo "ok: an owner's function index is planned under the pinned path, not a writer's planted one"
echo "pg_audit_log_indexes: $(($(date +%s) - start)) s"
