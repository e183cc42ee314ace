#!/usr/bin/env bash
# An audited table's name through its life, as a DBA meets it:
#  1. dbaudit_enable('invoice') once archive.invoice exists too takes the
#     table PostgreSQL itself takes, the first of the caller's search_path
#     (public.invoice by default, archive.invoice after SET search_path);
#  2. a dropped audited table made again under its name is unaudited (its
#     triggers went with it): dbaudit_tables says so, and dbaudit_enable
#     audits it again instead of saying "already audited";
#  3. a renamed audited table (its triggers follow it and still record it)
#     is reported renamed, never dropped.
set -eu
db=dbcare_audit_table_life
. "$(dirname "$0")/lib/pg.sh"
fresh_db

# 1. the name as search_path resolves it
q -c "CREATE SCHEMA archive" \
  -c "CREATE TABLE invoice (id int PRIMARY KEY, total numeric)" \
  -c "CREATE TABLE archive.invoice (id int PRIMARY KEY, total numeric)" >/dev/null
got=$(q -c "SELECT dbaudit_enable('invoice')") || fail "dbaudit_enable('invoice'): $got"
[ "$got" = public.invoice ] || fail "dbaudit_enable('invoice') took $got, want public.invoice"
got=$(q -c "SET search_path = archive, public" -c "SELECT dbaudit_enable('invoice')") ||
  fail "dbaudit_enable('invoice') under search_path archive, public: $got"
[ "$got" = archive.invoice ] || fail "under search_path archive, public: $got"
got=$(q -c "SET search_path = archive, public" -c "INSERT INTO invoice VALUES (1, 10)" \
  -c "SELECT table_name FROM dbaudit_log('invoice')") || fail "dbaudit_log('invoice'): $got"
[ "$got" = archive.invoice ] || fail "dbaudit_log('invoice') under archive, public: $got"
q -c "SELECT dbaudit_disable('archive.invoice')" >/dev/null
# no schema of the path has one: still ambiguous (a third schema)
q -c "CREATE SCHEMA other" -c "CREATE TABLE other.bill (id int)" -c "CREATE TABLE archive.bill (id int)" >/dev/null
out=$(q -c "SELECT dbaudit_enable('bill')" 2>&1) && fail "an ambiguous name off the path was taken: $out"
case "$out" in *'dbcare: table name "bill" is ambiguous'*) ;; *) fail "ambiguous: $out" ;; esac

# 2. dropped and made again
q -c "INSERT INTO invoice VALUES (1, 10)" -c "DROP TABLE invoice" \
  -c "CREATE TABLE invoice (id int PRIMARY KEY, total numeric)" >/dev/null
problem=$(q -c "SELECT problem FROM dbaudit_tables() WHERE \"table\" = 'public.invoice'")
case "$problem" in *"not recording insert, update, delete, truncate"*) ;;
  *) fail "the re-created table is not reported unrecorded: $problem" ;; esac
got=$(q -c "SELECT dbaudit_enable('invoice')" 2>&1) || fail "dbaudit_enable of the re-created table: $got"
[ "$got" = public.invoice ] || fail "re-enable: $got"
q -c "INSERT INTO invoice VALUES (2, 20)" >/dev/null
[ "$(q -c "SELECT count(*) FROM dbaudit_log('invoice') WHERE operation = 'insert'")" = 2 ] ||
  fail "the re-created table's insert was not logged: $(q -c "SELECT * FROM dbaudit_log('invoice')")"
[ "$(q -c "SELECT recording FROM dbaudit_tables() WHERE \"table\" = 'public.invoice'")" = t ] ||
  fail "not recording after dbaudit_enable: $(q -c "SELECT * FROM dbaudit_tables()")"
# enabled and recording: enabling again is still refused
out=$(q -c "SELECT dbaudit_enable('invoice')" 2>&1) && fail "enabled twice: $out"
case "$out" in *"is already audited"*) ;; *) fail "twice: $out" ;; esac

# 3. renamed
q -c "ALTER TABLE invoice RENAME TO bill" -c "INSERT INTO bill VALUES (3, 30)" >/dev/null
problem=$(q -c "SELECT problem FROM dbaudit_tables() WHERE \"table\" = 'public.invoice'")
case "$problem" in "renamed to public.bill since it was enabled"*) ;;
  *) fail "the renamed table is not reported renamed: $problem" ;; esac
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.invoice' AND key = '{\"id\": 3}'")" = 1 ] ||
  fail "the renamed table's change was not recorded"
# dbaudit_disable of the renamed table drops the triggers that followed it
q -c "SELECT dbaudit_disable('public.invoice')" -c "INSERT INTO bill VALUES (4, 40)" >/dev/null
[ "$(q -c "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'bill'::regclass AND NOT tgisinternal")" = 0 ] ||
  fail "dbaudit_disable left the renamed table's audit triggers"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE key = '{\"id\": 4}'")" = 0 ] ||
  fail "the renamed table is still recorded after dbaudit_disable"
echo "ok: audited tables resolve as search_path does; re-created ones are audited again; renamed ones are reported renamed"
