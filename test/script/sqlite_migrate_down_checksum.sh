#!/usr/bin/env bash
# Down scripts are covered by a checksum (issue 19, finding 8): registering an
# applied migration again with another down script makes it "changed" in
# dbmigrate_status, dbmigrate_validate reports it, dbmigrate_assert fails
# (from the stored summary and from its one-statement proof), and
# dbmigrate_rollback refuses before running anything, as for a changed up
# script; dbmigrate_repair accepts it. A down script given later to a
# migration applied without one is allowed. A migration applied by a build
# that kept no down checksum (an old database, upgraded on its next changing
# call) does not suddenly show changed.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"

q "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x);', 'DROP TABLE t1;');
   SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x);');
   SELECT dbmigrate_add('3', 'three', 'CREATE TABLE t3 (x);', 'DROP TABLE t3;');
   SELECT dbmigrate_apply();" > /dev/null
[ "$(q "SELECT group_concat(state, ' ') FROM dbmigrate_status")" = "applied applied applied" ] || fail "not applied"

# the same down again: nothing changes
q "SELECT dbmigrate_add('3', 'three', 'CREATE TABLE t3 (x);', 'DROP TABLE t3;');" > /dev/null
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '3'")" = applied ] || fail "same down changed the state"

# another down script
q "SELECT dbmigrate_add('3', 'three', 'CREATE TABLE t3 (x);', 'DROP TABLE t3; CREATE TABLE evil (x);');" > /dev/null
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '3'")" = changed ] || fail "changed down: $(q 'SELECT * FROM dbmigrate_status')"
q "SELECT version, problem, detail FROM dbmigrate_validate" > "$work/validate.out"
grep -q '^3|changed|.*down script' "$work/validate.out" || fail "validate: $(cat "$work/validate.out")"
if q "SELECT dbmigrate_assert('3')" > /dev/null 2>&1; then fail "assert passed with a changed down script"; fi
if q "BEGIN; DELETE FROM dbcare_migrations_summary; SELECT dbmigrate_assert('3'); ROLLBACK;" > /dev/null 2>&1; then
  fail "assert's one-statement proof passed with a changed down script"
fi
if q "SELECT dbmigrate_rollback()" > "$work/rollback.out" 2>&1; then fail "rollback ran a changed down script"; fi
grep -q 'changed' "$work/rollback.out" || fail "rollback message: $(cat "$work/rollback.out")"
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name IN ('t3', 'evil')")" = 1 ] || fail "rollback touched the schema"

# a down script given later to a migration applied without one is allowed
# (the documented way to make it reversible)
q "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x);', 'DROP TABLE t2;');" > /dev/null
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '2'")" = applied ] || fail "added down: $(q 'SELECT * FROM dbmigrate_status')"

# repair accepts the changed one; rollback then runs the accepted scripts
[ "$(q "SELECT dbmigrate_repair()")" -ge 1 ] || fail "repair"
[ "$(q "SELECT group_concat(state, ' ') FROM dbmigrate_status")" = "applied applied applied" ] || fail "after repair: $(q 'SELECT * FROM dbmigrate_status')"
[ "$(q "SELECT dbmigrate_rollback('1')")" = 2 ] || fail "rollback after repair: $(q "SELECT dbmigrate_rollback('1')" 2>&1)"
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'evil'")" = 1 ] || fail "accepted down did not run"

# An old database: bookkeeping made by a build without down checksums.
db="$work/old.db"
sqlite3 "$db" "
CREATE TABLE dbcare_config (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE dbcare_migrations (kind TEXT NOT NULL CHECK (kind IN ('versioned', 'repeatable')),
  version TEXT UNIQUE, version_text TEXT, name TEXT NOT NULL, script TEXT NOT NULL, down_script TEXT,
  checksum TEXT NOT NULL, no_transaction INTEGER NOT NULL DEFAULT 0,
  registered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK ((kind = 'versioned') = (version IS NOT NULL)));
CREATE UNIQUE INDEX dbcare_migrations_repeatable ON dbcare_migrations (name) WHERE kind = 'repeatable';
CREATE INDEX dbcare_migrations_checksum ON dbcare_migrations (version, checksum);
CREATE TABLE dbcare_migrations_applied (kind TEXT NOT NULL, version TEXT UNIQUE, name TEXT NOT NULL,
  checksum TEXT, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), duration_ms REAL);
CREATE UNIQUE INDEX dbcare_migrations_applied_repeatable ON dbcare_migrations_applied (name) WHERE kind = 'repeatable';
CREATE TABLE dbcare_migrations_history (id INTEGER PRIMARY KEY AUTOINCREMENT, version TEXT, name TEXT,
  kind TEXT NOT NULL, direction TEXT NOT NULL, checksum TEXT, fingerprint TEXT, snapshot TEXT,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), applied_by TEXT,
  duration_ms REAL, success INTEGER NOT NULL, error TEXT, started_ms REAL);
CREATE TABLE dbcare_migrations_lock (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL DEFAULT 0);
CREATE TABLE dbcare_health_snapshots (id INTEGER PRIMARY KEY, taken_at TEXT NOT NULL, mode TEXT NOT NULL,
  score INTEGER NOT NULL, status TEXT NOT NULL, size_bytes INTEGER, tables INTEGER, indexes INTEGER,
  schema_fingerprint TEXT, migration_version TEXT);
CREATE TABLE dbcare_relations (name TEXT PRIMARY KEY NOT NULL, child_schema TEXT, child_table TEXT NOT NULL,
  child_columns TEXT NOT NULL, parent_schema TEXT, parent_table TEXT NOT NULL, parent_columns TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
CREATE TABLE t1 (x);"
sum=$(db="$work/scratch.db" q "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x);')")
[ -n "$sum" ] || fail "probe checksum"
sqlite3 "$db" "INSERT INTO dbcare_migrations (kind, version, version_text, name, script, down_script, checksum)
  VALUES ('versioned', '1', '1', 'one', 'CREATE TABLE t1 (x);', 'DROP TABLE t1;', '$sum');
  INSERT INTO dbcare_migrations_applied (kind, version, name, checksum) VALUES ('versioned', '1', 'one', '$sum');"
# read before any changing call upgraded the layout
[ "$(q "SELECT state FROM dbmigrate_status")" = applied ] || fail "old database: $(q 'SELECT * FROM dbmigrate_status' 2>&1)"
q "SELECT dbmigrate_assert('1')" > /dev/null || fail "old database: assert"
q "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x);', 'DROP TABLE t1; SELECT 1;')" > /dev/null
[ "$(q "SELECT state FROM dbmigrate_status")" = applied ] || fail "old applied row shows changed: $(q 'SELECT * FROM dbmigrate_status')"
[ "$(q "SELECT count(*) FROM dbmigrate_validate")" = 0 ] || fail "old row: validate $(q 'SELECT * FROM dbmigrate_validate')"
q "SELECT dbmigrate_assert('1')" > /dev/null || fail "old row: assert"
echo "down script checksums on SQLite: ok"
