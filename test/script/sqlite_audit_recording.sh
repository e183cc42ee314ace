#!/usr/bin/env bash
# A dropped audit trigger shows on SQLite (issue 36, item 3): SQLite has no
# disabled trigger, so DROP TRIGGER is how auditing is switched off behind
# dbcare's back. dbaudit_tables says the table is not recording and why, in
# the words PostgreSQL uses for the same fact, and the health check "audit"
# names it; the change is shown to go unrecorded; dbaudit_refresh returns to
# ok.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/rec.db"
q "CREATE TABLE acct (id INTEGER PRIMARY KEY, v INTEGER); SELECT dbaudit_enable('acct');
   CREATE TABLE other (id INTEGER PRIMARY KEY); SELECT dbaudit_enable('other');" > /dev/null
state() { q "SELECT recording || ' ' || coalesce(problem, '-') FROM dbaudit_tables WHERE \"table\" = 'acct'"; }
health() { q "SELECT status || ' ' || coalesce(message, '') FROM dbhealth_checks('quick') WHERE name = 'audit'"; }
entries() { q "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'acct'"; }
ok_now() {
  [ "$(state)" = "1 -" ] || fail "$1: dbaudit_tables: $(state)"
  [ "$(health)" = "ok every audited table is recorded in full" ] || fail "$1: health: $(health)"
}
expect() {
  [ "$(state)" = "0 $2" ] || fail "$1: dbaudit_tables:
$(state)
want: 0 $2"
  [ "$(health)" = "warning 1 audited table out of step with its triggers: acct ($2)" ] ||
    fail "$1: health: $(health)"
}
ok_now "enabled"
q "INSERT INTO acct VALUES (1, 1)"
[ "$(entries)" = 1 ] || fail "the insert was not recorded"

q "DROP TRIGGER dbcare_audit_update_acct; UPDATE acct SET v = 2"
[ "$(entries)" = 1 ] || fail "a dropped trigger recorded"
expect "DROP TRIGGER (update)" "not recording update: its audit trigger was dropped"
q "DROP TRIGGER dbcare_audit_insert_acct; DROP TRIGGER dbcare_audit_delete_acct"
expect "DROP TRIGGER (all)" "not recording insert, update, delete: its audit triggers were dropped"
# a column added as well: both said
q "ALTER TABLE acct ADD COLUMN w INTEGER"
expect "dropped and a new column" \
  "not recording insert, update, delete: its audit triggers were dropped; its columns changed since its triggers were made"
[ "$(q "SELECT dbaudit_refresh('acct')")" = 1 ] || fail "refresh"
q "DELETE FROM acct"
[ "$(entries)" = 2 ] || fail "refresh did not resume recording"
ok_now "dbaudit_refresh"
# the pending view a shared trigger writes through (bookkeeping 22), dropped
q "DROP VIEW dbcare_audit_pending_delete_acct"
expect "DROP VIEW (delete)" "not recording delete: its audit trigger was dropped"
[ "$(q "SELECT dbaudit_refresh('acct')")" = 1 ] || fail "refresh after DROP VIEW"
ok_now "dbaudit_refresh after DROP VIEW"
[ "$(q "SELECT count(*) FROM dbaudit_tables WHERE NOT recording OR problem IS NOT NULL")" = 0 ] || fail "all recording"
echo "ok: a dropped audit trigger is reported"
