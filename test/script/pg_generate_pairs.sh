#!/usr/bin/env bash
# dbcare-test-timeout: 900
# Issue 66's minimal pairs, each the cut-down form of a real history's
# pair that generation got wrong: two schema files (the live state, made
# by a first migration, and the desired one) and one `dbcare generate`.
# The generated migration is applied by `dbcare migrate`, as a user does,
# and must reach the desired state (fingerprint and pg_dump text of a
# database the desired file made); `dbcare rollback` (or, for a
# no-transaction down, which the command refuses, the dbmigrate_script
# psql runs) must bring the live state back the same way. Kinds:
#   A. the desired file is a raw whole-database `pg_dump --schema-only`
#      of a database with extensions that have comments (dbcare's own,
#      pgcrypto's): COMMENT ON EXTENSION is the database's, not planned.
#      And (A2) such a dump without an extension the live database has:
#      the plan drops it (with allow_drop), and (A3) one with an
#      extension the live database has not: the plan makes it first.
#   B. a new serial table with a quoted mixed-case name, desired as
#      pg_dump writes it: its sequence's OWNED BY names the table quoted.
#   C. a new trigger named as another table's trigger: a trigger's
#      statement is found by its name and its table.
#   D. comments (on a table, a column, a view, an index, a function and
#      a domain) added, changed or removed: planned as COMMENT ON, the
#      live ones set back by the down. And (D2) an object the plan drops
#      (a table, a column, a view, a function) is made again by the down
#      with its comment.
#   E. an enum with a renamed label under a column that uses it: made
#      again beside the old one, the column converted, each way.
#   F. a sequence's type and bounds change while a default calls it:
#      ALTER SEQUENCE, not a drop and a create.
#   G. a new unique index and a foreign key that references it: the key
#      is added after the index (and dropped before it in the down); (G2)
#      between two new tables too.
#   H. an index on a materialized view made again: it comes back with
#      the view (and the live one with the live view in the down).
#   I. a changed index whose name has 63 bytes, the longest PostgreSQL
#      keeps: the name it is built under beside the old one must differ.
#   J. an integer column becoming an enum with a default: the live
#      default goes before the type changes and comes back after it in
#      the down; an enum's values convert through their text.
#   K. a function whose body changes while a table's default calls it:
#      replaced in place (CREATE OR REPLACE), never dropped under it.
#   L. a plan passes its proof and fails when applied: a PL/pgSQL
#      function declaring v%rowtype made before the view v: a routine
#      naming a view is made after the views. And (L2) a new index on a
#      live partitioned table: PostgreSQL builds none CONCURRENTLY, which
#      the proof, running the plain form inside its transaction, never
#      saw: dbcare migrate, running the no-transaction step, failed.
#   M. a table renamed without a mark (drop and create), a foreign key
#      from a child naming it: the key goes before the table and comes
#      back after it in the down (a dropped child: the child goes first).
#   N. an operator (Icinga DB's LIKE for any non-array type), made after
#      the function it calls and dropped before it (before: refused by
#      name both ways, as no model read operators).
#   O. a column's storage (Icinga DB's SET STORAGE PLAIN on its keys),
#      set by the plan, the type's own set back by the down (before: the
#      plan left it out and the result differed in silence); (O2) a
#      column at its type's storage whose type changes plans none.
#   P. an enum label added and used by a later migration: the proof runs
#      the plan cut as dbcare migrate runs it, committing between.
#   Q. two tables, each with a foreign key to the other (Prisma's
#      history of @danielcok17/prisma-db walked back), dropped: the keys
#      of one go first, each its own step; the down makes the tables
#      again without them and adds them back once both are there;
#      (Q2) the same when they are dropped ahead of the new tables that
#      take their key names (renamed without a mark).
#   R. a varchar check whose list holds a string with ']' in it (dumped
#      as ARRAY['a]b'::character varying, ...]): its text is read as
#      PostgreSQL reads it, the string whole, and made as written.
set -eu
db=dbcare_generate_pairs
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
src=${db}_src tpl=${db}_tpl
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $tpl" >/dev/null 2>&1; cleanup' EXIT
# every database here is a copy of $tpl, which holds dbcare: CREATE
# EXTENSION runs once, not twice a pair; copied as files (STRATEGY
# FILE_COPY), not block by block through the WAL, at half the CPU
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $tpl" -c "CREATE DATABASE $tpl" >/dev/null
"$B/psql" -X -q -v ON_ERROR_STOP=1 -d $tpl -c "SET client_min_messages = warning" \
  -c "CREATE EXTENSION dbcare" >/dev/null
fresh_db() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE $tpl STRATEGY FILE_COPY" >/dev/null
}

dump() { "$B/pg_dump" -s --no-owner --no-privileges -n public -d "$1" | grep -v '^\\\(un\)\?restrict '; }
fp() { "$B/psql" -X -q -At -d "$1" -c "SELECT dbschema_fingerprint()"; }
# made_db NAME SQL_FILE: database NAME with dbcare, made by SQL_FILE
made_db() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE $tpl STRATEGY FILE_COPY" >/dev/null
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" -c "SET client_min_messages = warning" -f "$2" >/dev/null
}

# pair NAME [made]: $work/NAME/live.sql to $work/NAME/desired.sql, through
# the command: generate, migrate (the desired state), rollback to the first
# migration (the live one: generate may write more than one file). With
# made, database $src already holds want.sql's state (the case dumped it
# for its desired file): it is not made a second time.
pair() {
  local name=$1 dir=$work/$1
  [ "${2:-}" = made ] || made_db $src "$dir/want.sql"
  dump $src >"$dir/want.dump"
  fp $src >"$dir/want.fp"
  fresh_db
  mkdir -p "$dir/m"
  cp "$dir/live.sql" "$dir/m/V1__live.sql"
  run 0 migrate --db "$url" -d "$dir/m"
  dump $db >"$dir/was.dump"
  fp $db >"$dir/was.fp"
  run 0 generate --to "$dir/desired.sql" "$name" --db "$url" -d "$dir/m" --allow-drop
  run 0 migrate --db "$url" -d "$dir/m"
  [ "$(fp $db)" = "$(cat "$dir/want.fp")" ] && dump $db | cmp -s - "$dir/want.dump" || {
    dump $db | diff - "$dir/want.dump" | head -20
    fail "$name: the migration does not reach the desired schema"
  }
  if grep -qs -- '-- dbcare:no-transaction' "$dir"/m/*; then
    # the command refuses such a down: psql runs the script dbcare gives
    q -c "SELECT dbmigrate_script('rollback', '1')" >"$dir/down.sql"
    "$B/psql" -X -q -v ON_ERROR_STOP=1 -d $db -f "$dir/down.sql" >/dev/null
  else
    run 0 rollback --db "$url" -d "$dir/m" --to 1
  fi
  [ "$(fp $db)" = "$(cat "$dir/was.fp")" ] && dump $db | cmp -s - "$dir/was.dump" || {
    dump $db | diff - "$dir/was.dump" | head -20
    tail -n +1 "$dir"/m/*
    fail "$name: the rollback does not bring the live schema back"
  }
  echo "$name: generated, migrated, rolled back"
}
# PAIRS="A C" runs only those pairs (while working on one kind).
wanted() { [ -z "${PAIRS:-}" ] || [[ " $PAIRS " == *" $1 "* ]]; }
# case NAME LIVE DESIRED: a pair whose desired file is DESIRED as written
# (want.sql, what makes the desired state, the same)
case_() {
  wanted "$1" || return 0
  mkdir -p "$work/$1"
  printf '%s\n' "$2" >"$work/$1/live.sql"
  printf '%s\n' "$3" >"$work/$1/desired.sql"
  cp "$work/$1/desired.sql" "$work/$1/want.sql"
  pair "$1"
}
# dumped_case NAME LIVE WANT: a pair whose desired file is the pg_dump of
# a database WANT made (of schema public, as a history's states are)
dumped_case() {
  wanted "$1" || return 0
  mkdir -p "$work/$1"
  printf '%s\n' "$2" >"$work/$1/live.sql"
  printf '%s\n' "$3" >"$work/$1/want.sql"
  made_db $src "$work/$1/want.sql"
  "$B/pg_dump" -s --no-owner --no-privileges -n public -d $src >"$work/$1/desired.sql"
  pair "$1" made
}

# A: the desired file is the raw dump of a whole database holding dbcare
# and pgcrypto, both with their comments (pgcrypto's set by hand too)
if wanted A; then
mkdir -p "$work/A"
printf '%s\n' "CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE users (id int PRIMARY KEY, pw text);" >"$work/A/live.sql"
printf '%s\n' "CREATE EXTENSION IF NOT EXISTS pgcrypto;
COMMENT ON EXTENSION pgcrypto IS 'hashes for the users table';
CREATE TABLE users (id int PRIMARY KEY, pw text, salt text DEFAULT gen_salt('bf'));" >"$work/A/want.sql"
made_db $src "$work/A/want.sql"
"$B/pg_dump" -s -d $src >"$work/A/desired.sql"
grep -q '^COMMENT ON EXTENSION dbcare IS' "$work/A/desired.sql" || fail "A: the dump has no comment on dbcare"
grep -q '^COMMENT ON EXTENSION pgcrypto IS' "$work/A/desired.sql" || fail "A: the dump has no comment on pgcrypto"
pair A made
fi
# A2: the raw dump of a whole database without pgcrypto, where the live
# one has it: the plan drops it, last, with allow_drop only (refused
# without it, naming it), and the down makes it again first (before: the
# plan left it installed and the result differed in silence; then it was
# refused)
if wanted A2; then
mkdir -p "$work/A2/m"
printf '%s\n' "CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE users (id int PRIMARY KEY, pw text);" >"$work/A2/live.sql"
printf '%s\n' "CREATE TABLE users (id int PRIMARY KEY, pw text);" >"$work/A2/want.sql"
made_db $src "$work/A2/want.sql"
"$B/pg_dump" -s -d $src >"$work/A2/desired.sql"
cp "$work/A2/live.sql" "$work/A2/m/V1__live.sql"
fresh_db
run 0 migrate --db "$url" -d "$work/A2/m"
run 1 generate --to "$work/A2/desired.sql" A2 --db "$url" -d "$work/A2/m"
has "dbcare: the desired schema drops extension pgcrypto" err
has "(dbcare generate --allow-drop)" err # the remedy as the command takes it
ls "$work/A2/m" | grep -qv '^V1__live.sql$' && fail "A2: a refused generate wrote a file: $(ls "$work/A2/m")"
rm -rf "$work/A2/m"
pair A2 made
grep -qx 'DROP EXTENSION pgcrypto;' "$work"/A2/m/V2__A2.sql || fail "A2: no drop: $(cat "$work"/A2/m/*)"
fi
# A3: the raw dump of a whole database whose pgcrypto the live one has
# not, a new column's default calling it: the plan makes it first, in
# the schema the dump names (before: refused, the generator made no
# extension). The proof makes it as the caller, in a scratch schema of
# its own, before any of the file runs
if wanted A3; then
mkdir -p "$work/A3"
printf '%s\n' "CREATE TABLE users (id int PRIMARY KEY, pw text);" >"$work/A3/live.sql"
printf '%s\n' "CREATE EXTENSION pgcrypto;
CREATE TABLE users (id int PRIMARY KEY, pw text, salt text DEFAULT gen_salt('bf'));" >"$work/A3/want.sql"
made_db $src "$work/A3/want.sql"
"$B/pg_dump" -s -d $src >"$work/A3/desired.sql"
pair A3 made
grep -q "^CREATE EXTENSION pgcrypto WITH SCHEMA public VERSION '[0-9.]*';" "$work"/A3/m/V2__A3.sql ||
  fail "A3: no CREATE EXTENSION: $(cat "$work"/A3/m/*)"
fi

case_ L "CREATE TABLE t (id int);" "CREATE TABLE t (id int);
CREATE VIEW v AS SELECT id FROM t;
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS \$\$DECLARE r v%rowtype; BEGIN RETURN 1; END\$\$;"

dumped_case B "CREATE TABLE t (id int);" "CREATE TABLE t (id int);
CREATE TABLE \"SelectedSlots\" (id serial PRIMARY KEY, \"Slot\" int);"

trg="CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RETURN new; END\$\$;
CREATE TABLE a (id int); CREATE TABLE b (id int);
CREATE TRIGGER touched BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION touch();"
case_ C "$trg" "$trg
CREATE TRIGGER touched BEFORE UPDATE ON b FOR EACH ROW EXECUTE FUNCTION touch();"

long=orders_by_customer_and_placed_at_for_the_monthly_statement_run1
[ ${#long} = 63 ] || fail "I: the name has ${#long} bytes"
case_ I "CREATE TABLE orders (customer int, placed_at date);
CREATE INDEX $long ON orders (customer);" "CREATE TABLE orders (customer int, placed_at date);
CREATE INDEX $long ON orders (customer, placed_at);"

case_ G "CREATE TABLE p (id int PRIMARY KEY, code text);
CREATE TABLE c (id int, code text);" "CREATE TABLE p (id int PRIMARY KEY, code text);
CREATE UNIQUE INDEX p_code ON p (code);
CREATE TABLE c (id int, code text REFERENCES p (code));"
# G2: the same between two new tables, as Prisma writes them (the key by
# ALTER TABLE after the index): the key went in before the index, so the
# down dropped the index first (prisma-db's init walked)
case_ G2 "CREATE TABLE other (id int);" "CREATE TABLE other (id int);
CREATE TABLE c (id int, code text);
CREATE TABLE p (id int PRIMARY KEY, code text);
CREATE UNIQUE INDEX p_code ON p (code);
ALTER TABLE c ADD CONSTRAINT c_code_fkey FOREIGN KEY (code) REFERENCES p (code) ON DELETE SET NULL;"


case_ F "CREATE SEQUENCE s AS integer;
CREATE TABLE t (id int DEFAULT nextval('s'));" "CREATE SEQUENCE s AS bigint MAXVALUE 9223372036854775807;
CREATE TABLE t (id int DEFAULT nextval('s'));"

case_ H "CREATE TABLE t (id int, n int);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t WITH NO DATA;
CREATE INDEX mv_id ON mv (id);" "CREATE TABLE t (id int, n int);
CREATE MATERIALIZED VIEW mv AS SELECT id, n FROM t WITH NO DATA;
CREATE INDEX mv_id ON mv (id);"


dumped_case J "CREATE TABLE t (id int, status int DEFAULT 0);" "CREATE TYPE st AS ENUM ('new', 'done');
CREATE TABLE t (id int, status st DEFAULT 'new');"

case_ E "CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE t (id int, m mood, ms mood[]);" "CREATE TYPE mood AS ENUM ('sad', 'fine');
CREATE TABLE t (id int, m mood, ms mood[]);"

objects="CREATE TABLE t (id int); CREATE INDEX t_id ON t (id); CREATE TABLE kept (id int);
CREATE VIEW v AS SELECT id FROM t; CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE FUNCTION one(int) RETURNS int LANGUAGE sql AS 'SELECT 1';"
dumped_case D "$objects
COMMENT ON TABLE t IS 'was'; COMMENT ON TABLE kept IS 'to go';" "$objects
COMMENT ON TABLE t IS 'is'; COMMENT ON COLUMN t.id IS 'the key'; COMMENT ON VIEW v IS 'a view';
COMMENT ON INDEX t_id IS 'by id'; COMMENT ON FUNCTION one(int) IS 'one';
COMMENT ON DOMAIN positive IS 'above 0';"

part="CREATE TABLE p (id int, k int) PARTITION BY RANGE (id);"
case_ L2 "$part" "$part
CREATE INDEX p_k ON p (k);"

case_ D2 "CREATE TABLE t (id int, old int); CREATE TABLE gone (id int);
CREATE VIEW seen AS SELECT id FROM t; CREATE FUNCTION two() RETURNS int LANGUAGE sql AS 'SELECT 2';
COMMENT ON COLUMN t.old IS 'the old one'; COMMENT ON TABLE gone IS 'to go';
COMMENT ON VIEW seen IS 'a view'; COMMENT ON FUNCTION two() IS 'two';" "CREATE TABLE t (id int);"

case_ K "CREATE FUNCTION next_no() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TABLE t (id int DEFAULT next_no(), n int CHECK (n < next_no() + 10));" "CREATE FUNCTION next_no() RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE TABLE t (id int DEFAULT next_no(), n int CHECK (n < next_no() + 10));"
# M: a table renamed in the history without a mark (its dump keeps a_pkey
# on b): a kept child's key naming a goes before a does, and (M2) a child
# renamed too is dropped before its parent, each made again after it
renamed="CREATE TABLE a (id int PRIMARY KEY, n int UNIQUE);
CREATE TABLE c (id int PRIMARY KEY, a_id int REFERENCES a (id), n int REFERENCES a (n));"
dumped_case M "$renamed" "$renamed
ALTER TABLE a RENAME TO b;"
dumped_case M2 "$renamed" "$renamed
ALTER TABLE a RENAME TO b; ALTER TABLE c RENAME TO d;"

like="CREATE FUNCTION like_text(anynonarray, text) RETURNS boolean LANGUAGE sql IMMUTABLE
AS 'SELECT \$1::text LIKE \$2';"
dumped_case N "$like" "$like
CREATE OPERATOR ~~ (LEFTARG = anynonarray, RIGHTARG = text, PROCEDURE = like_text);
CREATE TABLE t (id int);"
# a live operator whose function the desired schema drops too: the
# operator goes first (the rollback of N makes both again, operator last)
dumped_case N2 "$like
CREATE OPERATOR ~~ (LEFTARG = anynonarray, RIGHTARG = text, PROCEDURE = like_text);" "CREATE TABLE t (id int);"

dumped_case O "CREATE DOMAIN bytea20 AS bytea; CREATE TABLE t (id bytea20, name text);" "CREATE DOMAIN bytea20 AS bytea;
CREATE TABLE t (id bytea20, name text, note text);
ALTER TABLE t ALTER COLUMN id SET STORAGE PLAIN; ALTER TABLE t ALTER COLUMN note SET STORAGE MAIN;
CREATE TABLE n (id bytea20); ALTER TABLE n ALTER COLUMN id SET STORAGE EXTERNAL;"
# O2: a column at its type's storage whose type changes (text to integer)
# plans no storage (before: the down set EXTENDED on an integer column,
# which PostgreSQL refuses), and one set back to its type's is a step
dumped_case O2 "CREATE TABLE t (id int, v text, w text); ALTER TABLE t ALTER COLUMN w SET STORAGE MAIN;" \
  "CREATE TABLE t (id int, v int, w text);"

# P: the proof cuts the plan where dbcare migrate commits (one rule,
# dbc_gen_migration_end). An enum gains a label, a new index is built
# CONCURRENTLY (a migration of its own) and a new view reads the label:
# migrate commits the label before the view's migration, where the proof,
# one transaction, refused the plan ("unsafe use of new value"). And (P2)
# a new default of the label with no such step between: ADD VALUE now is
# a migration of its own, committed before the next one (before: the
# plan used the label in the transaction that added it, and was refused)
enum="CREATE TYPE st AS ENUM ('a', 'b');
CREATE TABLE t (id int, s st, n int);"
case_ P "$enum" "CREATE TYPE st AS ENUM ('a', 'b', 'c');
CREATE TABLE t (id int, s st, n int);
CREATE INDEX t_n ON t (n);
CREATE VIEW v AS SELECT id FROM t WHERE s = 'c';"
case_ P2 "$enum" "CREATE TYPE st AS ENUM ('a', 'b', 'c');
CREATE TABLE t (id int, s st DEFAULT 'c', n int);"
if wanted P2; then
  added=$(grep -l "ADD VALUE 'c'" "$work"/P2/m/*)
  head -1 "$added" | grep -qx -- '-- dbcare:no-transaction' || fail "P2: the label is added in a transaction: $(cat "$added")"
  grep -l "DEFAULT 'c'" "$work"/P2/m/* | grep -qvx "$added" || fail "P2: the label is used where it is added"
fi
# Q: two tables whose keys name each other, dropped: one's keys go first
# (before: each was blocked by the other, and the down made a table
# whose key names one not made yet)
case_ Q "CREATE TABLE keep (id int);
CREATE TABLE a (id int PRIMARY KEY, b_id int);
CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);
ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES b;" "CREATE TABLE keep (id int);"
# Q2: the same two tables renamed without a mark (their dump keeps a_pkey
# and b_pkey): dropped ahead of the new ones, one's keys go first too
# (before: each went on the other's account, and DROP TABLE a failed on
# b's key)
cycle="CREATE TABLE a (id int PRIMARY KEY, b_id int);
CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);
ALTER TABLE a ADD CONSTRAINT a_b FOREIGN KEY (b_id) REFERENCES b;"
dumped_case Q2 "$cycle" "$cycle
ALTER TABLE a RENAME TO c; ALTER TABLE b RENAME TO d;"
# R: a ']' in a string of a dumped ARRAY[...] (before: the lexer read
# '[' as SQLite's quoted name, found no closing parenthesis, and the
# check was made from the engine's text, another check, in silence)
dumped_case R "CREATE TABLE t (v varchar(5) CHECK (v IN ('a]b', 'c')));" \
  "CREATE TABLE t (v varchar(5) CHECK (v IN ('a]b', 'c', 'd')));"
echo ok
