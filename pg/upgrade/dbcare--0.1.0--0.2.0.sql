-- dbcare 0.1.0 -> 0.2.0 (ALTER EXTENSION dbcare UPDATE). Leaves a database
-- exactly as CREATE EXTENSION dbcare of 0.2.0 does; test/script/pg_upgrade.sh
-- compares the two object by object. It starts from the released 0.1.0 and
-- also from development builds that still called themselves 0.1.0 but had
-- some of 0.2.0's columns, trigger and grants already: what such a build may
-- have is added only where missing.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.2.0'" to load this file. \quit

-- Every constraint, index and trigger of dbcare is named dbcare_<table>_<what>,
-- so a migration finding constraints by bare table name never meets them.
ALTER TABLE dbcare.config RENAME CONSTRAINT config_pkey TO dbcare_config_pkey;
ALTER TABLE dbcare.migrations RENAME CONSTRAINT migrations_kind_check TO dbcare_migrations_kind_check;
ALTER TABLE dbcare.migrations RENAME CONSTRAINT migrations_version_key TO dbcare_migrations_version_key;
ALTER TABLE dbcare.migrations RENAME CONSTRAINT migrations_check TO dbcare_migrations_check;
ALTER INDEX dbcare.migrations_repeatable RENAME TO dbcare_migrations_repeatable;
ALTER TABLE dbcare.migrations_applied RENAME CONSTRAINT migrations_applied_kind_check TO dbcare_migrations_applied_kind_check;
ALTER TABLE dbcare.migrations_applied RENAME CONSTRAINT migrations_applied_version_key TO dbcare_migrations_applied_version_key;
ALTER INDEX dbcare.migrations_applied_repeatable RENAME TO dbcare_migrations_applied_repeatable;
ALTER TABLE dbcare.migrations_history RENAME CONSTRAINT migrations_history_pkey TO dbcare_migrations_history_pkey;
ALTER INDEX dbcare.migrations_history_unfinished RENAME TO dbcare_migrations_history_unfinished;
ALTER INDEX dbcare.migrations_history_fingerprint RENAME TO dbcare_migrations_history_fingerprint;
ALTER TABLE dbcare.migrations_lock RENAME CONSTRAINT migrations_lock_pkey TO dbcare_migrations_lock_pkey;
ALTER TABLE dbcare.migrations_lock RENAME CONSTRAINT migrations_lock_id_check TO dbcare_migrations_lock_id_check;
ALTER TABLE dbcare.migrations_generation RENAME CONSTRAINT migrations_generation_pkey TO dbcare_migrations_generation_pkey;
ALTER TABLE dbcare.migrations_generation RENAME CONSTRAINT migrations_generation_id_check TO dbcare_migrations_generation_id_check;
ALTER TABLE dbcare.migrations_summary RENAME CONSTRAINT migrations_summary_pkey TO dbcare_migrations_summary_pkey;
ALTER TABLE dbcare.migrations_summary RENAME CONSTRAINT migrations_summary_id_check TO dbcare_migrations_summary_id_check;
ALTER TABLE dbcare.health_snapshots RENAME CONSTRAINT health_snapshots_pkey TO dbcare_health_snapshots_pkey;
ALTER INDEX dbcare.health_snapshots_taken RENAME TO dbcare_health_snapshots_taken;
ALTER TABLE dbcare.relations RENAME CONSTRAINT relations_pkey TO dbcare_relations_pkey;
ALTER TRIGGER migrations_changed ON dbcare.migrations RENAME TO dbcare_migrations_changed;
ALTER TRIGGER migrations_changed ON dbcare.migrations_applied RENAME TO dbcare_migrations_changed;
ALTER TRIGGER migrations_changed ON dbcare.migrations_history RENAME TO dbcare_migrations_changed;
ALTER TRIGGER migrations_changed ON dbcare.migrations_lock RENAME TO dbcare_migrations_changed;

-- Down scripts get a checksum of their own (v1 normalisation, as
-- dbmigrate_add computes it: leading BOMs dropped, CRLF and CR made LF,
-- trailing white space dropped). Applied rows keep NULL: not known, never
-- compared, so nothing applied before the upgrade turns "changed".
ALTER TABLE dbcare.migrations ADD COLUMN IF NOT EXISTS down_checksum text;
ALTER TABLE dbcare.migrations ADD COLUMN IF NOT EXISTS registered_by text;
ALTER TABLE dbcare.migrations_applied ADD COLUMN IF NOT EXISTS down_checksum text;
UPDATE dbcare.migrations
   SET down_checksum = 'v1:sha256:' || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
           pg_catalog.regexp_replace(
               pg_catalog.replace(pg_catalog.replace(
                   pg_catalog.regexp_replace(down_script, '^\uFEFF+', ''),
                   E'\r\n', E'\n'), E'\r', E'\n'),
               E'[ \\t\\n\\v\\f\\r]+$', ''),
           'UTF8')), 'hex')
 WHERE down_script IS NOT NULL AND down_checksum IS NULL;
-- Migrations registered without a recorded registrant: the role that runs
-- the upgrade (a superuser: the extension is not trusted) adopts them, as it
-- adopted them by installing dbcare over them. A recorded one is kept.
UPDATE dbcare.migrations SET registered_by = CURRENT_USER WHERE registered_by IS NULL;

CREATE OR REPLACE FUNCTION dbcare.migrations_registrant() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    NEW.registered_by := CURRENT_USER;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbcare.migrations_registrant() FROM PUBLIC;
DROP TRIGGER IF EXISTS migrations_registrant ON dbcare.migrations;
CREATE TRIGGER dbcare_migrations_registrant BEFORE INSERT OR UPDATE ON dbcare.migrations
    FOR EACH ROW EXECUTE FUNCTION dbcare.migrations_registrant();
ALTER TABLE dbcare.migrations ENABLE ALWAYS TRIGGER dbcare_migrations_registrant;

-- Monitoring reads everything of the registry but the migrations' SQL.
REVOKE SELECT ON dbcare.migrations FROM pg_monitor;
GRANT SELECT (kind, version, version_text, name, checksum, no_transaction, registered_at,
    down_checksum, registered_by) ON dbcare.migrations TO pg_monitor;

-- Functions whose result changed: dropped and created again (their grants
-- are PUBLIC's defaults in 0.1.0 and 0.2.0 alike).
DROP VIEW dbcare_settings;
DROP FUNCTION dbcare_settings();
CREATE FUNCTION dbcare_settings()
    RETURNS TABLE (key text, value text, default_value text, description text, problem text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_settings';
COMMENT ON FUNCTION dbcare_settings() IS 'every dbcare setting with its value, default and description; problem says why a stored value is not used';
CREATE VIEW dbcare_settings AS SELECT * FROM dbcare_settings();
COMMENT ON VIEW dbcare_settings IS 'every dbcare setting with its value, default and description';
GRANT SELECT ON dbcare_settings TO pg_monitor;

DROP FUNCTION dbhealth_checks(text);
CREATE FUNCTION dbhealth_checks(mode text DEFAULT 'standard')
    RETURNS TABLE (name text, status text, penalty integer, value double precision,
                   threshold double precision,
                   message text, hint text)
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_checks';
COMMENT ON FUNCTION dbhealth_checks(text) IS 'one row per health check';

COMMENT ON FUNCTION dbmigrate_load(text) IS 'registers the migrations of a server directory (Flyway, golang-migrate, popx or diesel layout); returns how many were new or changed';

-- New in 0.2.0.
CREATE FUNCTION dbmigrate_script(direction text, target text)
    RETURNS text LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_script_direction';
COMMENT ON FUNCTION dbmigrate_script(text, text) IS 'a psql script applying (direction apply) or rolling back (rollback) migrations at top level, down scripts marked -- dbcare:no-transaction included';

CREATE PROCEDURE dbmigrate_run(target text DEFAULT NULL)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'dbmigrate_run';
COMMENT ON PROCEDURE dbmigrate_run(text) IS 'applies pending migrations up to target, committing after each, under a session-level migration lock';
REVOKE ALL ON PROCEDURE dbmigrate_run(text) FROM PUBLIC;

CREATE FUNCTION dbcheck_domain_value_holds(anyelement, oid)
    RETURNS boolean
    LANGUAGE c STRICT STABLE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_domain_value_holds';
COMMENT ON FUNCTION dbcheck_domain_value_holds(anyelement, oid) IS 'whether a domain CHECK accepts a value (internal to dbcheck_constraints)';
GRANT EXECUTE ON FUNCTION dbhealth_checks(text) TO pg_monitor;

-- New in 0.2.0: JSON Schema validation (pg/sql/50_json.sql).
CREATE FUNCTION dbjson_valid(document jsonb, schema jsonb, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid';
COMMENT ON FUNCTION dbjson_valid(jsonb, jsonb, boolean) IS 'whether a document is valid against a JSON Schema';
CREATE FUNCTION dbjson_valid(document json, schema json, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid_json';
COMMENT ON FUNCTION dbjson_valid(json, json, boolean) IS 'whether a document is valid against a JSON Schema';
CREATE FUNCTION dbjson_valid(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid_text';
COMMENT ON FUNCTION dbjson_valid(text, text, boolean) IS 'whether a document is valid against a JSON Schema';
CREATE FUNCTION dbjson_assert(document jsonb, schema jsonb, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert';
COMMENT ON FUNCTION dbjson_assert(jsonb, jsonb, boolean) IS 'true, or an error naming the instance path, keyword and schema path of the first violation';
CREATE FUNCTION dbjson_assert(document json, schema json, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert_json';
COMMENT ON FUNCTION dbjson_assert(json, json, boolean) IS 'true, or an error naming the instance path, keyword and schema path of the first violation';
CREATE FUNCTION dbjson_assert(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert_text';
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
    AS 'MODULE_PATHNAME', 'dbjson_errors_json';
COMMENT ON FUNCTION dbjson_errors(json, json, boolean) IS 'every violation of a JSON Schema by a document';
CREATE FUNCTION dbjson_errors(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_errors_text';
COMMENT ON FUNCTION dbjson_errors(text, text, boolean) IS 'every violation of a JSON Schema by a document';
CREATE FUNCTION dbjson_schema_valid(schema jsonb)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_schema_valid';
COMMENT ON FUNCTION dbjson_schema_valid(jsonb) IS 'whether a JSON Schema is valid against its draft''s meta-schema';
CREATE FUNCTION dbcheck_json("table" regclass, "column" text, schema jsonb,
                             format_assertion boolean DEFAULT false)
    RETURNS TABLE (violations bigint, sample jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_json';
COMMENT ON FUNCTION dbcheck_json(regclass, text, jsonb, boolean) IS 'how many stored values of a column a JSON Schema refuses, with a sample';
