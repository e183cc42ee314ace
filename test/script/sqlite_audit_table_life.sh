#!/usr/bin/env bash
# An audited SQLite table's name through its life, as PostgreSQL's
# (pg_audit_table_life.sh): a dropped audited table made again under its
# name has no trigger left (they went with it): dbaudit_tables says so and
# dbaudit_enable audits it again instead of saying "already audited"; a
# renamed audited table (its triggers follow it and still record it) is
# reported renamed, never dropped.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/life.db"
state() { q "SELECT recording || ' ' || coalesce(problem, '-') FROM dbaudit_tables WHERE \"table\" = 'invoice'"; }
q "CREATE TABLE invoice (id INTEGER PRIMARY KEY, total NUMERIC); SELECT dbaudit_enable('invoice');
   INSERT INTO invoice VALUES (1, 10);
   DROP TABLE invoice; CREATE TABLE invoice (id INTEGER PRIMARY KEY, total NUMERIC);" >/dev/null
case "$(state)" in "0 not recording insert, update, delete"*) ;; *) fail "re-created: $(state)" ;; esac
got=$(q "SELECT dbaudit_enable('invoice');" 2>&1) || fail "dbaudit_enable of the re-created table: $got"
[ "$got" = invoice ] || fail "re-enable: $got"
q "INSERT INTO invoice VALUES (2, 20);" >/dev/null
[ "$(q "SELECT count(*) FROM dbaudit_log('invoice') WHERE operation = 'insert'")" = 2 ] ||
  fail "the re-created table's insert was not logged"
[ "$(state)" = "1 -" ] || fail "after dbaudit_enable: $(state)"
out=$(q "SELECT dbaudit_enable('invoice');" 2>&1) && fail "enabled twice: $out"
case "$out" in *"is already audited"*) ;; *) fail "twice: $out" ;; esac

q "ALTER TABLE invoice RENAME TO bill; INSERT INTO bill VALUES (3, 30);" >/dev/null
case "$(state)" in "0 renamed to bill since it was enabled"*) ;; *) fail "renamed: $(state)" ;; esac
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'invoice' AND key = '{\"id\":3}'")" = 1 ] ||
  fail "the renamed table's change was not recorded: $(q "SELECT table_name, key FROM dbcare_audit_log")"

# a foreign-key action into a hash-chained audited table (foreign_keys on):
# the action runs its triggers with ABORT for conflicts, and linking the
# entry failed on the chain's head ("UNIQUE constraint failed:
# dbcare_audit_chain.chain"); the delete, its SET NULL and both entries
# now go through, and the chain verifies
db="$work/chain.db"
q "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p ON DELETE SET NULL);
   INSERT INTO p VALUES (1), (2), (3); INSERT INTO c VALUES (1, 1), (2, 2), (3, 3);
   SELECT dbcare_set('audit.hash_chain', 'on'); SELECT dbaudit_enable('p'); SELECT dbaudit_enable('c');" >/dev/null
got=$(q -cmd "PRAGMA foreign_keys = ON" "DELETE FROM p WHERE id <= 2;
  SELECT group_concat(table_name || ':' || operation, ',') FROM (SELECT * FROM dbcare_audit_log ORDER BY id);" 2>&1) ||
  fail "a SET NULL into a hash-chained table: $got"
case "$got" in *p:delete*c:update*c:update*|*c:update*p:delete*) ;; *) fail "entries: $got" ;; esac
[ "$(q "SELECT count(*) FROM c WHERE p IS NULL;")" = 2 ] || fail "the SET NULL did not happen"
[ "$(q "SELECT checked || '|' || ifnull(broken_id, '') FROM dbaudit_verify;")" = "4|" ] ||
  fail "dbaudit_verify: $(q "SELECT * FROM dbaudit_verify;")"
echo "ok: SQLite: re-created audited tables are audited again; renamed ones are reported renamed; foreign-key actions into chained tables are recorded"
