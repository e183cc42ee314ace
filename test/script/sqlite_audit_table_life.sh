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
echo "ok: SQLite: re-created audited tables are audited again; renamed ones are reported renamed"
