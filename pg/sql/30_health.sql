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

CREATE TABLE dbcare.health_table_sizes (
    id            bigint GENERATED ALWAYS AS IDENTITY
        CONSTRAINT dbcare_health_table_sizes_pkey PRIMARY KEY,
    snapshot_id   bigint NOT NULL,
    table_schema  text,
    table_name    text NOT NULL,
    rows_estimate bigint,
    bytes         bigint NOT NULL
);
CREATE INDEX dbcare_health_table_sizes_snapshot ON dbcare.health_table_sizes (snapshot_id);
COMMENT ON TABLE dbcare.health_table_sizes IS 'dbhealth_snapshot() records: the largest tables'' sizes (health.growth.tables per snapshot, health.growth.points snapshots kept)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.health_table_sizes', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.health_table_sizes_id_seq', '');
GRANT SELECT ON dbcare.health_table_sizes TO pg_monitor;

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api health
