-- dbcare 0.2.0 -> 0.3.0 (ALTER EXTENSION dbcare UPDATE): the data half —
-- soft delete and retention, the audit trail, backups, maintenance plans and
-- the migration lint. Leaves a database exactly as CREATE EXTENSION dbcare of
-- 0.3.0 does; test/script/pg_upgrade.sh compares the two, from 0.1.0 (through
-- 0.2.0) and from 0.2.0. Written by hand, as the generated statements read:
-- an upgrade script is history and does not change when the API table does.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.0'" to load this file. \quit

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
-- main carried the audit trail for a while under the version 0.2.0 before
-- this script existed, so a 0.2.0 database may have every object of this
-- section already (the same definitions): each is made only where missing,
-- or replaced by its identical self.
CREATE TABLE IF NOT EXISTS dbcare.audit_log (
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
CREATE INDEX IF NOT EXISTS dbcare_audit_log_row ON dbcare.audit_log (table_name, key, id);
-- dbaudit_log(table, since) and retention by age: BRIN, since at grows with
-- id, and a BRIN entry costs a writer next to nothing.
CREATE INDEX IF NOT EXISTS dbcare_audit_log_at ON dbcare.audit_log USING brin (at);
COMMENT ON TABLE dbcare.audit_log IS 'dbcare: the audit trail of the audited tables (dbaudit_enable)';

CREATE TABLE IF NOT EXISTS dbcare.audit_tables (
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
CREATE TABLE IF NOT EXISTS dbcare.audit_chain (
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

CREATE OR REPLACE FUNCTION dbaudit_enable("table" text, "options" jsonb DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_enable';
COMMENT ON FUNCTION dbaudit_enable(text, jsonb) IS 'starts recording the changes of a table in the audit log; returns its stored name';
REVOKE ALL ON FUNCTION dbaudit_enable(text, jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION dbaudit_disable("table" text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_disable';
COMMENT ON FUNCTION dbaudit_disable(text) IS 'stops recording the changes of a table; its log entries stay';
REVOKE ALL ON FUNCTION dbaudit_disable(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION dbaudit_refresh("table" text DEFAULT NULL) RETURNS integer
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_refresh';
COMMENT ON FUNCTION dbaudit_refresh(text) IS 'remakes the audit triggers of a table (NULL: every audited table) for its current columns; returns how many tables';
REVOKE ALL ON FUNCTION dbaudit_refresh(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION dbaudit_tables()
    RETURNS TABLE ("table" text, "enabled_at" timestamp with time zone, "options" jsonb, "entries" bigint)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_tables';
COMMENT ON FUNCTION dbaudit_tables() IS 'the audited tables, their options and log entries';

CREATE OR REPLACE FUNCTION dbaudit_history("table" text, "key" jsonb)
    RETURNS TABLE ("id" bigint, "at" timestamp with time zone, "txid" text, "db_user" text, "actor" text, "operation" text, "old_values" jsonb, "new_values" jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_history';
COMMENT ON FUNCTION dbaudit_history(text, jsonb) IS 'the audit log entries of one row, oldest first';

CREATE OR REPLACE FUNCTION dbaudit_log("table" text DEFAULT NULL, "since" timestamp with time zone DEFAULT NULL)
    RETURNS TABLE ("id" bigint, "at" timestamp with time zone, "txid" text, "db_user" text, "actor" text, "operation" text, "table_name" text, "key" jsonb, "old_values" jsonb, "new_values" jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_log';
COMMENT ON FUNCTION dbaudit_log(text, timestamp with time zone) IS 'audit log entries (of one table, since a time), oldest first';

CREATE OR REPLACE FUNCTION dbaudit_row_at("table" text, "key" jsonb, "at" timestamp with time zone) RETURNS jsonb
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_row_at';
COMMENT ON FUNCTION dbaudit_row_at(text, jsonb, timestamp with time zone) IS 'a row as it was at a time, rebuilt from the audit log; NULL when it did not exist';

CREATE OR REPLACE FUNCTION dbcare.audit_trigger() RETURNS trigger
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_audit_trigger';
COMMENT ON FUNCTION dbcare.audit_trigger() IS 'dbcare: records a change of an audited table in dbcare.audit_log';
REVOKE ALL ON FUNCTION dbcare.audit_trigger() FROM PUBLIC;

CREATE OR REPLACE FUNCTION dbaudit_verify()
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
