-- dbcare extension script, part 50: JSON Schema validation (docs/json.md).
-- The functions (dbjson_valid, dbjson_assert, dbjson_errors with jsonb,
-- json and text overloads, dbjson_schema_valid, dbcheck_json) are declared
-- in the API table; the build writes their statements here.

-- The registry of named schemas (dbjson_register; core/jsonschema/js_registry.c):
-- written through dbjson_register and dbjson_unregister, each change with a
-- row in json_schema_changes; a cached compiled schema that read the registry
-- is kept while the registry is unchanged (here: no invalidation from the
-- trigger below since; on SQLite: the same fingerprint of every row).
CREATE TABLE dbcare.json_schemas (
    name          text CONSTRAINT dbcare_json_schemas_pkey PRIMARY KEY,
    uri           text CONSTRAINT dbcare_json_schemas_uri UNIQUE,
    schema        text NOT NULL,
    sha256        text NOT NULL,
    registered_at timestamptz NOT NULL
);
COMMENT ON TABLE dbcare.json_schemas IS 'dbcare: registered JSON Schemas (dbjson_register)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.json_schemas', '');
GRANT SELECT ON dbcare.json_schemas TO pg_monitor;
CREATE TABLE dbcare.json_schema_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY
        CONSTRAINT dbcare_json_schema_changes_pkey PRIMARY KEY,
    name       text NOT NULL,
    old_sha256 text,
    new_sha256 text,
    changed_by text NOT NULL DEFAULT CURRENT_USER,
    changed_at timestamptz NOT NULL
);
COMMENT ON TABLE dbcare.json_schema_changes IS 'dbcare: who changed the JSON Schema registry, when';
SELECT pg_catalog.pg_extension_config_dump('dbcare.json_schema_changes', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.json_schema_changes_id_seq', '');
GRANT SELECT ON dbcare.json_schema_changes TO pg_monitor;

-- dbcare:api json

-- Every statement that writes the registry tells every backend's cache of
-- compiled schemas (pg/json_registry.c).
CREATE TRIGGER dbcare_json_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbcare.json_schemas
    FOR EACH STATEMENT EXECUTE FUNCTION dbcare.json_registry_changed();
CREATE TRIGGER dbcare_json_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbcare.json_schema_changes
    FOR EACH STATEMENT EXECUTE FUNCTION dbcare.json_registry_changed();
