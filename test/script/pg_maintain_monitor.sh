#!/usr/bin/env bash
# dbmaintain_plan works for pg_monitor (maintenance.md) even where the plan
# would probe a table that role may not read: a unique index left invalid by
# a failed CREATE UNIQUE INDEX CONCURRENTLY on a table only its owner reads.
# The probe for duplicate keys was refused (42501) and the whole plan failed,
# in every mode; now the plan lists the duplicates' query for a role that may
# read the table, says it could not look, and leaves the transaction usable.
set -eu
db=dbcare_maintain_monitor
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "DROP ROLE IF EXISTS dbc_mon" -c "CREATE ROLE dbc_mon LOGIN IN ROLE pg_monitor" \
  -c "CREATE TABLE secret2 (id int, pw text)" \
  -c "INSERT INTO secret2 VALUES (1, 'a'), (2, 'a')" \
  -c "REVOKE ALL ON secret2 FROM PUBLIC" >/dev/null
q -c "CREATE UNIQUE INDEX CONCURRENTLY secret2_pw ON secret2 (pw)" >/dev/null 2>&1 &&
  fail "the unique index was built over duplicate keys"
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'secret2_pw'::regclass")" = f ] ||
  fail "no invalid index was left"

for mode in quick standard; do
  out=$("$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U dbc_mon -d "$db" \
    -c "BEGIN" \
    -c "SELECT action || ': ' || reason FROM dbmaintain_plan('$mode') WHERE object LIKE '%secret2_pw%'" \
    -c "SELECT 'still usable'" -c "COMMIT" 2>&1) || fail "$mode: dbmaintain_plan failed for pg_monitor: $out"
  case "$out" in
    *"list_duplicates: unique index secret2_pw may hold duplicate keys"*"still usable"*) ;;
    *) fail "$mode: the plan for pg_monitor: $out" ;;
  esac
done
# the table's owner (here a superuser) sees the duplicates themselves
case "$(q -c "SELECT reason FROM dbmaintain_plan('quick') WHERE object LIKE '%secret2_pw%'")" in
  *"secret2_pw holds duplicate keys"*) ;;
  *) fail "the owner's plan: $(q -c "SELECT * FROM dbmaintain_plan('quick')")" ;;
esac
q -c "DROP TABLE secret2" -c "DROP ROLE dbc_mon" >/dev/null
echo "ok: dbmaintain_plan for pg_monitor over a table it may not read"
