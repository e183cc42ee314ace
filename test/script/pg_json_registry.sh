#!/usr/bin/env bash
# The JSON Schema registry on PostgreSQL (docs/json.md, "Schemas by name"):
# a CHECK names a registered schema; a $ref resolves through the registry,
# absolute and relative to the referring schema's $id; a schema changed by
# another session is seen by a session that compiled the old one (at its
# next statement); unregister refuses while a CHECK names the schema;
# revalidate counts the rows a change no longer accepts, reading the table
# with its owner's rights; a plain table owner uses the registry in a CHECK
# but cannot change it; every change is recorded.
set -eu
db=dbcare_json_registry
. "$(dirname "$0")/lib/pg.sh"
fresh_db

address='{"$id": "https://example.com/schemas/address.json", "type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}'
stricter='{"$id": "https://example.com/schemas/address.json", "type": "object", "required": ["city", "zip"]}'
person='{"$id": "https://example.com/schemas/person.json", "type": "object", "properties": {"name": {"type": "string"}, "home": {"$ref": "address.json"}, "work": {"$ref": "https://example.com/schemas/address.json"}}}'

sha=$(q -c "SELECT dbjson_register('address', \$\$$address\$\$)")
[ "$sha" = "$(printf '%s' "$address" | sha256sum | cut -d' ' -f1)" ] || fail "register returned $sha, not the schema's SHA-256"
q -c "SELECT dbjson_register('person', \$\$$person\$\$)" >/dev/null
got=$(q -c "SELECT name || ' ' || coalesce(uri, '-') FROM dbjson_schemas()" | tr '\n' ';')
[ "$got" = "address https://example.com/schemas/address.json;person https://example.com/schemas/person.json;" ] || fail "dbjson_schemas: $got"

# a plain table owner: a CHECK naming the schema, no rights on dbcare's tables
q -c "CREATE ROLE reg_owner LOGIN" -c "GRANT CREATE ON SCHEMA public TO reg_owner"
as_owner() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -U reg_owner -d "$db" "$@"; }
as_owner -c "CREATE TABLE people (id serial PRIMARY KEY, doc jsonb CHECK (dbjson_valid(doc, 'person')))"
as_owner -c "INSERT INTO people (doc) VALUES ('{\"name\": \"a\", \"home\": {\"city\": \"x\"}}')"
out=$(as_owner -c "INSERT INTO people (doc) VALUES ('{\"name\": \"a\", \"home\": {\"zip\": \"x\"}}')" 2>&1) && fail "a document the schema refuses was stored"
grep -q "people_doc_check" <<<"$out" || fail "not the CHECK's refusal: $out"
out=$(as_owner -c "INSERT INTO people (doc) VALUES ('{\"work\": {\"zip\": \"x\"}}')" 2>&1) && fail "the absolute \$ref was not followed"
# the constraint carries the name, not the schema
def=$(q -c "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'people_doc_check'")
grep -q "'person'::text" <<<"$def" || fail "the constraint does not name the schema: $def"
[ "${#def}" -lt 100 ] || fail "the constraint carries more than a name: $def"
out=$(as_owner -c "SELECT dbjson_register('address', '{}')" 2>&1) && fail "a plain role changed the registry"
grep -q "permission denied" <<<"$out" || fail "not a permission error: $out"

# the documented grant is enough (issue 56 B1): EXECUTE alone lets a role
# register and unregister, the change is recorded with the role it runs as
# (SET ROLE), and the role cannot write the tables around the functions
q -c "CREATE ROLE reg_admin" -c "GRANT EXECUTE ON FUNCTION dbjson_register(text, text, text), dbjson_unregister(text) TO reg_admin"
r=$(q -c "SET ROLE reg_admin" -c "SELECT dbjson_register('admins', '{\"type\": \"string\"}') IS NOT NULL" -c "SELECT dbjson_unregister('admins')" -c "SELECT dbjson_register('admins', '{\"type\": \"string\"}') IS NOT NULL" 2>&1 | tr '\n' ' ')
[ "$r" = "t t t " ] || fail "EXECUTE alone does not register: $r"
r=$(q -c "SELECT string_agg(changed_by, ',' ORDER BY id) FROM dbcare.json_schema_changes WHERE name = 'admins'")
[ "$r" = "reg_admin,reg_admin,reg_admin" ] || fail "changes by reg_admin recorded as: $r"
for w in "INSERT INTO dbcare.json_schema_changes (name, new_sha256, changed_at) VALUES ('admins', 'x', now())" \
         "UPDATE dbcare.json_schemas SET schema = '{}' WHERE name = 'admins'"; do
  out=$(q -c "SET ROLE reg_admin" -c "$w" 2>&1) && fail "reg_admin wrote the registry directly: $w"
  grep -q "permission denied" <<<"$out" || fail "not a permission error: $out"
done
# a row whose text was changed around dbjson_register (by the tables'
# owner) is refused, never compiled
q -c "UPDATE dbcare.json_schemas SET schema = '{}' WHERE name = 'admins'"
out=$(q -c "SELECT dbjson_valid('1'::jsonb, 'admins')" 2>&1) && fail "a row changed around dbjson_register was used"
grep -q "dbcare: the registered schema admins was changed outside dbjson_register" <<<"$out" || fail "changed row: $out"
[ "$(q -c "SELECT dbjson_unregister('admins')")" = t ] || fail "a changed row cannot be unregistered"

# the registry's reads resolve nothing through the caller's search_path
# (the validators have no SET clause: the host pins it per statement): a
# max() planted in public, first on the path, is never called
as_owner -c "CREATE FUNCTION public.evil_max(bigint, bigint) RETURNS bigint LANGUAGE sql AS 'SELECT 1 / 0'" \
         -c "CREATE AGGREGATE public.max(bigint) (sfunc = public.evil_max, stype = bigint)"
out=$(as_owner -c "SET search_path = public, pg_catalog" \
               -c "INSERT INTO people (doc) VALUES ('{\"home\": {\"city\": \"w\"}}') RETURNING 'stored'" 2>&1)
[ "$out" = stored ] || fail "a planted max() changed the registry's read: $out"
as_owner -c "DELETE FROM people WHERE doc->'home'->>'city' = 'w'"

# another session changes a schema: a session that compiled the old one
# sees the new one at its next statement
long_lived_session
s "SET ROLE reg_owner;" >/dev/null
r=$(s "INSERT INTO people (doc) VALUES ('{\"home\": {\"city\": \"y\"}}') RETURNING 'stored';")
[ "$r" = stored ] || fail "the first insert: $r"
q -c "SELECT dbjson_register('address', \$\$$stricter\$\$)" >/dev/null
r=$(s "INSERT INTO people (doc) VALUES ('{\"home\": {\"city\": \"z\"}}') RETURNING 'stored';")
grep -q "people_doc_check" <<<"$r" || fail "a session kept the old schema after the registry changed: $r"

# a change committed after a later-numbered one (another session's, made
# while the first was open): a session that compiled the schema in between
# must see it once it commits (a generation by newest change id would not)
q -c "SELECT dbjson_register('cx', '{\"type\": \"string\"}')" >/dev/null
mkfifo "$work/in2"
"$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" < "$work/in2" > "$work/out2" 2>&1 &
pids+=($!)
exec 4> "$work/in2"
printf '%s\n' "BEGIN;" "SELECT dbjson_register('cx', '{\"type\": \"integer\"}') IS NOT NULL;" '\echo held' >&4
for _ in $(seq 1 600); do grep -qx held "$work/out2" && break; sleep 0.05; done
grep -qx held "$work/out2" || fail "the open registration did not run: $(cat "$work/out2")"
q -c "SELECT dbjson_register('cy', '{}')" >/dev/null
r=$(s "SELECT dbjson_valid('1'::jsonb, 'cx');")
[ "$r" = f ] || fail "cx before the open change commits: $r"
printf '%s\n' "COMMIT;" '\echo committed' >&4
for _ in $(seq 1 600); do grep -qx committed "$work/out2" && break; sleep 0.05; done
grep -qx committed "$work/out2" || fail "the open registration did not commit: $(cat "$work/out2")"
r=$(s "SELECT dbjson_valid('1'::jsonb, 'cx');")
[ "$r" = t ] || fail "a session kept a schema a change committed out of order replaced: $r"

# two schemas with one $id: a dbcare: error naming the holder
out=$(q -c "SELECT dbjson_register('cz', '{\"\$id\": \"https://example.com/schemas/address.json\"}')" 2>&1) && fail "two schemas registered under one URI"
grep -q "schema address is registered under the URI https://example.com/schemas/address.json already" <<<"$out" || fail "duplicate URI: $out"

# revalidate: the stored rows the changed schema refuses (2 of 2 lack zip)
r=$(q -c "SELECT table_name || ' ' || constraint_name || ' ' || violations FROM dbjson_revalidate('person')")
[ "$r" = "public.people people_doc_check 2" ] || fail "revalidate: $r"

# unregister: refused while a CHECK names it, then allowed
out=$(q -c "SELECT dbjson_unregister('person')" 2>&1) && fail "unregistered a schema a CHECK names"
grep -q "people_doc_check" <<<"$out" || fail "the refusal does not name the constraint: $out"
as_owner -c "ALTER TABLE people DROP CONSTRAINT people_doc_check"
[ "$(q -c "SELECT dbjson_unregister('person')")" = t ] || fail "unregister after the constraint went"
[ "$(q -c "SELECT dbjson_unregister('person')")" = f ] || fail "unregister of a missing name"

# the changes, with who and both digests
r=$(q -c "SELECT name || ' ' || (old_sha256 IS NOT NULL) || ' ' || (new_sha256 IS NOT NULL) || ' ' || changed_by FROM dbcare.json_schema_changes WHERE name IN ('address', 'person') ORDER BY id" | tr '\n' ';')
[ "$r" = "address false true postgres;person false true postgres;address true true postgres;person true false postgres;" ] || fail "changes: $r"

# errors that name what is wrong
out=$(q -c "SELECT dbjson_valid('{}'::jsonb, 'nosuch')" 2>&1) && fail "an unknown name validated"
grep -q "no JSON Schema is registered under the name nosuch" <<<"$out" || fail "unknown name: $out"
out=$(q -c "SELECT dbjson_valid('{}'::jsonb, '{\"\$ref\": \"https://example.com/other.json\"}')" 2>&1) && fail "an unknown \$ref resolved"
grep -q "https://example.com/other.json" <<<"$out" || fail "the unknown reference is not named: $out"
for bad in 'true' '1abc' ' x'; do
  out=$(q -c "SELECT dbjson_register('$bad', '{}')" 2>&1) && fail "registered the name '$bad'"
  grep -q "dbcare:" <<<"$out" || fail "no dbcare error for name '$bad': $out"
done
# names never shadow URIs (issue 56 B2), URIs are absolute, an unknown name
# unregisters to false even when a CHECK names it (B4)
q -c "SELECT dbjson_register('byuri', '{\"\$id\": \"https://t.example/b.json\", \"type\": \"integer\"}')" >/dev/null
for bad in 'https://t.example/b.json' 'ca ' 'a:b'; do
  out=$(q -c "SELECT dbjson_register('$bad', '{\"type\": \"string\"}')" 2>&1) && fail "registered the name '$bad'"
  grep -q "dbcare: a schema's name starts with a letter" <<<"$out" || fail "name '$bad': $out"
done
[ "$(q -c "SELECT dbjson_valid('1'::jsonb, 'https://t.example/b.json')")" = t ] || fail "a URI argument did not find its schema"
for bad in 'relative.json' 'not a uri at all'; do
  out=$(q -c "SELECT dbjson_register('u1', '{}', '$bad')" 2>&1) && fail "registered the uri '$bad'"
  grep -q "uri must be an absolute URI" <<<"$out" || fail "uri '$bad': $out"
done
q -c "CREATE TABLE nx (doc jsonb CHECK (dbjson_valid(doc, 'nonexistent')))"
[ "$(q -c "SELECT dbjson_unregister('nonexistent')")" = f ] || fail "unregister of an unknown name named by a CHECK"
q -c "DROP TABLE nx"
out=$(q -c "SELECT dbjson_valid('1'::jsonb, '{\"\$ref\": \"https://e.com/none.json\"}')" 2>&1) && fail "an unknown \$ref resolved"
grep -q "register it with dbjson_register" <<<"$out" || fail "the unknown \$ref's error has no hint: $out"
# two sessions register one new name at once: the second gets a dbcare:
# error, not the unique index's violation
printf '%s\n' "BEGIN;" "SELECT dbjson_register('twice', '{\"type\": \"string\"}') IS NOT NULL;" '\echo held2' >&4
for _ in $(seq 1 600); do grep -qx held2 "$work/out2" && break; sleep 0.05; done
grep -qx held2 "$work/out2" || fail "the first registration did not run: $(cat "$work/out2")"
( sleep 1; printf '%s\n' "COMMIT;" >&4 ) &
out=$(q -c "SELECT dbjson_register('twice', '{\"type\": \"integer\"}')" 2>&1) && fail "the second of two concurrent registrations passed"
grep -q "dbcare: schema twice (or its URI) was registered or removed by another transaction" <<<"$out" || fail "concurrent registration: $out"
wait $!
# unregister while a CREATE TABLE naming the schema is open in another
# transaction (B4): its CHECK is invisible, so unregister refuses
q -c "SELECT dbjson_register('race', '{\"type\": \"string\"}')" >/dev/null
printf '%s\n' "BEGIN;" "CREATE TABLE race_t (doc jsonb CHECK (dbjson_valid(doc, 'race')));" '\echo held3' >&4
for _ in $(seq 1 600); do grep -qx held3 "$work/out2" && break; sleep 0.05; done
grep -qx held3 "$work/out2" || fail "the open CREATE TABLE did not run: $(cat "$work/out2")"
out=$(q -c "SELECT dbjson_unregister('race')" 2>&1) && fail "unregistered a schema an open CREATE TABLE names"
grep -q "dbcare: dbjson_unregister cannot see the constraints another transaction may be adding (process [0-9]* holds an ACCESS EXCLUSIVE lock on" <<<"$out" || fail "open CREATE TABLE: $out"
printf '%s\n' "COMMIT;" '\echo committed3' >&4
for _ in $(seq 1 600); do grep -qx committed3 "$work/out2" && break; sleep 0.05; done
out=$(q -c "SELECT dbjson_unregister('race')" 2>&1) && fail "unregistered race after the CREATE TABLE committed"
grep -q "schema race is used by constraint race_t_doc_check" <<<"$out" || fail "after the commit: $out"
# a CHECK that computes the schema argument may name any schema
q -c "SELECT dbjson_register('u1', '{}')" -c "CREATE TABLE comp (k text, doc jsonb CHECK (dbjson_valid(doc, 'u' || '1')))" >/dev/null
out=$(q -c "SELECT dbjson_unregister('u1')" 2>&1) && fail "unregistered u1 while a CHECK computes its name"
grep -q "constraint comp_doc_check of public.comp computes the schema argument" <<<"$out" || fail "computed name: $out"
q -c "ALTER TABLE comp DROP CONSTRAINT comp_doc_check" -c "ALTER TABLE comp ADD CHECK (dbjson_valid(doc, k))"
out=$(q -c "SELECT dbjson_unregister('u1')" 2>&1) && fail "unregistered u1 while a CHECK takes the name from a column"
grep -q "computes the schema argument" <<<"$out" || fail "name from a column: $out"
q -c "DROP TABLE comp" -c "DROP TABLE race_t"
out=$(q -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT dbjson_unregister('u1')" 2>&1) && fail "unregister in REPEATABLE READ"
grep -q "READ COMMITTED transaction only" <<<"$out" || fail "repeatable read: $out"
[ "$(q -c "SELECT dbjson_unregister('u1')")" = t ] || fail "unregister of u1 once no CHECK computes a name"

# bounded memory (B3): a schema over the size limit is refused, both ways
python3 -c 'print("SELECT dbjson_register(%s, %s);" % ("\x27big\x27", "\x27{\"anyOf\": [" + ",".join(["{\"type\": \"string\", \"maxLength\": 10}"] * 30000) + "]}\x27"))' > "$work/big.sql"
out=$(q -f "$work/big.sql" 2>&1) && fail "a schema over 1 MB registered"
grep -q "dbcare: schema big is larger than 1048576 bytes" <<<"$out" || fail "big schema: $out"
# schema text keeps working through every overload
[ "$(q -c "SELECT dbjson_valid('{\"city\": 1}'::jsonb, '{\"\$ref\": \"https://example.com/schemas/address.json\"}')")" = f ] || fail "inline \$ref into the registry"
[ "$(q -c "SELECT dbjson_valid('1'::json, '{\"type\": \"integer\"}')")" = t ] || fail "json document, text schema"
[ "$(q -c "SELECT dbjson_valid('{\"city\": \"a\", \"zip\": \"1\"}', 'address')")" = t ] || fail "text document, name"
r=$(q -c "SELECT violations FROM dbcheck_json('people', 'doc', 'address')")
[ "$r" = 2 ] || fail "dbcheck_json by name: $r"
# a partitioned table: its partitions' rows are counted (the planner must
# not take the CHECK as proof that a partition holds no refused row)
q -c "CREATE TABLE parts (id int, doc jsonb CHECK (dbjson_valid(doc, 'address'))) PARTITION BY RANGE (id)" \
  -c "CREATE TABLE parts1 PARTITION OF parts FOR VALUES FROM (0) TO (10)" \
  -c "CREATE TABLE parts2 PARTITION OF parts FOR VALUES FROM (10) TO (20)" \
  -c "INSERT INTO parts VALUES (1, '{\"city\": \"a\", \"zip\": \"1\"}'), (11, '{\"city\": \"b\", \"zip\": \"2\"}')"
q -c "SELECT dbjson_register('address', \$\$$address\$\$)" >/dev/null
q -c "UPDATE parts SET doc = doc - 'zip'"
q -c "SELECT dbjson_register('address', \$\$$stricter\$\$)" >/dev/null
r=$(q -c "SELECT table_name || ' ' || violations FROM dbjson_revalidate('address')")
[ "$r" = "public.parts 2" ] || fail "revalidate of a partitioned table: $r"
r=$(q -c "SELECT violations FROM dbcheck_constraints() WHERE table_name = 'public.parts'")
[ "$r" = 2 ] || fail "dbcheck_constraints on a partitioned table: $r"
q -c "DROP TABLE parts"

# a DOMAIN's CHECK naming a schema: unregister refuses (the domain would
# refuse every value after), revalidate lists it as not counted
q -c "SELECT dbjson_register('dx', '{\"type\": \"string\"}')" >/dev/null
q -c "CREATE DOMAIN dx_doc AS jsonb CHECK (dbjson_valid(VALUE, 'dx'))"
out=$(q -c "SELECT dbjson_unregister('dx')" 2>&1) && fail "unregistered a schema a domain's CHECK names"
grep -q "constraint dx_doc_check of domain public.dx_doc" <<<"$out" || fail "the refusal does not name the domain: $out"
r=$(q -c "SELECT table_name || ' ' || constraint_name || ' ' || (violations IS NULL) FROM dbjson_revalidate('dx')")
[ "$r" = "public.dx_doc dx_doc_check true" ] || fail "revalidate with a domain: $r"
[ "$(q -c "SELECT '\"a\"'::dx_doc IS NOT NULL")" = t ] || fail "the domain's schema went"
q -c "DROP DOMAIN dx_doc"
[ "$(q -c "SELECT dbjson_unregister('dx')")" = t ] || fail "unregister after the domain went"
# REPEATABLE READ: a session that accepts a change's invalidation inside a
# transaction whose snapshot predates the change compiles the old schema
# there; it must not keep it for its next transactions
q -c "SELECT dbjson_register('rr', '{\"type\": \"string\"}')" -c "CREATE TABLE rr_other (i int)" >/dev/null
s "RESET ROLE;" >/dev/null
s "BEGIN ISOLATION LEVEL REPEATABLE READ;" >/dev/null
r=$(s "SELECT dbjson_valid('1'::jsonb, 'rr');")
[ "$r" = f ] || fail "rr in the first transaction: $r"
q -c "SELECT dbjson_register('rr', '{\"type\": \"integer\"}')" >/dev/null
s "SELECT count(*) FROM rr_other;" >/dev/null
r=$(s "SELECT dbjson_valid('1'::jsonb, 'rr');")
[ "$r" = f ] || fail "rr inside the repeatable-read snapshot: $r"
s "COMMIT;" >/dev/null
r=$(s "SELECT dbjson_valid('1'::jsonb, 'rr');")
[ "$r" = t ] || fail "a session kept the schema its repeatable-read snapshot showed after the transaction: $r"
exec 4>&-
echo "ok: registry by name, \$ref, cross-session change, revalidate, unregister, rights"
