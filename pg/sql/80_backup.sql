-- dbcare extension script, part 80: verified backups and their catalog (docs/backups.md).
-- PostgreSQL backups are made outside the database (pg_dump, pg_basebackup,
-- pgBackRest, ...); the tool that made one records it with dbbackup_record.
-- The catalog survives pg_dump; monitoring roles read it.

-- dbcare:book backups

-- Restore points (dbbackup_mark): a label, the moment, the schema
-- fingerprint and the audit chains' heads at the mark, and where the
-- mark is: the LSN of its restore point (the same columns on SQLite,
-- where backup_id names the backup taken for the mark).
-- dbcare:book backup_marks

-- Restore drills (dbbackup_drill, `dbcare backup drill`): a backup restored
-- into scratch, checked and compared with its record; the health check
-- backup_drills grades the age of the newest good one. backup_id is the
-- catalog row drilled (the newest link of a chain).
-- dbcare:book backup_drills

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
-- dbcare:book database_identity
GRANT SELECT ON dbcare.database_identity TO PUBLIC;
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
