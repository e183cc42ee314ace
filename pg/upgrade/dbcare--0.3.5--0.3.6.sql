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

-- Restore points (dbbackup_mark): a label, the moment, the schema
-- fingerprint and the audit chains' heads at the mark, and where the
-- mark is: the LSN of its restore point (the same columns on SQLite,
-- where backup_id names the backup taken for the mark).
CREATE TABLE dbcare.backup_marks (
    id          bigint GENERATED ALWAYS AS IDENTITY
        CONSTRAINT dbcare_backup_marks_pkey PRIMARY KEY,
    label       text NOT NULL CONSTRAINT dbcare_backup_marks_label_key UNIQUE,
    created_at  timestamptz NOT NULL,
    fingerprint text,
    audit_heads text,
    backup_id   bigint,
    lsn         text
);
COMMENT ON TABLE dbcare.backup_marks IS 'dbcare: named restore points (dbbackup_mark)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.backup_marks', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.backup_marks_id_seq', '');
GRANT SELECT ON dbcare.backup_marks TO pg_monitor;

CREATE FUNCTION dbbackup_mark("label" text) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_mark';
COMMENT ON FUNCTION dbbackup_mark(text) IS 'records a named restore point (a backup on SQLite, pg_create_restore_point on PostgreSQL) with the schema fingerprint and the audit heads; returns JSON';
REVOKE ALL ON FUNCTION dbbackup_mark(text) FROM PUBLIC;
