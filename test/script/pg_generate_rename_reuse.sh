#!/usr/bin/env bash
# A rename whose old name a new object takes (issue 52, kind 10),
# PostgreSQL: "rename description to sidebar, then add a new description"
# and "rename table orders to purchases, then a new orders" written with
# the "renamed from" mark; and the same history read back from dbcare's
# rename log: migrations renamed description to sidebar and added a new
# description, and the desired schema is the first one again. The log says
# the live sidebar was description: the plan drops the new description
# (refused without allow_drop) before renaming sidebar back, so the values
# come back under their first name. Each plan applied reaches the desired
# schema (generating again plans nothing).
set -eu
db=dbcare_generate_rename_reuse
. "$(dirname "$0")/lib/pg.sh"
apply() { # DESIRED [OPTIONS]: the plan's statements, run in one transaction
  local plan
  plan=$(q -c "SELECT string_agg(statement, E';\n' ORDER BY step) || ';' FROM dbmigrate_generate(\$d\$$1\$d\$, '${2:-{\}}')")
  [ -n "$plan" ] || fail "no plan for: $1"
  q -1 -c "$plan" > /dev/null || fail "the plan failed: $plan"
  [ "$(q -c "SELECT count(*) FROM dbmigrate_generate(\$d\$$1\$d\$, '${2:-{\}}')")" = 0 ] ||
    fail "the desired schema is not reached: $(q -c "SELECT string_agg(statement, E'\n') FROM dbmigrate_generate(\$d\$$1\$d\$)")"
}
fresh_db
q > /dev/null <<'SQL'
CREATE TABLE page (id integer PRIMARY KEY, description text);
INSERT INTO page VALUES (1, 'about us'), (2, 'contact');
CREATE TABLE orders (id integer PRIMARY KEY, total integer);
INSERT INTO orders VALUES (1, 10), (2, 20);
SQL
apply "CREATE TABLE page (id integer PRIMARY KEY,
  sidebar text, -- dbcare: renamed from description
  description text);
CREATE TABLE purchases (id integer PRIMARY KEY, total integer); -- dbcare: renamed from orders
CREATE TABLE orders (id integer PRIMARY KEY, note text);"
[ "$(q -c "SELECT string_agg(id || ':' || sidebar || ':' || coalesce(description, '-'), ',' ORDER BY id) FROM page")" = "1:about us:-,2:contact:-" ] ||
  fail "the values did not follow the column rename: $(q -c 'SELECT * FROM page')"
[ "$(q -c "SELECT (SELECT string_agg(total::text, ',' ORDER BY id) FROM purchases) || '/' || (SELECT count(*) FROM orders)")" = "10,20/0" ] ||
  fail "the rows did not follow the table rename"

# the same history through the runner, then back to the first schema
q > /dev/null <<'SQL'
DROP TABLE page, purchases, orders;
SELECT dbmigrate_add('1', 'page', 'CREATE TABLE note (id integer PRIMARY KEY, description text);', 'DROP TABLE note;');
SELECT dbmigrate_add('2', 'sidebar', 'ALTER TABLE note RENAME COLUMN description TO sidebar;
ALTER TABLE note ADD COLUMN description text;', 'ALTER TABLE note DROP COLUMN description;
ALTER TABLE note RENAME COLUMN sidebar TO description;');
SELECT dbmigrate_apply();
INSERT INTO note VALUES (1, 'first text', 'later text');
SQL
first="CREATE TABLE note (id integer PRIMARY KEY, description text);"
out=$(q -c "SELECT step FROM dbmigrate_generate(\$d\$$first\$d\$)" 2>&1 || true)
grep -q 'allow_drop' <<<"$out" || fail "the new description's drop is not refused without allow_drop: $out"
apply "$first" '{"allow_drop": true}'
[ "$(q -c "SELECT id || ':' || description FROM note")" = "1:first text" ] ||
  fail "the log's rename was not followed back: $(q -c 'SELECT * FROM note')"
echo ok
