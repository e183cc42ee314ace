#!/usr/bin/env bash
# A file of dbcare 0.3.8 (bookkeeping version 12) with an audit log keeps
# every row's history through its upgrade to the current version. The step
# to 13 makes the log again (AUTOINCREMENT) with the catalogue's columns and
# indexes of today, row_hash and its index included; the step to 17 must
# still hash the entries it copied: a row's history is read through the row
# hash (sqlite/audit/fn_audit.c, row_range), so an entry left without one drops
# out of dbaudit_history and dbaudit_row_at.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/old.db"
q "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
   SELECT dbaudit_enable('t');
   INSERT INTO t VALUES (1, 'a'), (2, 'b');
   UPDATE t SET v = 'a2' WHERE id = 1;" > /dev/null
before=$(q "SELECT count(*) FROM dbaudit_history('t', '{\"id\": 1}')")
[ "$before" = 2 ] || fail "row 1 has $before entries before the upgrade, not 2"
# back to version 12's log: no AUTOINCREMENT, no row_hash, the row index
# on the table's name and key (the log's entries as 0.3.8 wrote them)
sqlite3 -bail "$db" "PRAGMA legacy_alter_table = ON;
  DROP INDEX dbcare_audit_log_row; DROP INDEX dbcare_audit_log_hashed; DROP INDEX dbcare_audit_log_pending;
  CREATE TABLE old_log (id INTEGER PRIMARY KEY, at TEXT NOT NULL, txid INTEGER NOT NULL, db_user TEXT,
    actor TEXT, operation TEXT NOT NULL, table_name TEXT NOT NULL, key TEXT, old_values TEXT,
    new_values TEXT, prev_hash TEXT, hash TEXT);
  INSERT INTO old_log SELECT id, at, txid, db_user, actor, operation, table_name, key, old_values,
    new_values, prev_hash, hash FROM dbcare_audit_log;
  DROP TABLE dbcare_audit_log;
  ALTER TABLE old_log RENAME TO dbcare_audit_log;
  CREATE INDEX dbcare_audit_log_row ON dbcare_audit_log (table_name, key, id);
  UPDATE dbcare_bookkeeping SET version = 12;"
# the first changing call upgrades the file
q "SELECT dbcare_set('health.fragmentation.warn', '31')" > /dev/null
[ "$(sqlite3 "$db" "SELECT version >= 17 FROM dbcare_bookkeeping")" = 1 ] || fail "the file was not upgraded"
unhashed=$(q "SELECT count(*) FROM dbcare_audit_log WHERE row_hash IS NOT dbaudit_row_hash(table_name, key)")
[ "$unhashed" = 0 ] || fail "$unhashed entries copied by the upgrade have no row hash"
after=$(q "SELECT count(*) FROM dbaudit_history('t', '{\"id\": 1}')")
[ "$after" = 2 ] || fail "row 1 has $after entries after the upgrade, not 2: its history lost entries"
[ "$(q "SELECT json_extract(dbaudit_row_at('t', '{\"id\": 1}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), '\$.v')")" = a2 ] ||
  fail "dbaudit_row_at does not rebuild row 1 from its entries"
# written after the upgrade: hashed as written, found with the old ones
q "UPDATE t SET v = 'a3' WHERE id = 1" > /dev/null
[ "$(q "SELECT count(*) FROM dbaudit_history('t', '{\"id\": 1}')")" = 3 ] || fail "a new entry is not in row 1's history"
echo "ok: a version 12 audit log upgraded keeps every row's history (row hashes filled)"
