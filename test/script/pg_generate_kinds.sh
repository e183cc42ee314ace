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
echo ok
