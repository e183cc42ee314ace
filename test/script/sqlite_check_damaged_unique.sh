#!/usr/bin/env bash
# dbcheck_constraints on a file whose unique index over NOT NULL columns is
# damaged ("non-unique entry in index"): the duplicates it let in are counted.
# SQLite drops a DISTINCT over such columns as redundant, so a precheck that
# counted distinct keys saw as many keys as rows and called the key clean.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/damaged.db"

# The index is built non-unique over duplicate keys, then declared UNIQUE in
# the schema: the b-tree holds the duplicates, as a damaged unique index does.
sqlite3 -batch "$db" "
CREATE TABLE t (id INTEGER PRIMARY KEY, code INT NOT NULL, name TEXT NOT NULL);
INSERT INTO t (code, name) VALUES (1, 'a'), (1, 'b'), (2, 'c'), (3, 'x'), (3, 'x'), (3, 'x');
CREATE INDEX t_code ON t (code);
CREATE INDEX t_code_name ON t (code, name);
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE UNIQUE INDEX t_code ON t (code)' WHERE name = 't_code';
UPDATE sqlite_schema SET sql = 'CREATE UNIQUE INDEX t_code_name ON t (code, name)' WHERE name = 't_code_name';
PRAGMA writable_schema = OFF;"
ic=$(sqlite3 -batch "$db" "PRAGMA integrity_check")
case "$ic" in *"non-unique entry in index t_code"*) echo "ok: the file is damaged as planted" ;;
  *) fail "integrity_check: $ic" ;; esac

got=$(q "SELECT constraint_name || ' ' || violations FROM dbcheck_constraints() WHERE kind = 'unique' ORDER BY 1")
echo "$got"
printf '%s\n' "$got" | grep -qxF "t_code 5" || fail "t_code: expected 5 rows in duplicated keys, got: $got"
printf '%s\n' "$got" | grep -qxF "t_code_name 3" || fail "t_code_name: expected 3, got: $got"
echo "ok: the duplicates under the damaged unique indexes are counted"

st=$(q "SELECT status FROM dbhealth_checks('full') WHERE name = 'constraint_violations'")
[ "$st" = critical ] || fail "constraint_violations is $st"
echo "ok: the full health report counts them too"
