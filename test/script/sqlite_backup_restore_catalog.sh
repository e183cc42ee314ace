#!/usr/bin/env bash
# dbcare restore keeps the backup catalog of the database it replaces (issue
# 36, item 9): the restored file brings the catalog of its own moment, in
# which the backups taken after it and the safety copy taken just before the
# restore do not appear, so prune would never delete them. After the restore
# the catalog lists them all (with their own times and checks), and prune
# deletes the older ones as their stamps allow.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
db="$work/app.db"
q "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a');" > /dev/null
q "SELECT dbbackup_create('$work/b0.db');" > /dev/null
q "SELECT dbbackup_create('$work/b1.db');" > /dev/null
q "INSERT INTO t (v) VALUES ('b'); SELECT dbbackup_create('$work/b2.db');" > /dev/null
q "INSERT INTO t (v) VALUES ('c'); SELECT dbbackup_create('$work/b3.db');" > /dev/null
before=$(q "SELECT group_concat(path || '|' || created_at || '|' || status, ',') FROM (SELECT * FROM dbbackup_list() ORDER BY id)")

run 0 restore "$work/b1.db" --db "sqlite:$db" --json
safety=$(json "d['safety_backup']['path']")
[ "$(q "SELECT group_concat(v, '') FROM t")" = a ] || fail "not restored"
after=$(q "SELECT group_concat(path || '|' || created_at || '|' || status, ',') FROM (SELECT * FROM dbbackup_list() ORDER BY created_at, id)")
[ "$after" = "$before,$safety|$(q "SELECT created_at FROM dbbackup_list() WHERE path = '$safety'")|verified" ] ||
  fail "the catalog after the restore: $after (before: $before, safety $safety)"
[ "$(q "SELECT count(*) FROM dbbackup_list() WHERE \"exists\"")" = 5 ] || fail "exists: $(q "SELECT * FROM dbbackup_list()")"
[ "$(q "SELECT count(*) FROM sqlite_temp_master")" = 0 ] || fail "a temporary table was left"

# prune sees them: keeping 1 deletes b0 to b3 (their stamps name this
# database), and keeps the safety copy (the newest verified)
q "SELECT dbbackup_prune(1, NULL, false);" > "$work/prune.out"
for b in b0 b1 b2 b3; do [ ! -e "$work/$b.db" ] || fail "prune kept $b: $(cat "$work/prune.out")"; done
[ -f "$safety" ] || fail "prune deleted the safety copy"
[ "$(q "SELECT group_concat(path) FROM dbbackup_list()")" = "$safety" ] || fail "catalog after prune"

# the module's two calls the restore makes (dbbackup_catalog_keep before
# the copy, dbbackup_catalog_carry after it), on one connection: a
# restored file without a catalog gets one with the kept rows; nothing
# kept, nothing carried; a carry over an unchanged catalog puts back none
out=$(q "SELECT dbbackup_catalog_keep(); DROP TABLE main.dbcare_backups;
         SELECT dbbackup_catalog_carry(); SELECT group_concat(path) FROM dbbackup_list();
         SELECT quote(dbbackup_catalog_carry()), count(*) FROM sqlite_temp_master;
         SELECT dbbackup_catalog_keep(); SELECT dbbackup_catalog_carry();
         SELECT count(*) FROM sqlite_temp_master;")
[ "$out" = "$(printf '1\n1\n%s\nNULL|0\n1\n0\n0' "$safety")" ] || fail "keep and carry: $out"
db="$work/fresh.db"
[ "$(q "SELECT quote(dbbackup_catalog_keep()), quote(dbbackup_catalog_carry())")" = "NULL|NULL" ] ||
  fail "a database without a catalog"
echo ok
