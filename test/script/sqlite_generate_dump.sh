#!/usr/bin/env bash
# dbmigrate_generate reads the desired schema as the SQLite shell's
# .schema and .fullschema write it (issue 52, kind 7): the tables SQLite
# makes itself (sqlite_sequence, sqlite_stat1) and the statistics written
# into them are not the user's, and the plan reaches the source's schema.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
src=$work/src.db db=$work/live.db
sqlite3 -batch -bail "$src" <<'SQL'
CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, total REAL NOT NULL);
CREATE INDEX orders_total ON orders(total);
INSERT INTO orders(total) VALUES (1), (2);
ANALYZE;
SQL
sqlite3 -batch "$src" .schema > "$work/schema.sql"
sqlite3 -batch "$src" .fullschema > "$work/full.sql"
grep -q '^CREATE TABLE sqlite_sequence' "$work/schema.sql" || fail "no sqlite_sequence in .schema"
grep -q '^CREATE TABLE sqlite_stat1' "$work/schema.sql" || fail "no sqlite_stat1 in .schema"
grep -q '^INSERT INTO sqlite_stat1' "$work/full.sql" || fail "no statistics in .fullschema"
for text in schema full; do
rm -f "$db"
sqlite3 "$db" "VACUUM"
"$py" - "$module" "$db" "$work/$text.sql" <<'PY' || fail "the plan from .$text"
import sqlite3, sys
module, path, schema = sys.argv[1:4]
db = sqlite3.connect(path, isolation_level=None)
db.enable_load_extension(True)
db.load_extension(module)
for (stmt,) in db.execute("SELECT statement FROM dbmigrate_generate(?) ORDER BY step",
                          (open(schema).read(),)).fetchall():
    db.executescript(stmt)
PY
[ "$(q 'SELECT dbschema_fingerprint()')" = "$(sqlite3 -batch -cmd ".load $module" "$src" 'SELECT dbschema_fingerprint()')" ] ||
  fail "the plan from .$text does not reach the source's schema"
done
echo ok
