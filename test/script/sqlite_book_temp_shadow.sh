#!/usr/bin/env bash
# A TEMP table named like a bookkeeping table (dbcare_config,
# dbcare_retain_policies, ...) comes first for an unqualified name on its
# connection: SQLite looks in temp before main. An application's scratch
# table, or code that wants dbcare to act otherwise, must not change what
# dbcare reads or where it writes (docs/security.md, "Bookkeeping"). Every
# bookkeeping table is shadowed here by a TEMP copy with forged rows (a
# batch size of a million, a policy keeping nothing, a key of its own), then
# on that connection:
#  - dbcare_get and dbcare_settings give main's values; dbcare_set writes main;
#  - dbretain_apply takes main's batch size and main's policy (100 rows of
#    300 due, none of the 100 new ones);
#  - dbhealth_snapshot, dbaudit_enable and an audited write land in main;
#  - not one row of a TEMP copy changed;
#  - TEMP views (one dropping what is inserted into it) change nothing either.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db=$work/shadow.db
q <<'SQL' >/dev/null
CREATE TABLE ev (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
CREATE INDEX ev_at ON ev (at);
CREATE TABLE acct (id INTEGER PRIMARY KEY, owner TEXT);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 400)
INSERT INTO ev SELECT i, CASE WHEN i <= 300 THEN datetime('now', '-3 years')
                              ELSE datetime('now', '-1 day') END FROM g;
SELECT dbcare_set('retain.batch_size', '100');
SELECT dbretain_add('old_ev', 'ev', 'at', '2 years', 'delete');
SELECT dbhealth_snapshot();
SELECT dbaudit_enable('acct');
SQL
points=$(q "SELECT dbcare_get('health.growth.points');")
book=$(q "SELECT group_concat(name, ' ') FROM main.sqlite_schema WHERE type = 'table'
          AND name LIKE 'dbcare\_%' ESCAPE '\' AND name <> 'dbcare_bookkeeping';")
[ -n "$book" ] || fail "no bookkeeping tables were made"

# the TEMP copies, then a fingerprint of each (its rows, quoted)
{
  for t in $book; do echo "CREATE TEMP TABLE $t AS SELECT * FROM main.$t;"; done
  cat <<'SQL'
UPDATE temp.dbcare_config SET value = '1000000' WHERE key = 'retain.batch_size';
INSERT INTO temp.dbcare_config (key, value) VALUES ('health.growth.points', '3');
UPDATE temp.dbcare_retain_policies SET keep = '1 second';
SQL
} > "$work/shadow.sql"
q "SELECT 'SELECT ''' || m.name || ''', count(*), group_concat(' ||
     (SELECT group_concat('quote(' || p.name || ')', ' || ''|'' || ') FROM pragma_table_info(m.name) AS p) ||
     ', '';'') FROM temp.' || m.name || ';'
   FROM main.sqlite_schema AS m WHERE m.type = 'table' AND m.name LIKE 'dbcare\_%' ESCAPE '\'
   AND m.name <> 'dbcare_bookkeeping';" > "$work/fingerprint.sql"

out=$(q <<SQL
.read $work/shadow.sql
.output $work/before.txt
.read $work/fingerprint.sql
.output stdout
SELECT 'get', dbcare_get('retain.batch_size');
SELECT 'settings', value FROM dbcare_settings WHERE key = 'retain.batch_size';
SELECT 'points', dbcare_get('health.growth.points');
SELECT 'set', dbcare_set('health.growth.points', '9') IS NOT NULL;
SELECT 'apply', deleted FROM dbretain_apply('old_ev');
SELECT 'plan', due FROM dbretain_plan('old_ev');
SELECT 'snapshot', dbhealth_snapshot() IS NOT NULL;
INSERT INTO acct (owner) VALUES ('shadowed');
.output $work/after.txt
.read $work/fingerprint.sql
SQL
) || fail "a call failed with TEMP copies of the bookkeeping tables: $out"
expected="get|100
settings|100
points|$points
set|1
apply|100
plan|200
snapshot|1"
[ "$out" = "$expected" ] || fail "dbcare read the TEMP copies; got:
$out
expected:
$expected"
cmp -s "$work/before.txt" "$work/after.txt" ||
  fail "dbcare wrote into a TEMP copy: $(diff "$work/before.txt" "$work/after.txt" | head -5)"
[ -s "$work/before.txt" ] || fail "no fingerprint was taken"

# what the calls wrote is in main, seen from a connection without the copies
got=$(q "SELECT (SELECT value FROM main.dbcare_config WHERE key = 'health.growth.points'),
                (SELECT count(*) FROM ev),
                (SELECT count(*) FROM main.dbcare_health_snapshots),
                (SELECT count(*) FROM main.dbcare_audit_log WHERE table_name = 'acct'
                   AND new_values LIKE '%shadowed%'),
                (SELECT last_run_at IS NOT NULL FROM main.dbcare_retain_policies);")
[ "$got" = "9|300|2|1|1" ] || fail "main holds $got, expected 9|300|2|1|1 (setting, rows left, snapshots, audit entry, run stamped)"
# a TEMP view in the log's stead, whose INSTEAD OF trigger drops every row,
# and one in the settings' stead: the audited write still lands in main,
# dbcare_get still reads main
got=$(q <<'SQL'
CREATE TEMP VIEW dbcare_audit_log AS SELECT * FROM main.dbcare_audit_log WHERE 0;
CREATE TEMP TRIGGER drop_entries INSTEAD OF INSERT ON dbcare_audit_log BEGIN SELECT 1; END;
CREATE TEMP VIEW dbcare_config (key, value) AS SELECT 'retain.batch_size', '5';
INSERT INTO acct (owner) VALUES ('viewed');
SELECT dbcare_get('retain.batch_size');
SELECT count(*) FROM main.dbcare_audit_log WHERE new_values LIKE '%viewed%';
SQL
) || fail "a call failed with TEMP views in the bookkeeping's stead: $got"
[ "$got" = "100
1" ] || fail "TEMP views stood in for the bookkeeping (setting, audit entries in main): $got"
echo "TEMP copies of $(echo "$book" | wc -w) bookkeeping tables changed nothing dbcare read or wrote"
