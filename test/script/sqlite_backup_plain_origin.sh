#!/usr/bin/env bash
# A plain (unsealed) backup is the one its catalog row names, by the rule
# sealed backups follow (sqlite_backup_sealed_origin.sh). A plain copy is
# itself a SQLite database: its bookkeeping names the identity of the
# database it was copied from (dbcare_bookkeeping.database_id, which a
# copy of the file keeps) and its stamp that database's file and the path
# the copy was published under. Another database's plain backup copied
# over a catalogued file, with its catalog row's columns copied too (same
# SHA-256, fingerprint, content), fails verification, the drill and the
# restore with an error naming both (before: verified, and the restore
# replaced alice's rows with mallory's); so does one published under the
# very path the row names (the identities differ), and a file no row
# names restored over a database of another identity. A copy of the
# database (the same identity, another file) restores the original's
# backups only when the user names that origin (--allow-origin), and
# verifies and restores its own; a copy without an identity (made before
# identities) is compared with nothing, as before. A database made again in
# the database's place (a new identity) takes its former life's backup only
# when the user names that database (--allow-origin).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/backup_origin.sh"
unset DBCARE_BACKUP_KEY_FILE DBCARE_BACKUP_KEY DBCARE_BACKUP_ALLOW_ORIGIN

a="$work/a.db" b="$work/b.db"
sqlite3 "$a" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('alice'), ('alice')"
sqlite3 "$b" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('mallory'), ('mallory')"
qa() { sqlite3 -batch -cmd ".load $module" "$a" "$@"; }
qb() { sqlite3 -batch -cmd ".load $module" "$b" "$@"; }
qa "SELECT dbbackup_create('$work/a1.db')" >/dev/null
qb "SELECT dbbackup_create('$work/b1.db')" >/dev/null
ida=$(qa "SELECT dbbackup_identity()")
idb=$(qb "SELECT dbbackup_identity()")
[ ${#ida} = 32 ] && [ ${#idb} = 32 ] && [ "$ida" != "$idb" ] || fail "identities: '$ida' '$idb'"
[ "$(sqlite3 "$work/b1.db" "SELECT database_id FROM dbcare_bookkeeping")" = "$idb" ] ||
  fail "the plain copy does not carry its database's identity"
qa "SELECT json_extract(dbbackup_verify('$work/a1.db'), '\$.verified')" | grep -qx 1 || fail "a1 does not verify"

cols="bytes, pages, fingerprint, rows_digest, sha256, content, method, page_hashes"
rowof() { sqlite3 "$1" "SELECT quote(bytes), quote(pages), quote(fingerprint), quote(rows_digest), quote(sha256),
  quote(content), quote(method), quote(page_hashes) FROM dbcare_backups WHERE path = '$2'" | tr '|' ','; }

# the attack: b1 over a1, and b1's row's columns over a1's row
cp "$work/a1.db" "$work/a1.saved"
cp "$work/b1.db" "$work/a1.db"
saved=$(rowof "$a" "$work/a1.db")
qa "UPDATE dbcare_backups SET ($cols) = ($(rowof "$b" "$work/b1.db")) WHERE path = '$work/a1.db'"
before=$(sqlite3 "$a" "SELECT group_concat(who) FROM t")
out=$(qa "SELECT dbbackup_verify('$work/a1.db')" 2>&1) && fail "another database's plain backup verified: $out"
echo "$out" | grep -qF "it is the backup of database $b published as $work/b1.db, not the one this database $a catalogues as $work/a1.db" ||
  fail "the error does not name both origins: $out"
[ "$(qa "SELECT status FROM dbcare_backups WHERE path = '$work/a1.db'")" = failed ] || fail "the row is not failed"
qa "UPDATE dbcare_backups SET status = 'unverified' WHERE path = '$work/a1.db'"
"$cli" verify "$work/a1.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "dbcare verify took another database's plain backup: $(cat "$work/out")"
grep -qF "published as $work/b1.db" "$work/out" || fail "dbcare verify: $(cat "$work/out")"
"$cli" backup drill "$work/a1.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "the drill took another database's plain backup: $(cat "$work/out")"
grep -qF "published as $work/b1.db" "$work/out" || fail "drill: $(cat "$work/out")"
"$cli" restore "$work/a1.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "another database's plain backup restored: $(cat "$work/out")"
grep -qF "published as $work/b1.db" "$work/out" || fail "restore: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "$before" ] || fail "the database changed"

# the files are sound where they belong: a1 back, verified; b1 in b; b1
# restored into a new database (no catalog, no identity to compare)
cp "$work/a1.saved" "$work/a1.db"
qa "UPDATE dbcare_backups SET ($cols) = ($saved), status = 'unverified' WHERE path = '$work/a1.db'"
qa "SELECT json_extract(dbbackup_verify('$work/a1.db'), '\$.verified')" | grep -qx 1 || fail "a1 does not verify again"
qb "SELECT json_extract(dbbackup_verify('$work/b1.db'), '\$.verified')" | grep -qx 1 || fail "b1 does not verify"
"$cli" backup drill "$work/a1.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 ||
  fail "the drill of a's own backup: $(cat "$work/out")"
"$cli" restore "$work/b1.db" --db "sqlite:$work/new.db" --module "$module" >"$work/out" 2>&1 ||
  fail "b1 into a new database: $(cat "$work/out")"
[ "$(sqlite3 "$work/new.db" "SELECT group_concat(who) FROM t")" = "mallory,mallory" ] || fail "new.db"

# the same published path: b's plain backup where a's was, b's row's
# columns in a's row. The paths match; the identities do not.
mkdir "$work/shared"
qa "SELECT dbbackup_create('$work/shared/nightly.db')" >/dev/null
mv "$work/shared/nightly.db" "$work/a-nightly.saved"
qb "SELECT dbbackup_create('$work/shared/nightly.db')" >/dev/null
saved=$(rowof "$a" "$work/shared/nightly.db")
qa "UPDATE dbcare_backups SET ($cols) = ($(rowof "$b" "$work/shared/nightly.db")) WHERE path = '$work/shared/nightly.db'"
out=$(qa "SELECT dbbackup_verify('$work/shared/nightly.db')" 2>&1) &&
  fail "another database's plain backup at the catalogued path verified: $out"
echo "$out" | grep -qF "it is the backup of database $b (identity $idb), not of this database $a (identity $ida) that catalogues it" ||
  fail "the error does not name both identities: $out"
"$cli" restore "$work/shared/nightly.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "another database's plain backup at the catalogued path restored: $(cat "$work/out")"
grep -qF "(identity $idb), not of this database $a (identity $ida)" "$work/out" || fail "restore: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "$before" ] || fail "the database changed"
mv "$work/a-nightly.saved" "$work/shared/nightly.db"
qa "UPDATE dbcare_backups SET ($cols) = ($saved), status = 'unverified' WHERE path = '$work/shared/nightly.db'"
qa "SELECT json_extract(dbbackup_verify('$work/shared/nightly.db'), '\$.verified')" | grep -qx 1 ||
  fail "a's own backup at the shared path does not verify"

# an incremental built on a full copy that is b's: the chain's full link
# is checked as the full file is
qa "INSERT INTO t (who) VALUES ('alice 2')"
qa "SELECT dbbackup_create('$work/a2.db', 'incremental')" >/dev/null
base=$(qa "SELECT b.path FROM dbcare_backups i JOIN dbcare_backups b ON b.id = i.base_id WHERE i.path = '$work/a2.db'")
qa "SELECT json_extract(dbbackup_verify('$work/a2.db'), '\$.verified')" | grep -qx 1 || fail "a2 does not verify"
cp "$base" "$work/base.saved"
saved=$(rowof "$a" "$base")
qb "SELECT dbbackup_create('$work/b-base.db')" >/dev/null
cp "$work/b-base.db" "$base"
qa "UPDATE dbcare_backups SET ($cols) = ($(rowof "$b" "$work/b-base.db")) WHERE path = '$base'"
out=$(qa "SELECT dbbackup_verify('$work/a2.db')" 2>&1) && fail "a chain through another database's file verified: $out"
echo "$out" | grep -qF "it is the backup of database $b published as $work/b-base.db" || fail "chain: $out"
cp "$work/base.saved" "$base"
qa "UPDATE dbcare_backups SET ($cols) = ($saved), status = 'unverified' WHERE path = '$base'"
qa "UPDATE dbcare_backups SET status = 'unverified' WHERE path = '$work/a2.db'"
qa "SELECT json_extract(dbbackup_verify('$work/a2.db'), '\$.verified')" | grep -qx 1 || fail "a2 does not verify again"

# a file the target's catalog does not name, restored over a database of
# another identity: refused, naming both, nothing changed and no safety
# backup taken; over a copy of its own database it restores when its
# origin is named
cp "$work/b1.db" "$work/loose.db"
loose_restore_refused "$work/loose.db" "backup"
[ "$(sqlite3 "$work/bcopy.db" "SELECT group_concat(who) FROM t")" = "mallory,mallory" ] || fail "bcopy.db"

# a clone keeps the identity: its catalog names the original's backups,
# which it verifies and restores only with the original named; its own
# backups it verifies, drills and restores as any database
cp "$a" "$work/copy.db"
c="$work/copy.db"
qc() { sqlite3 -batch -cmd ".load $module" "$c" "$@"; }
[ "$(qc "SELECT dbbackup_identity()")" = "$ida" ] || fail "a copy of the database has another identity"
out=$(qc "SELECT dbbackup_verify('$work/a1.db')" 2>&1) && fail "a copy verified the original's backup unasked: $out"
echo "$out" | grep -qF "it is the backup of database $a, not of this database $c that catalogues it (a copy keeps the identity)" &&
  echo "$out" | grep -qF -- "--allow-origin $a" || fail "copy.db: $out"
DBCARE_BACKUP_ALLOW_ORIGIN="$a" sqlite3 -batch -cmd ".load $module" "$c" \
  "SELECT json_extract(dbbackup_verify('$work/a1.db'), '\$.verified')" | grep -qx 1 ||
  fail "the SQL function with the origin in the environment"
"$cli" restore "$work/a1.db" --db "sqlite:$c" --module "$module" >"$work/out" 2>&1 &&
  fail "a copy restored the original's backup unasked: $(cat "$work/out")"
"$cli" restore "$work/a1.db" --db "sqlite:$c" --module "$module" --allow-origin "$a" >"$work/out" 2>&1 ||
  fail "a copy of the database did not restore the original's backup: $(cat "$work/out")"
[ "$(sqlite3 "$c" "SELECT group_concat(who) FROM t")" = "alice,alice" ] || fail "copy.db"
qc "INSERT INTO t (who) VALUES ('copy')"
qc "SELECT dbbackup_create('$work/c1.db')" >/dev/null
qc "SELECT json_extract(dbbackup_verify('$work/c1.db'), '\$.verified')" | grep -qx 1 || fail "the copy's own backup"
"$cli" backup drill "$work/c1.db" --db "sqlite:$c" --module "$module" >"$work/out" 2>&1 ||
  fail "the drill of the copy's own backup: $(cat "$work/out")"
qc "UPDATE t SET who = 'changed'"
"$cli" restore "$work/c1.db" --db "sqlite:$c" --module "$module" >"$work/out" 2>&1 ||
  fail "the copy did not restore its own backup: $(cat "$work/out")"
[ "$(sqlite3 "$c" "SELECT group_concat(who) FROM t")" = "alice,alice,copy" ] || fail "copy.db restored"

# a copy without an identity (made before identities): nothing to
# compare, it verifies and restores as before
sqlite3 "$a" "UPDATE dbcare_bookkeeping SET database_id = NULL"
qa "SELECT dbbackup_create('$work/old-style.db')" >/dev/null
sqlite3 "$a" "UPDATE dbcare_bookkeeping SET database_id = '$ida'"
[ -z "$(sqlite3 "$work/old-style.db" "SELECT database_id FROM dbcare_bookkeeping")" ] ||
  fail "a database without identity copied one"
qa "SELECT json_extract(dbbackup_verify('$work/old-style.db'), '\$.verified')" | grep -qx 1 ||
  fail "a copy without identity does not verify"
"$cli" restore "$work/old-style.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 ||
  fail "a copy without identity did not restore: $(cat "$work/out")"

# the database made again in its place before the operator restored (an
# application that started, ran its migrations and so has a new
# identity at the same path): its former life's backup is refused, naming
# the way, and restored once the user names its database
sqlite3 "$a" "UPDATE dbcare_bookkeeping SET database_id = '$ida'" # (old-style.db restored had none)
qa "SELECT dbbackup_create('$work/a-last.db')" >/dev/null
[ "$(sqlite3 "$work/a-last.db" "SELECT database_id FROM dbcare_bookkeeping")" = "$ida" ] ||
  fail "the last backup does not name the database's identity"
rm -f "$a" "$a-wal" "$a-shm" "$a-journal"
qa "SELECT dbmigrate_add('1', 't', 'CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT);');
    SELECT dbmigrate_apply();" >/dev/null
[ "$(qa "SELECT dbbackup_identity()")" != "$ida" ] || fail "the database made again kept its identity"
"$cli" restore "$work/a-last.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "a backup of the former database restored over the new one unasked: $(cat "$work/out")"
grep -qF "if this database was made again in its place, name that origin: --allow-origin $a" "$work/out" ||
  fail "the refusal does not name the way: $(cat "$work/out")"
"$cli" restore "$work/a-last.db" --db "sqlite:$a" --module "$module" --allow-origin "$a" >"$work/out" 2>&1 ||
  fail "the former database's backup did not restore with its origin named: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "$(sqlite3 "$work/a-last.db" "SELECT group_concat(who) FROM t")" ] ||
  fail "a.db after the restore: $(sqlite3 "$a" "SELECT group_concat(who) FROM t")"
echo ok
