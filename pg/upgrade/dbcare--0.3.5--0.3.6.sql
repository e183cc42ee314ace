-- dbcare 0.3.5 -> 0.3.6 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.6 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.6'" to load this file. \quit

-- The per-table growth history (dbhealth_snapshot records the largest
-- tables' sizes; dbhealth_growth and dbhealth_metrics read them).
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
