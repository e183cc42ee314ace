-- dbcare 0.3.8 -> 0.3.9 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.9 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.9'" to load this file. \quit

-- dbhealth_report and dbhealth_metrics take what the report judges (scope:
-- 'connection', the default, or 'database', as the dbcare command and
-- serve ask) and the caller's label (serve: the member's path decides it).
DROP FUNCTION dbhealth_report(text);
CREATE FUNCTION dbhealth_report("mode" text DEFAULT 'standard', "scope" text DEFAULT 'connection', "label" text DEFAULT NULL) RETURNS jsonb
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_report';
COMMENT ON FUNCTION dbhealth_report(text, text, text) IS 'scored health report of this database (mode quick, standard or full)';
GRANT EXECUTE ON FUNCTION dbhealth_report(text, text, text) TO pg_monitor;

DROP FUNCTION dbhealth_metrics(text);
CREATE FUNCTION dbhealth_metrics("mode" text DEFAULT 'standard', "scope" text DEFAULT 'connection', "label" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_metrics';
COMMENT ON FUNCTION dbhealth_metrics(text, text, text) IS 'the health report in the Prometheus text format 0.0.4';
GRANT EXECUTE ON FUNCTION dbhealth_metrics(text, text, text) TO pg_monitor;

-- Restore drills (dbbackup_drill, `dbcare backup drill`): a backup restored
-- into scratch, checked and compared with its record; the health check
-- backup_drills grades the age of the newest good one. backup_id is the
-- catalog row drilled (the newest link of a chain).
CREATE TABLE dbcare.backup_drills (
    id            bigint GENERATED ALWAYS AS IDENTITY
        CONSTRAINT dbcare_backup_drills_pkey PRIMARY KEY,
    backup_id     bigint,
    path          text NOT NULL,
    method        text NOT NULL,
    drilled_at    timestamptz NOT NULL,
    duration_ms   double precision NOT NULL,
    tables        bigint NOT NULL,
    rows_compared bigint NOT NULL,
    mismatches    bigint NOT NULL,
    status        text NOT NULL
        CONSTRAINT dbcare_backup_drills_status CHECK (status IN ('ok', 'failed')),
    detail        text
);
CREATE INDEX dbcare_backup_drills_drilled ON dbcare.backup_drills (drilled_at);
COMMENT ON TABLE dbcare.backup_drills IS 'dbcare: restore drills of backups (dbbackup_drill)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.backup_drills', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.backup_drills_id_seq', '');
GRANT SELECT ON dbcare.backup_drills TO pg_monitor;

-- dbbackup_drill: restore drills (docs/backups.md)
CREATE FUNCTION dbbackup_drill("path" text DEFAULT NULL, "result" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_drill';
COMMENT ON FUNCTION dbbackup_drill(text, text) IS 'a restore drill: restores a backup into scratch, checks it, compares it with its record and records the drill (PostgreSQL: records the drill the command ran); returns JSON';
REVOKE ALL ON FUNCTION dbbackup_drill(text, text) FROM PUBLIC;

-- dbcare_audit_entries_written counts committed entries (pg/audit_write.c):
-- the entries already in the log start the count.
CREATE TABLE dbcare.audit_written (
    slot    integer CONSTRAINT dbcare_audit_written_pkey PRIMARY KEY,
    entries bigint NOT NULL
);
COMMENT ON TABLE dbcare.audit_written IS 'dbcare: the audit entries written, per backend slot';
GRANT SELECT ON dbcare.audit_written TO pg_monitor;
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_written', '');
INSERT INTO dbcare.audit_written (slot, entries)
    SELECT 0, count(*) FROM dbcare.audit_log HAVING count(*) > 0;

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

-- The JSON Schema registry's functions, and the validators' overloads taking a registered schema's
-- name (docs/json.md); the validators no longer SET search_path: every
-- statement they run goes through the host, which pins it (a SET clause
-- costs a GUC save and restore per call, once a row in a CHECK).
ALTER FUNCTION dbjson_valid(jsonb, jsonb, boolean) RESET search_path;
ALTER FUNCTION dbjson_valid(json, json, boolean) RESET search_path;
ALTER FUNCTION dbjson_valid(text, text, boolean) RESET search_path;
ALTER FUNCTION dbjson_assert(jsonb, jsonb, boolean) RESET search_path;
ALTER FUNCTION dbjson_assert(json, json, boolean) RESET search_path;
ALTER FUNCTION dbjson_assert(text, text, boolean) RESET search_path;
ALTER FUNCTION dbjson_errors(jsonb, jsonb, boolean) RESET search_path;
ALTER FUNCTION dbjson_errors(json, json, boolean) RESET search_path;
ALTER FUNCTION dbjson_errors(text, text, boolean) RESET search_path;
ALTER FUNCTION dbjson_schema_valid(jsonb) RESET search_path;
CREATE FUNCTION dbjson_valid("document" jsonb, "schema" text, "format_assertion" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_valid_jsonb_name';
COMMENT ON FUNCTION dbjson_valid(jsonb, text, boolean) IS 'whether a document is valid against a JSON Schema or a registered one';

CREATE FUNCTION dbjson_valid("document" json, "schema" text, "format_assertion" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_valid_json_name';
COMMENT ON FUNCTION dbjson_valid(json, text, boolean) IS 'whether a document is valid against a JSON Schema or a registered one';

CREATE FUNCTION dbjson_assert("document" jsonb, "schema" text, "format_assertion" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_assert_jsonb_name';
COMMENT ON FUNCTION dbjson_assert(jsonb, text, boolean) IS 'true, or an error naming the first violation of a JSON Schema';

CREATE FUNCTION dbjson_assert("document" json, "schema" text, "format_assertion" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_assert_json_name';
COMMENT ON FUNCTION dbjson_assert(json, text, boolean) IS 'true, or an error naming the first violation of a JSON Schema';

CREATE FUNCTION dbjson_errors("document" jsonb, "schema" text, "format_assertion" boolean DEFAULT false)
    RETURNS TABLE ("instance_path" text, "schema_path" text, "keyword" text, "message" text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_errors_jsonb_name';
COMMENT ON FUNCTION dbjson_errors(jsonb, text, boolean) IS 'every violation of a JSON Schema by a document';

CREATE FUNCTION dbjson_errors("document" json, "schema" text, "format_assertion" boolean DEFAULT false)
    RETURNS TABLE ("instance_path" text, "schema_path" text, "keyword" text, "message" text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_errors_json_name';
COMMENT ON FUNCTION dbjson_errors(json, text, boolean) IS 'every violation of a JSON Schema by a document';

CREATE FUNCTION dbcheck_json("table" regclass, "column" text, "schema" text, "format_assertion" boolean DEFAULT false)
    RETURNS TABLE ("violations" bigint, "sample" jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_json_name';
COMMENT ON FUNCTION dbcheck_json(regclass, text, text, boolean) IS 'how many stored values of a column a JSON Schema refuses, with a sample';

CREATE FUNCTION dbjson_register("name" text, "schema" text, "uri" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_register';
COMMENT ON FUNCTION dbjson_register(text, text, text) IS 'stores a JSON Schema under a name (and its $id or uri) for CHECK constraints and $ref; returns its SHA-256';
REVOKE ALL ON FUNCTION dbjson_register(text, text, text) FROM PUBLIC;

CREATE FUNCTION dbjson_unregister("name" text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_unregister';
COMMENT ON FUNCTION dbjson_unregister(text) IS 'removes a registered JSON Schema no CHECK constraint names';
REVOKE ALL ON FUNCTION dbjson_unregister(text) FROM PUBLIC;

CREATE FUNCTION dbjson_schemas()
    RETURNS TABLE ("name" text, "uri" text, "sha256" text, "bytes" bigint, "registered_at" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_schemas';
COMMENT ON FUNCTION dbjson_schemas() IS 'the registered JSON Schemas';

CREATE FUNCTION dbjson_revalidate("name" text)
    RETURNS TABLE ("table_name" text, "constraint_name" text, "violations" bigint, "not_checked" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_revalidate';
COMMENT ON FUNCTION dbjson_revalidate(text) IS 'the stored rows each CHECK naming a registered schema no longer accepts';

CREATE FUNCTION dbcare.json_registry_changed() RETURNS trigger
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_json_registry_changed';
COMMENT ON FUNCTION dbcare.json_registry_changed() IS 'dbcare: tells every session that the JSON Schema registry changed';
REVOKE ALL ON FUNCTION dbcare.json_registry_changed() FROM PUBLIC;

-- Every statement that writes the registry tells every backend's cache of
-- compiled schemas (pg/json_registry.c).
CREATE TRIGGER dbcare_json_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbcare.json_schemas
    FOR EACH STATEMENT EXECUTE FUNCTION dbcare.json_registry_changed();
CREATE TRIGGER dbcare_json_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbcare.json_schema_changes
    FOR EACH STATEMENT EXECUTE FUNCTION dbcare.json_registry_changed();
