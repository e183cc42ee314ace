#!/usr/bin/env bash
# dbmigrate_generate never locks, rewrites or renames what the application
# uses (docs/schema-as-code.md, issue 40): its desired schema and its proof
# live in scratch schemas of a subtransaction, so while a generate for a
# rewriting type change on a 300,000-row table runs, another session's
# INSERTs and SELECTs on that table never wait longer than a short bound
# (lock_timeout 200ms there, stock settings otherwise), no user schema is
# renamed (its pg_namespace row is never updated by a transaction in
# progress) and the generator holds no lock on the table beyond a reader's.
# The desired file sleeps a second where it is applied (a default a
# function evaluates), so the generate lasts long enough to be watched.
set -eu
db=dbcare_generate_locks
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q <<'SQL' >/dev/null
CREATE TABLE big (id bigint PRIMARY KEY, v integer NOT NULL, note text);
INSERT INTO big SELECT g, g % 1000, 'n' || g FROM generate_series(1, 300000) g;
CREATE INDEX big_v ON big (v);
ANALYZE big;
SQL
cat > "$work/want.sql" <<'SQL'
CREATE TABLE big (id bigint PRIMARY KEY, v bigint NOT NULL, note text);
CREATE INDEX big_v ON big (v);
-- a second's pause while the file is applied: a default evaluated once,
-- by a function that may sleep (a desired schema runs no query of its own)
CREATE FUNCTION pause_a_second() RETURNS integer LANGUAGE plpgsql IMMUTABLE AS
  $p$BEGIN PERFORM pg_sleep(1); RETURN 1; END$p$;
CREATE TABLE paused (id integer);
ALTER TABLE paused ADD COLUMN a integer DEFAULT pause_a_second();
SQL

t0=$(date +%s.%N)
q -v "desired=$(cat "$work/want.sql")" > "$work/plan.txt" 2> "$work/gen.err" <<'SQL' &
SELECT pg_backend_pid();
SELECT step || ' ' || statement FROM dbmigrate_generate(:'desired') ORDER BY step;
SQL
gen=$!
pids+=($gen)

# the application's session, again and again while the generate runs
watched=0
: > "$work/watch.txt"
while kill -0 "$gen" 2>/dev/null; do
  "$B/psql" -X -q -At -d "$db" >> "$work/watch.txt" 2>&1 <<'SQL' || true
SET lock_timeout = '200ms';
INSERT INTO big (id, v, note) SELECT coalesce(max(id), 0) + 1, 1, 'app' FROM big WHERE id > 299990;
SELECT 'read ' || count(*) FROM big WHERE id BETWEEN 1 AND 10;
-- a user schema whose row a transaction in progress updates: renamed
SELECT 'renamed ' || nspname FROM pg_namespace
 WHERE nspname !~ '^pg_' AND xmax::text <> '0'
   AND txid_status(xmax::text::bigint) = 'in progress';
-- a lock on the table stronger than a reader's, held by another client
-- session (autovacuum's ANALYZE of the freshly loaded table takes a SHARE
-- UPDATE EXCLUSIVE lock of its own, and yields to any writer)
SELECT 'locked ' || l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.relation = 'big'::regclass AND l.pid <> pg_backend_pid()
   AND a.backend_type = 'client backend'
   AND l.mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock');
SQL
  watched=$((watched + 1))
done
wait "$gen" || { cat "$work/gen.err"; fail "the generate failed"; }
secs=$(echo "$(date +%s.%N) - $t0" | bc)

grep -q 'ALTER TABLE public.big ALTER COLUMN v TYPE bigint' "$work/plan.txt" ||
  { cat "$work/plan.txt"; fail "no type change in the plan"; }
[ "$watched" -ge 5 ] || fail "the application's session ran only $watched times during the generate"
echo "lock waits over 200ms: $(grep -ci 'lock timeout' "$work/watch.txt"), schemas renamed: $(grep -c '^renamed ' "$work/watch.txt"), strong locks seen: $(grep -c '^locked ' "$work/watch.txt")"
grep -qi 'lock timeout\|canceling statement' "$work/watch.txt" &&
  { grep -i 'timeout\|cancel' "$work/watch.txt" | head -3; fail "the application waited over 200ms for a lock"; }
grep -q '^renamed ' "$work/watch.txt" && { grep '^renamed ' "$work/watch.txt" | head -3; fail "a user schema was renamed"; }
grep -q '^locked ' "$work/watch.txt" && { grep '^locked ' "$work/watch.txt" | head -3; fail "the generator locked the table"; }
grep -q ERROR "$work/watch.txt" && { grep ERROR "$work/watch.txt" | head -3; fail "the application's session failed"; }
[ "$(grep -c '^read 10$' "$work/watch.txt")" = "$watched" ] || fail "reads did not all answer"
[ "$(q -c "SELECT count(*) FROM big WHERE note = 'app'")" = "$watched" ] || fail "inserts lost"
# nothing of the scratch place stays
[ "$(q -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'dbcare_gen%'")" = 0 ] || fail "scratch schemas left"
[ "$(q -c "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'v'")" = integer ] ||
  fail "the live table changed"
echo "generate watched $watched times over $secs s: no wait, no rename, no lock"
echo ok
