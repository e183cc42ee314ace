#!/usr/bin/env bash
# A table whose key references the table itself (comments and their replies)
# with PRAGMA foreign_keys off (SQLite's default: a scheduled run, sqlite3 in
# cron) and on. The engine checks a key without ON DELETE action at the end
# of the statement, so a row referenced only by rows the same delete takes
# goes with them. dbcare decides as the engine would, whatever the pragma:
#  1. dbsoftdelete_purge of a whole soft-deleted tree purges it; a tree a
#     kept row (not soft-deleted, or newer than older_than) still references
#     is refused, nothing purged; an ON DELETE RESTRICT key (checked row by
#     row) keeps referenced rows.
#  2. a retention delete (and purge) policy over a chain of due rows takes
#     the whole chain in one run, and counts a chain a newer row holds as
#     blocked; PRAGMA foreign_key_check is empty after every step.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

orphans() { [ -z "$(q "PRAGMA foreign_key_check;")" ] || fail "$1: orphans: $(q "PRAGMA foreign_key_check;")"; }
left() { q "SELECT coalesce(group_concat(id), '-') FROM (SELECT id FROM c ORDER BY id);"; }
# comments: 1 <- 2 <- 3 (a thread), 4 alone, 10 <- 11 (a thread)
fixture() {
  db="$work/$1.db"
  rm -f "$db"
  q "CREATE TABLE c (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES c (id) $2, at TEXT NOT NULL);
     CREATE INDEX c_parent ON c (parent);
     INSERT INTO c VALUES (1, NULL, datetime('now', '-30 days')), (2, 1, datetime('now', '-20 days')),
       (3, 2, datetime('now', '-10 days')), (4, NULL, datetime('now', '-10 days')),
       (10, NULL, datetime('now', '-30 days')), (11, 10, datetime('now'));" >/dev/null
}

for fk in off on; do
  p="PRAGMA foreign_keys = $fk;"
  # ---- 1. soft-delete purge
  fixture "sd_$fk" ""
  got=$(q "$p SELECT dbsoftdelete_enable('c') IS NOT NULL; DELETE FROM c WHERE id <= 4;
    SELECT dbsoftdelete_purge('c');") || fail "foreign_keys $fk: purge of a soft-deleted thread: $got"
  [ "$got" = "1
4" ] || fail "foreign_keys $fk: purge of a soft-deleted thread: $got"
  [ "$(left)" = "10,11" ] || fail "foreign_keys $fk: left after the purge: $(left)"
  orphans "purge, foreign_keys $fk"
  # 11 is kept and references 10: refused, nothing purged
  out=$(q "$p DELETE FROM c WHERE id = 10; SELECT dbsoftdelete_purge('c');" 2>&1) &&
    fail "foreign_keys $fk: purged a row a kept row references: $out"
  case "$out" in *"dbsoftdelete_purge: 1 soft-deleted row(s) of table c are still referenced by table c (parent)"*|*"FOREIGN KEY constraint failed"*) ;;
    *) fail "foreign_keys $fk: refused purge: $out" ;; esac
  [ "$(left)" = "10,11" ] || fail "foreign_keys $fk: the refused purge deleted: $(left)"
  # older_than: 11 (soft-deleted now) stays, so 10 (30 days) stays too
  out=$(q "$p DELETE FROM c WHERE id = 11; UPDATE c SET deleted_at = datetime('now', '-30 days') WHERE id = 10;
    SELECT dbsoftdelete_purge('c', '7 days');" 2>&1) && fail "foreign_keys $fk: older_than purged a referenced row: $out"
  [ "$(left)" = "10,11" ] || fail "foreign_keys $fk: the refused older_than purge deleted: $(left)"
  got=$(q "$p SELECT dbsoftdelete_purge('c');") || fail "foreign_keys $fk: purge of the rest: $got"
  [ "$got" = 2 ] && [ "$(left)" = "-" ] || fail "foreign_keys $fk: purge of the rest: $got, left $(left)"

  # RESTRICT is checked as each row goes: a referenced row is kept
  fixture "restrict_$fk" "ON DELETE RESTRICT"
  out=$(q "$p SELECT dbsoftdelete_enable('c') IS NOT NULL; DELETE FROM c WHERE id <= 4;
    SELECT dbsoftdelete_purge('c');" 2>&1) && fail "foreign_keys $fk: purged under RESTRICT: $out"
  [ "$(left)" = "1,2,3,4,10,11" ] || fail "foreign_keys $fk: the refused RESTRICT purge deleted: $(left)"

  # ---- 2. retention
  fixture "del_$fk" ""
  got=$(q "$p SELECT dbretain_add('old', 'c', 'at', '7 days', 'delete') IS NOT NULL;
    SELECT deleted || ' ' || blocked || ' ' || remaining FROM dbretain_apply('old');")
  [ "$got" = "1
4 1 0" ] || fail "foreign_keys $fk: delete policy deleted/blocked/remaining: $got"
  [ "$(left)" = "10,11" ] || fail "foreign_keys $fk: left after the delete policy: $(left)"
  orphans "delete policy, foreign_keys $fk"

  fixture "purge_$fk" ""
  got=$(q "$p SELECT dbsoftdelete_enable('c') IS NOT NULL; DELETE FROM c WHERE id <> 11;
    UPDATE c SET deleted_at = at WHERE deleted_at IS NOT NULL;
    SELECT dbretain_add('purged', 'c', 'deleted_at', '7 days', 'purge') IS NOT NULL;
    SELECT deleted || ' ' || blocked FROM dbretain_apply('purged');")
  [ "$got" = "1
1
4 1" ] || fail "foreign_keys $fk: purge policy deleted/blocked: $got"
  [ "$(left)" = "10,11" ] || fail "foreign_keys $fk: left after the purge policy: $(left)"
  orphans "purge policy, foreign_keys $fk"
done
echo "ok: a self-referencing key keeps only what the engine would keep, foreign_keys off and on"
