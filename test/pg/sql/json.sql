-- dbjson_*: JSON Schema validation in queries and CHECK constraints, and the
-- NOT VALID -> dbcheck_json -> VALIDATE flow for a table that has rows.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT dbjson_valid('{"id":1}'::jsonb, '{"type":"object","required":["id"]}') AS jsonb_valid,
       dbjson_valid('{}'::json, '{"type":"object","required":["id"]}') AS json_missing,
       dbjson_valid('[1,2]', '{"type":"array"}') AS text_valid,
       dbjson_valid(NULL::jsonb, '{}') IS NULL AS null_passes;

-- Every error, not just the first.
SELECT * FROM dbjson_errors('{"id":"7","tags":["a",3,"a"]}'::jsonb,
  '{"properties":{"id":{"type":"integer"},"tags":{"type":"array","uniqueItems":true,"items":{"type":"string"}}}}');

-- A CHECK that says what is wrong.
CREATE TABLE orders (
  id serial PRIMARY KEY,
  payload jsonb NOT NULL CONSTRAINT payload_schema CHECK (dbjson_assert(payload, '{
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
INSERT INTO orders (payload) VALUES ('{"customer":"","items":[]}');
SELECT count(*) AS stored FROM orders;

-- dbjson_valid in a CHECK fails with PostgreSQL's own message.
CREATE TABLE events (body json CHECK (dbjson_valid(body, '{"type":"object"}')));
INSERT INTO events VALUES ('{}');
INSERT INTO events VALUES ('[]');

-- Format: an annotation unless asserted.
SELECT dbjson_valid('"nope"'::jsonb, '{"format":"email"}') AS annotated,
       dbjson_valid('"nope"'::jsonb, '{"format":"email"}', true) AS asserted,
       dbjson_valid('"ada@example.com"'::jsonb, '{"format":"email"}', format_assertion => true) AS good;

-- Schemas: checked against their draft's meta-schema; a wrong one is an error.
SELECT dbjson_schema_valid('{"type":"string"}') AS good,
       dbjson_schema_valid('{"type":"strnig"}') AS bad_type,
       dbjson_schema_valid('{"$schema":"http://json-schema.org/draft-07/schema#","if":{"minimum":0},"then":{"multipleOf":2}}') AS draft7;
SELECT dbjson_valid('1'::jsonb, '{"minimum":"zero"}');
SELECT dbjson_valid('1'::jsonb, '{"$ref":"https://example.com/schema.json"}');
SELECT dbjson_valid('1', '{"type":');
-- The session goes on after each error.
SELECT dbjson_valid('{"a":[1,2,3]}'::jsonb, '{"properties":{"a":{"maxItems":3}}}') AS after_errors;

-- An existing table: add the constraint NOT VALID, look, fix, VALIDATE.
CREATE TABLE legacy (id int PRIMARY KEY, doc jsonb);
INSERT INTO legacy VALUES (1, '{"n":1}'), (2, '{"n":"two"}'), (3, '{"n":3}'), (4, '{}'), (5, NULL);
ALTER TABLE legacy ADD CONSTRAINT doc_schema
  CHECK (dbjson_valid(doc, '{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}')) NOT VALID;
SELECT * FROM dbcheck_json('legacy', 'doc', '{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}');
ALTER TABLE legacy VALIDATE CONSTRAINT doc_schema;
UPDATE legacy SET doc = '{"n":2}' WHERE id = 2;
DELETE FROM legacy WHERE id = 4;
SELECT * FROM dbcheck_json('legacy', 'doc', '{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}');
ALTER TABLE legacy VALIDATE CONSTRAINT doc_schema;
SELECT * FROM dbcheck_json('public.legacy', 'doc', '{"type":"object"}');
SELECT * FROM dbcheck_json('legacy', 'no_such_column', '{}');
SELECT * FROM dbcheck_json('no_such_table', 'doc', '{}');

-- jsonb schemas that change row by row, more of them than the backend keeps
-- printed (it keeps the text of the last few, keyed by their bytes): each row
-- is judged by its own schema, by every function.
SELECT i, dbjson_valid(to_jsonb(i), jsonb_build_object('minimum', 3 + i % 6)) AS valid
  FROM generate_series(1, 12) i;
SELECT i, e.keyword
  FROM generate_series(1, 6) i,
       dbjson_errors('{"a":"x"}'::jsonb,
                     jsonb_build_object('properties', jsonb_build_object('a',
                       jsonb_build_object('type', CASE WHEN i % 3 = 0 THEN 'string' ELSE 'integer' END),
                       'b', jsonb_build_object('minimum', i)))) e
 ORDER BY i;

-- Usable where PostgreSQL wants IMMUTABLE: an index expression.
CREATE INDEX legacy_valid ON legacy ((dbjson_valid(doc, '{"required":["n"]}')));
DROP TABLE legacy, orders, events;
