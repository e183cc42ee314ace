#!/usr/bin/env bash
# A part's own bookkeeping tables (audit, backups and restore points,
# maintenance history, retention and its archive batches, soft delete, the
# per-table growth history, the query statistics history) are made by that part's first writing call, not by
# every changing call: a file that only ever saw migrations and settings has
# none of them and reads them as empty; each part's first write makes exactly
# its own; a failed first write leaves none; and two connections making them
# at once both succeed.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

book_tables() {
  sqlite3 "$db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema
                 WHERE type = 'table' AND name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name)"
}
part_tables='dbcare_audit_log dbcare_audit_tables dbcare_audit_chain dbcare_backups dbcare_backup_marks dbcare_backup_drills
             dbcare_maintain_history dbcare_retain_policies dbcare_retain_batches dbcare_retain_batch_rows
             dbcare_retain_archive dbcare_softdelete dbcare_health_table_sizes dbcare_health_query_stats'
has() { case " $(book_tables) " in *" $1 "*) return 0 ;; esac; return 1; }

db="$work/app.db"
q "CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
   CREATE TABLE videos (id INTEGER PRIMARY KEY, title TEXT);
   SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (id INTEGER PRIMARY KEY);');
   SELECT dbmigrate_apply();
   SELECT dbcare_set('health.fragmentation.warn', '31');" > /dev/null
for t in $part_tables; do
  ! has "$t" || fail "$t made by a migration or a setting (tables: $(book_tables))"
done
has dbcare_migrations || fail "no migration tables: $(book_tables)"

# every part reads its missing tables as empty
[ "$(q "SELECT count(*) FROM dbretain_policies")" = 0 ] || fail "dbretain_policies"
[ "$(q "SELECT count(*) FROM dbaudit_tables")" = 0 ] || fail "dbaudit_tables"
[ "$(q "SELECT count(*) FROM dbbackup_list")" = 0 ] || fail "dbbackup_list"
[ "$(q "SELECT count(*) FROM dbmaintain_history")" = 0 ] || fail "dbmaintain_history"
[ "$(q "SELECT count(*) FROM dbsoftdelete_tables")" = 0 ] || fail "dbsoftdelete_tables"
q "SELECT json_extract(dbhealth_report('full'), '\$.status') IS NOT NULL" | grep -qx 1 ||
  fail "dbhealth_report on a file without the parts' tables"

# a failed first write makes nothing
q "SELECT dbretain_add('bad', 'events', 'at', '30 dayz', 'delete')" > /dev/null 2>&1 &&
  fail "a bad retention policy was added"
! has dbcare_retain_policies || fail "a failed dbretain_add left its table"

# each part's first write makes its own tables, and only those
first() { # what part's tables, then the SQL of its first write
  local want=$1 before
  before=$(book_tables)
  q "$2" > /dev/null || fail "first write for $want: $2"
  for t in $want; do has "$t" || fail "$t not made by: $2"; done
  for t in $(book_tables); do
    case " $before $want " in *" $t "*) ;; *) fail "$t made by: $2" ;; esac
  done
}
first "dbcare_retain_policies dbcare_retain_batches dbcare_retain_batch_rows dbcare_retain_archive" \
  "SELECT dbretain_add('ev', 'events', 'at', '30 days', 'delete')"
first "dbcare_audit_chain dbcare_audit_log dbcare_audit_tables" "SELECT dbaudit_enable('events')"
first dbcare_softdelete "SELECT dbsoftdelete_enable('videos')"
first "dbcare_backups dbcare_backup_marks dbcare_backup_drills" "SELECT dbbackup_create('$work/copy.db')"
first dbcare_maintain_history "SELECT count(*) FROM dbmaintain_run('quick')"
first dbcare_health_table_sizes "SELECT dbhealth_snapshot() IS NOT NULL"
first dbcare_health_query_stats "SELECT dbmonitor_start(0, 1); SELECT dbhealth_snapshot() IS NOT NULL"
[ "$(q "SELECT count(*) FROM dbretain_policies")" = 1 ] || fail "the policy was not kept"
q "INSERT INTO events (at) VALUES ('2026-01-01')"
[ "$(q "SELECT count(*) FROM dbcare_audit_log")" = 1 ] || fail "the audit trigger wrote no entry"

# two connections using retention first at the same time: one makes the
# table, the other waits for it and finds it made
db="$work/race.db"
q "CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
   SELECT dbcare_set('health.fragmentation.warn', '31');" > /dev/null
mkfifo "$work/a.in"
sqlite3 -batch -cmd ".load $module" -cmd ".timeout 10000" "$db" < "$work/a.in" > "$work/a.out" 2>&1 &
a=$!
exec 3> "$work/a.in"
echo "BEGIN IMMEDIATE; SELECT dbretain_add('a', 'events', 'at', '30 days', 'delete');
      SELECT 'a added';" >&3
for _ in $(seq 200); do grep -q 'a added' "$work/a.out" 2> /dev/null && break; sleep 0.02; done
grep -q 'a added' "$work/a.out" || { cat "$work/a.out"; fail "the first connection did not add"; }
sqlite3 -batch -cmd ".load $module" -cmd ".timeout 10000" "$db" \
  "SELECT dbretain_add('b', 'events', 'at', '60 days', 'delete');" > "$work/b.out" 2>&1 &
b=$!
sleep 0.3
echo "COMMIT;" >&3
exec 3>&-
wait "$a" || { cat "$work/a.out"; fail "the first connection failed"; }
wait "$b" || { cat "$work/b.out"; fail "the second connection failed"; }
[ "$(q "SELECT group_concat(name, ',') FROM (SELECT name FROM dbretain_policies ORDER BY name)")" = a,b ] ||
  fail "policies after two first uses: $(q "SELECT name FROM dbretain_policies")"
echo ok
