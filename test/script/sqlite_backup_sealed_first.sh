#!/usr/bin/env bash
# A database's very first sealed backup names its identity (issue 49.5):
# dbbackup_create makes dbcare's bookkeeping, and with it the identity
# (dbcare_bookkeeping.database_id), before the copy, so the header names
# it and the copy carries it. Two databases dbcare never touched, each
# backed up once to the same published path (one backup folder and name
# for several databases): the other's first backup over the catalogued
# file, its catalog row's columns copied too, is refused by verify and by
# restore, naming both identities, and the database is unchanged; a
# restore of the first backup into a new file has the origin's identity;
# the other's first backup, uncatalogued, restored over the database, is
# refused too. (Before, the first backup named no identity and was held to
# its path alone, which matched: it verified and restored.)
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
export DBCARE_BACKUP_KEY_FILE="$work/key"

a="$work/a.db" b="$work/b.db"
sqlite3 "$a" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('alice')"
sqlite3 "$b" "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT); INSERT INTO t (who) VALUES ('mallory')"
qa() { sqlite3 -batch -cmd ".load $module" "$a" "$@"; }
qb() { sqlite3 -batch -cmd ".load $module" "$b" "$@"; }
mkdir "$work/shared"
qa "SELECT dbbackup_create('$work/shared/nightly.db', 'full+zstd+encrypt')" >/dev/null
mv "$work/shared/nightly.db" "$work/a-nightly.saved"
qb "SELECT dbbackup_create('$work/shared/nightly.db', 'full+encrypt')" >/dev/null
ida=$(sqlite3 "$a" "SELECT database_id FROM dbcare_bookkeeping")
idb=$(sqlite3 "$b" "SELECT database_id FROM dbcare_bookkeeping")
[ ${#ida} = 32 ] && [ ${#idb} = 32 ] && [ "$ida" != "$idb" ] || fail "identities: '$ida' '$idb'"
grep -qaF "id:$ida $a" "$work/a-nightly.saved" || fail "a's first sealed backup names no identity"
grep -qaF "id:$idb $b" "$work/shared/nightly.db" || fail "b's first sealed backup names no identity"

# the attack: b's first backup is at a's catalogued path; b's row's
# columns over a's row
cols="bytes, pages, fingerprint, rows_digest, sha256, content, method, page_hashes"
rowof() { sqlite3 "$1" "SELECT quote(bytes), quote(pages), quote(fingerprint), quote(rows_digest), quote(sha256),
  quote(content), quote(method), quote(page_hashes) FROM dbcare_backups WHERE path = '$2'" | tr '|' ','; }
saved=$(rowof "$a" "$work/shared/nightly.db")
qa "UPDATE dbcare_backups SET ($cols) = ($(rowof "$b" "$work/shared/nightly.db")) WHERE path = '$work/shared/nightly.db'"
before=$(sqlite3 "$a" "SELECT group_concat(who) FROM t")
out=$(qa "SELECT dbbackup_verify('$work/shared/nightly.db')" 2>&1) &&
  fail "another database's first sealed backup verified: $out"
echo "$out" | grep -qF "it is the sealed backup of database $b (identity $idb), not of this database $a (identity $ida) that catalogues it" ||
  fail "verify: the error does not name both identities: $out"
[ "$(sqlite3 "$a" "SELECT status FROM dbcare_backups WHERE path = '$work/shared/nightly.db'")" = failed ] ||
  fail "the row is not failed"
"$cli" restore "$work/shared/nightly.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "another database's first sealed backup restored: $(cat "$work/out")"
grep -qF "(identity $idb), not of this database $a (identity $ida)" "$work/out" ||
  fail "restore: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "$before" ] || fail "the database changed"

# b's first backup, no catalog row of a's naming it, restored over a
cp "$work/shared/nightly.db" "$work/loose.db"
"$cli" restore "$work/loose.db" --db "sqlite:$a" --module "$module" >"$work/out" 2>&1 &&
  fail "another database's uncatalogued first backup restored over a: $(cat "$work/out")"
grep -qF "$work/loose.db is the sealed backup of database $b (identity $idb), not of this database $a (identity $ida)" "$work/out" ||
  fail "restore over another database: $(cat "$work/out")"
[ "$(sqlite3 "$a" "SELECT group_concat(who) FROM t")" = "$before" ] || fail "the database changed"

# a's own first backup back: it verifies, and restores into a new file,
# which is a's copy: a's identity, and a's next backups restore into it
# once a is named as their origin (another file)
mv "$work/a-nightly.saved" "$work/shared/nightly.db"
qa "UPDATE dbcare_backups SET ($cols) = ($saved), status = 'unverified' WHERE path = '$work/shared/nightly.db'"
qa "SELECT json_extract(dbbackup_verify('$work/shared/nightly.db'), '\$.verified')" | grep -qx 1 ||
  fail "a's own first backup does not verify"
"$cli" restore "$work/shared/nightly.db" --db "sqlite:$work/new.db" --module "$module" >"$work/out" 2>&1 ||
  fail "a's first backup into a new file: $(cat "$work/out")"
[ "$(sqlite3 "$work/new.db" "SELECT database_id FROM dbcare_bookkeeping")" = "$ida" ] ||
  fail "the first backup's copy does not carry a's identity"
[ "$(sqlite3 "$work/new.db" "SELECT group_concat(who) FROM t")" = alice ] || fail "new.db"
qa "SELECT dbbackup_create('$work/a2.db', 'full+encrypt')" >/dev/null
"$cli" restore "$work/a2.db" --db "sqlite:$work/new.db" --module "$module" --allow-origin "$a" >"$work/out" 2>&1 ||
  fail "a's second backup into the copy of its first: $(cat "$work/out")"

# inside a transaction a backup is refused, and leaves no bookkeeping in it
c="$work/c.db"
sqlite3 "$c" "CREATE TABLE t (x)"
out=$(printf "BEGIN;\nSELECT dbbackup_create('%s', 'full+encrypt');\nCOMMIT;\n" "$work/c1.db" |
  sqlite3 -batch -cmd ".load $module" "$c" 2>&1) || true
echo "$out" | grep -qF "inside a transaction" || fail "a backup inside a transaction: $out"
[ "$(sqlite3 "$c" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'dbcare%'")" = 0 ] ||
  fail "a refused backup left bookkeeping"
echo ok
