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

-- Wal mode of the audit trail (docs/audit.md): dbaudit_enable takes the
-- mode, and the worker's progress (pg/audit_wal_worker.c).
DROP FUNCTION dbaudit_enable(text, jsonb);
CREATE TABLE dbcare.audit_wal_state (
    one         boolean CONSTRAINT dbcare_audit_wal_state_pkey PRIMARY KEY DEFAULT true
        CONSTRAINT dbcare_audit_wal_state_one CHECK (one),
    decoded_lsn pg_lsn NOT NULL,
    decoded_at  timestamptz
);
INSERT INTO dbcare.audit_wal_state (decoded_lsn) VALUES ('0/0');
COMMENT ON TABLE dbcare.audit_wal_state IS 'dbcare: how far the wal-mode worker has written the log';
GRANT SELECT ON dbcare.audit_wal_state TO pg_monitor;
CREATE FUNCTION dbaudit_enable("table" text, "options" jsonb DEFAULT NULL, "mode" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_enable';
COMMENT ON FUNCTION dbaudit_enable(text, jsonb, text) IS 'starts recording the changes of a table in the audit log; returns its stored name';
REVOKE ALL ON FUNCTION dbaudit_enable(text, jsonb, text) FROM PUBLIC;
