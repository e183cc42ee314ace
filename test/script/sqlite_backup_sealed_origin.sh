#!/usr/bin/env bash
# A sealed backup is the one its catalog row names (issue 49.5): its
# header names the database it was taken from and the path it was
# published under. Another database's valid sealed backup, copied over a
# catalogued file with its catalog row's columns copied too (same SHA-256,
# fingerprint, content), fails verification and restore with an error
# naming both origins, and the database is unchanged; likewise as a sealed
# link of a chain. The files themselves verify and restore where they
# belong, a copy of the database restores its own backups, and a file
# restored into a new database (the disaster: no catalog) is not refused.
# The header also names the database's identity (dbcare_bookkeeping's
# database_id, which a copy of the file keeps): another database's backup
# published under the very path the catalog row names (one backup folder
# and name for several databases) is refused by it, naming both; so is a
# sealed file no catalog row names, restored over a database of another
# identity (a new or empty target has none to compare); a header
# without an identity (sealed before identities) is held to its path.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/backup_origin.sh"
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
export DBCARE_BACKUP_KEY_FILE="$work/key"

a="$work/a.db" b="$work/b.db"
sqlite3 "$a" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('alice'), ('alice')"
sqlite3 "$b" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('mallory'), ('mallory')"
qa() { sqlite3 -batch -cmd ".load $module" "$a" "$@"; }
qb() { sqlite3 -batch -cmd ".load $module" "$b" "$@"; }
qa "SELECT dbbackup_create('$work/a1.db', 'full+encrypt')" >/dev/null
qb "SELECT dbbackup_create('$work/b1.db', 'full+zstd+encrypt')" >/dev/null
qa "INSERT INTO t (who) VALUES ('alice 2')"
qa "SELECT dbbackup_create('$work/a2.db', 'incremental+encrypt')" >/dev/null
qa "INSERT INTO t (who) VALUES ('alice 3')"
qa "SELECT json_extract(dbbackup_verify('$work/a1.db'), '\$.verified')" | grep -qx 1 || fail "a1 does not verify"

# the attack: b1 over a1, and b1's row's columns over a1's row
cp "$work/a1.db" "$work/a1.saved"
cp "$work/b1.db" "$work/a1.db"
cols="bytes, pages, fingerprint, rows_digest, sha256, content, method, page_hashes"
row=$(sqlite3 "$b" "SELECT quote(bytes), quote(pages), quote(fingerprint), quote(rows_digest), quote(sha256),
  quote(content), quote(method), quote(page_hashes) FROM dbcare_backups WHERE path = '$work/b1.db'" | tr '|' ',')
rowof() { sqlite3 "$1" "SELECT quote(bytes), quote(pages), quote(fingerprint), quote(rows_digest), quote(sha256),
  quote(content), quote(method), quote(page_hashes) FROM dbcare_backups WHERE path = '$2'" | tr '|' ','; }
saved=$(rowof "$a" "$work/a1.db")
qa "UPDATE dbcare_backups SET ($cols) = ($row) WHERE path = '$work/a1.db'"
before=$(sqlite3 "$a" "SELECT group_concat(who) FROM t")

out=$(qa "SELECT dbbackup_verify('$work/a1.db')" 2>&1) && fail "another database's sealed backup verified: $out"
echo "$out" | grep -qF "it is the sealed backup of database $work/b.db published as $work/b1.db, not the one this database $work/a.db catalogues as $work/a1.db" ||
  fail "the error does not name both origins: $out"
[ "$(qa "SELECT status FROM dbcare_backups WHERE path = '$work/a1.db'")" = failed ] || fail "the row is not failed"
"$cli" restore "$work/a1.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "another database's sealed backup restored: $(cat "$work/out")"
grep -qF "published as $work/b1.db" "$work/out" || fail "restore: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "$before" ] || fail "the database changed"

# as a link of a chain: a2 builds on a1, which is b1 now
out=$(qa "SELECT dbbackup_verify('$work/a2.db')" 2>&1) && fail "a chain through another database's file verified: $out"
echo "$out" | grep -qF "published as $work/b1.db" || fail "chain: $out"

# the files are sound where they belong: a1 back, verified; b1 in b;
# and restored into a new database (no catalog, no target to compare)
cp "$work/a1.saved" "$work/a1.db"
qa "UPDATE dbcare_backups SET ($cols) = ($saved), status = 'unverified' WHERE path = '$work/a1.db'"
qa "SELECT json_extract(dbbackup_verify('$work/a2.db'), '\$.verified')" | grep -qx 1 || fail "a2 does not verify"
qb "SELECT json_extract(dbbackup_verify('$work/b1.db'), '\$.verified')" | grep -qx 1 || fail "b1 does not verify"
"$cli" restore "$work/b1.db" --db "sqlite:$work/new.db" --module "$module" >"$work/out" 2>&1 ||
  fail "b1 into a new database: $(cat "$work/out")"
[ "$(sqlite3 "$work/new.db" "SELECT group_concat(who) FROM t")" = "mallory,mallory" ] || fail "new.db"
# a copy of the database keeps its identity, but is another file: it
# restores a's backups only when the user names a as their origin
cp "$a" "$work/copy.db"
"$cli" restore "$work/a2.db" --db "sqlite:$work/copy.db" --module "$module" >"$work/out" 2>&1 &&
  fail "a copy of the database restored the original's backup unasked: $(cat "$work/out")"
grep -qF "it is the sealed backup of database $work/a.db, not of this database $work/copy.db that catalogues it" "$work/out" &&
  grep -qF -- "--allow-origin $work/a.db" "$work/out" || fail "copy.db: $(cat "$work/out")"
"$cli" restore "$work/a2.db" --db "sqlite:$work/copy.db" --module "$module" --allow-origin "$work/a.db" >"$work/out" 2>&1 ||
  fail "a copy of the database did not restore its own backup: $(cat "$work/out")"
[ "$(sqlite3 "$work/copy.db" "SELECT group_concat(who) FROM t")" = "alice,alice,alice 2" ] || fail "copy.db"
# the same published path: b's sealed backup where a's was, b's row's
# columns in a's row. The paths match; the identities do not.
mkdir "$work/shared"
qa "SELECT dbbackup_create('$work/shared/nightly.db', 'full+encrypt')" >/dev/null
mv "$work/shared/nightly.db" "$work/a-nightly.saved"
qb "SELECT dbbackup_create('$work/shared/nightly.db', 'full+encrypt')" >/dev/null
saved=$(rowof "$a" "$work/shared/nightly.db")
qa "UPDATE dbcare_backups SET ($cols) = ($(rowof "$b" "$work/shared/nightly.db")) WHERE path = '$work/shared/nightly.db'"
ida=$(sqlite3 "$a" "SELECT database_id FROM dbcare_bookkeeping")
idb=$(sqlite3 "$b" "SELECT database_id FROM dbcare_bookkeeping")
[ ${#ida} = 32 ] && [ ${#idb} = 32 ] && [ "$ida" != "$idb" ] || fail "identities: '$ida' '$idb'"
[ "$(sqlite3 "$work/copy.db" "SELECT database_id FROM dbcare_bookkeeping")" = "$ida" ] ||
  fail "a copy of the database has another identity"
before=$(sqlite3 "$a" "SELECT group_concat(who) FROM t")
out=$(qa "SELECT dbbackup_verify('$work/shared/nightly.db')" 2>&1) &&
  fail "another database's sealed backup at the catalogued path verified: $out"
echo "$out" | grep -qF "it is the sealed backup of database $work/b.db (identity $idb), not of this database $work/a.db (identity $ida) that catalogues it" ||
  fail "the error does not name both identities: $out"
"$cli" restore "$work/shared/nightly.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "another database's sealed backup at the catalogued path restored: $(cat "$work/out")"
grep -qF "(identity $idb), not of this database $work/a.db (identity $ida)" "$work/out" || fail "restore: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "$before" ] || fail "the database changed"
# a's own file back: it verifies, and restores into a copy of a
mv "$work/a-nightly.saved" "$work/shared/nightly.db"
qa "UPDATE dbcare_backups SET ($cols) = ($saved), status = 'unverified' WHERE path = '$work/shared/nightly.db'"
qa "SELECT json_extract(dbbackup_verify('$work/shared/nightly.db'), '\$.verified')" | grep -qx 1 ||
  fail "a's own backup at the shared path does not verify"
cp "$a" "$work/copy2.db"
"$cli" restore "$work/shared/nightly.db" --db "sqlite:$work/copy2.db" --module "$module" --allow-origin "$work/a.db" >"$work/out" 2>&1 ||
  fail "a copy of the database did not restore its own backup: $(cat "$work/out")"

# a file the target's catalog does not name, restored over a database of
# another identity: refused, naming both; over a copy of its own database
# (the same identity) it restores
# (b's second backup; its first names its identity too:
# sqlite_backup_sealed_first.sh)
qb "SELECT dbbackup_create('$work/b2.db', 'full+encrypt')" >/dev/null
cp "$work/b2.db" "$work/loose.db"
loose_restore_refused "$work/loose.db" "sealed backup"

# a header without an identity (what a build before them sealed): its
# path alone is compared, as before
sqlite3 "$a" "UPDATE dbcare_bookkeeping SET database_id = NULL"
qa "SELECT dbbackup_create('$work/old-style.db', 'full+encrypt')" >/dev/null
sqlite3 "$a" "UPDATE dbcare_bookkeeping SET database_id = '$ida'"
grep -qaF "id:$ida" "$work/old-style.db" && fail "a database without identity sealed one"
grep -qaF "id:$ida" "$work/shared/nightly.db" || fail "the header names no identity"
qa "SELECT json_extract(dbbackup_verify('$work/old-style.db'), '\$.verified')" | grep -qx 1 ||
  fail "a header without identity does not verify"

# a clone keeps the identity: staging, a copy of prod, backs up to the
# path prod catalogues, and its row's columns go over prod's. The
# identities and the published paths match; the files do not.
p="$work/prod.db" s="$work/staging.db"
qp() { sqlite3 -batch -cmd ".load $module" "$p" "$@"; }
qs() { sqlite3 -batch -cmd ".load $module" "$s" "$@"; }
sqlite3 "$p" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('prod')"
mkdir "$work/bk"
qp "SELECT dbbackup_create('$work/bk/first.db', 'full+encrypt')" >/dev/null
cp "$p" "$s"
sqlite3 "$s" "UPDATE t SET who = 'staging-fake'"
idp=$(qp "SELECT dbbackup_identity()")
[ ${#idp} = 32 ] && [ "$(qs "SELECT dbbackup_identity()")" = "$idp" ] || fail "the clone's identity: '$idp'"
qp "SELECT dbbackup_create('$work/bk/app.db', 'full+encrypt')" >/dev/null
mv "$work/bk/app.db" "$work/prod-app.saved"
qs "SELECT dbbackup_create('$work/bk/app.db', 'full+encrypt')" >/dev/null
saved=$(rowof "$p" "$work/bk/app.db")
qp "UPDATE dbcare_backups SET ($cols) = ($(rowof "$s" "$work/bk/app.db")) WHERE path = '$work/bk/app.db'"
out=$(qp "SELECT dbbackup_verify('$work/bk/app.db')" 2>&1) && fail "a clone's sealed backup verified: $out"
echo "$out" | grep -qF "it is the sealed backup of database $s, not of this database $p that catalogues it" ||
  fail "the error does not name both files: $out"
"$cli" backup drill "$work/bk/app.db" --db "sqlite:$p" --module "$module" >"$work/out" 2>&1 &&
  fail "the drill took a clone's sealed backup: $(cat "$work/out")"
grep -qF "database $s, not of this database $p" "$work/out" || fail "drill: $(cat "$work/out")"
"$cli" restore "$work/bk/app.db" --db "sqlite:$p" --module "$module" >"$work/out" 2>&1 &&
  fail "a clone's sealed backup restored: $(cat "$work/out")"
grep -qF "database $s, not of this database $p" "$work/out" || fail "restore: $(cat "$work/out")"
[ "$(sqlite3 "$p" "SELECT group_concat(who) FROM t")" = prod ] || fail "prod changed"

# the way through for a database that moved: its old file named as the
# origin (--allow-origin; DBCARE_BACKUP_ALLOW_ORIGIN for SQL), no other
mv "$work/prod-app.saved" "$work/bk/app.db"
qp "UPDATE dbcare_backups SET ($cols) = ($saved), status = 'unverified' WHERE path = '$work/bk/app.db'"
mkdir "$work/moved"
mv "$p" "$work/moved/prod.db"
m="$work/moved/prod.db"
"$cli" verify "$work/bk/app.db" --db "sqlite:$m" --module "$module" >"$work/out" 2>&1 &&
  fail "a moved database verified its old file's backup unasked: $(cat "$work/out")"
grep -qF -- "if this database moved or was renamed from $p, name that origin: --allow-origin $p" "$work/out" ||
  fail "moved: $(cat "$work/out")"
"$cli" verify "$work/bk/app.db" --db "sqlite:$m" --module "$module" --allow-origin "$s" >"$work/out" 2>&1 &&
  fail "another origin named let it verify: $(cat "$work/out")"
"$cli" verify "$work/bk/app.db" --db "sqlite:$m" --module "$module" --allow-origin "$p" >"$work/out" 2>&1 ||
  fail "the moved database with its origin named: $(cat "$work/out")"
DBCARE_BACKUP_ALLOW_ORIGIN="$p" sqlite3 -batch -cmd ".load $module" "$m" \
  "SELECT json_extract(dbbackup_verify('$work/bk/app.db'), '\$.verified')" | grep -qx 1 ||
  fail "the SQL function with the origin in the environment"
"$cli" backup drill "$work/bk/app.db" --db "sqlite:$m" --module "$module" --allow-origin "$p" >"$work/out" 2>&1 ||
  fail "the drill with the origin named: $(cat "$work/out")"
sqlite3 "$m" "UPDATE t SET who = 'changed'"
"$cli" restore "$work/bk/app.db" --db "sqlite:$m" --module "$module" --allow-origin "$p" >"$work/out" 2>&1 ||
  fail "the restore with the origin named: $(cat "$work/out")"
[ "$(sqlite3 "$m" "SELECT group_concat(who) FROM t")" = prod ] || fail "the moved database was not restored"

# a non-empty target never backed up (no identity): refused unless the
# origin is named, also at the very path the header names
sqlite3 "$work/plain.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('plain')"
"$cli" restore "$work/a1.db" --db "sqlite:$work/plain.db" --module "$module" >"$work/out" 2>&1 &&
  fail "a sealed backup replaced a database never backed up: $(cat "$work/out")"
grep -qF "$work/a1.db is the sealed backup of database $work/a.db, not of this database $work/plain.db;" "$work/out" ||
  fail "plain.db: $(cat "$work/out")"
mv "$a" "$work/a.away"
sqlite3 "$a" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('new at the old path')"
"$cli" restore "$work/a1.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "a sealed backup replaced a database without identity: $(cat "$work/out")"
grep -qF "this database $a has no identity yet" "$work/out" || fail "no identity: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "new at the old path" ] || fail "the target changed"
ls "$work" | grep -q "a.db.before-restore" && fail "a safety backup was taken before the refusal"
"$cli" restore "$work/a1.db" --db "sqlite:$a" --module "$module" --allow-origin "$a" >"$work/out" 2>&1 ||
  fail "the restore with the origin named: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "alice,alice" ] || fail "not restored"
echo ok
