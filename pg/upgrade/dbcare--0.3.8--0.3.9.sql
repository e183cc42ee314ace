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
-- The bookkeeping tables and columns 0.3.9 added (dbcare.backup_drills,
-- dbcare.audit_written): generated at build time from the bookkeeping
-- catalogue (core/book/tables.c, .pg_since) in place of the next line.
-- dbcare:book-stanza

-- dbbackup_drill: restore drills (docs/backups.md)
CREATE FUNCTION dbbackup_drill("path" text DEFAULT NULL, "result" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_drill';
COMMENT ON FUNCTION dbbackup_drill(text, text) IS 'a restore drill: restores a backup into scratch, checks it, compares it with its record and records the drill (PostgreSQL: records the drill the command ran); returns JSON';
REVOKE ALL ON FUNCTION dbbackup_drill(text, text) FROM PUBLIC;

-- dbcare_audit_entries_written counts committed entries (pg/audit_write.c):
-- the entries already in the log start the count.
-- (dbcare.audit_written is made by the catalogue's stanza above.)
INSERT INTO dbcare.audit_written (slot, entries)
    SELECT 0, count(*) FROM dbcare.audit_log HAVING count(*) > 0;
