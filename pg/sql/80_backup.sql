-- dbcare extension script, part 80: verified backups and their catalog (docs/backups.md).
-- PostgreSQL backups are made outside the database (pg_dump, pg_basebackup,
-- pgBackRest, ...); the tool that made one records it with dbbackup_record.
-- The catalog survives pg_dump; monitoring roles read it.

CREATE TABLE dbcare.backups (
    id          bigint GENERATED ALWAYS AS IDENTITY
        CONSTRAINT dbcare_backups_pkey PRIMARY KEY,
    kind        text NOT NULL,
    path        text NOT NULL,
    created_at  timestamptz NOT NULL,
    bytes       bigint,
    pages       bigint,
    duration_ms double precision,
    fingerprint text,
    rows_digest text,
    verified_at timestamptz,
    status      text NOT NULL
        CONSTRAINT dbcare_backups_status CHECK (status IN ('verified', 'unverified', 'failed')),
    detail      text,
    recorded_by text NOT NULL DEFAULT CURRENT_USER,
    -- the command's own backups (docs/backups.md): a dump's SHA-256 as
    -- verified, which `dbcare verify` compares with the file's bytes; the
    -- content at the backup's snapshot (per table its rows and hash);
    -- pgBackRest's label and the WAL range a restore of it needs
    sha256      text,
    content     jsonb,
    label       text,
    wal_start   text,
    wal_stop    text
);
CREATE INDEX dbcare_backups_created ON dbcare.backups (created_at);
COMMENT ON TABLE dbcare.backups IS 'dbcare: the catalog of backups (dbbackup_record, dbbackup_list)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.backups', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.backups_id_seq', '');
GRANT SELECT ON dbcare.backups TO pg_monitor;

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

-- The backup a migration was preceded by (migrate.backup_before, SQLite);
-- the column exists on both engines so the history reads the same.
ALTER TABLE dbcare.migrations_history ADD COLUMN backup text;

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api backup

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
