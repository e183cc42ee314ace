-- dbcare extension script, part 30: health reports. Snapshots live in the
-- bookkeeping schema and survive pg_dump; reading functions are for monitoring
-- roles (pg_monitor), recording a snapshot is for whom the DBA grants it.

CREATE TABLE dbcare.health_snapshots (
    id                 bigint GENERATED ALWAYS AS IDENTITY
        CONSTRAINT dbcare_health_snapshots_pkey PRIMARY KEY,
    taken_at           timestamptz NOT NULL DEFAULT now(),
    mode               text NOT NULL,
    score              integer NOT NULL,
    status             text NOT NULL,
    size_bytes         bigint,
    tables             bigint,
    indexes            bigint,
    schema_fingerprint text,
    migration_version  text
);
CREATE INDEX dbcare_health_snapshots_taken ON dbcare.health_snapshots (taken_at);
COMMENT ON TABLE dbcare.health_snapshots IS 'dbhealth_snapshot() records: size, object counts and score over time';
SELECT pg_catalog.pg_extension_config_dump('dbcare.health_snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.health_snapshots_id_seq', '');
GRANT SELECT ON dbcare.health_snapshots TO pg_monitor;

-- Not STRICT: a NULL mode is the default (standard), as an omitted one.
CREATE FUNCTION dbhealth_report(mode text DEFAULT 'standard') RETURNS jsonb
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_report';
COMMENT ON FUNCTION dbhealth_report(text) IS 'scored health report of this database (mode quick, standard or full)';

CREATE FUNCTION dbhealth_checks(mode text DEFAULT 'standard')
    RETURNS TABLE (name text, status text, penalty integer, value double precision,
                   threshold double precision,
                   message text, hint text)
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_checks';
COMMENT ON FUNCTION dbhealth_checks(text) IS 'one row per health check';

CREATE FUNCTION dbhealth_score(mode text DEFAULT 'standard') RETURNS integer
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_score';
COMMENT ON FUNCTION dbhealth_score(text) IS 'health score 0-100';

CREATE FUNCTION dbhealth_metrics(mode text DEFAULT 'standard') RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_metrics';
COMMENT ON FUNCTION dbhealth_metrics(text) IS 'the health report in the Prometheus text format 0.0.4';

CREATE FUNCTION dbhealth_snapshot() RETURNS jsonb
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_snapshot';
COMMENT ON FUNCTION dbhealth_snapshot() IS 'records size and score in dbcare.health_snapshots and returns them';
REVOKE ALL ON FUNCTION dbhealth_snapshot() FROM PUBLIC;

CREATE FUNCTION dbhealth_growth(days integer DEFAULT 30) RETURNS jsonb
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_growth';
COMMENT ON FUNCTION dbhealth_growth(integer) IS 'bytes per day and 30/90-day projections from the snapshots of the last days';

GRANT EXECUTE ON FUNCTION dbhealth_report(text), dbhealth_checks(text), dbhealth_score(text),
    dbhealth_metrics(text), dbhealth_growth(integer) TO pg_monitor;
