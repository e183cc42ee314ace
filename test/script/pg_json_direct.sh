#!/usr/bin/env bash
# A jsonb document reaches the validator as a tree (pg/json_doc.c), not as
# text: the two readings must agree. Every case is run through the jsonb
# overload and through the text overload on the same jsonb's text, for
# dbjson_valid, dbjson_assert and dbjson_errors, errors compared by SQLSTATE
# and message. The cases are the ones where the tree could go wrong: numbers
# (integer or real, beyond 64 bits, beyond a double, -0, 1.0), nesting at and
# past the depth limit, key order, scalar documents, non-ASCII strings, and
# keys and strings quoted in messages (the tree points at the jsonb's bytes,
# which end with no NUL).
set -eu
db=dbcare_json_direct
. "$(dirname "$0")/lib/pg.sh"
fresh_db

deep() { # $1 levels of arrays around 1
  printf '%*s' "$1" '' | tr ' ' '['; printf 1; printf '%*s' "$1" '' | tr ' ' ']'
}

q <<SQL >"$work/out" 2>&1 || { cat "$work/out"; fail "the comparison did not run"; }
CREATE TABLE docs (d text);
INSERT INTO docs VALUES ('1'), ('1.0'), ('-0'), ('-0.0'), ('0.1'), ('1.5e3'), ('1e2'),
  ('1e400'), ('-1e400'), ('1e-400'), ('9223372036854775807'), ('-9223372036854775808'),
  ('9223372036854775808'), ('-9223372036854775809'), ('12345678901234567890123'),
  ('[1, 9223372036854775808]'), ('[1, 2.5, 9223372036854775808]'), ('{"a": 1, "b": 1e400}'),
  ('[1, 1.0]'), ('[1, 1.00, 2]'), ('{"x": 3, "y": 3.0}'), ('0.30000000000000004'),
  ('"x"'), ('null'), ('true'), ('false'), ('[]'), ('{}'),
  ('{"b": 1, "a": [true, null, "é\\u00e9\\n"], "aa": {"": 0}, "A": -2}'),
  ('["é", "\\ud83d\\ude00", "tab\\t"]'),
  ('$(deep 255)'), ('$(deep 256)'), ('$(deep 257)'), ('$(deep 300)'),
  ('{"b": "xyz", "abc": "q", "zz": {"k": "v"}, "ab": ["x", "yy", "x"], "abcdef": "x@y"}');
CREATE TABLE schemas (s text);
INSERT INTO schemas VALUES ('{"type": "integer"}'),
  ('{"\$schema": "http://json-schema.org/draft-04/schema#", "type": "integer"}'),
  ('{"\$schema": "http://json-schema.org/draft-04/schema#", "items": {"type": "integer"}}'),
  ('{"items": {"type": "integer"}}'), ('{"type": "number", "multipleOf": 0.5}'),
  ('{"const": 1}'), ('{"enum": [1.0, 0, "x", null]}'), ('{"uniqueItems": true}'),
  ('{"maximum": 9223372036854775807}'), ('{"minimum": 0, "exclusiveMaximum": 1e300}'),
  ('{"required": ["a", "aa"], "properties": {"a": {"maxItems": 2}, "A": {"minimum": 0}}}'),
  ('{"items": {"maxLength": 1}}'), ('{"type": "string", "minLength": 1}'), ('true'),
  ('{"additionalProperties": false}'), ('{"propertyNames": {"maxLength": 2}}'),
  ('{"properties": {"b": true}, "unevaluatedProperties": false}'),
  ('{"additionalProperties": {"type": "string", "pattern": "^x", "format": "email"}}'),
  ('{"properties": {"ab": {"uniqueItems": true, "items": {"enum": ["x", "yy"]}}}}'),
  ('{"patternProperties": {"^a": {"type": "string"}}, "additionalProperties": {"type": "object"}}');
-- result or "ERR sqlstate message" of one call
CREATE FUNCTION outcome(call text, doc text, schema text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE r text;
BEGIN
  EXECUTE format(call, doc, schema) INTO r;
  RETURN coalesce(r, 'NULL');
EXCEPTION WHEN OTHERS THEN
  RETURN 'ERR ' || SQLSTATE || ' ' || SQLERRM;
END \$\$;
CREATE TEMP TABLE cmp AS
SELECT d, s, c,
       outcome(c, quote_literal(d) || '::jsonb', quote_literal(s) || '::jsonb') AS tree,
       outcome(c, quote_literal(d::jsonb::text) || '::text', quote_literal(s::jsonb::text) || '::text') AS txt
FROM docs, schemas, (VALUES ('SELECT dbjson_valid(%s, %s)::text'),
                            ('SELECT dbjson_assert(%s, %s)::text'),
                            ('SELECT string_agg(concat_ws(''|'', instance_path, schema_path, keyword, message), '';'' ORDER BY 1) FROM dbjson_errors(%s, %s)')) AS calls(c);
SELECT 'cases ' || count(*) FROM cmp;
SELECT 'errors ' || count(*) FILTER (WHERE tree LIKE 'ERR%') FROM cmp;
SELECT 'DIFF ' || left(d, 40) || ' | ' || s || ' | ' || left(c, 30) || E'\n  tree: ' || tree || E'\n  text: ' || txt
FROM cmp WHERE tree IS DISTINCT FROM txt;
SQL
cat "$work/out"
grep -q '^cases 2100$' "$work/out" || fail "not every case ran"
# the refused documents (too deep, beyond a double) are among them
grep -Eq '^errors [1-9]' "$work/out" || fail "no case ended in an error"
! grep -q '^DIFF' "$work/out" || fail "the jsonb tree and the text disagree"
echo "ok: jsonb as a tree agrees with its text"
