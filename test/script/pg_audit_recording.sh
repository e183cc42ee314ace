#!/usr/bin/env bash
# Switching auditing off behind dbcare's back shows (issue 36, item 3):
# ALTER TABLE ... DISABLE TRIGGER USER, DISABLE TRIGGER ALL, DISABLE TRIGGER
# of one dbcare trigger by name, ENABLE REPLICA TRIGGER (fires only under
# session_replication_role = replica), DROP TRIGGER, and disabling the clone
# of a partitioned table's trigger on one partition (and not ALTER TABLE
# ONLY on the partitioned table, whose leaves still record): dbaudit_tables
# says the table is not recording and why, and the health check "audit"
# names it.
# Each change is shown to lose entries, so the report is about a real loss;
# enabling the triggers again (or dbaudit_refresh) returns to ok.
set -eu
db=dbcare_audit_recording
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE acct (id int PRIMARY KEY, v int)" -c "SELECT dbaudit_enable('acct')" \
  -c "CREATE TABLE other (id int PRIMARY KEY)" -c "SELECT dbaudit_enable('other')" > /dev/null
state() { q -c "SELECT recording || ' ' || coalesce(problem, '-') FROM dbaudit_tables() WHERE \"table\" = 'public.acct'"; }
health() { q -c "SELECT status || ' ' || coalesce(message, '') FROM dbhealth_checks('quick') WHERE name = 'audit'"; }
entries() { q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.acct'"; }
ok_now() {
  [ "$(state)" = "true -" ] || fail "$1: dbaudit_tables: $(state)"
  [ "$(health)" = "ok every audited table is recorded in full" ] || fail "$1: health: $(health)"
}
# expect WHAT PROBLEM: dbaudit_tables and the health check say PROBLEM
expect() {
  [ "$(state)" = "false $2" ] || fail "$1: dbaudit_tables:
$(state)
want: false $2"
  [ "$(health)" = "warning 1 audited table out of step with its triggers: public.acct ($2)" ] ||
    fail "$1: health: $(health)"
}
ok_now "enabled"
q -c "INSERT INTO acct VALUES (1, 1)" > /dev/null
[ "$(entries)" = 1 ] || fail "the insert was not recorded"

all="not recording insert, update, delete, truncate: its audit triggers are disabled"
# the owner's DISABLE TRIGGER USER: nothing is recorded any more
q -c "ALTER TABLE acct DISABLE TRIGGER USER" -c "INSERT INTO acct VALUES (2, 2)" > /dev/null
[ "$(entries)" = 1 ] || fail "a disabled trigger recorded"
expect "DISABLE TRIGGER USER" "$all"
q -c "ALTER TABLE acct ENABLE TRIGGER USER" > /dev/null
ok_now "ENABLE TRIGGER USER"

# DISABLE TRIGGER ALL (a superuser's: it takes the system triggers too)
q -c "ALTER TABLE acct DISABLE TRIGGER ALL" > /dev/null
expect "DISABLE TRIGGER ALL" "$all"
q -c "ALTER TABLE acct ENABLE TRIGGER ALL" > /dev/null
ok_now "ENABLE TRIGGER ALL"

# one of dbcare's triggers by name
q -c "ALTER TABLE acct DISABLE TRIGGER dbcare_audit_update" -c "UPDATE acct SET v = 3" > /dev/null
[ "$(entries)" = 1 ] || fail "the disabled update trigger recorded"
expect "DISABLE TRIGGER dbcare_audit_update" "not recording update: its audit trigger is disabled"
q -c "ALTER TABLE acct ENABLE TRIGGER dbcare_audit_update" > /dev/null
ok_now "ENABLE TRIGGER dbcare_audit_update"

# ENABLE REPLICA: fires only under session_replication_role = replica, so
# not in ordinary sessions; ENABLE ALWAYS fires in both
q -c "ALTER TABLE acct ENABLE REPLICA TRIGGER dbcare_audit_delete" -c "DELETE FROM acct WHERE id = 2" > /dev/null
[ "$(entries)" = 1 ] || fail "the replica trigger recorded in an ordinary session"
expect "ENABLE REPLICA TRIGGER" \
  "not recording delete: its audit trigger fires only under session_replication_role = replica"
q -c "ALTER TABLE acct ENABLE ALWAYS TRIGGER dbcare_audit_delete" > /dev/null
ok_now "ENABLE ALWAYS TRIGGER"

# DROP TRIGGER of one, then of all; dbaudit_refresh makes them again
q -c "DROP TRIGGER dbcare_audit_insert ON acct" -c "INSERT INTO acct VALUES (4, 4)" > /dev/null
[ "$(entries)" = 1 ] || fail "a dropped trigger recorded"
expect "DROP TRIGGER dbcare_audit_insert" "not recording insert: its audit trigger was dropped"
q -c "DROP TRIGGER dbcare_audit_update ON acct" -c "DROP TRIGGER dbcare_audit_delete ON acct" \
  -c "DROP TRIGGER dbcare_audit_truncate ON acct" > /dev/null
expect "DROP TRIGGER (all)" "not recording insert, update, delete, truncate: its audit triggers were dropped"
# a disabled trigger and a dropped one at once: both said
q -c "SELECT dbaudit_refresh('acct')" -c "DROP TRIGGER dbcare_audit_insert ON acct" \
  -c "ALTER TABLE acct DISABLE TRIGGER dbcare_audit_truncate" > /dev/null
expect "dropped and disabled" \
  "not recording insert: its audit trigger was dropped; not recording truncate: its audit trigger is disabled"
q -c "SELECT dbaudit_refresh('acct')" -c "INSERT INTO acct VALUES (5, 5)" > /dev/null
[ "$(entries)" = 2 ] || fail "refresh did not resume recording"
ok_now "dbaudit_refresh"

# a partitioned table: its row trigger's clone disabled on one partition
q -c "CREATE TABLE p (id int PRIMARY KEY, v int) PARTITION BY RANGE (id)" \
  -c "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100)" \
  -c "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (100) TO (200)" -c "SELECT dbaudit_enable('p')" \
  -c "ALTER TABLE p1 DISABLE TRIGGER USER" -c "INSERT INTO p VALUES (1, 1), (101, 1)" > /dev/null
[ "$(q -c "SELECT string_agg(key->>'id', ',') FROM dbcare.audit_log WHERE table_name = 'public.p'")" = 101 ] ||
  fail "partition entries"
want="not recording the rows of partition public.p1: its clone of the audit trigger does not fire in ordinary sessions (disabled)"
[ "$(q -c "SELECT recording || ' ' || problem FROM dbaudit_tables() WHERE \"table\" = 'public.p'")" = "false $want" ] ||
  fail "partition: $(q -c "SELECT * FROM dbaudit_tables() WHERE \"table\" = 'public.p'")"
[ "$(health)" = "warning 1 audited table out of step with its triggers: public.p ($want)" ] || fail "partition health: $(health)"
q -c "ALTER TABLE p1 ENABLE TRIGGER USER" > /dev/null
[ "$(health)" = "ok every audited table is recorded in full" ] || fail "partition enabled again: $(health)"
# the clone on p1 fires only for replicas: said so (not "disabled")
clone=$(q -c "SELECT pg_catalog.quote_ident(tgname) FROM pg_trigger WHERE tgrelid = 'p1'::regclass AND tgparentid <> 0")
before=$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.p'")
q -c "ALTER TABLE p1 ENABLE REPLICA TRIGGER $clone" -c "INSERT INTO p VALUES (3, 1)" > /dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.p'")" = "$before" ] ||
  fail "the replica clone recorded in an ordinary session"
want="not recording the rows of partition public.p1: its clone of the audit trigger does not fire in ordinary sessions (it fires only under session_replication_role = replica)"
[ "$(q -c "SELECT recording || ' ' || problem FROM dbaudit_tables() WHERE \"table\" = 'public.p'")" = "false $want" ] ||
  fail "replica clone: $(q -c "SELECT problem FROM dbaudit_tables() WHERE \"table\" = 'public.p'")"
q -c "ALTER TABLE p1 ENABLE TRIGGER $clone" > /dev/null

# ALTER TABLE ONLY p DISABLE TRIGGER: the partitioned table's own row-level
# trigger never fires (its clones on the leaves do, and stay enabled), so
# its rows are still recorded and only TRUNCATE p is not; the same on a
# sub-partitioned partition in between says nothing. A partition made now
# gets a disabled clone: then its rows are the ones not recorded.
pstate() { q -c "SELECT recording || ' ' || coalesce(problem, '-') FROM dbaudit_tables() WHERE \"table\" = 'public.p'"; }
pcount() { q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.p'"; }
q -c "CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (200) TO (400) PARTITION BY RANGE (id)" \
  -c "CREATE TABLE p31 PARTITION OF p3 FOR VALUES FROM (200) TO (300)" > /dev/null
before=$(pcount)
q -c "ALTER TABLE ONLY p DISABLE TRIGGER USER" -c "ALTER TABLE ONLY p3 DISABLE TRIGGER USER" \
  -c "INSERT INTO p VALUES (2, 1), (201, 1)" > /dev/null
[ "$(pcount)" = $((before + 2)) ] || fail "ONLY p disabled: the rows were not recorded"
[ "$(pstate)" = "false not recording truncate: its audit trigger is disabled" ] ||
  fail "ONLY p disabled: $(pstate)"
q -c "CREATE TABLE p32 PARTITION OF p3 FOR VALUES FROM (300) TO (400)" \
  -c "CREATE TABLE p4 PARTITION OF p FOR VALUES FROM (400) TO (500)" -c "INSERT INTO p VALUES (401, 1)" > /dev/null
[ "$(pcount)" = $((before + 2)) ] || fail "the new partition's disabled clone recorded"
[ "$(pstate)" = "false not recording truncate: its audit trigger is disabled; not recording the rows of partition public.p32, public.p4: its clone of the audit trigger does not fire in ordinary sessions (disabled)" ] ||
  fail "new partitions of a disabled parent: $(pstate)"
q -c "ALTER TABLE p ENABLE TRIGGER USER" > /dev/null
[ "$(health)" = "ok every audited table is recorded in full" ] || fail "p enabled again: $(health)"
[ "$(q -c "SELECT count(*) FROM dbaudit_tables() WHERE NOT recording OR problem IS NOT NULL")" = 0 ] || fail "all recording"
echo "ok: disabled, replica-only and dropped audit triggers are reported"
