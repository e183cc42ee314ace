#!/usr/bin/env bash
# A retention batch leaves out rows a foreign key protects (a child row
# references them) and counts them as blocked. The batch's statement read
# the children under its snapshot, but locked each row only as it reached
# it: a child row committed in between (its key-share lock on the parent
# gone with its commit) was not seen, the parent was deleted, and the
# foreign key failed the whole dbretain_apply with 23503. Here the batch is
# held inside its own statement, after its snapshot and before it locks the
# oldest row (a row security policy of the child table waits on an advisory
# lock the test holds), while a child of that row is committed. Now the
# row is left out as blocked and every other due row is deleted.
set -eu
db=dbcare_retain_child_race
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "DROP ROLE IF EXISTS dbc_race_ops" -c "CREATE ROLE dbc_race_ops LOGIN" \
  -c "GRANT USAGE ON SCHEMA dbcare TO dbc_race_ops" \
  -c "GRANT SELECT ON dbcare.config TO dbc_race_ops" \
  -c "GRANT SELECT, UPDATE ON dbcare.retain_policies TO dbc_race_ops" \
  -c "GRANT EXECUTE ON FUNCTION dbretain_apply(text, bigint) TO dbc_race_ops" \
  -c "CREATE SCHEMA ops AUTHORIZATION dbc_race_ops" >/dev/null
# The child table's policy waits for the shared advisory lock 4242 once a
# child row is read: the owner is bound by it (FORCE), the superuser not.
q -c "SET ROLE dbc_race_ops" \
  -c "CREATE TABLE ops.p (id int PRIMARY KEY, at timestamptz NOT NULL)" \
  -c "INSERT INTO ops.p SELECT i, now() - interval '100 days' + i * interval '1 second'
      FROM generate_series(1, 1000) i" \
  -c "CREATE TABLE ops.c (id serial PRIMARY KEY, pid int REFERENCES ops.p (id))" \
  -c "INSERT INTO ops.c (pid) VALUES (1000)" \
  -c "CREATE FUNCTION ops.gate() RETURNS boolean LANGUAGE plpgsql AS
      'BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN true; END'" \
  -c "ALTER TABLE ops.c ENABLE ROW LEVEL SECURITY" \
  -c "ALTER TABLE ops.c FORCE ROW LEVEL SECURITY" \
  -c "CREATE POLICY gate ON ops.c USING (ops.gate())" >/dev/null
q -c "SELECT dbretain_add('p', 'ops.p', 'at', '30 days', 'delete')" >/dev/null

long_lived_session
s "SELECT pg_advisory_lock(4242);" >/dev/null
"$B/psql" -X -q -At -d "$db" -c "SET ROLE dbc_race_ops" \
  -c "SELECT deleted, blocked FROM dbretain_apply('p', 100)" >"$work/apply" 2>&1 &
apply=$!
pids+=("$apply")
# the batch waits on the gate: its snapshot is taken, no row locked yet
for _ in $(seq 1 600); do
  [ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")" = 1 ] && break
  sleep 0.05
done
[ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")" = 1 ] ||
  fail "the batch never reached the child table: $(cat "$work/apply")"
q -c "INSERT INTO ops.c (pid) VALUES (1)" >/dev/null
s "SELECT pg_advisory_unlock(4242);" >/dev/null
wait "$apply" || fail "dbretain_apply failed on a child committed during its batch: $(cat "$work/apply")"

# 100 due rows moved, the new child's parent kept; both children's parents blocked
[ "$(cat "$work/apply")" = "100|2" ] || fail "apply: $(cat "$work/apply")"
[ "$(q -c "SELECT count(*) FROM ops.p WHERE id = 1")" = 1 ] || fail "the referenced row is gone"
[ "$(q -c "SELECT min(id) FROM ops.p WHERE id > 1")" = 102 ] ||
  fail "not the next 100 rows: $(q -c "SELECT min(id) FROM ops.p WHERE id > 1")"
[ "$(q -c "SELECT count(*) FROM ops.c")" = 2 ] || fail "a child row is gone"

q -c "SELECT dbretain_drop('p')" -c "DROP SCHEMA ops CASCADE" -c "DROP OWNED BY dbc_race_ops" \
  -c "DROP ROLE dbc_race_ops" >/dev/null 2>&1 || true
echo "ok: a child committed during a batch keeps its parent as blocked"
