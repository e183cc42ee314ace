#!/usr/bin/env bash
# An incremental backup whose base shares no page with the database (its
# page size changed, or another file took the database's place), or whose
# base is another database's backup (a copied file), is taken as a full
# backup and says so (method full, requested_method, full_because):
# a scheduled `backup --incremental` keeps producing backups that restore,
# with the database gone, and the incrementals after it build on it. Before,
# it wrote 8192-byte pages over a 4096-byte chain and reported success; its
# restore, and every later one of the chain, failed.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
mkdir n
sqlite3 s.db "PRAGMA journal_mode = wal; CREATE TABLE o (id INTEGER PRIMARY KEY, p); INSERT INTO o (p) VALUES (1)" > /dev/null
jx() { sqlite3 :memory: "SELECT coalesce(json_extract(CAST(readfile('j.json') AS TEXT), '$1'), 'none')"; }
b() { "$cli" backup "$@" --db sqlite:s.db --module "$module" --json 2> b.err || fail "backup $*: $(cat b.err)"; }
b n/0.db > /dev/null
sqlite3 s.db "PRAGMA page_size = 8192; PRAGMA journal_mode = delete; VACUUM; PRAGMA journal_mode = wal;
  INSERT INTO o (p) VALUES (2)" > /dev/null
j=$(b n/1.db --incremental)
[ "$({ echo "$j" > j.json; jx '$.backup.method'; })" = full ] || fail "after a page size change, not a full backup: $j"
[ "$({ echo "$j" > j.json; jx '$.backup.requested_method'; })" = incremental ] || fail "requested_method: $j"
{ echo "$j" > j.json; jx '$.backup.full_because'; } | grep -q "^no page of the database (.* pages of 8192 bytes) is one of its base backup's" ||
  fail "full_because: $j"
echo "ok: an incremental after a page size change is taken full, and says why"
sqlite3 s.db "INSERT INTO o (p) VALUES (3)"
j=$(b n/2.db --incremental)
[ "$({ echo "$j" > j.json; jx '$.backup.method'; })" = incremental ] || fail "the next one builds on the new chain: $j"
[ "$({ echo "$j" > j.json; jx '$.backup.full_because'; })" = none ] || fail "full_because on an incremental: $j"
# from SQL too
j=$(sqlite3 -cmd ".load $module" s.db "SELECT dbbackup_create('$work/n/3.db', 'incremental')")
[ "$({ echo "$j" > j.json; jx '$.method'; })" = incremental ] || fail "from SQL: $j"
# back to 4096-byte pages: the text output says it too
sqlite3 s.db "PRAGMA page_size = 4096; PRAGMA journal_mode = delete; VACUUM; PRAGMA journal_mode = wal;
  INSERT INTO o (p) VALUES (4)" > /dev/null
"$cli" backup n/4.db --incremental --db sqlite:s.db --module "$module" > b.out 2>&1 || fail "backup n/4.db: $(cat b.out)"
grep -q "^method  *full$" b.out && grep -q "^requested_method  *incremental$" b.out &&
  grep -q "^full_because  *no page of the database (.* pages of 4096 bytes)" b.out || fail "the text output: $(cat b.out)"

# a copy of the database (its catalog with it): its incremental would
# build on s.db's backup, which s.db's retention may delete; taken full
sqlite3 s.db "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
cp s.db other.db
sqlite3 other.db "INSERT INTO o (p) VALUES (5)"
mkdir m
j=$("$cli" backup m/0.db --incremental --db sqlite:other.db --module "$module" --json 2> b.err) || fail "backup of the copy: $(cat b.err)"
[ "$({ echo "$j" > j.json; jx '$.backup.method'; })" = full ] || fail "on another database's base, not full: $j"
{ echo "$j" > j.json; jx '$.backup.full_because'; } | grep -q "^its base backup ($work/n/4.db) carries no proof that it was made from this database" ||
  fail "full_because on another database's base: $j"
sqlite3 other.db "INSERT INTO o (p) VALUES (6)"
j=$("$cli" backup m/1.db --incremental --db sqlite:other.db --module "$module" --json 2> b.err) || fail "backup of the copy: $(cat b.err)"
[ "$({ echo "$j" > j.json; jx '$.backup.method'; })" = incremental ] || fail "the copy's next one: $j"
echo "ok: an incremental on another database's base is taken full"

rm -f s.db s.db-wal s.db-shm other.db other.db-wal other.db-shm
"$cli" restore m/1.db --db sqlite:rm.db --module "$module" > /dev/null 2> r.err || fail "restore m/1.db: $(cat r.err)"
[ "$(sqlite3 rm.db "SELECT group_concat(p) FROM o")" = 1,2,3,4,5,6 ] || fail "rm.db"
for f in 1 2 3 4; do
  "$cli" restore n/$f.db --db sqlite:r$f.db --module "$module" > /dev/null 2> r.err || fail "restore n/$f.db: $(cat r.err)"
done
[ "$(sqlite3 r1.db "SELECT group_concat(p) FROM o")" = 1,2 ] || fail "r1.db"
[ "$(sqlite3 r2.db "SELECT group_concat(p) FROM o")" = 1,2,3 ] || fail "r2.db"
[ "$(sqlite3 r3.db "SELECT group_concat(p) FROM o")" = 1,2,3 ] || fail "r3.db"
[ "$(sqlite3 r4.db "SELECT group_concat(p) FROM o")" = 1,2,3,4 ] || fail "r4.db"
echo "ok: with the database gone, every backup after the change restores"
