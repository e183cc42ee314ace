#!/usr/bin/env bash
# dbbackup_content() (docs/backups.md, "Logical verification"): what a
# backup's verification compares, read now, in the one format of the
# catalog's content column: a fresh backup's record holds the same tables,
# row counts and content hashes; one changed value moves the table's hash
# and nothing else; a lost row moves its count. It is DIRECTONLY: a view
# of the schema may not call it.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n REAL, b BLOB);
  INSERT INTO t (v, n, b) SELECT 'v-' || value, value / 3.0, randomblob(4) FROM generate_series(1, 2000);
  CREATE TABLE u (k TEXT, v INTEGER);
  INSERT INTO u VALUES ('a', 1), ('a', 1), ('b', NULL);" >/dev/null
q "SELECT dbbackup_create('$work/b.db')" >/dev/null
# the tables, counts and hashes of the record and of the function, without
# the record's rowid windows (dbcare's own catalog and its sqlite_sequence
# changed since the copy)
tables() { # JSON -> "name:rows:hash" per user table
  "$py" -c 'import json, sys
d = json.loads(sys.stdin.read())
assert d["version"] == 2, d
print(" ".join("%s:%s:%s" % tuple(t[:3]) for t in d["tables"] if not t[0].startswith(("dbcare_", "sqlite_"))))'
}
recorded=$(q "SELECT content FROM dbcare_backups WHERE path = '$work/b.db'" | tables)
now=$(q "SELECT dbbackup_content()" | tables)
[ -n "$now" ] && [ "$now" = "$recorded" ] || fail "dbbackup_content is not the backup's record: $now / $recorded"
case "$now" in "t:2000:"*" u:3:"*) ;; *) fail "the tables and counts: $now" ;; esac

q "UPDATE u SET v = 2 WHERE rowid = 1" >/dev/null
changed=$(q "SELECT dbbackup_content()" | tables)
[ "${changed%% *}" = "${now%% *}" ] || fail "a change to u moved t: $changed"
[ "${changed#* }" != "${now#* }" ] && case "${changed#* }" in u:3:*) true ;; *) false ;; esac ||
  fail "one changed value did not move u's hash alone: $changed"
q "DELETE FROM t WHERE id = 7" >/dev/null
case "$(q "SELECT dbbackup_content()" | tables)" in "t:1999:"*) ;; *) fail "a lost row did not move t's count" ;; esac

q "CREATE VIEW v AS SELECT dbbackup_content() AS c" >/dev/null
out=$(q "SELECT c FROM v" 2>&1) && fail "a view called dbbackup_content: $out"
grep -q "unsafe use of dbbackup_content" <<<"$out" || fail "the view's refusal: $out"
echo ok
