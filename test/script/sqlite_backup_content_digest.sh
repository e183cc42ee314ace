#!/usr/bin/env bash
# The backups' row digest (docs/backups.md, "Logical verification"): content
# version 2 (SipHash-1-3-128 per row, summed per table) still finds, in a
# 100,000-row table of a rollback-journal database (whose full backup reads
# its rows once, from the copy, after comparing it with the snapshot byte
# for byte): one changed value, one deleted row (by its count, and by the
# hash where another row's duplicate keeps the count), and one byte changed
# inside a TEXT; each copy stays integrity-clean. A record of content
# version 1 (SHA-256 per row, the bare array 0.3.5 wrote), computed here
# independently in Python, still verifies, and still catches a change.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER, r REAL, b BLOB);
  INSERT INTO t (name, n, r, b) SELECT printf('name-%07d-%s', value, hex(randomblob(6))),
    value * 3, value / 7.0, CASE WHEN value % 10 = 0 THEN NULL ELSE randomblob(12) END
    FROM generate_series(1, 100000);
  CREATE TABLE other (k TEXT);
  INSERT INTO other VALUES ('x');" >/dev/null
[ "$(sqlite3 "$db" "PRAGMA journal_mode")" = delete ] || fail "the database is not in rollback mode"
for name in good changed deleted replaced textbyte legacy; do
  q "SELECT dbbackup_create('$work/$name.db')" >/dev/null
done
t_record() { # the record of table t in backup $1's row: version|rows|hash
  q "SELECT json_extract(b.content, '\$.version'), json_extract(value, '\$[1]'),
            json_extract(value, '\$[2]')
     FROM dbcare_backups AS b, json_each(b.content, '\$.tables')
     WHERE b.path = '$work/$1.db' AND json_extract(value, '\$[0]') = 't'"
}
t_record good | grep -Eqx '2\|100000\|[0-9a-f]{32}' ||
  fail "the record is not content version 2: $(t_record good)"
# t did not change between the copies: one record for all
[ "$(t_record good)" = "$(t_record legacy)" ] || fail "one table, two records"

refused() { # refused NAME PATTERN
  local out
  if out=$(q "SELECT dbbackup_verify('$work/$1.db')" 2>&1); then fail "$1: verified: $out"; fi
  printf '%s' "$out" | grep -q "dbcare: backup .*$1.db failed verification: $2" ||
    fail "$1: wrong error: $out"
}
clean() { [ "$(sqlite3 "$1" "PRAGMA integrity_check")" = ok ] || fail "$1 is not integrity-clean"; }

sqlite3 "$work/changed.db" "UPDATE t SET n = n + 1 WHERE id = 31337"
clean "$work/changed.db"
refused changed "table t holds other rows than the source"

sqlite3 "$work/deleted.db" "DELETE FROM t WHERE id = 4242"
clean "$work/deleted.db"
refused deleted "table t has 99999 rows, the source had 100000"

# deleted, and another row doubled: the count is the source's, the hash
# is not
sqlite3 "$work/replaced.db" "DELETE FROM t WHERE id = 4242;
  INSERT INTO t (name, n, r, b) SELECT name, n, r, b FROM t WHERE id = 4243"
clean "$work/replaced.db"
[ "$(sqlite3 "$work/replaced.db" "SELECT count(*) FROM t")" = 100000 ] || fail "replaced: count"
refused replaced "table t holds other rows than the source"

# one byte inside a TEXT: 'name-0077777-...' becomes 'name-0077778-...'
sqlite3 "$work/textbyte.db" "UPDATE t SET name = substr(name, 1, 11) || '8' || substr(name, 13)
  WHERE id = 77777"
clean "$work/textbyte.db"
[ "$(sqlite3 "$work/textbyte.db" "SELECT substr(name, 1, 12) FROM t WHERE id = 77777")" = \
  name-0077778 ] || fail "textbyte: the byte was not changed"
refused textbyte "table t holds other rows than the source"

q "SELECT json_extract(dbbackup_verify('$work/good.db'), '\$.verified')" | grep -qx 1 ||
  fail "the untouched copy did not verify"

# content version 1, as 0.3.5 recorded it: per row the SHA-256 of the
# canonical encoding, two 64-bit sums of its first 16 bytes
v1=$("$py" - "$work/legacy.db" <<'EOF'
import hashlib, json, sqlite3, struct, sys
c = sqlite3.connect(sys.argv[1])
out = []
for (name,) in c.execute("SELECT name FROM sqlite_schema WHERE type = 'table'"
                         " AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%'"
                         " AND name <> 'dbcare_backup_stamp' ORDER BY name").fetchall():
    s0 = s1 = rows = 0
    for row in c.execute('SELECT * FROM "%s"' % name.replace('"', '""')):
        e = b""
        for v in row:
            if v is None:
                e += b"\x05"
            elif isinstance(v, int):
                e += b"\x01" + struct.pack(">q", v)
            elif isinstance(v, float):
                e += b"\x02" + struct.pack(">d", v)
            else:
                b = v.encode() if isinstance(v, str) else bytes(v)
                e += (b"\x03" if isinstance(v, str) else b"\x04") + struct.pack(">I", len(b)) + b
        d = hashlib.sha256(e).digest()
        s0 = (s0 + int.from_bytes(d[:8], "big")) % 2**64
        s1 = (s1 + int.from_bytes(d[8:16], "big")) % 2**64
        rows += 1
    out.append([name, rows, "%016x%016x" % (s0, s1)])
print(json.dumps(out))
EOF
)
q "UPDATE dbcare_backups SET content = '$v1' WHERE path = '$work/legacy.db'"
q "SELECT json_extract(dbbackup_verify('$work/legacy.db'), '\$.verified')" | grep -qx 1 ||
  fail "a content version 1 record did not verify"
# the file's SHA-256 would see any change: without it, the version 1 hash
q "UPDATE dbcare_backups SET sha256 = NULL WHERE path = '$work/legacy.db'"
sqlite3 "$work/legacy.db" "UPDATE t SET name = substr(name, 1, 11) || '8' || substr(name, 13)
  WHERE id = 77777"
refused legacy "table t holds other rows than the source"
echo "ok: content version 2 finds a changed, a deleted and a one-byte-changed row; version 1 records still verify"
