#!/usr/bin/env bash
# A trigger of dbcare.audit_trigger() records only the table it fires on:
# a role allowed to run the function (EXECUTE) that makes one on its own
# table, its first argument naming an audited table, has its writes
# refused, not logged (and hash-chained) as that table's changes; the
# audited table renamed since it was enabled keeps being recorded under
# its stored name (its triggers followed it).
set -eu
db=dbcare_audit_forged
. "$(dirname "$0")/lib/pg.sh"
fresh_db
role=dbcare_forger
"$B/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP ROLE IF EXISTS $role" -c "CREATE ROLE $role LOGIN" >/dev/null
drop_role() { cleanup; "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true; }
trap drop_role EXIT

q -c "CREATE TABLE victim (id int PRIMARY KEY, v text)" \
  -c "SELECT dbaudit_enable('victim', '{\"hash_chain\": true}')" \
  -c "INSERT INTO victim VALUES (1, 'a')" \
  -c "GRANT CREATE ON SCHEMA public TO $role" \
  -c "GRANT USAGE ON SCHEMA dbcare TO $role" \
  -c "GRANT EXECUTE ON FUNCTION dbcare.audit_trigger() TO $role" >/dev/null
before=$(q -c "SELECT count(*) FROM dbcare.audit_log")

forge() {
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U "$role" -d "$db" \
    -c "CREATE TABLE fake_$1 (id int PRIMARY KEY, v text)" \
    -c "INSERT INTO fake_$1 VALUES (1, 'x')" \
    -c "CREATE TRIGGER forge AFTER UPDATE ON fake_$1 REFERENCING OLD TABLE AS dbcare_old NEW TABLE AS dbcare_new FOR EACH STATEMENT EXECUTE FUNCTION dbcare.audit_trigger('$2', 'changed+chain', '1', 'id', '@', '1')" \
    -c "UPDATE fake_$1 SET v = 'forged'" 2>&1
}
out=$(forge a public.victim) && fail "a trigger naming another table wrote: $out"
echo "$out" | grep -q 'dbcare: audit trigger "forge" of table fake_a records table public.victim, another table' ||
  fail "no clear refusal: $out"
echo "$out" | grep -q 'HINT:  Only dbaudit_enable makes audit triggers' || fail "no hint: $out"
# a name that is not schema-qualified is no name dbaudit_enable stores
out=$(forge b victim) && fail "a trigger naming an unqualified table wrote: $out"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log")" = "$before" ] || fail "forged entries were logged"
[ "$(q -c "SELECT dbaudit_row_at('victim', '{\"id\": 1}', now())::text")" = '{"v": "a", "id": 1}' ] ||
  fail "the victim's history changed"

# the audited table itself, renamed: still recorded under its stored name
q -c "ALTER TABLE victim RENAME TO victim2" -c "UPDATE victim2 SET v = 'b'" >/dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.victim' AND operation = 'update'")" = 1 ] ||
  fail "the renamed audited table's update was not recorded"
[ "$(q -c "SELECT count(*) FROM dbaudit_verify() WHERE broken_id IS NOT NULL")" = 0 ] || fail "the chain does not verify"
# a table owner with the grants docs/audit.md lists audits its own table
q -c "GRANT SELECT, INSERT, DELETE ON dbcare.audit_tables TO $role" -c "GRANT SELECT ON dbcare.config TO $role" \
  -c "GRANT EXECUTE ON FUNCTION dbaudit_enable(text, jsonb, text) TO $role" >/dev/null
"$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U "$role" -d "$db" -c "CREATE TABLE own (id int PRIMARY KEY)" \
  -c "SELECT dbaudit_enable('own')" -c "INSERT INTO own VALUES (7)" >"$work/own.out" 2>&1 ||
  fail "the documented grants do not let an owner audit its table: $(cat "$work/own.out")"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE table_name = 'public.own'")" = 1 ] ||
  fail "the owner's table was not recorded"
echo "ok"
