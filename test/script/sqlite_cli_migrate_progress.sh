#!/usr/bin/env bash
# dbcare migrate's progress lines (not a terminal: one line per step) count
# every migration from [1/N] to [N/N], the last naming the repeatable; the
# repeatable runs after the versioned migrations it follows (its view reads
# the table the last one makes) and is recorded after them.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"
mkdir m
for i in 1 2 3 4; do echo "CREATE TABLE t$i (id INTEGER PRIMARY KEY);" >m/V${i}__t$i.sql; done
echo 'ALTER TABLE t4 ADD COLUMN n TEXT;' >m/V5__n.sql
echo 'DROP VIEW IF EXISTS v4; CREATE VIEW v4 AS SELECT n FROM t4;' >m/R__v4.sql
run 0 migrate --db sqlite:a.db --dir m
printf '[1/6] 1 t1\n[2/6] 2 t2\n[3/6] 3 t3\n[4/6] 4 t4\n[5/6] 5 n\n[6/6] v4\n' >want
grep '^\[' err >got || true
diff want got || fail "progress lines"
has '6 migration(s) applied' out
db=a.db
# the repeatable recorded last, after V5
[ "$(q "SELECT coalesce(version, name) FROM dbmigrate_status() ORDER BY applied_at DESC, version IS NULL DESC LIMIT 1")" = v4 ] ||
  fail "order: $(q 'SELECT version, name, applied_at FROM dbmigrate_status()')"
[ "$(q "SELECT count(*) FROM dbmigrate_status() WHERE applied_at > (SELECT applied_at FROM dbmigrate_status() WHERE name = 'v4')")" = 0 ] ||
  fail "a versioned migration recorded after the repeatable"
# a changed repeatable alone: one step, [1/1] is not shown (one call), and
# a new version with the changed repeatable: [1/2] 6 ..., [2/2] v4
echo 'ALTER TABLE t4 ADD COLUMN m TEXT;' >m/V6__m.sql
echo 'DROP VIEW IF EXISTS v4; CREATE VIEW v4 AS SELECT n, m FROM t4;' >m/R__v4.sql
run 0 migrate --db sqlite:a.db --dir m
printf '[1/2] 6 m\n[2/2] v4\n' >want
grep '^\[' err >got || true
diff want got || fail "progress lines of the second run"
[ "$(q "SELECT group_concat(name) FROM pragma_table_info('v4')")" = n,m ] || fail "view not re-created"
echo ok
