#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL (docs/schema-as-code.md): an enum type a
# column uses gains labels (before, between and after the live ones). The
# type cannot be dropped and made again under its columns: the plan adds
# the labels with ALTER TYPE ... ADD VALUE, and the down, as PostgreSQL
# removes no label, makes the live type again and converts its columns
# (a plain one with its default, an array) through text. Up and down are
# applied at top level: the desired schema, then the starting one, every
# row kept; also for a type whose name is 63 bytes long.
set -eu
db=dbcare_generate_enum
. "$(dirname "$0")/lib/pg.sh"
fresh_db

fp_of() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_want" -c "CREATE DATABASE ${db}_want" >/dev/null
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "${db}_want" -c "CREATE EXTENSION dbcare" -c "$1" >/dev/null
  "$B/psql" -X -q -At -d "${db}_want" -c "SELECT dbschema_fingerprint()"
  "$B/psql" -X -q -d postgres -c "DROP DATABASE ${db}_want" >/dev/null
}
q <<'SQL' > /dev/null
CREATE TYPE account_state AS ENUM ('active', 'closed');
CREATE TABLE account (id int PRIMARY KEY, state account_state NOT NULL DEFAULT 'active',
  history account_state[]);
INSERT INTO account SELECT g, CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'active' END::account_state,
  ARRAY['active', 'closed']::account_state[] FROM generate_series(1, 1000) g;
SQL
start_fp=$(q -c "SELECT dbschema_fingerprint()")
rows() { q -c "SELECT count(*) || ':' || count(*) FILTER (WHERE state = 'closed') || ':' || count(*) FILTER (WHERE history[2] = 'closed') FROM account"; }
before=$(rows)
desired="CREATE TYPE account_state AS ENUM ('new', 'active', 'suspended', 'closed', 'purged');
CREATE TABLE account (id int PRIMARY KEY, state account_state NOT NULL DEFAULT 'active',
  history account_state[]);"
q -v "desired=$desired" > "$work/run.txt" 2> "$work/run.err" <<'SQL' || { cat "$work/run.err"; fail "the enum change does not generate"; }
CREATE TEMP TABLE plan AS SELECT * FROM dbmigrate_generate(:'desired');
SELECT 'statement: ' || statement FROM plan ORDER BY step;
SELECT 'reverse: ' || reverse FROM plan ORDER BY step;
SELECT statement FROM plan ORDER BY step \gexec
SELECT 'up: ' || dbschema_fingerprint();
SELECT reverse FROM plan WHERE reverse IS NOT NULL ORDER BY step DESC \gexec
SELECT 'down: ' || dbschema_fingerprint();
SQL
grep -q "ADD VALUE 'new' BEFORE 'active'" "$work/run.txt" || { cat "$work/run.txt"; fail "no label added before"; }
grep -q "ADD VALUE 'purged' AFTER 'closed'" "$work/run.txt" || { cat "$work/run.txt"; fail "no label added after"; }
# the labels are added outside a transaction (a migration of their own,
# committed before a later one uses them); the down's conversions rewrite
# the tables in a transaction of their own and wait no longer than the
# lock timeout that frames the run
grep -q "^reverse: SET lock_timeout = '3000ms'$" "$work/run.txt" || { cat "$work/run.txt"; fail "the enum's down has no lock timeout"; }
grep -q "^reverse: BEGIN;$" "$work/run.txt" || { cat "$work/run.txt"; fail "the enum's down is not one transaction"; }
[ "$(q -c "SELECT string_agg(transactional::text, ',') FROM dbmigrate_generate('$(printf '%s' "$desired" | sed "s/'/''/g")') WHERE statement LIKE '%ADD VALUE%'")" = false ] ||
  fail "the labels are added inside a transaction"
grep -qi 'DROP TYPE public.account_state;\|DROP TYPE public.account_state$' "$work/run.txt" && fail "the type is dropped under its columns"
[ "$(grep '^up: ' "$work/run.txt")" = "up: $(fp_of "$desired")" ] || { cat "$work/run.txt" "$work/run.err"; fail "the up does not reach the desired schema"; }
[ "$(grep '^down: ' "$work/run.txt")" = "down: $start_fp" ] || { cat "$work/run.txt" "$work/run.err"; fail "the down does not return"; }
[ "$(rows)" = "$before" ] || fail "rows changed: $(rows) vs $before"
[ "$(q -c "SELECT enum_range(NULL::account_state)::text")" = "{active,closed}" ] || fail "labels after the down"

# a type whose name has the longest length PostgreSQL keeps (63 bytes):
# the down's name for the live type set aside still fits, and is another
long=$(printf 'é%.0s' $(seq 1 31))e
q -c "CREATE TYPE $long AS ENUM ('x'); CREATE TABLE lt (id int, v $long)" >/dev/null
q -c "INSERT INTO lt VALUES (1, 'x')" >/dev/null
desired="$desired
CREATE TYPE $long AS ENUM ('x', 'y');
CREATE TABLE lt (id int, v $long);"
q -v "desired=$desired" > "$work/long.txt" 2> "$work/long.err" <<'SQL' || { cat "$work/long.err"; fail "a 63-byte enum's change does not generate"; }
CREATE TEMP TABLE plan AS SELECT * FROM dbmigrate_generate(:'desired');
SELECT statement FROM plan WHERE statement LIKE '%ADD VALUE%' ORDER BY step \gexec
SELECT reverse FROM plan WHERE reverse LIKE '%RENAME TO%' ORDER BY step DESC \gexec
SQL
got=$(q -c "SELECT enum_range(NULL::$long)::text || '|' || (SELECT count(*) FROM lt WHERE v = 'x')")
[ "$got" = "{x}|1" ] || fail "the 63-byte enum after its down: $got (want {x}|1)"
echo ok
