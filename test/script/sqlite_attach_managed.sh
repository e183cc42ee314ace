#!/usr/bin/env bash
# A file dbcare manages (migrations, the status summary, an audited table
# with its hash chain, soft delete, a retention policy, a backup) is
# ATTACHed by users to another connection, and so is its backup: every
# trigger dbcare wrote into the file names its tables without a schema, so
# the attached file reads and takes writes, through a plain sqlite3 and
# through one with the module loaded. A file whose summary triggers still
# name "main." (bookkeeping before version 14) cannot be attached; its next
# changing call makes them again, after which it attaches and its
# bookkeeping schema is a fresh file's.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

db="$work/app.db"
q "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL, placed_at TIMESTAMP);
INSERT INTO orders (total, placed_at) SELECT value, datetime('now', '-' || value || ' days')
  FROM generate_series(1, 20);
CREATE TABLE events (id INTEGER PRIMARY KEY, at TIMESTAMP);
SELECT dbmigrate_add('1', 'notes', 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
SELECT dbmigrate_apply();
SELECT dbmigrate_assert('1');
SELECT dbaudit_enable('orders');
SELECT dbsoftdelete_enable('orders');
SELECT dbretain_add('old_events', 'events', 'at', '400 days', 'delete');
UPDATE orders SET total = total + 1 WHERE id <= 3;
SELECT dbhealth_snapshot();" >/dev/null
out=$(q "SELECT dbbackup_create('$work/app-backup.db')")
echo "$out" | grep -q '"verified":true' || fail "backup: $out"
triggers=$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")
[ "$triggers" -ge 14 ] || fail "only $triggers triggers in the managed file"
sqlite3 "$db" "SELECT name FROM sqlite_schema WHERE type IN ('trigger', 'view')
  AND sql LIKE '%main.%'" | grep . && fail "a trigger or view in the file names main."

# FILE attached as a to a connection on a plain file, with or without the
# module: its tables read, and writes fire its triggers there
attached() { # FILE WITH_MODULE
  local load=()
  [ "$2" = yes ] && load=(-cmd ".load $module")
  rm -f "$work/plain.db"
  sqlite3 -batch -bail "${load[@]}" "$work/plain.db" "ATTACH '$1' AS a;
    SELECT count(*) FROM a.sqlite_schema WHERE type = 'trigger';
    SELECT count(*) FROM a.orders;
    SELECT count(*) FROM a.dbcare_migrations_applied;
    INSERT INTO a.orders (total, placed_at) VALUES (99, datetime('now'));
    DELETE FROM a.orders WHERE id = 1;
    INSERT INTO a.dbcare_migrations_summary (id, current_version, pending, changed, missing,
      failed, applied) VALUES (1, '1', 0, 0, 0, 0, 1) ON CONFLICT DO NOTHING;
    UPDATE a.dbcare_migrations SET version = version;
    SELECT count(*) FROM a.dbcare_migrations_summary;
    SELECT count(*) FROM a.orders WHERE id = 1 AND deleted_at IS NOT NULL;
    SELECT count(*) FROM a.dbcare_audit_log WHERE operation = 'insert' AND table_name = 'orders'"
}
for file in "$db" "$work/app-backup.db"; do
  for with in no yes; do
    cp "$file" "$work/target.db"
    out=$(attached "$work/target.db" $with 2>&1) || fail "ATTACH $(basename "$file") (module: $with): $out"
    # tables listed; 20 rows, 1 applied migration; the summary cleared by its
    # trigger; row 1 soft deleted; the insert recorded by the audit trigger
    [ "$(echo "$out" | sed -n 2,6p | tr '\n' ' ')" = "20 1 0 1 1 " ] ||
      fail "ATTACH $(basename "$file") (module: $with): $out"
  done
done
echo "the managed file and its backup attach and take writes, with and without the module"

# a file whose summary triggers name main. (bookkeeping version 12 and
# before): the ATTACH fails; a changing call upgrades it
sqlite3 "$work/fresh.db" "VACUUM"
db="$work/fresh.db" q "SELECT dbmigrate_add('1', 'notes', 'CREATE TABLE notes (id INTEGER PRIMARY KEY)')" >/dev/null
book_schema() {
  sqlite3 "$1" "SELECT type, name, tbl_name, sql FROM sqlite_schema
                WHERE name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name"
}
expected=$(book_schema "$work/fresh.db")
cp "$work/fresh.db" "$work/old.db"
sqlite3 "$work/old.db" "SELECT sql FROM sqlite_schema WHERE type = 'trigger'
  AND name LIKE 'dbcare_migrations_summary_%'" >"$work/triggers.sql"
[ "$(grep -c . "$work/triggers.sql")" = 9 ] || fail "not 9 summary triggers: $(cat "$work/triggers.sql")"
{
  sqlite3 "$work/old.db" "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_schema
    WHERE type = 'trigger' AND name LIKE 'dbcare_migrations_summary_%'"
  sed 's/FROM dbcare_migrations_summary)/FROM main.dbcare_migrations_summary)/; s/$/;/' "$work/triggers.sql"
  echo "UPDATE dbcare_bookkeeping SET version = 12;"
} | sqlite3 -bail "$work/old.db"
sqlite3 "$work/plain.db" "ATTACH '$work/old.db' AS a; SELECT count(*) FROM a.dbcare_migrations" \
  >"$work/out" 2>&1 && fail "a file with main. in its triggers attached: the test makes no old file"
grep -q "cannot reference objects in database main" "$work/out" || fail "old file: $(cat "$work/out")"
db="$work/old.db" q "SELECT dbcare_set('health.fragmentation.warn', '30')" >/dev/null
sqlite3 "$work/plain.db" "ATTACH '$work/old.db' AS a; SELECT count(*) FROM a.dbcare_migrations" \
  >"$work/out" 2>&1 || fail "the upgraded file does not attach: $(cat "$work/out")"
db="$work/fresh.db" q "SELECT dbcare_set('health.fragmentation.warn', '30')" >/dev/null
[ "$(book_schema "$work/old.db")" = "$(book_schema "$work/fresh.db")" ] ||
  fail "the upgraded bookkeeping differs from a fresh file's: $(diff <(echo "$expected") <(book_schema "$work/old.db"))"
echo "ok"
