-- dbjson_*: JSON Schema validation, in queries and in CHECK constraints, and
-- dbcheck_json before a constraint is added to a table that has rows.
.headers on
.mode list

SELECT dbjson_valid('{"id":1}', '{"type":"object","required":["id"]}') AS valid,
       dbjson_valid('{}', '{"type":"object","required":["id"]}') AS missing,
       dbjson_valid(NULL, '{"type":"object"}') IS NULL AS null_passes;

-- Every error, not just the first.
SELECT * FROM dbjson_errors('{"id":"7","tags":["a",3,"a"]}',
  '{"properties":{"id":{"type":"integer"},"tags":{"type":"array","uniqueItems":true,"items":{"type":"string"}}}}');

-- A CHECK that names what is wrong, also with trusted_schema = OFF.
PRAGMA trusted_schema = OFF;
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  payload TEXT NOT NULL CHECK (dbjson_assert(payload, '{
    "type": "object",
    "required": ["customer", "items"],
    "properties": {
      "customer": {"type": "string", "minLength": 1},
      "items": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["sku", "price"],
        "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
                       "price": {"type": "number", "minimum": 0}}}}
    }}'))
);
INSERT INTO orders (payload) VALUES ('{"customer":"ada","items":[{"sku":"ABC-1","price":3.5}]}');
INSERT INTO orders (payload) VALUES ('{"customer":"bob","items":[{"sku":"ABC-1","price":1},{"sku":"XYZ-2","price":2},{"sku":"QQQ-3","price":-1}]}');
INSERT INTO orders (payload) VALUES ('{"customer":"cy","items":[{"sku":"abc","price":1}]}');
INSERT INTO orders (payload) VALUES ('not json');
SELECT count(*) AS stored FROM orders;

-- dbjson_valid in a CHECK fails with SQLite's own message.
CREATE TABLE events (body TEXT CHECK (dbjson_valid(body, '{"type":"object"}')));
INSERT INTO events VALUES ('{}');
INSERT INTO events VALUES ('[]');

-- Format is an annotation unless asserted.
SELECT dbjson_valid('"nope"', '{"format":"email"}') AS annotated,
       dbjson_valid('"nope"', '{"format":"email"}', 1) AS asserted,
       dbjson_valid('"ada@example.com"', '{"format":"email"}', 1) AS good_email;

-- Schemas are checked against their draft's meta-schema.
SELECT dbjson_schema_valid('{"type":"string"}') AS good,
       dbjson_schema_valid('{"type":"strnig"}') AS bad_type,
       dbjson_schema_valid('{"$schema":"http://json-schema.org/draft-04/schema#","exclusiveMinimum":true}') AS draft4_rule;
SELECT dbjson_valid('1', '{"minimum":"zero"}');
SELECT dbjson_valid('1', '{"$ref":"https://example.com/schema.json"}');
SELECT dbjson_valid('1', '{"type":');

-- Before adding a constraint: which stored rows would it refuse?
CREATE TABLE legacy (id INTEGER PRIMARY KEY, doc TEXT);
INSERT INTO legacy (doc) VALUES ('{"n":1}'), ('{"n":"two"}'), ('{"n":3}'), ('{}'), (NULL), ('oops');
SELECT * FROM dbcheck_json('legacy', 'doc', '{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}');
SELECT * FROM dbcheck_json('main.legacy', 'doc', '{"type":"object"}');
SELECT * FROM dbcheck_json('no_such_table', 'doc', '{}');

-- Error paths and messages as dbjson_errors writes them: keys escaped in
-- both pointers ("~" as ~0, "/" as ~1), a path deeper than 32 steps,
-- integers at the ends of their range, strings that need escapes or are cut.
SELECT * FROM dbjson_errors('{"a~/b":{"c/d":[0,-9223372036854775808]}}',
  '{"properties":{"a~/b":{"properties":{"c/d":{"items":{"minimum":1}}}}}}');
SELECT * FROM dbjson_errors('{"s":"q\"uote","t":"' || printf('%.70c', 'x') || '","u":9223372036854775807}',
  '{"properties":{"s":{"maxLength":2},"t":{"maxLength":2},"u":{"maximum":-1}}}');
WITH RECURSIVE d(n, doc, sch) AS (
  SELECT 0, '1', '{"type":"string"}'
  UNION ALL SELECT n + 1, '{"k' || n || '":' || doc || '}', '{"properties":{"k' || n || '":' || sch || '}}'
  FROM d WHERE n < 40)
SELECT e.instance_path, e.schema_path, e.message FROM d, dbjson_errors(d.doc, d.sch) e WHERE d.n = 40;
