#!/usr/bin/env bash
# ALTER EXTENSION dbcare UPDATE from 0.1.0 leaves a database exactly as a
# fresh CREATE EXTENSION of the current version: every member object, column,
# constraint, index, trigger, function definition, grant and comment is
# compared between the two. A registered migration with a down script keeps
# working across the upgrade. Two 0.1.0 install scripts are upgraded from,
# each put beside the current files of the private installation as
# dbcare--0.1.0.sql: the released one (test/fixtures/pg/dbcare--0.1.0.sql)
# and a development build that still called itself 0.1.0 but already had
# some of 0.2.0's objects (dbcare--0.1.0-dev.sql): the upgrade scripts must
# take both through 0.2.0 to the current version. A 0.2.0 database (its
# install script as 0.2.0 shipped it, test/fixtures/pg/dbcare--0.2.0.sql) is
# upgraded the same way, and so is one made while main still said 0.2.0 but
# already carried the audit trail (dbcare--0.2.0-audit.sql); its log entries
# get their row hashes and are found by history afterwards. A 0.3.0 database
# (test/fixtures/pg/dbcare--0.3.0.sql, as 0.3.0 shipped) with audit entries
# is upgraded the same way, and so are 0.3.1, 0.3.2 and 0.3.3 ones (dbcare--0.3.1.sql,
# dbcare--0.3.2.sql, dbcare--0.3.3.sql). 0.3.4 shipped the objects of 0.3.3
# unchanged, so the 0.3.3 upgrade runs the 0.3.4 -> 0.3.5 script as well; a
# 0.3.5 database (dbcare--0.3.5.sql) is upgraded the same way, and so is a
# 0.3.6 one (dbcare--0.3.6.sql), a 0.3.7 one (dbcare--0.3.7.sql) and a 0.3.8 one (dbcare--0.3.8.sql).
set -eu
db=dbcare_upgrade
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
share=$("$B/pg_config" --sharedir)/extension
trap 'rm -f "$share/dbcare--0.1.0.sql" "$share/dbcare--0.2.0.sql" "$share/dbcare--0.3.0.sql" "$share/dbcare--0.3.1.sql" "$share/dbcare--0.3.2.sql" "$share/dbcare--0.3.3.sql" "$share/dbcare--0.3.5.sql" "$share/dbcare--0.3.6.sql" "$share/dbcare--0.3.7.sql" "$share/dbcare--0.3.8.sql"; cleanup' EXIT
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_fresh" -c "CREATE DATABASE ${db}_fresh"
"$B/psql" -X -q -d ${db}_fresh -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"

describe() { # every object of the extension, as comparable text
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'member ' || pg_describe_object(classid, objid, 0)
  FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dbcare')
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || coalesce(' acl ' || a.attacl::text, '') || ' #' || a.attnum
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'dbcare'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' acl ' || coalesce(c.relacl, acldefault('r', c.relowner))::text
       || coalesce(' comment ' || obj_description(c.oid, 'pg_class'), '')
  FROM pg_class c WHERE c.relnamespace IN ('dbcare'::regnamespace, 'public'::regnamespace)
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'dbcare'::regnamespace
UNION ALL
SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index
 WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'dbcare'::regnamespace)
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(oid) || ' ' || tgenabled::text FROM pg_trigger
 WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'dbcare'::regnamespace)
UNION ALL
SELECT 'function ' || p.oid::regprocedure || ' ' || pg_get_functiondef(p.oid)
       || ' acl ' || coalesce(p.proacl, acldefault('f', p.proowner))::text || coalesce(' comment ' || obj_description(p.oid, 'pg_proc'), '')
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dbcare')
UNION ALL
SELECT 'config ' || c.relname || ' ' || coalesce(x.cond, '')
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(oid, cond)
  JOIN pg_class c ON c.oid = x.oid WHERE e.extname = 'dbcare'
ORDER BY 1
SQL
}
describe ${db}_fresh > "$work/fresh.txt"

current=$("$B/psql" -X -q -At -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'dbcare'")
as_this_build() { # SQL...: run over the older objects, which pg_extension names as current
  # meanwhile; prints what the statements return
  local old args=()
  old=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'dbcare'")
  for sql in "$@"; do args+=(-c "$sql"); done
  q -c "BEGIN" -c "UPDATE pg_extension SET extversion = '$current' WHERE extname = 'dbcare'" "${args[@]}" \
    -c "UPDATE pg_extension SET extversion = '$old' WHERE extname = 'dbcare'" -c "COMMIT"
}

upgrade_from() { # fixture version [audited]
  cp "$root/test/fixtures/pg/$1" "$share/dbcare--$2.sql"
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  q -c "CREATE EXTENSION dbcare VERSION '$2'"
  if [ "$2" = 0.1.0 ]; then
    # a migration registered under 0.1.0, in its table layout (this build's
    # functions expect the new one)
    q -c "INSERT INTO dbcare.migrations (kind, version, version_text, name, script, down_script, checksum)
          VALUES ('versioned', '1', '1', 'one', E'CREATE TABLE t1 (id int);\r\n',
                  E'\uFEFFDROP TABLE t1;\r\n \t', 'v1:sha256:unknown')"
  else
    # This build refuses to run over older objects (pg/host/objects_version.c):
    # the registration the older library made is made by this one, with the
    # catalog naming this build's version for that one statement.
    as_this_build "SELECT dbmigrate_add('1', 'one', E'CREATE TABLE t1 (id int);\r\n', E'\uFEFFDROP TABLE t1;\r\n \t')" > /dev/null
  fi
  if [ "${3:-}" = audited ]; then
    # entries written before the upgrade (by this build's trigger, into the
    # log's earlier layout): the upgrade gives them their row hashes
    q -c "CREATE SCHEMA app" -c "CREATE TABLE app.acct (id int PRIMARY KEY, plan text)" > /dev/null
    as_this_build "SELECT dbaudit_enable('app.acct')" > /dev/null
    q -c "INSERT INTO app.acct SELECT g, 'free' FROM generate_series(1, 50) g" \
      -c "UPDATE app.acct SET plan = 'pro' WHERE id = 7" > /dev/null
    # chained entries written before the upgrade (this build links them into
    # the log's one chain while the old head table is there) stay verifiable
    q -c "CREATE TABLE app.ledger (id int PRIMARY KEY, amount int)" > /dev/null
    as_this_build "SELECT dbaudit_enable('app.ledger', '{\"hash_chain\": true}')" > /dev/null
    q -c "INSERT INTO app.ledger SELECT g, g FROM generate_series(1, 5) g" \
      -c "UPDATE app.ledger SET amount = 0 WHERE id = 2" > /dev/null
    [ "$(as_this_build "SELECT count(*) || ' ' || count(broken_id) FROM dbaudit_verify()")" = "1 0" ] ||
      fail "$1: verify before the upgrade: $(as_this_build "SELECT * FROM dbaudit_verify()")"
  fi
  q -c "ALTER EXTENSION dbcare UPDATE"
  describe $db > "$work/upgraded.txt"
  if [ "${3:-}" = audited ]; then
    # the log's live page range, summarised by its BRIN index's build on the
    # empty log, is left unsummarised (pg/sql/70_audit.sql): summarising it
    # now summarises one range
    [ "$(q -c "SELECT brin_summarize_range('dbcare.dbcare_audit_log_at', 0)")" = 1 ] ||
      fail "upgraded from $1: the log's live page range is still summarised"
    [ "$(q -c "SELECT string_agg(operation, ' ' ORDER BY id) FROM dbaudit_history('app.acct', '{\"id\": 7}')")" = "insert update" ] ||
      fail "upgraded from $1: the earlier entries are not found by history"
    [ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE row_hash = dbcare.audit_row_hash(table_name, key) AND table_name = 'app.acct'")" = 51 ] ||
      fail "upgraded from $1: the earlier entries have no row hash"
    # the old chain and the table's new one verify; deleting the old chain's
    # newest entry is seen (its head was carried over)
    q -c "INSERT INTO app.ledger VALUES (6, 6), (7, 7)" > /dev/null
    [ "$(q -c "SELECT max(checked) || ' ' || count(broken_id) FROM dbaudit_verify()")" = "8 0" ] ||
      fail "upgraded from $1: verify: $(q -c "SELECT * FROM dbaudit_verify()")"
    # (from 0.3.3 on each table has its own chain already: no old chain)
    case $2 in 0.3.3 | 0.3.5 | 0.3.6 | 0.3.7 | 0.3.8) true ;; *) false ;; esac ||
    q -c "BEGIN" -c "DELETE FROM dbcare.audit_log WHERE id = (SELECT max(id) FROM dbcare.audit_log WHERE table_name = 'app.ledger' AND hash IS NOT NULL AND prev_hash IS NOT NULL AND id < (SELECT min(id) FROM dbcare.audit_log WHERE table_name = 'app.ledger' AND new_values @> '{\"id\": 6}'))" \
      -c "SELECT count(*) FROM dbaudit_verify() WHERE problem LIKE 'the newest entries of the log''s chain were deleted%'" -c "ROLLBACK" > "$work/v.txt"
    case $2 in 0.3.3 | 0.3.5 | 0.3.6 | 0.3.7 | 0.3.8) true ;; *) false ;; esac || [ "$(cat "$work/v.txt")" = 1 ] || fail "upgraded from $1: the old chain's deleted newest entry was not seen"
  fi
  [ "$(wc -l < "$work/fresh.txt")" -gt 100 ] || fail "too little described: $(wc -l < "$work/fresh.txt") lines"
  diff -u "$work/fresh.txt" "$work/upgraded.txt" || fail "upgraded from $1, the extension differs from a fresh one (above: - fresh, + upgraded)"
  [ "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'dbcare'")" = "$(q -c "SELECT default_version FROM pg_available_extensions WHERE name = 'dbcare'")" ] ||
    fail "ALTER EXTENSION UPDATE did not reach the default version"
  # an upgraded database has an identity of its own, as a fresh one does
  [ "$(q -c "SELECT count(*) FROM dbcare.database_identity WHERE identity ~ '^[0-9a-f]{32}\$'")" = 1 ] &&
    [ "$(q -c "SELECT identity FROM dbcare.database_identity")" != "$("$B/psql" -X -q -At -d ${db}_fresh -c "SELECT identity FROM dbcare.database_identity")" ] ||
    fail "upgraded from $1: no identity of its own: $(q -c "SELECT * FROM dbcare.database_identity")"

  # The migration registered before the upgrade: its down script has the checksum
  # dbmigrate_add computes now (re-registering it changes nothing), and it
  # applies and rolls back.
  old=$(q -c "SELECT down_checksum FROM dbcare.migrations WHERE version = '1'")
  [ -n "$old" ] || fail "no down checksum after the upgrade"
  q -c "SELECT dbmigrate_add('1', 'one', E'CREATE TABLE t1 (id int);\r\n', E'\uFEFFDROP TABLE t1;\r\n \t')" > /dev/null
  [ "$(q -c "SELECT down_checksum FROM dbcare.migrations WHERE version = '1'")" = "$old" ] ||
    fail "the upgrade's down checksum differs from dbmigrate_add's"
  [ "$(q -c "SELECT dbmigrate_apply()")" = 1 ] || fail "apply after the upgrade"
  [ "$(q -c "SELECT dbmigrate_rollback('0')")" = 1 ] || fail "rollback after the upgrade"
  echo "upgrade from $1 -> current: same as a fresh install"
}

upgrade_from dbcare--0.1.0.sql 0.1.0
upgrade_from dbcare--0.1.0-dev.sql 0.1.0
upgrade_from dbcare--0.2.0.sql 0.2.0
upgrade_from dbcare--0.2.0-audit.sql 0.2.0 audited
upgrade_from dbcare--0.3.0.sql 0.3.0 audited
upgrade_from dbcare--0.3.1.sql 0.3.1 audited
upgrade_from dbcare--0.3.2.sql 0.3.2 audited
upgrade_from dbcare--0.3.3.sql 0.3.3 audited
upgrade_from dbcare--0.3.5.sql 0.3.5 audited
upgrade_from dbcare--0.3.6.sql 0.3.6 audited
upgrade_from dbcare--0.3.7.sql 0.3.7 audited
upgrade_from dbcare--0.3.8.sql 0.3.8 audited

# The JSON Schema registry's owners on a database upgraded from 0.3.8: a
# name belongs to the role that registered it, another grantee's
# replacement is refused (docs/security.md).
for r in up_json_a up_json_b; do
  q -c "DROP ROLE IF EXISTS $r" 2>/dev/null || true
  q -c "CREATE ROLE $r LOGIN" -c "GRANT EXECUTE ON FUNCTION dbjson_register(text, text, text) TO $r" > /dev/null
done
"$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U up_json_a -d "$db" -c "SELECT dbjson_register('up', '{}') IS NOT NULL" > /dev/null
[ "$(q -c "SELECT owner FROM dbcare.json_schemas WHERE name = 'up'")" = up_json_a ] || fail "upgraded from 0.3.8: the registrant is not the owner"
out=$("$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U up_json_b -d "$db" -c "SELECT dbjson_register('up', '{\"type\": \"string\"}')" 2>&1) &&
  fail "upgraded from 0.3.8: another role replaced a registered schema"
grep -q "dbcare: role up_json_b may not replace schema up: it belongs to role up_json_a" <<<"$out" || fail "upgraded from 0.3.8: $out"
# dbjson_history (0.3.9) exists after the update: the owner reads its
# schema's history, another role is refused
[ "$("$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U up_json_a -d "$db" -c "SELECT string_agg(changed_by, ',') FROM dbjson_history('up')")" = up_json_a ] ||
  fail "upgraded from 0.3.8: the owner does not read its schema's history"
"$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U up_json_b -d "$db" -c "SELECT * FROM dbjson_history('up')" > /dev/null 2>&1 &&
  fail "upgraded from 0.3.8: another role read the history of up"
# dbbackup_content (0.3.9) answers after the update, in the one format
[ "$(q -c "SELECT dbbackup_content() ->> 'version'")" = 3 ] ||
  fail "upgraded from 0.3.8: dbbackup_content does not answer"

# A role that applied migrations under 0.3.7 (INSERT on the history) may
# write the rename log 0.3.8 adds, so its migrations' renames are followed.
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
  -c "DROP ROLE IF EXISTS \"rn Migrator\"" -c "CREATE ROLE \"rn Migrator\"" > /dev/null
q -c "CREATE EXTENSION dbcare VERSION '0.3.7'" \
  -c "GRANT INSERT ON dbcare.migrations_history TO \"rn Migrator\"" -c "ALTER EXTENSION dbcare UPDATE" > /dev/null
[ "$(q -c "SELECT has_table_privilege('rn Migrator', 'dbcare.migrations_renames', 'INSERT')
             AND has_sequence_privilege('rn Migrator', 'dbcare.migrations_renames_id_seq', 'USAGE')
             AND NOT has_table_privilege('pg_monitor', 'dbcare.migrations_renames', 'INSERT')")" = t ] ||
  fail "the upgrade did not give the rename log to the role that writes the history"
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db" -c "DROP ROLE \"rn Migrator\"" > /dev/null
"$B/psql" -X -q -d postgres -c "DROP DATABASE ${db}_fresh"
