#!/usr/bin/env bash
# Incremental backups (docs/backups.md, "Incremental backups"): after a
# full backup of a 100 MB database, 1 % of its pages change; the
# incremental backup writes at most 2 % of the database's size, and the
# chain (full, incremental, a second incremental) restores, through
# `dbcare restore`, to a database with the same schema fingerprint, row
# counts and content hashes as the source at each backup's moment. A link
# of the chain changed or missing fails verification and restore with the
# database unchanged; prune keeps the bases of an incremental it keeps.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
start=$(date +%s)

db="$work/app.db"
# 225,000 rows of 400 bytes: about 100 MB, 9 rows a page
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);
  INSERT INTO t (b) SELECT randomblob(400) FROM generate_series(1, 225000);
  CREATE TABLE small (k TEXT);" >/dev/null
size=$(q "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
[ "$size" -ge 100000000 ] || fail "the database is $size bytes"
q "SELECT dbbackup_create('$work/full.db')" >/dev/null

# 1 % of the pages: 2,250 rows in a row, rewritten in place (same size)
q "UPDATE t SET b = randomblob(400) WHERE id BETWEEN 100001 AND 102250" >/dev/null
out=$(q "SELECT dbbackup_create('$work/inc1.db', 'incremental')")
bytes=$(stat -c %s "$work/inc1.db")
echo "incremental: $bytes bytes of $size ($(( bytes * 1000 / size ))/1000), $(echo "$out" | sed 's/.*"pages_written":\([0-9]*\).*/\1/') pages"
[ $(( bytes * 100 )) -le $(( size * 2 )) ] || fail "the incremental wrote $bytes bytes of $size"
[ "$(echo "$out" | sed 's/.*"method":"\([a-z]*\)".*/\1/')" = incremental ] || fail "method: $out"
# what the source was at inc1's moment (the content the catalog keeps)
# (the application's tables, hashed by the sqlite3 shell's sha3_query: a
# check of its own; dbcare's catalog is merged by a restore)
# (hex: the raw digest is bytes a shell variable may not hold; a failing
# shell says why instead of giving an empty fingerprint)
fingerprint() {
  sqlite3 -cmd '.timeout 30000' "$1" \
    "SELECT hex(sha3_query('SELECT * FROM t ORDER BY id; SELECT * FROM small ORDER BY k'))" 2>&1
}
want1=$(fingerprint "$db")

q "INSERT INTO small VALUES ('after inc1'); DELETE FROM t WHERE id = 5" >/dev/null
q "SELECT dbbackup_create('$work/inc2.db', 'incremental')" >/dev/null

# restore inc1 (a chain ending before the newest) into a copy of the
# database (its catalog names the chain; the copy keeps the identity, but
# is another file: the original named as the backups' origin)
copy_db() { sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null; cp "$db" "$1"; }
copy_db "$work/r1.db"
"$cli" restore "$work/inc1.db" --db "sqlite:$work/r1.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1 ||
  { fail "restore of inc1: $(cat "$work/out")"; }
[ "$(sqlite3 "$work/r1.db" "SELECT count(*) FROM t; SELECT count(*) FROM small")" = "$(printf '225000\n0')" ] ||
  fail "inc1 restored other rows"
got1=$(fingerprint "$work/r1.db")
[ -n "$want1" ] && [ "$got1" = "$want1" ] || fail "inc1's restore differs: $got1 / $want1"
ls "$work" | grep -q '\.restore-' && fail "the restore left its image: $(ls "$work")"

# restore inc2 (the whole chain)
copy_db "$work/r2.db"
"$cli" restore "$work/inc2.db" --db "sqlite:$work/r2.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1 ||
  { cat "$work/out"; fail "restore of inc2"; }
[ "$(sqlite3 "$work/r2.db" "SELECT count(*) FROM t; SELECT group_concat(k) FROM small; PRAGMA integrity_check")" = \
  "$(printf '224999\nafter inc1\nok')" ] || fail "inc2 restored other rows"

# dbcare verify FILE re-verifies a catalogued incremental through its chain
"$cli" verify "$work/inc2.db" --db "sqlite:$db" --module "$module" --json >"$work/out" 2>&1 ||
  fail "dbcare verify inc2: $(cat "$work/out")"
grep -q '"verify":{.*"verified":true' "$work/out" || fail "dbcare verify: $(cat "$work/out")"

# prune keeps the chain of the newest verified backup (inc2: inc1, full)
q "SELECT dbbackup_prune(1, NULL, false)" >/dev/null
for f in full inc1 inc2; do [ -f "$work/$f.db" ] || fail "prune deleted $f, a link of the kept chain"; done

# a flipped byte in the middle link: restore fails, naming it
printf 'X' | dd of="$work/inc1.db" bs=1 seek=$(( bytes / 2 )) conv=notrunc 2>/dev/null
before=$(sqlite3 "$work/r1.db" "SELECT count(*) FROM small")
if "$cli" restore "$work/inc2.db" --db "sqlite:$work/r1.db" --module "$module" --allow-origin "$db" >"$work/out" 2>&1; then
  fail "restore of a chain with a changed link"
fi
grep -q "dbcare: backup $work/inc2.db failed verification: backup $work/inc1.db: its content differs" "$work/out" &&
  grep -q "did not verify" "$work/out" || fail "restore: $(cat "$work/out")"
[ "$(sqlite3 "$work/r1.db" "SELECT count(*) FROM small")" = "$before" ] || fail "the failed restore changed the database"


# no base: an incremental needs a full backup first
if out=$(db="$work/fresh.db" q "SELECT dbbackup_create('$work/x.db', 'incremental')" 2>&1); then fail "an incremental without base"; fi
echo "$out" | grep -q "dbcare: no verified backup to build an incremental one on" || fail "no base: $out"
echo "ok: incremental backups ($(( $(date +%s) - start ))s)"
