#!/usr/bin/env bash
# dbmaintain_run runs a statement that evaluates a table's own code (the
# CHECK of VALIDATE CONSTRAINT, the rewrite of a column type change) only for
# the role that owns the table: run by a superuser (or any other role), the
# owner's CHECK function would run with the caller's rights. The step is
# reported "not_owner" instead, and the owner's function never runs as the
# caller; run by the owner, it is done.
set -eu
db=dbcare_maintain_owner
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE ROLE dbc_mo_owner LOGIN" \
  -c "CREATE SCHEMA app AUTHORIZATION dbc_mo_owner" \
  -c "CREATE TABLE app.ran_as (who text)" \
  -c "GRANT INSERT ON app.ran_as TO PUBLIC" >/dev/null
q -c "SET ROLE dbc_mo_owner" \
  -c "CREATE FUNCTION app.note_caller(int) RETURNS boolean LANGUAGE plpgsql AS
        \$\$BEGIN INSERT INTO app.ran_as VALUES (current_user); RETURN true; END\$\$" \
  -c "CREATE TABLE app.t (id int PRIMARY KEY, v int)" \
  -c "INSERT INTO app.t VALUES (1, 1), (2, 2)" \
  -c "ALTER TABLE app.t ADD CONSTRAINT t_v CHECK (app.note_caller(v)) NOT VALID" >/dev/null

out=$(q -c "SELECT status FROM dbmaintain_run('quick') WHERE action = 'validate_constraint'")
[ "$out" = not_owner ] || fail "run by a superuser, the owner's VALIDATE gave: $out"
[ "$(q -c "SELECT count(*) FROM app.ran_as WHERE who <> 'dbc_mo_owner'")" = 0 ] ||
  fail "the owner's CHECK function ran as: $(q -c "SELECT string_agg(who, ',') FROM app.ran_as")"
[ "$(q -c "SELECT convalidated FROM pg_constraint WHERE conname = 't_v'")" = f ] ||
  fail "the constraint was validated by a role that does not own it"

q -c "GRANT USAGE ON SCHEMA dbcare TO dbc_mo_owner" \
  -c "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA dbcare TO dbc_mo_owner" \
  -c "GRANT USAGE ON ALL SEQUENCES IN SCHEMA dbcare TO dbc_mo_owner" \
  -c "GRANT EXECUTE ON FUNCTION dbmaintain_run(text, text) TO dbc_mo_owner" >/dev/null
out=$(q -c "SET ROLE dbc_mo_owner" -c "SELECT status FROM dbmaintain_run('quick') WHERE action = 'validate_constraint'")
[ "$out" = done ] || fail "run by the owner, VALIDATE gave: $out"
[ "$(q -c "SELECT convalidated FROM pg_constraint WHERE conname = 't_v'")" = t ] ||
  fail "the owner's run did not validate the constraint"
[ "$(q -c "SELECT count(*) FROM app.ran_as WHERE who <> 'dbc_mo_owner'")" = 0 ] ||
  fail "the CHECK ran as another role: $(q -c "SELECT string_agg(who, ',') FROM app.ran_as")"
q -c "DROP OWNED BY dbc_mo_owner CASCADE" -c "DROP ROLE dbc_mo_owner" >/dev/null
echo "ok: dbmaintain_run evaluates a table's code only as its owner"
