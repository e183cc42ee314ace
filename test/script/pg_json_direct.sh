#!/usr/bin/env bash
# A jsonb document reaches the validator as a tree (pg/json/json_doc.c), not as
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

# The two readers of jsonb (pg/json/json_doc_layout.c's stored layout, and the
# public iterator with dbcare.jsonb_layout off) on fuzzed documents: nested
# objects and arrays past JB_OFFSET_STRIDE (32) entries, where the stored
# layout switches between lengths and offsets, keys of every length, strings
# empty, long and non-ASCII, every kind of number, scalar roots, and the
# depth limit. Per document: dbjson_errors (or the error) against a schema
# that reports every scalar at its path, dbjson_valid against the document
# itself as a const (the whole tree equal to the one parsed from its text),
# each with the layout and with the iterator, and the layout's against the
# text overload's.
q <<SQL >"$work/fuzz" 2>&1 || { cat "$work/fuzz"; fail "the fuzzed comparison did not run"; }
SELECT setseed(0.56);
CREATE FUNCTION fuzz_string() RETURNS text LANGUAGE sql VOLATILE AS \$\$
  SELECT coalesce(string_agg((ARRAY['a', 'b', 'é', '😀', E'\\n', '"', ' ', 'Z', '_', '0'])[1 + floor(random() * 10)::int], ''), '')
  FROM generate_series(1, (ARRAY[0, 1, 3, 8, 40, 300])[1 + floor(random() * 6)::int])
\$\$;
CREATE FUNCTION fuzz_value(depth int) RETURNS jsonb LANGUAGE plpgsql VOLATILE AS \$\$
DECLARE k int := floor(random() * 10); n int; r jsonb;
BEGIN
  IF depth > 5 AND k >= 7 THEN k := floor(random() * 7); END IF;
  n := (ARRAY[0, 1, 2, 3, 5, 31, 32, 33, 45])[1 + floor(random() * 9)::int];
  IF depth > 2 AND n > 5 THEN n := 2; END IF;
  CASE
    WHEN k = 0 THEN RETURN 'null';
    WHEN k = 1 THEN RETURN to_jsonb(random() < 0.5);
    WHEN k = 2 THEN RETURN to_jsonb(floor(random() * 2e6 - 1e6)::bigint);
    WHEN k = 3 THEN RETURN (ARRAY['0', '-0', '1.0', '1e300', '-12345678901234567890.5', '0.1',
                                  '3.14e-5', '9223372036854775808', '2.50', '-7'])[1 + floor(random() * 10)::int]::jsonb;
    WHEN k IN (4, 5, 6) THEN RETURN to_jsonb(fuzz_string());
    WHEN k IN (7, 8) THEN
      SELECT coalesce(jsonb_agg(fuzz_value(depth + 1)), '[]') INTO r FROM generate_series(1, n);
      RETURN r;
    ELSE
      SELECT coalesce(jsonb_object_agg(fuzz_string() || i, fuzz_value(depth + 1)), '{}') INTO r
      FROM generate_series(1, n) i;
      RETURN r;
  END CASE;
END \$\$;
CREATE TABLE fuzz AS SELECT i, fuzz_value(CASE WHEN i % 7 = 0 THEN 5 ELSE 0 END) AS d
FROM generate_series(1, 150) i;
INSERT INTO fuzz VALUES (151, '$(deep 255)'), (152, '$(deep 256)'), (153, '$(deep 257)');
-- every scalar is reported at its path, in the tree's order
CREATE TABLE leaf_schema AS SELECT '{"\$ref": "#/definitions/c", "definitions": {"c":
  {"type": ["object", "array"], "items": {"\$ref": "#/definitions/c"},
   "additionalProperties": {"\$ref": "#/definitions/c"}}}}'::jsonb AS s;
CREATE FUNCTION errs(d jsonb, s jsonb, layout boolean) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  PERFORM set_config('dbcare.jsonb_layout', layout::text, true);
  RETURN (SELECT coalesce(string_agg(concat_ws('|', instance_path, schema_path, keyword, message), ';'), '')
          FROM dbjson_errors(d, s)) || ' valid:' || dbjson_valid(d, jsonb_build_object('const', d));
EXCEPTION WHEN OTHERS THEN
  RETURN 'ERR ' || SQLSTATE || ' ' || SQLERRM;
END \$\$;
CREATE FUNCTION errs_text(d jsonb, s jsonb) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  RETURN (SELECT coalesce(string_agg(concat_ws('|', instance_path, schema_path, keyword, message), ';'), '')
          FROM dbjson_errors(d::text, s::text)) || ' valid:' || dbjson_valid(d::text, jsonb_build_object('const', d)::text);
EXCEPTION WHEN OTHERS THEN
  RETURN 'ERR ' || SQLSTATE || ' ' || SQLERRM;
END \$\$;
CREATE TEMP TABLE fcmp AS SELECT i, d, errs(d, s, true) AS layout, errs(d, s, false) AS iter,
  errs_text(d, s) AS txt FROM fuzz, leaf_schema;
SELECT 'documents ' || count(*) FROM fcmp;
SELECT 'entries ' || sum(length(layout) - length(replace(layout, ';', ''))) FROM fcmp;
SELECT 'wide ' || count(*) FROM fcmp WHERE d::text ~ '(,[^,]*){40}';
SELECT 'const ' || count(*) FROM fcmp WHERE layout LIKE '% valid:true';
SELECT 'errors ' || count(*) FROM fcmp WHERE layout LIKE 'ERR%';
SELECT 'error: ' || left(layout, 60), count(*) FROM fcmp WHERE layout LIKE 'ERR%' GROUP BY 1;
SELECT 'LDIFF ' || i || E'\n  layout: ' || left(layout, 300) || E'\n  iterator: ' || left(iter, 300)
FROM fcmp WHERE layout IS DISTINCT FROM iter;
SELECT 'TDIFF ' || i || E'\n  layout: ' || left(layout, 300) || E'\n  text: ' || left(txt, 300)
FROM fcmp WHERE layout IS DISTINCT FROM txt;
SQL
cat "$work/fuzz"
grep -q '^documents 153$' "$work/fuzz" || fail "not every fuzzed document ran"
n=$(sed -n 's/^entries //p' "$work/fuzz")
[ "${n:-0}" -gt 2000 ] || fail "the fuzzed documents reported too few scalars (${n:-0})"
grep -Eq '^wide [1-9]' "$work/fuzz" || fail "no fuzzed document has a container past the offset stride"
grep -Eq '^const 151$' "$work/fuzz" || fail "documents not equal to themselves as a const"
grep -Eq '^errors [1-9]' "$work/fuzz" || fail "no fuzzed document was refused (the depth limit)"
! grep -q '^LDIFF' "$work/fuzz" || fail "the stored layout and the iterator disagree"
! grep -q '^TDIFF' "$work/fuzz" || fail "the stored layout and the text disagree"
echo "ok: jsonb read from its stored layout agrees with the iterator and the text"

# The compiled check reads a jsonb in place (core/jsonschema/js_access.h):
# from its stored layout, and through the public API with
# dbcare.jsonb_layout off. Its verdicts on the fuzzed documents, against
# schemas its plans cover (a recursive one of bounds on every value, one
# whose members mostly no schema constrains, an anyOf around containers
# read again per branch), must be the text overload's: a member no schema
# constrains is not converted, yet one the validator refuses (a number
# beyond a double) still leaves the document to the usual way.
q <<SQL >"$work/planned" 2>&1 || { cat "$work/planned"; fail "the compiled check's comparison did not run"; }
INSERT INTO fuzz VALUES (154, '{"a0": "x", "z": 1e400}'), (155, '{"a0": "x", "z": [1, {"q": -1e400}]}'),
  (156, '{"a0": "x", "z": 1e300}');
CREATE FUNCTION planned(d jsonb, s jsonb, layout boolean) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  PERFORM set_config('dbcare.jsonb_layout', layout::text, true);
  RETURN dbjson_valid(d, s)::text;
EXCEPTION WHEN OTHERS THEN
  RETURN 'ERR ' || SQLSTATE || ' ' || SQLERRM;
END \$\$;
CREATE FUNCTION planned_text(d jsonb, s jsonb) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  RETURN dbjson_valid(d::text, s::text)::text;
EXCEPTION WHEN OTHERS THEN
  RETURN 'ERR ' || SQLSTATE || ' ' || SQLERRM;
END \$\$;
CREATE TABLE planned_schemas (k int, s jsonb);
INSERT INTO planned_schemas VALUES
  (1, '{"\$schema": "http://json-schema.org/draft-07/schema#", "\$ref": "#/definitions/c",
        "definitions": {"c": {"type": ["object", "array", "string", "number", "boolean", "null"],
          "items": {"\$ref": "#/definitions/c"}, "additionalProperties": {"\$ref": "#/definitions/c"},
          "maxLength": 100, "maximum": 1e299}}}'),
  (2, '{"type": ["object", "array", "null", "boolean", "number", "string"], "maxProperties": 40,
        "properties": {"a0": {"type": "string"}, "b1": {"type": ["object", "array"]}},
        "patternProperties": {"^_": {"type": "string"}}}'),
  (3, '{"anyOf": [{"type": "array", "items": {"type": ["string", "number"]}},
                  {"type": "object", "additionalProperties": {"type": ["string", "number", "null", "boolean"]}},
                  {"type": "object", "required": ["a0"]}]}');
CREATE TEMP TABLE pcmp AS SELECT i, k, d, planned(d, s, true) AS layout, planned(d, s, false) AS iter,
  planned_text(d, s) AS txt FROM fuzz, planned_schemas;
SELECT 'planned ' || count(*) FROM pcmp;
SELECT 'planned true ' || count(*) FROM pcmp WHERE layout = 'true';
SELECT 'planned false ' || count(*) FROM pcmp WHERE layout = 'false';
SELECT 'planned refused ' || count(*) FROM pcmp WHERE i IN (154, 155) AND k = 2 AND layout LIKE 'ERR%';
SELECT 'PDIFF ' || i || ' schema ' || k || E'\n  layout: ' || layout || E'\n  iterator: ' || iter ||
  E'\n  text: ' || txt || E'\n  ' || left(d::text, 300)
FROM pcmp WHERE layout IS DISTINCT FROM txt OR iter IS DISTINCT FROM txt;
SQL
cat "$work/planned"
grep -q '^planned 468$' "$work/planned" || fail "not every document ran against every schema"
grep -Eq '^planned true [1-9]' "$work/planned" || fail "no document was valid"
grep -Eq '^planned false [1-9]' "$work/planned" || fail "no document was invalid"
grep -q '^planned refused 2$' "$work/planned" || fail "a number beyond a double under no schema was passed"
! grep -q '^PDIFF' "$work/planned" || fail "the compiled check on jsonb and the text disagree"
echo "ok: the compiled check reading jsonb in place agrees with the text"

# The stored layout reads a numeric itself (its value, numeric_value, or
# its text, numeric_text), where the iterator asks numeric_out: every
# weight and display scale it reads, prints or leaves to numeric_out (whole
# base-10000 groups, a scale cut inside a group, leading zero groups,
# trailing zeroes, weights past its limit, values about 2^53 with and
# without a scale, scales about 15, the 64-bit bounds), each number
# as a const of itself and, under draft 4 (where 1.0 is no integer), by
# type, its message compared with the iterator's.
q <<SQL >"$work/nums" 2>&1 || { cat "$work/nums"; fail "the numbers' comparison did not run"; }
SELECT setseed(0.31);
CREATE TABLE nums AS SELECT to_jsonb(x) AS d FROM (
  SELECT round(((random() - 0.5) * 10 ^ floor(random() * 44 - 10))::numeric, floor(random() * 38)::int)
  FROM generate_series(1, 200)
  UNION ALL SELECT unnest('{0, -0.0, 0.000, 1.10, -7, 10000, 9999.9999, 0.0001, 0.00012, 1e-32, 1e-33,
    123456789012345678, 99999999999999999999999999999999, 1e31, 1e32, -1e32, 12345.678900,
    900719925474099.1, 9007199254740991.5, 0.000000000000001, 0.0000000000000001, 9999999999999999,
    9223372036854775807, -9223372036854775808, 9223372036854775808, 123456789012345.6, -0.5}'::numeric[])) n(x);
CREATE FUNCTION num_errs(d jsonb, layout boolean) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
  PERFORM set_config('dbcare.jsonb_layout', layout::text, true);
  RETURN dbjson_valid(d, jsonb_build_object('const', d)) || ' ' || coalesce((SELECT string_agg(message, ';')
    FROM dbjson_errors(d, '{"\$schema": "http://json-schema.org/draft-04/schema#", "type": "integer", "maximum": -1}')), '');
END \$\$;
CREATE TEMP TABLE ncmp AS SELECT d, num_errs(d, true) AS layout, num_errs(d, false) AS iter FROM nums;
SELECT 'numbers ' || count(*) FROM ncmp;
SELECT 'const ' || count(*) FROM ncmp WHERE layout LIKE 'true %';
SELECT 'NDIFF ' || d::text || E'\n  layout: ' || layout || E'\n  iterator: ' || iter
FROM ncmp WHERE layout IS DISTINCT FROM iter;
SQL
cat "$work/nums"
grep -q '^numbers 227$' "$work/nums" || fail "not every number ran"
grep -q '^const 227$' "$work/nums" || fail "numbers read from the stored layout are not equal to themselves"
! grep -q '^NDIFF' "$work/nums" || fail "the stored layout and the iterator read numbers differently"
echo "ok: numbers read from the stored layout agree with numeric_out"
