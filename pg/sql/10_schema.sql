-- dbcare extension script, part 10: schema snapshot, fingerprint and diff.
-- They only read the catalogs, so PUBLIC keeps EXECUTE.

CREATE FUNCTION dbschema_snapshot() RETURNS jsonb
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbschema_snapshot';
COMMENT ON FUNCTION dbschema_snapshot() IS 'canonical description of the user schema (dbcare''s own objects left out)';

CREATE FUNCTION dbschema_fingerprint() RETURNS text
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbschema_fingerprint';
COMMENT ON FUNCTION dbschema_fingerprint() IS 'SHA-256 (hex) of the canonical schema snapshot';

-- Not STRICT: a NULL snapshot is an error naming the argument.
CREATE FUNCTION dbschema_diff("from" jsonb, "to" jsonb)
    RETURNS TABLE (object_type text, object_name text, change text, detail text)
    LANGUAGE c IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbschema_diff';
COMMENT ON FUNCTION dbschema_diff(jsonb, jsonb) IS 'what changed between two schema snapshots';
