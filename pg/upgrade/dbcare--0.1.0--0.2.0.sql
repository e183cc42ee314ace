-- dbcare 0.1.0 -> 0.2.0 (ALTER EXTENSION dbcare UPDATE). Leaves a database
-- exactly as CREATE EXTENSION dbcare of 0.2.0 does; test/script/pg_upgrade.sh
-- compares the two object by object. It starts from the released 0.1.0 and
-- also from development builds that still called themselves 0.1.0 but had
-- some of 0.2.0's columns, trigger and grants already: what such a build may
-- have is added only where missing.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.2.0'" to load this file. \quit

-- Every constraint, index and trigger of dbcare is named dbcare_<table>_<what>,
-- so a migration finding constraints by bare table name never meets them.
ALTER TABLE dbcare.config RENAME CONSTRAINT config_pkey TO dbcare_config_pkey;
ALTER TABLE dbcare.migrations RENAME CONSTRAINT migrations_kind_check TO dbcare_migrations_kind_check;
ALTER TABLE dbcare.migrations RENAME CONSTRAINT migrations_version_key TO dbcare_migrations_version_key;
ALTER TABLE dbcare.migrations RENAME CONSTRAINT migrations_check TO dbcare_migrations_check;
ALTER INDEX dbcare.migrations_repeatable RENAME TO dbcare_migrations_repeatable;
ALTER TABLE dbcare.migrations_applied RENAME CONSTRAINT migrations_applied_kind_check TO dbcare_migrations_applied_kind_check;
ALTER TABLE dbcare.migrations_applied RENAME CONSTRAINT migrations_applied_version_key TO dbcare_migrations_applied_version_key;
ALTER INDEX dbcare.migrations_applied_repeatable RENAME TO dbcare_migrations_applied_repeatable;
ALTER TABLE dbcare.migrations_history RENAME CONSTRAINT migrations_history_pkey TO dbcare_migrations_history_pkey;
ALTER INDEX dbcare.migrations_history_unfinished RENAME TO dbcare_migrations_history_unfinished;
ALTER INDEX dbcare.migrations_history_fingerprint RENAME TO dbcare_migrations_history_fingerprint;
ALTER TABLE dbcare.migrations_lock RENAME CONSTRAINT migrations_lock_pkey TO dbcare_migrations_lock_pkey;
ALTER TABLE dbcare.migrations_lock RENAME CONSTRAINT migrations_lock_id_check TO dbcare_migrations_lock_id_check;
ALTER TABLE dbcare.migrations_generation RENAME CONSTRAINT migrations_generation_pkey TO dbcare_migrations_generation_pkey;
ALTER TABLE dbcare.migrations_generation RENAME CONSTRAINT migrations_generation_id_check TO dbcare_migrations_generation_id_check;
ALTER TABLE dbcare.migrations_summary RENAME CONSTRAINT migrations_summary_pkey TO dbcare_migrations_summary_pkey;
ALTER TABLE dbcare.migrations_summary RENAME CONSTRAINT migrations_summary_id_check TO dbcare_migrations_summary_id_check;
ALTER TABLE dbcare.health_snapshots RENAME CONSTRAINT health_snapshots_pkey TO dbcare_health_snapshots_pkey;
ALTER INDEX dbcare.health_snapshots_taken RENAME TO dbcare_health_snapshots_taken;
ALTER TABLE dbcare.relations RENAME CONSTRAINT relations_pkey TO dbcare_relations_pkey;
ALTER TRIGGER migrations_changed ON dbcare.migrations RENAME TO dbcare_migrations_changed;
ALTER TRIGGER migrations_changed ON dbcare.migrations_applied RENAME TO dbcare_migrations_changed;
ALTER TRIGGER migrations_changed ON dbcare.migrations_history RENAME TO dbcare_migrations_changed;
ALTER TRIGGER migrations_changed ON dbcare.migrations_lock RENAME TO dbcare_migrations_changed;

-- Down scripts get a checksum of their own (v1 normalisation, as
-- dbmigrate_add computes it: leading BOMs dropped, CRLF and CR made LF,
-- trailing white space dropped). Applied rows keep NULL: not known, never
-- compared, so nothing applied before the upgrade turns "changed".
ALTER TABLE dbcare.migrations ADD COLUMN IF NOT EXISTS down_checksum text;
ALTER TABLE dbcare.migrations ADD COLUMN IF NOT EXISTS registered_by text;
ALTER TABLE dbcare.migrations_applied ADD COLUMN IF NOT EXISTS down_checksum text;
UPDATE dbcare.migrations
   SET down_checksum = 'v1:sha256:' || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
           pg_catalog.regexp_replace(
               pg_catalog.replace(pg_catalog.replace(
                   pg_catalog.regexp_replace(down_script, '^\uFEFF+', ''),
                   E'\r\n', E'\n'), E'\r', E'\n'),
               E'[ \\t\\n\\v\\f\\r]+$', ''),
           'UTF8')), 'hex')
 WHERE down_script IS NOT NULL AND down_checksum IS NULL;
-- Migrations registered without a recorded registrant: the role that runs
-- the upgrade (a superuser: the extension is not trusted) adopts them, as it
-- adopted them by installing dbcare over them. A recorded one is kept.
UPDATE dbcare.migrations SET registered_by = CURRENT_USER WHERE registered_by IS NULL;

CREATE OR REPLACE FUNCTION dbcare.migrations_registrant() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    NEW.registered_by := CURRENT_USER;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbcare.migrations_registrant() FROM PUBLIC;
DROP TRIGGER IF EXISTS migrations_registrant ON dbcare.migrations;
CREATE TRIGGER dbcare_migrations_registrant BEFORE INSERT OR UPDATE ON dbcare.migrations
    FOR EACH ROW EXECUTE FUNCTION dbcare.migrations_registrant();
ALTER TABLE dbcare.migrations ENABLE ALWAYS TRIGGER dbcare_migrations_registrant;

-- Monitoring reads everything of the registry but the migrations' SQL.
REVOKE SELECT ON dbcare.migrations FROM pg_monitor;
GRANT SELECT (kind, version, version_text, name, checksum, no_transaction, registered_at,
    down_checksum, registered_by) ON dbcare.migrations TO pg_monitor;

-- Functions whose result changed: dropped and created again (their grants
-- are PUBLIC's defaults in 0.1.0 and 0.2.0 alike).
DROP VIEW dbcare_settings;
DROP FUNCTION dbcare_settings();
CREATE FUNCTION dbcare_settings()
    RETURNS TABLE (key text, value text, default_value text, description text, problem text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_settings';
COMMENT ON FUNCTION dbcare_settings() IS 'every dbcare setting with its value, default and description; problem says why a stored value is not used';
CREATE VIEW dbcare_settings AS SELECT * FROM dbcare_settings();
COMMENT ON VIEW dbcare_settings IS 'every dbcare setting with its value, default and description';
GRANT SELECT ON dbcare_settings TO pg_monitor;

DROP FUNCTION dbhealth_checks(text);
CREATE FUNCTION dbhealth_checks(mode text DEFAULT 'standard')
    RETURNS TABLE (name text, status text, penalty integer, value double precision,
                   threshold double precision,
                   message text, hint text)
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_checks';
COMMENT ON FUNCTION dbhealth_checks(text) IS 'one row per health check';

COMMENT ON FUNCTION dbmigrate_load(text) IS 'registers the migrations of a server directory (Flyway, golang-migrate, popx or diesel layout); returns how many were new or changed';

-- New in 0.2.0.
CREATE FUNCTION dbmigrate_script(direction text, target text)
    RETURNS text LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_script_direction';
COMMENT ON FUNCTION dbmigrate_script(text, text) IS 'a psql script applying (direction apply) or rolling back (rollback) migrations at top level, down scripts marked -- dbcare:no-transaction included';

CREATE PROCEDURE dbmigrate_run(target text DEFAULT NULL)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'dbmigrate_run';
COMMENT ON PROCEDURE dbmigrate_run(text) IS 'applies pending migrations up to target, committing after each, under a session-level migration lock';
REVOKE ALL ON PROCEDURE dbmigrate_run(text) FROM PUBLIC;

CREATE FUNCTION dbcheck_domain_value_holds(anyelement, oid)
    RETURNS boolean
    LANGUAGE c STRICT STABLE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_domain_value_holds';
COMMENT ON FUNCTION dbcheck_domain_value_holds(anyelement, oid) IS 'whether a domain CHECK accepts a value (internal to dbcheck_constraints)';
GRANT EXECUTE ON FUNCTION dbhealth_checks(text) TO pg_monitor;

-- New in 0.2.0: JSON Schema validation (pg/sql/50_json.sql).
CREATE FUNCTION dbjson_valid(document jsonb, schema jsonb, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid';
COMMENT ON FUNCTION dbjson_valid(jsonb, jsonb, boolean) IS 'whether a document is valid against a JSON Schema';
CREATE FUNCTION dbjson_valid(document json, schema json, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid_json';
COMMENT ON FUNCTION dbjson_valid(json, json, boolean) IS 'whether a document is valid against a JSON Schema';
CREATE FUNCTION dbjson_valid(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_valid_text';
COMMENT ON FUNCTION dbjson_valid(text, text, boolean) IS 'whether a document is valid against a JSON Schema';
CREATE FUNCTION dbjson_assert(document jsonb, schema jsonb, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert';
COMMENT ON FUNCTION dbjson_assert(jsonb, jsonb, boolean) IS 'true, or an error naming the instance path, keyword and schema path of the first violation';
CREATE FUNCTION dbjson_assert(document json, schema json, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert_json';
COMMENT ON FUNCTION dbjson_assert(json, json, boolean) IS 'true, or an error naming the instance path, keyword and schema path of the first violation';
CREATE FUNCTION dbjson_assert(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_assert_text';
COMMENT ON FUNCTION dbjson_assert(text, text, boolean) IS 'true, or an error naming the instance path, keyword and schema path of the first violation';
CREATE FUNCTION dbjson_errors(document jsonb, schema jsonb, format_assertion boolean DEFAULT false)
    RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_errors';
COMMENT ON FUNCTION dbjson_errors(jsonb, jsonb, boolean) IS 'every violation of a JSON Schema by a document';
CREATE FUNCTION dbjson_errors(document json, schema json, format_assertion boolean DEFAULT false)
    RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_errors_json';
COMMENT ON FUNCTION dbjson_errors(json, json, boolean) IS 'every violation of a JSON Schema by a document';
CREATE FUNCTION dbjson_errors(document text, schema text, format_assertion boolean DEFAULT false)
    RETURNS TABLE (instance_path text, schema_path text, keyword text, message text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_errors_text';
COMMENT ON FUNCTION dbjson_errors(text, text, boolean) IS 'every violation of a JSON Schema by a document';
CREATE FUNCTION dbjson_schema_valid(schema jsonb)
    RETURNS boolean LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_schema_valid';
COMMENT ON FUNCTION dbjson_schema_valid(jsonb) IS 'whether a JSON Schema is valid against its draft''s meta-schema';
CREATE FUNCTION dbcheck_json("table" regclass, "column" text, schema jsonb,
                             format_assertion boolean DEFAULT false)
    RETURNS TABLE (violations bigint, sample jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_json';
COMMENT ON FUNCTION dbcheck_json(regclass, text, jsonb, boolean) IS 'how many stored values of a column a JSON Schema refuses, with a sample';

-- ---- retain: soft delete and retention policies (docs/retention.md)
CREATE TABLE dbcare.softdelete (
    table_name     text CONSTRAINT dbcare_softdelete_pkey PRIMARY KEY,
    table_schema   text,
    relation_name  text NOT NULL,
    column_name    text NOT NULL,
    enabled_at     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE dbcare.softdelete IS 'tables whose DELETE sets a column (dbsoftdelete_enable)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.softdelete', '');
GRANT SELECT ON dbcare.softdelete TO pg_monitor;

CREATE FUNCTION dbsoftdelete_enable("table" text, "column" text DEFAULT 'deleted_at') RETURNS jsonb
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbsoftdelete_enable';
COMMENT ON FUNCTION dbsoftdelete_enable(text, text) IS 'turns DELETE into setting a timestamp column; lists the unique keys soft-deleted rows keep taking, with the statements that fix each';
REVOKE ALL ON FUNCTION dbsoftdelete_enable(text, text) FROM PUBLIC;

CREATE FUNCTION dbsoftdelete_disable("table" text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbsoftdelete_disable';
COMMENT ON FUNCTION dbsoftdelete_disable(text) IS 'removes the soft-delete trigger, keeping the column and its values';
REVOKE ALL ON FUNCTION dbsoftdelete_disable(text) FROM PUBLIC;

CREATE FUNCTION dbsoftdelete_restore("table" text, "key" jsonb) RETURNS bigint
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbsoftdelete_restore';
COMMENT ON FUNCTION dbsoftdelete_restore(text, jsonb) IS 'restores soft-deleted rows by primary key (an object or an array of them), all or none';
REVOKE ALL ON FUNCTION dbsoftdelete_restore(text, jsonb) FROM PUBLIC;

CREATE FUNCTION dbsoftdelete_purge("table" text, "older_than" text DEFAULT NULL) RETURNS bigint
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbsoftdelete_purge';
COMMENT ON FUNCTION dbsoftdelete_purge(text, text) IS 'really deletes soft-deleted rows (deleted longer than older_than ago), foreign-key actions applying';
REVOKE ALL ON FUNCTION dbsoftdelete_purge(text, text) FROM PUBLIC;

CREATE FUNCTION dbsoftdelete_tables()
    RETURNS TABLE ("table_name" text, "column_name" text, "enabled_at" timestamp with time zone, "deleted_rows" bigint)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbsoftdelete_tables';
COMMENT ON FUNCTION dbsoftdelete_tables() IS 'the soft-delete tables and their deleted rows now';

CREATE FUNCTION dbcare.softdelete_row() RETURNS trigger
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_softdelete_row';
COMMENT ON FUNCTION dbcare.softdelete_row() IS 'soft-delete trigger: a row DELETE sets the column its argument names';
REVOKE ALL ON FUNCTION dbcare.softdelete_row() FROM PUBLIC;

-- The API's "table dbsoftdelete_tables": SELECT * FROM dbsoftdelete_tables works too.
CREATE VIEW dbsoftdelete_tables AS SELECT * FROM dbsoftdelete_tables();
COMMENT ON VIEW dbsoftdelete_tables IS 'the soft-delete tables and their deleted rows now';
CREATE TABLE dbcare.retain_policies (
    name           text CONSTRAINT dbcare_retain_policies_pkey PRIMARY KEY,
    table_schema   text,
    table_name     text NOT NULL,
    column_name    text NOT NULL,
    keep           text NOT NULL,
    action         text NOT NULL CONSTRAINT dbcare_retain_policies_action
                        CHECK (action IN ('delete', 'archive', 'purge')),
    target_schema  text,
    target_name    text,
    archived_rows  bigint NOT NULL DEFAULT 0,
    deleted_rows   bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_run_at    timestamptz
);
COMMENT ON TABLE dbcare.retain_policies IS 'retention policies (dbretain_add) and the rows each moved';
SELECT pg_catalog.pg_extension_config_dump('dbcare.retain_policies', '');
GRANT SELECT ON dbcare.retain_policies TO pg_monitor;

CREATE FUNCTION dbretain_add("name" text, "table" text, "column" text, "keep" text, "action" text, "target" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbretain_add';
COMMENT ON FUNCTION dbretain_add(text, text, text, text, text, text) IS 'adds a retention policy: rows older than keep are deleted, archived into target or purged; everything is checked now';
REVOKE ALL ON FUNCTION dbretain_add(text, text, text, text, text, text) FROM PUBLIC;

CREATE FUNCTION dbretain_drop("name" text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbretain_drop';
COMMENT ON FUNCTION dbretain_drop(text) IS 'forgets a retention policy (its archive stays); false when there was none';
REVOKE ALL ON FUNCTION dbretain_drop(text) FROM PUBLIC;

CREATE FUNCTION dbretain_policies()
    RETURNS TABLE ("name" text, "table_name" text, "column_name" text, "keep" text, "action" text, "target" text, "archived_rows" bigint, "deleted_rows" bigint, "last_run_at" timestamp with time zone)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbretain_policies';
COMMENT ON FUNCTION dbretain_policies() IS 'the retention policies and what they moved so far';

CREATE FUNCTION dbretain_plan("name" text DEFAULT NULL)
    RETURNS TABLE ("policy" text, "table_name" text, "action" text, "due" bigint, "oldest" text, "batches" bigint, "blockers" jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbretain_plan';
COMMENT ON FUNCTION dbretain_plan(text) IS 'what each retention policy would do now: rows due, the oldest, batches, and what blocks it';

CREATE FUNCTION dbretain_apply("name" text DEFAULT NULL, "max_rows" bigint DEFAULT NULL)
    RETURNS TABLE ("policy" text, "archived" bigint, "deleted" bigint, "blocked" bigint, "remaining" bigint, "duration_ms" double precision)
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbretain_apply';
COMMENT ON FUNCTION dbretain_apply(text, bigint) IS 'applies retention policies: at most max_rows rows each, in atomic batches, in the caller''s transaction';
REVOKE ALL ON FUNCTION dbretain_apply(text, bigint) FROM PUBLIC;

CREATE PROCEDURE dbretain_run("name" text DEFAULT NULL)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'dbretain_run';
COMMENT ON PROCEDURE dbretain_run(text) IS 'applies retention policies batch by batch, committing after each, sleeping retain.sleep_ms between, stopping after retain.max_duration_ms';
REVOKE ALL ON PROCEDURE dbretain_run(text) FROM PUBLIC;

-- The API's "table dbretain_policies".
CREATE VIEW dbretain_policies AS SELECT * FROM dbretain_policies();
COMMENT ON VIEW dbretain_policies IS 'the retention policies and what they moved so far';
-- (end of retain)

-- ---- audit: the row-level audit trail (docs/audit.md)
CREATE TABLE dbcare.audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT dbcare_audit_log_pkey PRIMARY KEY,
    -- the start of the transaction that made the change (now())
    at         timestamptz NOT NULL,
    txid       xid8 NOT NULL,
    -- current_user of the change; actor: SET LOCAL dbcare.actor, if set
    db_user    text NOT NULL,
    actor      text,
    -- insert, update, delete, truncate or snapshot (written by dbcare only;
    -- no CHECK: every audited change would pay for evaluating it)
    operation  text NOT NULL,
    table_name text NOT NULL,
    key        jsonb,
    old_values jsonb,
    new_values jsonb,
    -- tables audited with hash_chain: the hash of the chained entry before
    -- this one, and SHA-256 (hex) over that and this entry
    prev_hash  text,
    hash       text
);
-- dbaudit_history: one row's entries in order, from the index alone.
CREATE INDEX dbcare_audit_log_row ON dbcare.audit_log (table_name, key, id);
-- dbaudit_log(table, since) and retention by age: BRIN, since at grows with
-- id, and a BRIN entry costs a writer next to nothing.
CREATE INDEX dbcare_audit_log_at ON dbcare.audit_log USING brin (at);
COMMENT ON TABLE dbcare.audit_log IS 'dbcare: the audit trail of the audited tables (dbaudit_enable)';

CREATE TABLE dbcare.audit_tables (
    table_name text CONSTRAINT dbcare_audit_tables_pkey PRIMARY KEY,
    enabled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    options    jsonb NOT NULL,
    -- the table's columns when its triggers were made
    columns    jsonb NOT NULL
);
COMMENT ON TABLE dbcare.audit_tables IS 'dbcare: the audited tables and their options (dbaudit_tables)';

-- The hash chain's head: the last chained entry's hash. Writers of chained
-- tables lock this row in turn (tables without hash_chain never touch it).
-- The first chained write makes the row, so a restored dump (which has it)
-- does not meet one the extension script made.
CREATE TABLE dbcare.audit_chain (
    id        integer CONSTRAINT dbcare_audit_chain_pkey PRIMARY KEY
        CONSTRAINT dbcare_audit_chain_id_check CHECK (id = 1),
    last_hash text
);
COMMENT ON TABLE dbcare.audit_chain IS 'dbcare: the hash of the last chained audit log entry';

SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_chain', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_tables', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.audit_log_id_seq', '');

-- The audit functions (as core/api/functions.h declares them).

CREATE FUNCTION dbaudit_enable("table" text, "options" jsonb DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_enable';
COMMENT ON FUNCTION dbaudit_enable(text, jsonb) IS 'starts recording the changes of a table in the audit log; returns its stored name';
REVOKE ALL ON FUNCTION dbaudit_enable(text, jsonb) FROM PUBLIC;

CREATE FUNCTION dbaudit_disable("table" text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_disable';
COMMENT ON FUNCTION dbaudit_disable(text) IS 'stops recording the changes of a table; its log entries stay';
REVOKE ALL ON FUNCTION dbaudit_disable(text) FROM PUBLIC;

CREATE FUNCTION dbaudit_refresh("table" text DEFAULT NULL) RETURNS integer
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_refresh';
COMMENT ON FUNCTION dbaudit_refresh(text) IS 'remakes the audit triggers of a table (NULL: every audited table) for its current columns; returns how many tables';
REVOKE ALL ON FUNCTION dbaudit_refresh(text) FROM PUBLIC;

CREATE FUNCTION dbaudit_tables()
    RETURNS TABLE ("table" text, "enabled_at" timestamp with time zone, "options" jsonb, "entries" bigint)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_tables';
COMMENT ON FUNCTION dbaudit_tables() IS 'the audited tables, their options and log entries';

CREATE FUNCTION dbaudit_history("table" text, "key" jsonb)
    RETURNS TABLE ("id" bigint, "at" timestamp with time zone, "txid" text, "db_user" text, "actor" text, "operation" text, "old_values" jsonb, "new_values" jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_history';
COMMENT ON FUNCTION dbaudit_history(text, jsonb) IS 'the audit log entries of one row, oldest first';

CREATE FUNCTION dbaudit_log("table" text DEFAULT NULL, "since" timestamp with time zone DEFAULT NULL)
    RETURNS TABLE ("id" bigint, "at" timestamp with time zone, "txid" text, "db_user" text, "actor" text, "operation" text, "table_name" text, "key" jsonb, "old_values" jsonb, "new_values" jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_log';
COMMENT ON FUNCTION dbaudit_log(text, timestamp with time zone) IS 'audit log entries (of one table, since a time), oldest first';

CREATE FUNCTION dbaudit_row_at("table" text, "key" jsonb, "at" timestamp with time zone) RETURNS jsonb
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_row_at';
COMMENT ON FUNCTION dbaudit_row_at(text, jsonb, timestamp with time zone) IS 'a row as it was at a time, rebuilt from the audit log; NULL when it did not exist';

CREATE FUNCTION dbcare.audit_trigger() RETURNS trigger
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_audit_trigger';
COMMENT ON FUNCTION dbcare.audit_trigger() IS 'dbcare: records a change of an audited table in dbcare.audit_log';
REVOKE ALL ON FUNCTION dbcare.audit_trigger() FROM PUBLIC;

CREATE FUNCTION dbaudit_verify()
    RETURNS TABLE ("checked" bigint, "broken_id" bigint, "problem" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_verify';
COMMENT ON FUNCTION dbaudit_verify() IS 'checks the audit log''s hash chain; names the first entry whose link is broken';
-- (end of audit)

-- ---- backup: verified backups and their catalog (docs/backups.md)
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
    recorded_by text NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX dbcare_backups_created ON dbcare.backups (created_at);
COMMENT ON TABLE dbcare.backups IS 'dbcare: the catalog of backups (dbbackup_record, dbbackup_list)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.backups', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.backups_id_seq', '');
GRANT SELECT ON dbcare.backups TO pg_monitor;

-- The backup a migration was preceded by (migrate.backup_before, SQLite);
-- the column exists on both engines so the history reads the same.
ALTER TABLE dbcare.migrations_history ADD COLUMN backup text;

CREATE FUNCTION dbbackup_list()
    RETURNS TABLE ("id" bigint, "kind" text, "path" text, "created_at" text, "bytes" bigint, "fingerprint" text, "verified_at" text, "status" text, "exists" boolean)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_list';
COMMENT ON FUNCTION dbbackup_list() IS 'the catalog of backups (created_at and verified_at in ISO-8601 UTC)';
GRANT EXECUTE ON FUNCTION dbbackup_list() TO pg_monitor;

CREATE FUNCTION dbbackup_record("kind" text, "location" text, "bytes" bigint DEFAULT NULL, "fingerprint" text DEFAULT NULL, "verified" boolean DEFAULT true, "detail" text DEFAULT NULL) RETURNS bigint
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_record';
COMMENT ON FUNCTION dbbackup_record(text, text, bigint, text, boolean, text) IS 'records a backup made outside the database in dbcare.backups; returns its id';
REVOKE ALL ON FUNCTION dbbackup_record(text, text, bigint, text, boolean, text) FROM PUBLIC;
-- (end of backup)

-- ---- maintain: maintenance and repair plans (docs/maintenance.md)
CREATE TABLE dbcare.maintain_history (
    id           bigint GENERATED ALWAYS AS IDENTITY
        CONSTRAINT dbcare_maintain_history_pkey PRIMARY KEY,
    run          bigint NOT NULL,
    run_at       timestamptz NOT NULL DEFAULT now(),
    mode         text NOT NULL,
    object       text NOT NULL,
    action       text NOT NULL,
    statement    text,
    safety       text NOT NULL,
    status       text NOT NULL,
    duration_ms  double precision
);
COMMENT ON TABLE dbcare.maintain_history IS 'dbmaintain_run() records: every row of every run, what ran and how long it took';
SELECT pg_catalog.pg_extension_config_dump('dbcare.maintain_history', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.maintain_history_id_seq', '');
GRANT SELECT ON dbcare.maintain_history TO pg_monitor;

CREATE FUNCTION dbmaintain_plan("mode" text DEFAULT 'standard')
    RETURNS TABLE ("object" text, "action" text, "reason" text, "statement" text, "safety" text, "outside_transaction" boolean, "estimated_cost" double precision)
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmaintain_plan';
COMMENT ON FUNCTION dbmaintain_plan(text) IS 'the statements that repair what the health report finds, with their safety';
GRANT EXECUTE ON FUNCTION dbmaintain_plan(text) TO pg_monitor;

CREATE FUNCTION dbmaintain_run("mode" text DEFAULT 'standard', "include" text DEFAULT NULL)
    RETURNS TABLE ("object" text, "action" text, "statement" text, "safety" text, "status" text, "duration_ms" double precision)
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmaintain_run';
COMMENT ON FUNCTION dbmaintain_run(text, text) IS 'runs the safe rows of dbmaintain_plan (and those include names), all or nothing, and records them';
REVOKE ALL ON FUNCTION dbmaintain_run(text, text) FROM PUBLIC;

CREATE FUNCTION dbmaintain_history()
    RETURNS TABLE ("run" bigint, "run_at" text, "mode" text, "object" text, "action" text, "statement" text, "safety" text, "status" text, "duration_ms" double precision)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmaintain_history';
COMMENT ON FUNCTION dbmaintain_history() IS 'every row dbmaintain_run recorded, oldest first';
GRANT EXECUTE ON FUNCTION dbmaintain_history() TO pg_monitor;
-- (end of maintain)

-- ---- migrate lint: dbmigrate_lint and the trace (docs/lint.md)
CREATE FUNCTION dbmigrate_lint("migration" text DEFAULT NULL)
    RETURNS TABLE ("version" text, "line" integer, "rule" text, "severity" text, "message" text, "suggestion" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_lint';
COMMENT ON FUNCTION dbmigrate_lint(text) IS 'lint findings of the pending migrations (or of one), statement by statement, against the live tables';
CREATE FUNCTION dbmigrate_trace("version" text)
    RETURNS TABLE ("line" integer, "statement" text, "relation" text, "lock_mode" text, "change" text, "rows" bigint, "duration_ms" double precision, "error" text)
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'dbmigrate_trace';
COMMENT ON FUNCTION dbmigrate_trace(text) IS 'runs a migration''s up script in a subtransaction it rolls back and reports the locks, rewrites, rows and time of each statement';
REVOKE ALL ON FUNCTION dbmigrate_trace(text) FROM PUBLIC;
-- (end of migrate lint)
