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

-- The database's identity (docs/backups.md, "Compressed and encrypted
-- backups"): random, made by CREATE EXTENSION (or the update to 0.3.9),
-- named in the header of every sealed dump `dbcare backup` writes;
-- `dbcare verify` refuses a sealed dump whose header names another. Not a
-- secret (every sealed header carries it in clear): whoever may use the
-- schema dbcare reads it (pg_monitor, the role of a backup job).
-- Copies keep it, as copies of a SQLite file keep theirs: a physical copy
-- (pg_basebackup, pgBackRest, CREATE DATABASE ... TEMPLATE) holds the row,
-- and pg_dump carries it (a configuration table) with the catalog of
-- backups, so a database restored from a dump is the one its catalog's
-- dumps were taken from and verifies them. The restore's CREATE EXTENSION
-- makes a new identity first; the row the dump brings replaces it (the
-- trigger below: one row, always the last one written). A database whose
-- data is reloaded from another's dump becomes that database.
CREATE TABLE dbcare.database_identity (
    one       boolean NOT NULL DEFAULT true
        CONSTRAINT dbcare_database_identity_pkey PRIMARY KEY
        CONSTRAINT dbcare_database_identity_one CHECK (one),
    identity  text NOT NULL
        CONSTRAINT dbcare_database_identity_form CHECK (identity ~ '^[0-9a-f]{32}$'),
    made_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dbcare.database_identity IS 'dbcare: the database''s identity, named by its sealed backups';
GRANT SELECT ON dbcare.database_identity TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('dbcare.database_identity', '');
-- A row written replaces the one there (pg_restore's COPY of the dumped
-- identity after CREATE EXTENSION made one). ALWAYS: also under
-- session_replication_role = replica.
CREATE FUNCTION dbcare.database_identity_replace() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    DELETE FROM dbcare.database_identity;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbcare.database_identity_replace() FROM PUBLIC;
CREATE TRIGGER dbcare_database_identity_replace BEFORE INSERT ON dbcare.database_identity
    FOR EACH ROW EXECUTE FUNCTION dbcare.database_identity_replace();
ALTER TABLE dbcare.database_identity ENABLE ALWAYS TRIGGER dbcare_database_identity_replace;
INSERT INTO dbcare.database_identity (identity)
    VALUES (pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', ''));
