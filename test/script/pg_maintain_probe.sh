#!/usr/bin/env bash
# dbmaintain_plan asks whether an invalid unique index still has duplicate
# keys by running a query over the index's own expressions and predicate:
# code the table's owner wrote. That probe runs as the owner (the constraint
# checks' scope), never with the rights of the role asking for the plan, so
# an owner's index function cannot act as a superuser planning maintenance.
# The probe still finds the duplicates (the plan lists them).
set -eu
db=dbcare_maintain_probe
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE ROLE dbc_mp_owner LOGIN" \
  -c "CREATE SCHEMA app AUTHORIZATION dbc_mp_owner" \
  -c "CREATE TABLE app.ran_as (who text)" \
  -c "GRANT INSERT ON app.ran_as TO PUBLIC" >/dev/null
q -c "SET ROLE dbc_mp_owner" \
  -c "CREATE FUNCTION app.key_of(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS
        \$\$BEGIN RETURN \$1; END\$\$" \
  -c "CREATE TABLE app.t (id int PRIMARY KEY, v int)" \
  -c "INSERT INTO app.t VALUES (1, 7), (2, 7)" >/dev/null
# Fails on the duplicate and leaves the index behind, invalid.
q -c "SET ROLE dbc_mp_owner" -c "CREATE UNIQUE INDEX CONCURRENTLY t_key ON app.t (app.key_of(v))" \
  >/dev/null 2>&1 && fail "the unique index was built over duplicate keys"
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.t_key'::regclass")" = f ] ||
  fail "no invalid index was left behind"
# The owner now makes the function note who runs it.
q -c "SET ROLE dbc_mp_owner" \
  -c "CREATE OR REPLACE FUNCTION app.key_of(int) RETURNS int LANGUAGE plpgsql VOLATILE AS
        \$\$BEGIN INSERT INTO app.ran_as VALUES (current_user); RETURN \$1; END\$\$" >/dev/null

out=$(q -c "SELECT action FROM dbmaintain_plan() WHERE object = 'app.t_key'")
[ "$out" = list_duplicates ] || fail "the plan for the invalid unique index: '$out', not list_duplicates"
[ "$(q -c "SELECT count(*) FROM app.ran_as WHERE who <> 'dbc_mp_owner'")" = 0 ] ||
  fail "the owner's index function ran as: $(q -c "SELECT string_agg(who, ',') FROM app.ran_as")"
q -c "DROP OWNED BY dbc_mp_owner CASCADE" -c "DROP ROLE dbc_mp_owner" >/dev/null
echo "ok: the duplicate-key probe runs as the table's owner"
