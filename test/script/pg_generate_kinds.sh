#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL against failure kinds real histories
# showed (issue 52): each plan generated (its proof runs the down back to
# the live schema, then the up) and applied reaches the desired schema.
set -eu
db=dbcare_generate_kinds
. "$(dirname "$0")/lib/pg.sh"
# case NAME LIVE DESIRED: the plan from LIVE to DESIRED (drops allowed),
# applied, compared with DESIRED's fingerprint
case_() {
  fresh_db
  q -c "SET client_min_messages = warning" -c "$3" >/dev/null
  local want
  want=$(q -c "SELECT dbschema_fingerprint()")
  fresh_db
  q -c "SET client_min_messages = warning" -c "$2" >/dev/null
  q -v "desired=$3" > "$work/plan.txt" 2>&1 <<'SQL' || fail "$1: $(grep -m1 ERROR "$work/plan.txt")"
SELECT statement FROM dbmigrate_generate(:'desired', '{"allow_drop": true}') ORDER BY step \gexec
SQL
  [ "$(q -c "SELECT dbschema_fingerprint()")" = "$want" ] || fail "$1: the up does not reach the desired schema"
  echo "$1: up reaches the desired schema"
}
# kind 8: a dropped table with an identity column: its down made it with
# "DEFAULT generated always as identity", which does not parse
case_ identity_dropped \
  "CREATE TABLE tasks (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text); CREATE TABLE keep (id int);" \
  "CREATE TABLE keep (id int);"
# kind 4: a table renamed without a mark is a drop and a create; the new
# table has the old one's constraint names (pg_dump keeps tasks_pkey), so
# the old goes first and the down drops the new before making it again
case_ unmarked_rename \
  "CREATE TABLE tasks (id int, name text NOT NULL); ALTER TABLE tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (id); CREATE INDEX tasks_name ON tasks (name);" \
  "CREATE TABLE _private_tasks (id int, name text NOT NULL); ALTER TABLE _private_tasks ADD CONSTRAINT tasks_pkey PRIMARY KEY (id); CREATE INDEX tasks_name ON _private_tasks (name);"
echo ok
