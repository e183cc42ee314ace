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
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
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
cp "$a" "$work/copy.db"
"$cli" restore "$work/a2.db" --db "sqlite:$work/copy.db" --module "$module" >"$work/out" 2>&1 ||
  fail "a copy of the database did not restore its own backup: $(cat "$work/out")"
[ "$(sqlite3 "$work/copy.db" "SELECT group_concat(who) FROM t")" = "alice,alice,alice 2" ] || fail "copy.db"
echo ok
