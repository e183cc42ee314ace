#!/usr/bin/env bash
# dbmigrate_load on SQLite: Flyway and golang-migrate directories register
# all their files; a directory with bad files registers nothing and names
# every bad file; CRLF + BOM files checksum like their LF twins.
set -eu
fix="$(cd "$(dirname "$0")/../fixtures/migrations" && pwd)"
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"

# the result counts migrations newly registered or changed, not files
[ "$(q "SELECT dbmigrate_load('$fix/flyway')")" = 4 ] || fail "flyway: 4 migrations"
[ "$(q "SELECT group_concat(coalesce(version, 'R') || '=' || name, ';') FROM dbmigrate_status")" = \
  "1=create authors;1.1=create books;2=add isbn;R=book summary" ] || fail "flyway status: $(q 'SELECT * FROM dbmigrate_status')"
[ "$(q "SELECT dbmigrate_apply()")" = 4 ] || fail "apply"
[ "$(q "SELECT dbmigrate_rollback('1.1')")" = 1 ] || fail "rollback with U files"
# Loading again is idempotent: nothing new or changed.
[ "$(q "SELECT dbmigrate_load('$fix/flyway')")" = 0 ] || fail "reload"
[ "$(q "SELECT count(*) FROM dbmigrate_validate")" = 0 ] || fail "validate after reload"

[ "$(q "SELECT dbmigrate_load('$fix/golang')")" = 2 ] || fail "golang: 2 versions"
[ "$(q "SELECT group_concat(version || '=' || name || '=' || state, ';') FROM dbmigrate_status WHERE version > '2'")" = \
  "20260101000000=create users=pending;20260102000000=add email=pending" ] || fail "golang status: $(q 'SELECT * FROM dbmigrate_status')"

# All or nothing: one error lists every bad file.
before=$(q "SELECT count(*) FROM dbmigrate_status")
if q "SELECT dbmigrate_load('$fix/bad')" > "$work/bad.out" 2>&1; then fail "bad directory loaded"; fi
for what in 'notes.sql: matches none of the accepted layouts' 'U2__orphan.sql: a down script without an up script' \
            '3_second.up.sql and V3__first.sql: two scripts for version 3' \
            'V5__commits.sql contains transaction control: COMMIT at line 2' '4 migration file(s)'; do
  grep -qF "$what" "$work/bad.out" || { cat "$work/bad.out"; fail "missing: $what"; }
done
# an empty file is a no-op migration; the down of a refused up is not "alone"
for what in 'V4__empty.sql' 'U5__commits.sql'; do
  grep -qF "$what" "$work/bad.out" && { cat "$work/bad.out"; fail "wrongly listed: $what"; }
done
[ "$(q "SELECT count(*) FROM dbmigrate_status")" = "$before" ] || fail "bad load registered something"

# Unreadable or missing directories.
if q "SELECT dbmigrate_load('$work/does-not-exist')" > "$work/nodir.out" 2>&1; then fail "missing dir"; fi
grep -q 'could not open migration directory' "$work/nodir.out" || fail "missing dir message"
if q "SELECT dbmigrate_load(NULL)" > "$work/null.out" 2>&1; then fail "NULL path"; fi
grep -q 'argument "path" must not be NULL' "$work/null.out" || fail "NULL message"

# CRLF line ends, a BOM and trailing blanks do not change the checksum.
db="$work/crlf.db"
[ "$(q "SELECT dbmigrate_load('$fix/crlf')")" = 1 ] || fail "crlf load"
lf=$(q "SELECT dbmigrate_add('1', 'crlf and bom', 'CREATE TABLE t (x);' || char(10) || 'INSERT INTO t VALUES (1);')")
[ "$(q "SELECT checksum FROM dbmigrate_status")" = "$lf" ] || fail "crlf checksum differs"
echo "dbmigrate_load on SQLite: ok"
