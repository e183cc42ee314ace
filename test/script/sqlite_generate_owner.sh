#!/usr/bin/env bash
# dbmigrate_generate on SQLite runs none of the live database's own code
# (docs/schema-as-code.md, issue 40): triggers on every write of the
# table and on a view, a default and an index expression are planted,
# each trigger logging into a table; the generate (a rebuild for a type
# change, a dropped column, a rename) proves the plan on an in-memory copy
# without rows and only reads the live file: the log stays empty, the
# rows and the schema stay as they were. A trigger planted by another
# connection between two generates is not run either.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/o.db"
sqlite3 "$db" <<'SQL'
CREATE TABLE ran (what TEXT);
CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, w TEXT DEFAULT (lower('X')),
  extra TEXT);
CREATE INDEX t_expr ON t (abs(v) + 1);
CREATE VIEW tv AS SELECT id, v FROM t;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 10000)
INSERT INTO t (id, v, w, extra) SELECT n, n, 'w' || n, 'x' FROM g;
CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO ran VALUES ('insert'); END;
CREATE TRIGGER t_upd AFTER UPDATE ON t BEGIN INSERT INTO ran VALUES ('update'); END;
CREATE TRIGGER t_del AFTER DELETE ON t BEGIN INSERT INTO ran VALUES ('delete'); END;
CREATE TRIGGER tv_ins INSTEAD OF INSERT ON tv BEGIN INSERT INTO ran VALUES ('view'); END;
SQL
cat > "$work/want.sql" <<'SQL'
CREATE TABLE ran (what TEXT);
CREATE TABLE t (id INTEGER PRIMARY KEY, v BIGINT, label TEXT DEFAULT (lower('X')) -- dbcare: renamed from w
);
CREATE INDEX t_expr ON t (abs(v) + 1);
CREATE VIEW tv AS SELECT id, v FROM t;
CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO ran VALUES ('insert'); END;
CREATE TRIGGER t_upd AFTER UPDATE ON t BEGIN INSERT INTO ran VALUES ('update'); END;
CREATE TRIGGER t_del AFTER DELETE ON t BEGIN INSERT INTO ran VALUES ('delete'); END;
CREATE TRIGGER tv_ins INSTEAD OF INSERT ON tv BEGIN INSERT INTO ran VALUES ('view'); END;
SQL
state() { sqlite3 "$db" "SELECT (SELECT count(*) FROM ran) || ':' || (SELECT count(*) || ':' || sum(id * 7 + v) FROM t) || ':' || (SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name))" | sha256sum; }
before=$(state)
t0=$(date +%s.%N)
"$py" - "$db" "$module" "$work/want.sql" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.enable_load_extension(True); db.load_extension(sys.argv[2])
want = open(sys.argv[3]).read()
def gen():
    return db.execute("SELECT step, coalesce(hazard, '') FROM dbmigrate_generate(?, '{\"allow_drop\": true}') ORDER BY step", (want,)).fetchall()
try:
    db.execute("SELECT count(*) FROM dbmigrate_generate(?)", (want,)).fetchone()
    raise SystemExit("the drop was not refused")
except sqlite3.OperationalError as e:
    assert "drops column t.extra (10000 rows, 10000 non-NULL values)" in str(e), str(e)
plan = gen()
hz = " | ".join(h for _, h in plan)
assert "renames column t.w to label" in hz, hz
assert "rebuilds table t" in hz, hz
# another connection plants a trigger on reads' neighbours between calls
other = sqlite3.connect(sys.argv[1])
other.execute("CREATE TRIGGER t_late BEFORE UPDATE ON t BEGIN INSERT INTO ran VALUES ('late'); END")
other.commit(); other.close()
want2 = want + "\nCREATE TRIGGER t_late BEFORE UPDATE ON t BEGIN INSERT INTO ran VALUES ('late'); END;"
plan = db.execute("SELECT count(*) FROM dbmigrate_generate(?, '{\"allow_drop\": true}')", (want2,)).fetchone()
assert plan[0] > 0, plan
assert db.execute("SELECT count(*) FROM ran").fetchone()[0] == 0, db.execute("SELECT * FROM ran").fetchall()
db.close()
PY
sqlite3 "$db" "DROP TRIGGER t_late"
[ "$(state)" = "$before" ] || fail "the live database changed or its code ran"
echo "two generates with code planted: $(echo "$(date +%s.%N) - $t0" | bc) s, none of it ran"
echo ok
