#!/usr/bin/env bash
# A hostile database file whose stored schema text carries more than one
# statement. SQLite reads only the first statement of a sqlite_schema row when
# it opens the file, so the file opens fine; the rename check of the migration
# lint copies the schema into a private in-memory database and must never run
# the rest. Here the rest ATTACHes another database and drops its table, and
# writes a new table into the attached file. Every way the lint runs is tried:
# dbmigrate_lint(), dbmigrate_plan() under migrate.lint = 'warn', and
# dbmigrate_apply() under migrate.lint = 'enforce'. Each refuses with a
# dbcare: error naming the view, and the victim keeps its table and rows.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

victim="$work/victim.db"
hostile="$work/hostile.db"

make_files() {
	rm -f "$victim" "$hostile"
	sqlite3 "$victim" "CREATE TABLE accounts(id integer primary key, owner text);
	                   INSERT INTO accounts VALUES (1, 'alice');"
	db=$hostile q >/dev/null <<SQL
CREATE TABLE orders(id integer primary key, total int);
CREATE VIEW v AS SELECT 1 AS one;
SELECT dbmigrate_add('1', 'rename orders', 'ALTER TABLE orders RENAME TO purchases;');
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE VIEW v AS SELECT 1 AS one; ATTACH ''$victim'' AS vic; DROP TABLE vic.accounts; CREATE TABLE vic.pwned(x)' WHERE name = 'v';
SQL
}

victim_intact() {
	local what=$1 got
	got=$(sqlite3 "$victim" "SELECT group_concat(name) FROM sqlite_schema; SELECT owner FROM accounts;" 2>&1) ||
		fail "$what: the victim lost its table: $got"
	[ "$got" = "accounts
alice" ] || fail "$what: the victim changed: $got"
}

check() {
	local what=$1 sql=$2 out
	make_files
	if out=$(db=$hostile q "$sql" 2>&1); then
		fail "$what succeeded on a hostile schema: $out"
	fi
	victim_intact "$what"
	case $out in
	*"dbcare: "*"view v"*) ;;
	*) fail "$what: not the dbcare error naming the view: $out" ;;
	esac
	# the hostile file itself is unchanged: nothing was renamed or applied
	out=$(sqlite3 "$hostile" "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE name IN ('orders', 'purchases') ORDER BY name)")
	[ "$out" = orders ] || fail "$what: the hostile file changed: $out"
}

check "dbmigrate_lint" "SELECT * FROM dbmigrate_lint();"
check "dbmigrate_plan (lint warn)" "SELECT dbcare_set('migrate.lint', 'warn'); SELECT * FROM dbmigrate_plan();"
check "dbmigrate_apply (lint enforce)" "SELECT dbcare_set('migrate.lint', 'enforce'); SELECT dbmigrate_apply();"

# A schema row with a comment after its one statement is not hostile: the
# rename check still copies it and runs (the view does not resolve, so the
# rename would fail).
rm -f "$hostile"
db=$hostile q >/dev/null <<'SQL'
CREATE TABLE orders(id integer primary key, total int);
CREATE VIEW v AS SELECT x FROM gone;
SELECT dbmigrate_add('1', 'rename orders', 'ALTER TABLE orders RENAME TO purchases;');
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE VIEW v AS SELECT x FROM gone; -- a note' WHERE name = 'v';
SQL
out=$(db=$hostile q "SELECT rule FROM dbmigrate_lint();" 2>&1) ||
	fail "a trailing comment made the lint fail: $out"
case $out in *rename-unresolved*) ;; *) fail "the rename check did not run: $out" ;; esac
echo "ok: sqlite_lint_hostile_schema"
