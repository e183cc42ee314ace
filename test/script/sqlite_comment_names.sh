#!/usr/bin/env bash
# A name with a line break cannot end a comment of a generated script: the
# rebuild script's heading comment and soft delete's UNIQUE fix name the
# table, and a table named "x<newline>DROP TABLE victim;<newline>--" put
# DROP TABLE victim on a line of its own, which the sqlite3 shell then ran.
# Both texts are run by the shell here, and victim keeps its rows.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db=$work/names.db
nl='
'
t="x${nl}DROP TABLE victim;${nl}--"
lit=$(printf %s "$t" | sed "s/'/''/g")
q <<SQL
CREATE TABLE victim (id INTEGER PRIMARY KEY);
INSERT INTO victim VALUES (1), (2);
CREATE TABLE "$t" (id INTEGER PRIMARY KEY, qty INTEGER);
CREATE TABLE "z${nl}DELETE FROM victim;${nl}--" (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
SQL

victim_rows() { sqlite3 "$db" "SELECT count(*) FROM victim" 2>&1; }

# 1. dbmigrate_rebuild_script's heading comment
script=$(q "SELECT dbmigrate_rebuild_script('$lit', 'CREATE TABLE \"$lit\" (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL)')")
printf '%s\n' "$script" | sqlite3 -batch "$db" > "$work/rebuild.out" 2>&1 ||
  fail "the rebuild script failed: $(cat "$work/rebuild.out")"
[ "$(victim_rows)" = 2 ] || fail "the rebuild script's comment ran a statement: victim: $(victim_rows)"

# 2. dbsoftdelete_enable's fix for a UNIQUE clause of a CREATE TABLE
z="z${nl}DELETE FROM victim;${nl}--"
zlit=$(printf %s "$z" | sed "s/'/''/g")
fix=$(q "SELECT json_extract(dbsoftdelete_enable('$zlit'), '\$.unique_blockers[0].fix')" 2>/dev/null)
case "$fix" in *"rebuild"*) ;; *) fail "no fix for the UNIQUE clause: $fix" ;; esac
printf '%s\n' "$fix" | sqlite3 -batch "$db" > "$work/fix.out" 2>&1 || true
[ "$(victim_rows)" = 2 ] || fail "the UNIQUE fix's comment ran a statement: victim: $(victim_rows)"
echo "names in generated comments: ok"
