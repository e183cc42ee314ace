-- dbcare 0.3.0 -> 0.3.1 (ALTER EXTENSION dbcare UPDATE): the audit log's row
-- index on a hash of table and key, the audit health check's read of the
-- audited tables, and dbmigrate_add_all on PostgreSQL. Leaves a database
-- exactly as CREATE EXTENSION dbcare of 0.3.1 does; test/script/pg_upgrade.sh
-- compares the two, from every earlier version. Written by hand, as the
-- generated statements read: an upgrade script is history.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.1'" to load this file. \quit

-- ---- migrate: dbmigrate_add_all on PostgreSQL (docs/migrations.md)
CREATE FUNCTION dbmigrate_add_all("migrations" jsonb) RETURNS integer
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_add_all';
COMMENT ON FUNCTION dbmigrate_add_all(jsonb) IS 'registers many migrations from a JSON array, all or nothing; returns how many';
REVOKE ALL ON FUNCTION dbmigrate_add_all(jsonb) FROM PUBLIC;
CREATE FUNCTION dbmigrate_add_all("migrations" text) RETURNS integer
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_add_all_text';
COMMENT ON FUNCTION dbmigrate_add_all(text) IS 'registers many migrations from a JSON array, all or nothing; returns how many';
REVOKE ALL ON FUNCTION dbmigrate_add_all(text) FROM PUBLIC;
-- (end of migrate)

-- ---- audit: the row hash and the health check (docs/audit.md)
-- The health check audit reads which tables are audited (not the log).
GRANT SELECT ON dbcare.audit_tables TO pg_monitor;

CREATE FUNCTION dbcare.audit_row_hash("table_name" text, "key" jsonb) RETURNS bigint
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_audit_row_hash';
COMMENT ON FUNCTION dbcare.audit_row_hash(text, jsonb) IS 'dbcare: the row hash of an audit log entry: its table and key';

-- The row index (docs/audit.md, "The row hash"; pg/sql/70_audit.sql). Adding
-- the generated column computes row_hash for every existing entry (the log is
-- rewritten once); the index on (table_name, key, id) it replaces had the
-- same name.
ALTER TABLE dbcare.audit_log ADD COLUMN row_hash bigint
    GENERATED ALWAYS AS (dbcare.audit_row_hash(table_name, key)) STORED;
DROP INDEX dbcare.dbcare_audit_log_row;
CREATE INDEX dbcare_audit_log_row ON dbcare.audit_log (row_hash, id);
-- (end of audit)
