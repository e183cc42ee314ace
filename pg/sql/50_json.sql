-- dbcare extension script, part 50: JSON Schema validation (docs/json.md).
-- The functions (dbjson_valid, dbjson_assert, dbjson_errors with jsonb,
-- json and text overloads, dbjson_schema_valid, dbcheck_json) are declared
-- in the API table; the build writes their statements here.

-- dbcare:api json
