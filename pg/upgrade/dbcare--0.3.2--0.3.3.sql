-- dbcare 0.3.2 -> 0.3.3 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.3 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.3'" to load this file. \quit

-- dbaudit_tables says whether each table is recording (issue 36): its result
-- has two more columns, so it is dropped and created again (PUBLIC keeps
-- EXECUTE, as in 0.3.2).
DROP FUNCTION dbaudit_tables();
CREATE FUNCTION dbaudit_tables()
    RETURNS TABLE ("table" text, "enabled_at" timestamp with time zone, "options" jsonb, "entries" bigint, "recording" boolean, "problem" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_tables';
COMMENT ON FUNCTION dbaudit_tables() IS 'the audited tables, their options and log entries, and whether each is recording';

-- The hash chain: one chain per table (docs/audit.md, "Hash chain"), each
-- with its head. The chain of the entries written so far goes on being
-- verified as one chain, named '', whose head is the old single row; its
-- last id is found from its hash.
ALTER TABLE dbcare.audit_chain RENAME TO audit_chain_0_3_2;
ALTER TABLE dbcare.audit_chain_0_3_2 RENAME CONSTRAINT dbcare_audit_chain_pkey TO dbcare_audit_chain_0_3_2_pkey;
CREATE TABLE dbcare.audit_chain (
    chain     text CONSTRAINT dbcare_audit_chain_pkey PRIMARY KEY,
    last_hash text,
    last_id   bigint
);
COMMENT ON TABLE dbcare.audit_chain IS 'dbcare: the head of each hash chain of the audit log';
INSERT INTO dbcare.audit_chain (chain, last_hash, last_id)
SELECT '', c.last_hash,
       (SELECT max(l.id) FROM dbcare.audit_log l WHERE l.hash = c.last_hash)
  FROM dbcare.audit_chain_0_3_2 c WHERE c.last_hash IS NOT NULL;
ALTER EXTENSION dbcare DROP TABLE dbcare.audit_chain_0_3_2;
DROP TABLE dbcare.audit_chain_0_3_2;
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_chain', '');

-- dbcare.migrations(version) and dbcare.migrations_applied(version): unique
-- indexes instead of UNIQUE constraints, so that a sweep of pg_constraint for
-- the UNIQUE constraints of a user's own table "migrations" never finds them.
ALTER TABLE dbcare.migrations DROP CONSTRAINT dbcare_migrations_version_key;
CREATE UNIQUE INDEX dbcare_migrations_version_key ON dbcare.migrations (version);
ALTER TABLE dbcare.migrations_applied DROP CONSTRAINT dbcare_migrations_applied_version_key;
CREATE UNIQUE INDEX dbcare_migrations_applied_version_key ON dbcare.migrations_applied (version);
