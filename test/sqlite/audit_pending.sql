-- Entries written without dbcare's functions (sqlite/audit/audit_pending.c;
-- docs/audit.md, "Connections without dbcare"), run under the golden
-- suite's sanitizers: dbaudit_decode of every value type and its errors,
-- and the completion paths. Dropping this connection's TEMP trigger makes
-- its writes pending, as a connection without dbcare writes them (with
-- the TEMP triggers writing its entries finished: audit_direct.c); naming
-- the actor makes the trigger again, and the next write completes the older
-- pending entries in id order (dbaudit_complete) before its own.
.mode list
SELECT dbaudit_decode(NULL, NULL);
SELECT dbaudit_decode('{"already":1}', NULL);
SELECT dbaudit_decode('P{}', NULL);
SELECT dbaudit_decode('P{"i":i-9223372036854775808,"r":r0.1,"big":r1.0e+300,"inf":rInf,"ninf":r-Inf,"t":t61225C0A00,"b":b00FF,"n":n}', NULL);
SELECT dbaudit_decode('C{"a":i1,"b":r1.0,"c":t61,"d":n,"e":b01}', 'C{"a":r1.0,"b":i2,"c":b61,"d":n,"e":b01}');
SELECT dbaudit_decode('P{"a":x1}', NULL);
SELECT dbaudit_decode('P{"a":i1', NULL);
SELECT dbaudit_decode('C{"a":i1}', 'P{"a":i1}');
SELECT dbaudit_decode('C{"a":i1}', 'C{"b":i1}');
CREATE TABLE t (id INTEGER PRIMARY KEY, v);
CREATE TABLE k (name TEXT PRIMARY KEY, v);
-- not the rowid's column (PRIMARY KEY DESC): its values are typed in the
-- pending form like any column's, where t's id needs no test
CREATE TABLE d (id INTEGER PRIMARY KEY DESC, v);
SELECT dbaudit_enable('t', '{"hash_chain": true}');
SELECT dbaudit_enable('k');
SELECT dbaudit_enable('d');
DROP TRIGGER temp.dbcare_audit_complete;
DROP TRIGGER temp.dbcare_direct_insert_t;
DROP TRIGGER temp.dbcare_direct_update_t;
DROP TRIGGER temp.dbcare_direct_delete_t;
DROP TRIGGER temp.dbcare_direct_insert_k;
DROP TRIGGER temp.dbcare_direct_update_k;
DROP TRIGGER temp.dbcare_direct_delete_k;
DROP TRIGGER temp.dbcare_direct_insert_d;
INSERT INTO t VALUES (1, 'a'), (2, x'0102');
INSERT INTO d VALUES ('x', 1), (7, 2);
SELECT key, new_values FROM dbcare_audit_log WHERE table_name = 'd' ORDER BY id;
UPDATE t SET v = 2.5 WHERE id = 1;
INSERT INTO k VALUES ('x', 1);
SELECT id, txid, operation, key, old_values, new_values, hash IS NULL FROM dbcare_audit_log ORDER BY id;
SELECT dbaudit_actor('ann');
INSERT INTO t VALUES (3, 'c');
SELECT id, txid > 0, actor, operation, key, old_values, new_values, hash IS NULL FROM dbcare_audit_log ORDER BY id;
SELECT count(DISTINCT txid) FROM dbcare_audit_log WHERE id <= 2;
SELECT checked, broken_id, problem FROM dbaudit_verify();
DROP TRIGGER temp.dbcare_audit_complete;
DELETE FROM k;
SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0;
SELECT operation, key, old_values FROM dbaudit_history('k', '{"name": "x"}');
SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0;
