-- dbcare extension script, part 50: JSON Schema validation (docs/json.md).
-- The functions (dbjson_valid, dbjson_assert, dbjson_errors with jsonb,
-- json and text overloads, dbjson_schema_valid, dbcheck_json) are declared
-- in the API table; the build writes their statements here.

-- The registry of named schemas (dbjson_register; core/jsonschema/js_registry.c):
-- written through dbjson_register and dbjson_unregister, each change with a
-- row in json_schema_changes; a cached compiled schema that read the registry
-- is kept while the registry is unchanged (here: no invalidation from the
-- trigger below since; on SQLite: the same fingerprint of every row).
-- dbcare:book json_schemas
-- dbcare:book json_schema_changes

-- dbcare:api json

-- Every statement that writes the registry tells every backend's cache of
-- compiled schemas (pg/json/json_registry.c).
CREATE TRIGGER dbcare_json_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbcare.json_schemas
    FOR EACH STATEMENT EXECUTE FUNCTION dbcare.json_registry_changed();
CREATE TRIGGER dbcare_json_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbcare.json_schema_changes
    FOR EACH STATEMENT EXECUTE FUNCTION dbcare.json_registry_changed();
