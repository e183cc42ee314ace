-- dbcare extension script, part 50: JSON Schema validation (docs/json.md).
-- dbjson_valid, dbjson_assert, dbjson_errors and dbjson_schema_valid are
-- IMMUTABLE and PARALLEL SAFE, so they stand in CHECK constraints: their
-- answer depends on their arguments alone (format assertion is one of them,
-- never a setting). STRICT: a NULL document passes, as in any CHECK.
-- One C function serves the jsonb, json and text overloads.

CREATE FUNCTION dbjson_valid(document jsonb, schema jsonb, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid';
COMMENT ON FUNCTION dbjson_valid(jsonb, jsonb, boolean) IS 'whether a document is valid against a JSON Schema';
CREATE FUNCTION dbjson_valid(document json, schema json, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid';
COMMENT ON FUNCTION dbjson_valid(json, json, boolean) IS 'whether a document is valid against a JSON Schema';
CREATE FUNCTION dbjson_valid(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid';
COMMENT ON FUNCTION dbjson_valid(text, text, boolean) IS 'whether a document is valid against a JSON Schema';

CREATE FUNCTION dbjson_assert(document jsonb, schema jsonb, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert';
COMMENT ON FUNCTION dbjson_assert(jsonb, jsonb, boolean) IS 'true, or an error naming the instance path, keyword and schema path of the first violation';
CREATE FUNCTION dbjson_assert(document json, schema json, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert';
COMMENT ON FUNCTION dbjson_assert(json, json, boolean) IS 'true, or an error naming the instance path, keyword and schema path of the first violation';
CREATE FUNCTION dbjson_assert(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert';
COMMENT ON FUNCTION dbjson_assert(text, text, boolean) IS 'true, or an error naming the instance path, keyword and schema path of the first violation';

CREATE FUNCTION dbjson_errors(document jsonb, schema jsonb, format_assertion boolean DEFAULT false)
    RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_errors';
COMMENT ON FUNCTION dbjson_errors(jsonb, jsonb, boolean) IS 'every violation of a JSON Schema by a document';
CREATE FUNCTION dbjson_errors(document json, schema json, format_assertion boolean DEFAULT false)
    RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_errors';
COMMENT ON FUNCTION dbjson_errors(json, json, boolean) IS 'every violation of a JSON Schema by a document';
CREATE FUNCTION dbjson_errors(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_errors';
COMMENT ON FUNCTION dbjson_errors(text, text, boolean) IS 'every violation of a JSON Schema by a document';

CREATE FUNCTION dbjson_schema_valid(schema jsonb)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_schema_valid';
COMMENT ON FUNCTION dbjson_schema_valid(jsonb) IS 'whether a JSON Schema is valid against its draft''s meta-schema';

-- Reads the table as the caller: regclass resolves the name with the
-- caller's search_path before this function's own applies.
CREATE FUNCTION dbcheck_json("table" regclass, "column" text, schema jsonb,
                             format_assertion boolean DEFAULT false)
    RETURNS TABLE (violations bigint, sample jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_json';
COMMENT ON FUNCTION dbcheck_json(regclass, text, jsonb, boolean) IS 'how many stored values of a column a JSON Schema refuses, with a sample';
