#!/usr/bin/env bash
# A role granted dbjson_register attacks another role's registered JSON
# Schemas (issue 64, item 3; docs/security.md, "Registered JSON Schemas"):
# a name belongs to the role that registered it. Another grantee can
# neither replace nor remove it (before, the victim's CHECK then accepted
# rows it refused); a member of the owner and a superuser can, the owner
# staying the same and the history naming who changed it. A registered
# schema's $ref reaches only the schemas its owner may use: one planted by
# another role under the URI it refers to (here with a $ref cycle, which
# made every insert into the victim's table fail) is refused by name, and
# one whose owner granted its role to the referrer's owner is followed.
set -eu
db=dbcare_json_hostile_registrant
. "$(dirname "$0")/lib/pg.sh"
fresh_db

for r in jo_alice jo_mallory jo_bob jo_carol; do
  q -c "DROP ROLE IF EXISTS $r" 2>/dev/null || true
  q -c "CREATE ROLE $r LOGIN" \
    -c "GRANT EXECUTE ON FUNCTION dbjson_register(text, text, text), dbjson_unregister(text) TO $r" \
    -c "GRANT CREATE ON SCHEMA public TO $r"
done
q -c "GRANT jo_alice TO jo_bob"
as() { local r=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U "$r" -d "$db" "$@"; }

address='{"$id": "https://example.com/a/address.json", "type": "object", "required": ["city"]}'
customer='{"$id": "https://example.com/a/customer.json", "type": "object", "properties": {"home": {"$ref": "address.json"}}}'
as jo_alice -c "SELECT dbjson_register('address', \$\$$address\$\$) IS NOT NULL" \
            -c "SELECT dbjson_register('customer', \$\$$customer\$\$) IS NOT NULL" \
            -c "CREATE TABLE customers (doc jsonb CHECK (dbjson_valid(doc, 'customer')))" >/dev/null
[ "$(q -c "SELECT string_agg(name || ':' || owner, ',' ORDER BY name) FROM dbcare.json_schemas")" = \
  "address:jo_alice,customer:jo_alice" ] || fail "owners: $(q -c "SELECT name, owner FROM dbcare.json_schemas")"
bad='{"home": {"street": "x"}}'
refused() { # the victim's CHECK still refuses a home without a city
  out=$(as jo_alice -c "INSERT INTO customers VALUES ('$bad')" 2>&1) && fail "$1: the victim's CHECK accepted $bad"
  grep -q customers_doc_check <<<"$out" || fail "$1: not the CHECK's refusal: $out"
}
refused "before"

# another grantee: replacing or removing alice's schema is refused by name,
# with the remedy, and nothing is written or recorded
for call in "dbjson_register('address', '{\"\$id\": \"https://example.com/a/address.json\"}')" \
            "dbjson_unregister('address')"; do
  out=$(as jo_mallory -c "SELECT $call" 2>&1) && fail "mallory ran $call on alice's schema"
  grep -q "dbcare: role jo_mallory may not \(replace\|remove\) schema address: it belongs to role jo_alice" <<<"$out" ||
    fail "not the owner's refusal: $out"
  grep -q "HINT:.*GRANT jo_alice TO jo_mallory" <<<"$out" || fail "no remedy: $out"
  refused "after mallory's $call"
done
[ "$(q -c "SELECT count(*) FROM dbcare.json_schema_changes WHERE changed_by = 'jo_mallory'")" = 0 ] ||
  fail "mallory's refused changes were recorded"

# a member of the owner replaces it (the owner stays alice, the history names
# bob); a superuser too
stricter='{"$id": "https://example.com/a/address.json", "type": "object", "required": ["city", "zip"]}'
as jo_bob -c "SET ROLE jo_bob" -c "SELECT dbjson_register('address', \$\$$stricter\$\$) IS NOT NULL" >/dev/null ||
  fail "a member of the owner could not replace its schema"
[ "$(q -c "SELECT owner FROM dbcare.json_schemas WHERE name = 'address'")" = jo_alice ] || fail "a replacement took the owner"
[ "$(q -c "SELECT changed_by FROM dbcare.json_schema_changes WHERE name = 'address' ORDER BY id DESC LIMIT 1")" = jo_bob ] ||
  fail "the history does not name bob"
q -c "SELECT dbjson_register('address', \$\$$address\$\$) IS NOT NULL" >/dev/null || fail "a superuser could not replace it"
[ "$(q -c "SELECT owner FROM dbcare.json_schemas WHERE name = 'address'")" = jo_alice ] || fail "the superuser took the owner"

# a $ref to a URI another role holds: mallory registers, first, the item
# schema alice's order schema refers to, as a $ref cycle
cycle='{"$id": "https://example.com/m/item.json", "$ref": "https://example.com/m/item.json"}'
as jo_mallory -c "SELECT dbjson_register('item', \$\$$cycle\$\$) IS NOT NULL" >/dev/null
order='{"$id": "https://example.com/a/order.json", "type": "object", "properties": {"item": {"$ref": "https://example.com/m/item.json"}}}'
as jo_alice -c "SELECT dbjson_register('order', \$\$$order\$\$) IS NOT NULL" \
            -c "CREATE TABLE orders (doc jsonb CHECK (dbjson_valid(doc, 'order')))" >/dev/null
out=$(as jo_alice -c "INSERT INTO orders VALUES ('{\"item\": 1}')" 2>&1) && fail "alice's schema followed mallory's: $out"
grep -q 'dbcare: schema order (owner jo_alice) may not \$ref https://example.com/m/item.json: the schema registered there belongs to role jo_mallory' <<<"$out" ||
  fail "not the reach refusal: $out"
grep -q "HINT:" <<<"$out" || fail "no remedy: $out"
# the same reference from schema text of a call (no owner) is followed
out=$(as jo_alice -c "SELECT dbjson_valid('1'::jsonb, '{\"\$ref\": \"https://example.com/m/item.json\"}')" 2>&1) || true
grep -q 'may not \$ref' <<<"$out" && fail "schema text of a call was held to an owner: $out"

# carol grants her role to alice: alice's schema reaches carol's
q -c "GRANT jo_carol TO jo_alice"
as jo_carol -c "SELECT dbjson_register('sku', '{\"\$id\": \"https://example.com/c/sku.json\", \"type\": \"string\"}') IS NOT NULL" >/dev/null
as jo_alice -c "SELECT dbjson_register('line', '{\"\$id\": \"https://example.com/a/line.json\", \"properties\": {\"sku\": {\"\$ref\": \"https://example.com/c/sku.json\"}}}') IS NOT NULL" >/dev/null
[ "$(as jo_alice -c "SELECT dbjson_valid('{\"sku\": \"x\"}'::jsonb, 'line')::text || dbjson_valid('{\"sku\": 1}'::jsonb, 'line')::text")" = truefalse ] ||
  fail "a schema of a role granted to the owner was not followed"

# the history (dbjson_history): a table owner whose CHECK names a schema sees
# who changed it. dave's table trusts mallory's tag schema, which mallory then
# loosens: dave sees mallory's change; carol, who neither owns the schema nor
# a table naming it, is refused by name and reads nothing; pg_monitor reads
for r in jo_dave jo_erin; do
  q -c "DROP ROLE IF EXISTS $r" 2>/dev/null || true
  q -c "CREATE ROLE $r LOGIN" -c "GRANT CREATE ON SCHEMA public TO $r"
done
q -c "GRANT pg_monitor TO jo_erin"
as jo_mallory -c "SELECT dbjson_register('tag', '{\"type\": \"string\"}') IS NOT NULL" >/dev/null
as jo_dave -c "CREATE TABLE tags (t jsonb CHECK (dbjson_valid(t, 'tag')))" >/dev/null
as jo_mallory -c "SELECT dbjson_register('tag', '{}') IS NOT NULL" >/dev/null
hist="SELECT string_agg(changed_by || ':' || (old_sha256 IS NOT NULL) || ':' || (new_sha256 IS NOT NULL) || ':' || (changed_at LIKE '____-__-__T__:__:__.___Z'), ',') FROM dbjson_history('tag')"
for r in jo_dave jo_mallory jo_erin; do
  got=$(as "$r" -c "$hist" 2>&1) || fail "$r could not read the history of tag: $got"
  [ "$got" = "jo_mallory:false:true:true,jo_mallory:true:true:true" ] || fail "$r reads the history of tag as: $got"
done
out=$(as jo_carol -c "$hist" 2>&1) && fail "an unrelated role read the history of tag: $out"
grep -q "dbcare: role jo_carol may not read the history of schema tag: only superusers, members of pg_monitor, the schema's owner and the owners of tables whose CHECK constraints name it may" <<<"$out" ||
  fail "not the history's refusal: $out"
grep -q "HINT:.*GRANT pg_monitor TO jo_carol" <<<"$out" || fail "no remedy: $out"
# alice's customers table names customer, not address: its owner reads
# address's history as the schema's owner; dave, owning no table naming it, not
[ "$(as jo_alice -c "SELECT string_agg(changed_by, ',') FROM dbjson_history('address')")" = "jo_alice,jo_bob,$(q -c "SELECT CAST(SESSION_USER AS text)")" ] ||
  fail "the owner reads the history of address as: $(as jo_alice -c "SELECT * FROM dbjson_history('address')" 2>&1)"
as jo_dave -c "SELECT count(*) FROM dbjson_history('address')" >/dev/null 2>&1 && fail "dave read the history of address"

# the owner removes its own
as jo_alice -c "SELECT dbjson_unregister('line')" >/dev/null || fail "the owner could not remove its schema"
echo "ok: names belong to their registrant; \$refs reach what the owner may use; the history is the owners'"
