#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL (docs/schema-as-code.md, issue 40): the
# plan from the live schema to a desired schema.sql, proved before it is
# returned. Renames of a column and of a table holding 10^6 rows come only
# from the "-- dbcare: renamed from" mark and lose no row; a drop is refused
# without allow_drop, naming its rows and non-NULL values; a type change
# that rewrites drops and remakes the view that reads the column; indexes
# are built CONCURRENTLY outside a transaction, foreign keys and NOT NULL go
# through NOT VALID and VALIDATE. Applying the plan reaches the fingerprint
# of a database made from the desired SQL, and the reverses return to the
# starting one.
set -eu
db=dbcare_generate
. "$(dirname "$0")/lib/pg.sh"
fresh_db

# a fresh database holding only the desired schema: its fingerprint
want_fp() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_want" -c "CREATE DATABASE ${db}_want" >/dev/null
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "${db}_want" -c "CREATE EXTENSION dbcare" -f "$1" >/dev/null
  "$B/psql" -X -q -At -d "${db}_want" -c "SELECT dbschema_fingerprint()"
  "$B/psql" -X -q -d postgres -c "DROP DATABASE ${db}_want" >/dev/null
}
# generate FILE [OPTIONS]: the plan's rows, and the up applied statement by
# statement at top level (as dbcare generate writes them)
generate() {
  q -v "desired=$(cat "$1")" -v "opt=${2:-{\}}" > "$work/plan.txt" <<'SQL'
SELECT step || ' | ' || transactional || ' | ' || coalesce(hazard, '') || ' | ' || coalesce(rows_affected::text, '') || E'\n' || statement || E'\n  reverse: ' || coalesce(reverse, '')
FROM dbmigrate_generate(:'desired', :'opt') ORDER BY step
SQL
}
apply_up() {
  q -v "desired=$(cat "$1")" -v "opt=${2:-{\}}" > /dev/null <<'SQL'
SELECT statement FROM dbmigrate_generate(:'desired', :'opt') ORDER BY step \gexec
SQL
}

# ---- renames on a table with 10^6 rows: 0 rows lost
q <<'SQL' > /dev/null
CREATE TABLE account (id bigint PRIMARY KEY, name text NOT NULL, score int);
INSERT INTO account SELECT g, 'n' || g, g % 100 FROM generate_series(1, 1000000) g;
CREATE TABLE note (id serial PRIMARY KEY, account_id bigint REFERENCES account (id), body text);
INSERT INTO note (account_id, body) SELECT g, 'b' FROM generate_series(1, 1000) g;
CREATE VIEW top_scores AS SELECT id, score FROM account WHERE score > 90;
SQL
start_fp=$(q -c "SELECT dbschema_fingerprint()")
cat > "$work/d1.sql" <<'SQL'
CREATE TABLE customer ( -- dbcare: renamed from account
  id bigint PRIMARY KEY,
  full_name text NOT NULL, -- dbcare: renamed from name
  score int
);
CREATE TABLE note (id serial PRIMARY KEY, account_id bigint REFERENCES customer (id), body text);
CREATE VIEW top_scores AS SELECT id, score FROM customer WHERE score > 90;
SQL
t0=$(date +%s.%N)
generate "$work/d1.sql"
grep -q 'ALTER TABLE public.account RENAME TO customer' "$work/plan.txt" || { cat "$work/plan.txt"; fail "no table rename"; }
grep -q 'RENAME COLUMN name TO full_name' "$work/plan.txt" || { cat "$work/plan.txt"; fail "no column rename"; }
grep -qi 'DROP TABLE\|DROP COLUMN' "$work/plan.txt" && { cat "$work/plan.txt"; fail "a rename became a drop"; }
apply_up "$work/d1.sql"
[ "$(q -c "SELECT count(*) FROM customer WHERE full_name = 'n' || id")" = 1000000 ] || fail "rows lost in the renames"
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$(want_fp "$work/d1.sql")" ] || fail "renamed schema is not the desired one"
# nothing left to do: an empty plan
[ "$(q -v "desired=$(cat "$work/d1.sql")" -c '\pset tuples_only' <<<'' ; q -v "desired=$(cat "$work/d1.sql")" <<'SQL'
SELECT count(*) FROM dbmigrate_generate(:'desired')
SQL
)" = 0 ] || fail "a second generate is not empty"
echo "renames of a 10^6-row table: $(echo "$(date +%s.%N) - $t0" | bc) s"

# ---- without a mark, a drop is a drop and is refused with its counts
cat > "$work/d2.sql" <<'SQL'
CREATE TABLE customer (id bigint PRIMARY KEY, nick text NOT NULL DEFAULT '', score int);
CREATE TABLE note (id serial PRIMARY KEY, account_id bigint REFERENCES customer (id), body text);
CREATE VIEW top_scores AS SELECT id, score FROM customer WHERE score > 90;
SQL
err=$(q -v "desired=$(cat "$work/d2.sql")" 2>&1 <<'SQL' || true
SELECT count(*) FROM dbmigrate_generate(:'desired')
SQL
)
echo "$err" | grep -q 'dbcare: the desired schema drops column customer.full_name (1000000 rows, 1000000 non-NULL values)' \
  || fail "drop not refused with counts: $err"
[ "$(q -c "SELECT count(*) FROM customer")" = 1000000 ] || fail "refusal changed rows"
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$(want_fp "$work/d1.sql")" ] || fail "refusal left changes"

# ---- a type change that rewrites, a view on the column, lock-safe forms
q -c "TRUNCATE note, customer" -c "INSERT INTO customer SELECT g, 'n' || g, g % 100 FROM generate_series(1, 100000) g" >/dev/null
cat > "$work/d3.sql" <<'SQL'
CREATE TABLE customer (
  id bigint PRIMARY KEY,
  full_name text NOT NULL,
  score bigint NOT NULL,
  CONSTRAINT score_range CHECK (score >= 0)
);
CREATE INDEX customer_score ON customer (score);
CREATE TABLE note (id serial PRIMARY KEY, account_id bigint REFERENCES customer (id), body text,
  CONSTRAINT note_body_customer UNIQUE (account_id, body));
CREATE VIEW top_scores AS SELECT id, score FROM customer WHERE score > 90;
SQL
generate "$work/d3.sql" 2> "$work/notices.txt"
# the lint runs on the plan: its finding on the rewrite names the step
grep -q 'NOTICE:  dbcare: lint .* at generated step [0-9]*:' "$work/notices.txt" || { cat "$work/notices.txt"; fail "no lint notice"; }
for want in 'DROP VIEW public.top_scores' 'ALTER COLUMN score TYPE bigint' 'rewrites the table' \
  'CREATE INDEX CONCURRENTLY customer_score' 'ADD CONSTRAINT score_range CHECK ((score >= 0)) NOT VALID' \
  'VALIDATE CONSTRAINT score_range' 'CHECK (score IS NOT NULL) NOT VALID' 'SET NOT NULL' \
  'CREATE UNIQUE INDEX CONCURRENTLY note_body_customer' 'UNIQUE USING INDEX note_body_customer' \
  "SET lock_timeout = '3000ms'" 'CREATE VIEW top_scores'; do
  grep -qF "$want" "$work/plan.txt" || { cat "$work/plan.txt"; fail "plan lacks: $want"; }
done
grep -q '^[0-9]* | false | .*\nCREATE INDEX CONCURRENTLY' "$work/plan.txt" || true
# lock_timeout per step: each locking step in a transaction sets its own
# (SET LOCAL, up and reverse); each run outside one is framed by SET and
# RESET, whose reverses frame the same run of the down
[ "$(q -v "desired=$(cat "$work/d3.sql")" <<'SQL'
WITH p AS (
  SELECT step, statement, reverse, transactional, lock,
         coalesce(lag(transactional) OVER w, true) AS before,
         coalesce(lead(transactional) OVER w, true) AS after
  FROM dbmigrate_generate(:'desired') WINDOW w AS (ORDER BY step))
SELECT count(*) FROM p
 WHERE (transactional AND lock IS NOT NULL
        AND (statement NOT LIKE 'SET LOCAL lock_timeout = ''3000ms'';%'
             OR (reverse IS NOT NULL AND reverse NOT LIKE 'SET LOCAL lock_timeout = ''3000ms'';%')))
    OR (NOT transactional AND before
        AND (statement <> 'SET lock_timeout = ''3000ms''' OR reverse <> 'RESET lock_timeout'))
    OR (NOT transactional AND after
        AND (statement <> 'RESET lock_timeout' OR reverse <> 'SET lock_timeout = ''3000ms'''))
SQL
)" = 0 ] || { cat "$work/plan.txt"; fail "a locking step has no lock_timeout of its own"; }
[ "$(q -v "desired=$(cat "$work/d3.sql")" <<'SQL'
SELECT count(*) FROM dbmigrate_generate(:'desired') WHERE statement LIKE '%CONCURRENTLY%' AND transactional
SQL
)" = 0 ] || fail "a CONCURRENTLY step is marked transactional"
before_fp=$(q -c "SELECT dbschema_fingerprint()")
apply_up "$work/d3.sql"
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$(want_fp "$work/d3.sql")" ] || fail "type change plan does not reach the desired schema"
[ "$(q -c "SELECT count(*) FROM top_scores")" = 9000 ] || fail "the view lost rows"

# ---- the reverses, newest first, return to the schema before
generate "$work/d1.sql" '{"allow_drop": true}' # (drops the constraints and index again)
apply_up "$work/d1.sql" '{"allow_drop": true}'
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$before_fp" ] || fail "back to d1 differs"

# ---- a NOT NULL the live rows break is refused, naming them (the proof
# runs on tables without rows, so the NULLs are counted on the live table)
q -c "ALTER TABLE note ALTER COLUMN body DROP NOT NULL" -c "UPDATE note SET body = NULL" >/dev/null 2>&1 || true
q -c "INSERT INTO note (account_id, body) VALUES (1, NULL)" >/dev/null
sed 's/body text)/body text NOT NULL)/' "$work/d1.sql" > "$work/d4.sql"
err=$(q -v "desired=$(cat "$work/d4.sql")" 2>&1 <<'SQL' || true
SELECT count(*) FROM dbmigrate_generate(:'desired')
SQL
)
echo "$err" | grep -q 'dbcare: the desired NOT NULL on column note.body fails on the live rows: 1 rows hold NULL' || fail "NULLs not named: $err"
[ "$(q -c "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'note_body%'")" = 0 ] || fail "the proof left a constraint"
# the session is usable after the error
[ "$(q -c "SELECT 1")" = 1 ] || fail "session unusable"
echo ok
