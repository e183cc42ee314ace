#!/usr/bin/env bash
# The log's row index on a 64-bit hash of table and key (bookkeeping 17,
# issue 54): every writer stores the hash of the entry's stored key (the
# module's TEMP triggers, the baseline, the completion of entries written
# without dbcare, text and composite keys among them); readers find a row's
# entries by it and stay exact when another row's entries share the hash,
# and on a read-only file still see the entries left pending; a log as
# version 16 left it (its (table_name, key) index, no row_hash) is upgraded
# keeping its entries and chain.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

# a log written by every kind of writer
db="$work/rh.db"
q "SELECT dbcare_set('audit.hash_chain', 'on');
   CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
   CREATE TABLE u (a TEXT, b INTEGER, v TEXT, PRIMARY KEY (a, b));
   INSERT INTO u VALUES ('x', 1, 'before');
   SELECT dbaudit_enable('t');
   SELECT dbaudit_enable('u', '{\"baseline\": true}');
   INSERT INTO t VALUES (1, 'a'), (2, 'b'); UPDATE t SET v = 'B' WHERE id = 2;
   UPDATE u SET v = 'after' WHERE a = 'x';" >/dev/null
# without dbcare: pending entries, an integer key and a text one
sqlite3 "$db" "INSERT INTO t VALUES (3, 'c'); UPDATE u SET v = 'later' WHERE a = 'x'; DELETE FROM t WHERE id = 1"
pending=$(sqlite3 "$db" "SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0")
[ "$pending" = 3 ] || fail "expected 3 pending entries, found $pending"

# read-only: the pending entries are seen as written (an integer key's is final)
ro() { sqlite3 -batch -readonly -cmd ".load $module" "$db" "$@"; }
[ "$(ro "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 3}')")" = insert ] ||
  fail "a read-only reader misses the pending entry: $(ro "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 3}')")"
[ "$(ro "SELECT count(*) FROM dbaudit_log('t')")" = 5 ] ||
  fail "dbaudit_log('t') on a read-only file: $(ro "SELECT count(*) FROM dbaudit_log('t')")"

# a writer completes them; every entry then carries its key's hash
q "INSERT INTO t VALUES (4, 'd')" >/dev/null
bad=$(q "SELECT group_concat(id) FROM dbcare_audit_log
         WHERE row_hash IS NOT dbaudit_row_hash(table_name, key) OR txid <= 0")
[ -z "$bad" ] || fail "entries without their row hash: $bad"
[ "$(q "SELECT count(DISTINCT row_hash) FROM dbcare_audit_log WHERE table_name = 'u'")" = 1 ] ||
  fail "the entries of u's one row have several row hashes"
[ "$(q "SELECT group_concat(operation) FROM dbaudit_history('u', '{\"b\": 1, \"a\": \"x\"}')")" = snapshot,update,update ] ||
  fail "u's history: $(q "SELECT group_concat(operation) FROM dbaudit_history('u', '{\"b\": 1, \"a\": \"x\"}')")"
[ "$(q "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 1}')")" = insert,delete ] ||
  fail "t's row 1: $(q "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 1}')")"
[ "$(q "SELECT json_extract(dbaudit_row_at('u', '{\"a\": \"x\", \"b\": 1}', '2999-01-01'), '\$.v')")" = later ] ||
  fail "row_at of u: $(q "SELECT dbaudit_row_at('u', '{\"a\": \"x\", \"b\": 1}', '2999-01-01')")"
# the documented definition: a key of one integer keeps it as the low half
# (the writers' pairs form and the readers' text form agree), others hash
[ "$(q "SELECT dbaudit_row_hash('t', '{\"id\":42}') & 4294967295,
               dbaudit_row_hash('t', NULL, 'id', 42) = dbaudit_row_hash('t', '{\"id\":42}'),
               dbaudit_row_hash('t', NULL, 'a', 'x', 'b', 1) = dbaudit_row_hash('t', '{\"a\":\"x\",\"b\":1}'),
               dbaudit_row_hash('t', '{\"a\":\"7\"}') & 4294967295 <> 7,
               dbaudit_row_hash('t', '{\"a:\\\"x\":7}') & 4294967295")" = "42|1|1|1|7" ] ||
  fail "dbaudit_row_hash's definition"
# the pairs form of one integer (not built as text) hashes what the text
# dbaudit_json writes hashes, at the integer's edges and with any name
bad=$(q "WITH v(i) AS (VALUES (0), (-1), (7), (4294967295), (4294967296), (-4294967297),
                              (9223372036854775807), (-9223372036854775808)),
              n(name) AS (VALUES ('id'), ('a\"b'), (''), ('x' || char(10) || 'y'))
         SELECT count(*) FROM v, n WHERE dbaudit_row_hash('t', NULL, name, i)
           IS NOT dbaudit_row_hash('t', dbaudit_json(NULL, name, i))")
[ "$bad" = 0 ] || fail "the integer pairs form differs from the key's text: $bad"
# the index is the one the readers seek
[ "$(q "SELECT name FROM pragma_index_info('dbcare_audit_log_row')")" = row_hash ] ||
  fail "the row index: $(q "SELECT group_concat(name) FROM pragma_index_info('dbcare_audit_log_row')")"

# another row's entries under the same hash (a collision): readers stay exact
q "UPDATE dbcare_audit_log SET row_hash = dbaudit_row_hash('t', '{\"id\":2}')
   WHERE key = '{\"id\":4}'" >/dev/null
[ "$(q "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 2}')")" = insert,update ] ||
  fail "a colliding row's entries in the history: $(q "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 2}')")"
[ "$(q "SELECT dbaudit_row_at('t', '{\"id\": 2}', '2999-01-01')")" = '{"id":2,"v":"B"}' ] ||
  fail "row_at with a colliding row: $(q "SELECT dbaudit_row_at('t', '{\"id\": 2}', '2999-01-01')")"
[ "$(q "SELECT checked, broken_id IS NULL FROM dbaudit_verify()")" = "$(q "SELECT count(*) FROM dbcare_audit_log")|1" ] ||
  fail "the chain: $(q "SELECT * FROM dbaudit_verify()")"

# --- version 16: the log as main wrote it, its index on (table_name, key)
before=$(q "SELECT group_concat(id || hash, ',') FROM dbcare_audit_log")
sqlite3 "$db" "
  DROP INDEX dbcare_audit_log_row;
  ALTER TABLE dbcare_audit_log DROP COLUMN row_hash;
  CREATE INDEX dbcare_audit_log_row ON dbcare_audit_log (table_name, key);
  UPDATE dbcare_bookkeeping SET version = 16;"
# a reader of the old layout on a read-only connection still reads it
[ "$(ro "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 2}')")" = insert,update ] ||
  fail "a read-only reader of a version 16 file: $(ro "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 2}')")"
sqlite3 "$db" "INSERT INTO t VALUES (5, 'e')" # pending, in the old layout
# a connection with this dbcare writes the old log as it is, completed
q "INSERT INTO t VALUES (6, 'f')" >/dev/null
[ "$(sqlite3 "$db" "SELECT txid > 0 FROM dbcare_audit_log WHERE key = '{\"id\":6}'")" = 1 ] ||
  fail "the entry written on the version 16 log: $(sqlite3 "$db" "SELECT * FROM dbcare_audit_log WHERE key = '{\"id\":6}'")"
# its next changing call upgrades the file; its next write goes direct
q "SELECT dbcare_set('audit.hash_chain', 'on'); INSERT INTO t VALUES (7, 'g')" >/dev/null
db="$work/fresh.db" q "CREATE TABLE f (id INTEGER PRIMARY KEY); SELECT dbaudit_enable('f')" >/dev/null
current=$(sqlite3 "$work/fresh.db" "SELECT version FROM dbcare_bookkeeping")
[ "$current" -ge 17 ] || fail "a fresh file is at version $current"
[ "$(q "SELECT version FROM dbcare_bookkeeping")" = "$current" ] || fail "not upgraded to $current"
[ "$(q "SELECT name FROM pragma_index_info('dbcare_audit_log_row')")" = row_hash ] ||
  fail "the upgraded row index: $(q "SELECT group_concat(name) FROM pragma_index_info('dbcare_audit_log_row')")"
[ "$(q "SELECT sql FROM sqlite_schema WHERE name = 'dbcare_audit_log'")" = \
  "$(sqlite3 "$work/fresh.db" "SELECT sql FROM sqlite_schema WHERE name = 'dbcare_audit_log'")" ] ||
  fail "the upgraded log is not a fresh one: $(q "SELECT sql FROM sqlite_schema WHERE name = 'dbcare_audit_log'")"
[ "$(q "SELECT substr(group_concat(id || hash, ','), 1, length('$before')) FROM dbcare_audit_log")" = "$before" ] ||
  fail "the upgrade changed the entries"
bad=$(q "SELECT group_concat(id) FROM dbcare_audit_log WHERE row_hash IS NOT dbaudit_row_hash(table_name, key)")
[ -z "$bad" ] || fail "upgraded entries without their row hash: $bad"
[ "$(q "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 5}')")" = insert ] ||
  fail "the entry left pending in the old layout: $(q "SELECT group_concat(operation) FROM dbaudit_history('t', '{\"id\": 5}')")"
[ "$(q "SELECT broken_id IS NULL FROM dbaudit_verify()")" = 1 ] || fail "the upgraded chain: $(q "SELECT * FROM dbaudit_verify()")"
echo ok
