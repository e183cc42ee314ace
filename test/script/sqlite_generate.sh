#!/usr/bin/env bash
# dbmigrate_generate on SQLite (docs/schema-as-code.md, issue 40): a change
# ALTER TABLE cannot say rebuilds the parent of ON DELETE CASCADE children;
# the generated script turns foreign keys off, counts and hashes the parent
# and every child before and after, checks the keys, and the children keep
# every row (their count and hash unchanged). Inside a transaction, where
# foreign keys cannot be switched off, the script refuses and nothing stays.
# A rename comes from the mark only; a drop without allow_drop is refused.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/g.db"
sqlite3 "$db" <<'SQL'
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE CASCADE, v TEXT);
CREATE VIEW pv AS SELECT id, name FROM parent;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000)
INSERT INTO parent SELECT n, 'p' || n FROM g;
INSERT INTO child SELECT id, id, 'c' || id FROM parent;
SQL
cat > "$work/d.sql" <<'SQL'
CREATE TABLE parent (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '', -- dbcare: renamed from name
  extra INTEGER);
CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE CASCADE, v TEXT);
CREATE INDEX child_pid ON child (pid);
CREATE VIEW pv AS SELECT id, title FROM parent;
SQL
child_sum() { sqlite3 "$db" "SELECT count(*) || ':' || (SELECT group_concat(r, ',') FROM (SELECT quote(id)||quote(pid)||quote(v) AS r FROM child ORDER BY 1)) FROM child" | sha256sum; }
before=$(child_sum)
# the plan: rename first, then the verified rebuild
q -cmd "PRAGMA foreign_keys = ON" -cmd ".parameter set :d \"$(sed 's/"/""/g' "$work/d.sql")\"" \
  "SELECT step, transactional, coalesce(hazard, '') FROM dbmigrate_generate(:d)" > "$work/plan.txt" 2>&1 || true
grep -q 'renames column parent.name to title' "$work/plan.txt" || { cat "$work/plan.txt"; fail "no rename"; }
grep -q 'rebuilds table parent' "$work/plan.txt" || { cat "$work/plan.txt"; fail "no rebuild"; }
# the up as the command line writes it, run by the sqlite3 shell with foreign keys on
/usr/bin/python3 - "$db" "$module" "$work/d.sql" "$work/up.sql" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.enable_load_extension(True); db.load_extension(sys.argv[2])
db.execute("PRAGMA foreign_keys = ON")
rows = db.execute("SELECT statement FROM dbmigrate_generate(?) ORDER BY step", (open(sys.argv[3]).read(),)).fetchall()
open(sys.argv[4], "w").write("".join(r[0].rstrip().rstrip(";") + ";\n" for r in rows))
PY
# inside a transaction foreign keys stay on: the rebuild refuses, nothing changes
sfp=$(q "SELECT dbschema_fingerprint()")
{ echo "PRAGMA foreign_keys = ON;"; echo "BEGIN;"; sed -e 's/^BEGIN IMMEDIATE;$/SAVEPOINT s;/' -e 's/^COMMIT;$/RELEASE s;/' "$work/up.sql"; } > "$work/in_tx.sql"
if sqlite3 -bail "$db" < "$work/in_tx.sql" > "$work/tx.out" 2>&1; then fail "rebuild ran with foreign keys on"; fi
grep -q 'dbcare: foreign keys are still on' "$work/tx.out" || { cat "$work/tx.out"; fail "no refusal message"; }
[ "$(q "SELECT dbschema_fingerprint()")" = "$sfp" ] || fail "refused rebuild left changes"
[ "$(child_sum)" = "$before" ] || fail "refused rebuild lost child rows"
# at top level it runs, and the children keep every row
{ echo "PRAGMA foreign_keys = ON;"; cat "$work/up.sql"; } | sqlite3 -bail "$db" > /dev/null
[ "$(child_sum)" = "$before" ] || fail "child rows changed by the rebuild"
[ "$(sqlite3 "$db" "SELECT count(*) FROM parent WHERE title = 'p' || id")" = 20000 ] || fail "parent rows lost"
sqlite3 "$work/want.db" < "$work/d.sql"
[ "$(q "SELECT dbschema_fingerprint()")" = "$(db="$work/want.db" q "SELECT dbschema_fingerprint()")" ] || fail "not the desired schema"
# a drop without a mark is refused with its counts
sed 's/, -- dbcare: renamed from name/,/; s/title TEXT NOT NULL DEFAULT .., *$/x TEXT,/' "$work/d.sql" | grep -v "^$" > "$work/d2.sql"
printf 'CREATE TABLE parent (id INTEGER PRIMARY KEY, extra INTEGER);\nCREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id) ON DELETE CASCADE, v TEXT);\nCREATE INDEX child_pid ON child (pid);\n' > "$work/d2.sql"
err=$(q -cmd ".parameter set :d \"$(cat "$work/d2.sql")\"" "SELECT count(*) FROM dbmigrate_generate(:d)" 2>&1 || true)
echo "$err" | grep -q 'dbcare: the desired schema drops column parent.title (20000 rows, 20000 non-NULL values)' || fail "drop not refused: $err"
# the command line writes the pair in the folder's layout; migrate applies it
cli=$(cd "$(dirname "$0")/../.." && pwd)/build/cli/dbcare
export DBCARE_MODULE="$module"
db="$work/c.db"
: > "$db"
mkdir "$work/mig"
printf 'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n' > "$work/mig/0001_init.up.sql"
printf 'DROP TABLE t;\n' > "$work/mig/0001_init.down.sql"
"$cli" --db "sqlite:$db" migrate --dir "$work/mig" --quiet
printf 'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);\nCREATE INDEX t_a ON t (a);\n' > "$work/s.sql"
"$cli" --db "sqlite:$db" generate --to "$work/s.sql" add_b --dir "$work/mig" > "$work/gen.out"
[ -f "$work/mig/0002_add_b.up.sql" ] && [ -f "$work/mig/0002_add_b.down.sql" ] || { ls "$work/mig"; fail "not in the folder's layout"; }
grep -q 'ADD COLUMN b INTEGER' "$work/mig/0002_add_b.up.sql" || fail "up lacks the column"
grep -q 'DROP COLUMN "b"' "$work/mig/0002_add_b.down.sql" || fail "down lacks the reverse"
"$cli" --db "sqlite:$db" migrate --dir "$work/mig" --quiet
sqlite3 "$work/want2.db" < "$work/s.sql"
[ "$(q "SELECT dbschema_fingerprint()")" = "$(db="$work/want2.db" q "SELECT dbschema_fingerprint()")" ] || fail "migrate did not reach the schema file"
"$cli" --db "sqlite:$db" generate --to "$work/s.sql" again --dir "$work/mig" > /dev/null
[ "$(ls "$work/mig" | wc -l)" = 4 ] || fail "an empty plan wrote files"
# renames of a table and of its column holding 10^6 rows: the plan from
# the marks only, applied: 0 rows lost, every value where it was
db="$work/big.db"
sqlite3 "$db" <<'SQL'
CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score INTEGER);
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000)
INSERT INTO account SELECT n, 'n' || n, n % 100 FROM g;
SQL
big_sum() { sqlite3 "$db" "SELECT count(*) || ':' || sum(id) || ':' || sum(length($1)) || ':' || sum(score) FROM $2"; }
before=$(big_sum name account)
printf 'CREATE TABLE customer ( -- dbcare: renamed from account\n  id INTEGER PRIMARY KEY,\n  full_name TEXT NOT NULL, -- dbcare: renamed from name\n  score INTEGER\n);\n' > "$work/big.sql"
t0=$(date +%s.%N)
"$py" - "$db" "$module" "$work/big.sql" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None); db.enable_load_extension(True); db.load_extension(sys.argv[2])
rows = db.execute("SELECT statement, coalesce(hazard, '') FROM dbmigrate_generate(?) ORDER BY step", (open(sys.argv[3]).read(),)).fetchall()
text = "\n".join(r[0] for r in rows)
assert "RENAME TO" in text and "RENAME COLUMN" in text, text
assert "DROP" not in text.upper(), text
for st, _ in rows:
    db.executescript(st)
PY
[ "$(big_sum full_name customer)" = "$before" ] || fail "rows lost in the renames of the 10^6-row table"
[ "$(sqlite3 "$db" "SELECT count(*) FROM customer WHERE full_name = 'n' || id")" = 1000000 ] || fail "values moved in the renames"
echo "renames of a 10^6-row table: $(echo "$(date +%s.%N) - $t0" | bc) s"
echo ok
