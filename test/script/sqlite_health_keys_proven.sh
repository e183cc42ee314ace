#!/usr/bin/env bash
# The full health report does not count a UNIQUE or PRIMARY KEY's keys again
# when PRAGMA integrity_check, run just before on the same connection, has
# verified every unique index (its only problems, if any, are CHECK and NOT
# NULL failures of rows): a primary key's NULL parts are still counted, the
# same as dbcheck_constraints() counts them. When the pragma reports a
# non-unique index entry, the keys are counted as before.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/keys.db"

sqlite3 -batch "$db" "
CREATE TABLE p (a TEXT, b INT, c TEXT, PRIMARY KEY (a, b), UNIQUE (c));
CREATE TABLE q (id INTEGER PRIMARY KEY, x TEXT UNIQUE NOT NULL, y INT CHECK (y > 0));
CREATE UNIQUE INDEX q_y ON q (y) WHERE y > 5;
INSERT INTO p VALUES ('x', 1, 'c1'), ('x', NULL, 'c2'), ('x', NULL, 'c3'), (NULL, 2, 'c4'),
  ('y', 2, NULL), ('z', 3, NULL);
INSERT INTO q VALUES (1, 'a', 1), (2, 'b', 6), (3, 'c', 7);
PRAGMA ignore_check_constraints = ON;
INSERT INTO q VALUES (4, 'd', -1);"

# the statements the report runs, and its constraint_violations row
report() {
  sqlite3 -batch -cmd ".load $module" -cmd ".trace $work/trace.sql" "$db" \
    "SELECT message FROM dbhealth_checks('full') WHERE name = 'constraint_violations'"
}
# the key counts a key's own GROUP BY would give, from dbcheck_constraints()
counted=$(q "SELECT group_concat(constraint_name || ' ' || violations, ', ') FROM (SELECT * FROM
  dbcheck_constraints() WHERE kind IN ('primary_key', 'unique') AND violations > 0 ORDER BY 1)")
[ "$counted" = "p_pkey 3" ] || fail "dbcheck_constraints counts $counted, expected p_pkey 3"

ic=$(sqlite3 -batch "$db" "PRAGMA integrity_check")
[ "$ic" = "CHECK constraint failed in q" ] || fail "integrity_check: $ic"
msg=$(report)
echo "$msg"
[ "$msg" = "2 constraints with violations: p_pkey (primary_key, 3 rows), q_check_0 (check, 1 row)" ] ||
  fail "constraint_violations: $msg"
# every key's statement is a constant-false GROUP BY (WHERE 0), and the
# primary key's NULL parts are looked for without one
live=$(grep 'HAVING count(\*) > 1' "$work/trace.sql" | grep -v ' WHERE 0 GROUP BY' || true)
[ -z "$live" ] || fail "keys counted again after integrity_check verified them: $live"
grep -q 'FROM "main"."p" WHERE .*IS NULL.* GROUP BY "a", "b";$' "$work/trace.sql" ||
  fail "the primary key's NULL parts were not looked for: $(grep '"p"' "$work/trace.sql")"
echo "ok: keys verified by integrity_check are not counted again; NULL key parts are"

# integrity_check off for this report: nothing verified the keys, they are counted
q "SELECT dbcare_set('health.integrity.enabled', 'off')" >/dev/null
msg=$(report)
[ "$msg" = "2 constraints with violations: p_pkey (primary_key, 3 rows), q_check_0 (check, 1 row)" ] ||
  fail "constraint_violations without integrity_check: $msg"
grep -q 'FROM "main"."p" .*GROUP BY "a", "b" HAVING count(\*) > 1' "$work/trace.sql" ||
  fail "without integrity_check the primary key was not counted"
q "SELECT dbcare_set('health.integrity.enabled', 'on')" >/dev/null
echo "ok: without integrity_check the keys are counted"

# a damaged unique index (duplicates under it): the pragma says so, the
# proof is withdrawn and the duplicates are counted
sqlite3 -batch "$db" "
CREATE TABLE d (id INTEGER PRIMARY KEY, code INT NOT NULL);
INSERT INTO d (code) VALUES (1), (1), (2);
CREATE INDEX d_code ON d (code);
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE UNIQUE INDEX d_code ON d (code)' WHERE name = 'd_code';
PRAGMA writable_schema = OFF;"
case "$(sqlite3 -batch "$db" "PRAGMA integrity_check")" in
  *"non-unique entry in index d_code"*) ;;
  *) fail "the index is not damaged as planted" ;;
esac
msg=$(report)
echo "$msg"
case "$msg" in
  *"d_code (unique, 2 rows)"*"p_pkey (primary_key, 3 rows)"*) ;;
  *) fail "constraint_violations on the damaged file: $msg" ;;
esac
grep -q 'FROM "main"."p" .*GROUP BY "a", "b" HAVING count(\*) > 1' "$work/trace.sql" ||
  fail "after a non-unique entry the primary key was not counted"
echo "ok: a damaged unique index withdraws the proof"
