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

-- dbhealth_samples: the families of dbhealth_metrics as typed samples
-- (JSON), which dbcare serve merges for a fleet without parsing exposition
-- text.
CREATE FUNCTION dbhealth_samples("mode" text DEFAULT 'standard', "scope" text DEFAULT 'connection', "label" text DEFAULT NULL) RETURNS jsonb
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_samples';
COMMENT ON FUNCTION dbhealth_samples(text, text, text) IS 'the families of dbhealth_metrics as typed samples (JSON), as dbcare serve reads';
GRANT EXECUTE ON FUNCTION dbhealth_samples(text, text, text) TO pg_monitor;

-- dbhealth_queries: the statements of most total time with what each did
-- since the newest snapshot; dbhealth_snapshot records their counters in
-- dbcare.health_query_stats (made by the catalogue's stanza below), the
-- bounded history the deltas are taken against (docs/health.md, "Query
-- statistics").
CREATE FUNCTION dbhealth_queries("top" integer DEFAULT 20) RETURNS jsonb
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_queries';
COMMENT ON FUNCTION dbhealth_queries(integer) IS 'the statements of most total time with what each did since the newest snapshot (pg_stat_statements; SQLite: dbmonitor), and why when unavailable';
GRANT EXECUTE ON FUNCTION dbhealth_queries(integer) TO pg_monitor;

-- Restore drills (dbbackup_drill, `dbcare backup drill`): a backup restored
-- into scratch, checked and compared with its record; the health check
-- backup_drills grades the age of the newest good one. backup_id is the
-- catalog row drilled (the newest link of a chain).
-- The bookkeeping tables and columns 0.3.9 added (dbcare.backup_drills,
-- dbcare.audit_written, dbcare.health_query_stats): generated at build
-- time from the bookkeeping catalogue (core/book/tables.c, .pg_since) in
-- place of the next line.
-- (dbcare.json_schemas is new here with its owner column, the role a
-- registered name belongs to: no row predates it, none needs an owner.)
-- dbcare:book-stanza

-- dbbackup_drill: restore drills (docs/backups.md); url names a store's
-- copy (a file_copy row) fetched to path, the row the drill is held to
-- and recorded against (0.3.9 is where the function is new: one signature)
CREATE FUNCTION dbbackup_drill("path" text DEFAULT NULL, "result" text DEFAULT NULL, "url" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_drill';
COMMENT ON FUNCTION dbbackup_drill(text, text, text) IS 'a restore drill: restores a backup into scratch, checks it, compares it with its record and records the drill (PostgreSQL: records the drill the command ran); returns JSON';
REVOKE ALL ON FUNCTION dbbackup_drill(text, text, text) FROM PUBLIC;

-- dbcare_audit_entries_written counts committed entries (pg/audit/audit_write.c):
-- the entries already in the log start the count.
-- (dbcare.audit_written is made by the catalogue's stanza above.)
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
-- dbbackup_record takes everything the command knows of its backup (the
-- file's SHA-256, the content, pgBackRest's label and WAL range, the
-- duration); dbbackup_verified and dbbackup_entry: the command reaches the
-- catalog through these only (docs/backups.md)
DROP FUNCTION dbbackup_record(text, text, bigint, text, boolean, text);
CREATE FUNCTION dbbackup_record("kind" text, "location" text, "bytes" bigint DEFAULT NULL, "fingerprint" text DEFAULT NULL, "verified" boolean DEFAULT true, "detail" text DEFAULT NULL, "sha256" text DEFAULT NULL, "content" jsonb DEFAULT NULL, "label" text DEFAULT NULL, "wal_start" text DEFAULT NULL, "wal_stop" text DEFAULT NULL, "duration_ms" double precision DEFAULT NULL) RETURNS bigint
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_record';
COMMENT ON FUNCTION dbbackup_record(text, text, bigint, text, boolean, text, text, jsonb, text, text, text, double precision) IS 'records a backup made outside the database in dbcare.backups; returns its id';
REVOKE ALL ON FUNCTION dbbackup_record(text, text, bigint, text, boolean, text, text, jsonb, text, text, text, double precision) FROM PUBLIC;

CREATE FUNCTION dbbackup_verified("id" bigint, "why" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_verified';
COMMENT ON FUNCTION dbbackup_verified(bigint, text) IS 'marks a recorded backup verified (why NULL) or failed with why; returns its status';
REVOKE ALL ON FUNCTION dbbackup_verified(bigint, text) FROM PUBLIC;

CREATE FUNCTION dbbackup_entry("id" bigint DEFAULT NULL, "path" text DEFAULT NULL, "label" text DEFAULT NULL) RETURNS jsonb
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_entry';
COMMENT ON FUNCTION dbbackup_entry(bigint, text, text) IS 'the newest catalogued backup with that id, path or label, every column as JSON; NULL when none';
GRANT EXECUTE ON FUNCTION dbbackup_entry(bigint, text, text) TO pg_monitor;

-- What a backup's logical verification compares, read now: the one format
-- both engines answer, which the command's pg_dump and pgBackRest
-- verifications and drills read (docs/backups.md)
CREATE FUNCTION dbbackup_content() RETURNS jsonb
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_content';
COMMENT ON FUNCTION dbbackup_content() IS 'every table''s row count and content hash, as a backup''s logical verification compares them (the reader''s rights, no row security)';

-- The restore points and the snapshots as series for a chart: what the
-- command reads instead of the tables (docs/backups.md, docs/health.md)

CREATE FUNCTION dbbackup_marks()
    RETURNS TABLE ("label" text, "created_at" text, "fingerprint" text, "backup_id" bigint, "backup_path" text, "lsn" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_marks';
COMMENT ON FUNCTION dbbackup_marks() IS 'the restore points dbbackup_mark made, oldest first, with the file of the backup taken for each (SQLite) or its LSN (PostgreSQL)';
GRANT EXECUTE ON FUNCTION dbbackup_marks() TO pg_monitor;

CREATE FUNCTION dbhealth_history("limit" bigint DEFAULT 500)
    RETURNS TABLE ("taken_at" text, "epoch" double precision, "size_bytes" bigint, "score" integer)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_history';
COMMENT ON FUNCTION dbhealth_history(bigint) IS 'the newest snapshots'' size and score, oldest first (taken_at in ISO-8601 UTC, epoch in seconds)';
GRANT EXECUTE ON FUNCTION dbhealth_history(bigint) TO pg_monitor;

CREATE FUNCTION dbhealth_table_history("days" bigint DEFAULT 30)
    RETURNS TABLE ("table_name" text, "taken_at" text, "epoch" double precision, "bytes" bigint)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_table_history';
COMMENT ON FUNCTION dbhealth_table_history(bigint) IS 'the table sizes the snapshots of the last days recorded, by table, oldest first';
GRANT EXECUTE ON FUNCTION dbhealth_table_history(bigint) TO pg_monitor;

CREATE FUNCTION dbhealth_largest_tables("limit" bigint DEFAULT 10)
    RETURNS TABLE ("table_name" text, "bytes" bigint)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_largest_tables';
COMMENT ON FUNCTION dbhealth_largest_tables(bigint) IS 'the largest user tables now, largest first, with their indexes';
GRANT EXECUTE ON FUNCTION dbhealth_largest_tables(bigint) TO pg_monitor;

-- dbmigrate_pending: the migrations pending, read only (readiness, the page)

CREATE FUNCTION dbmigrate_pending("files" jsonb DEFAULT NULL) RETURNS integer
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_pending';
COMMENT ON FUNCTION dbmigrate_pending(jsonb) IS 'how many migrations are pending: the registry''s, and of a migration folder''s files (a JSON array of {version} and {name, checksum}) those it lacks or whose repeatable changed; reads only';
GRANT EXECUTE ON FUNCTION dbmigrate_pending(jsonb) TO pg_monitor;

-- dbbackup_identity(): the database's identity a sealed dump names (PostgreSQL too)
CREATE FUNCTION dbbackup_identity() RETURNS text
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_identity';
COMMENT ON FUNCTION dbbackup_identity() IS 'the database''s identity, which its sealed backups name';
GRANT EXECUTE ON FUNCTION dbbackup_identity() TO pg_monitor;
-- Wal mode of the audit trail (docs/audit.md): dbaudit_enable takes the
-- mode, and the worker's progress (pg/audit/audit_wal_worker.c; its table is in
-- the book stanza above).
DROP FUNCTION dbaudit_enable(text, jsonb);
INSERT INTO dbcare.audit_wal_state (decoded_lsn) VALUES ('0/0');
CREATE FUNCTION dbaudit_enable("table" text, "options" jsonb DEFAULT NULL, "mode" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_enable';
COMMENT ON FUNCTION dbaudit_enable(text, jsonb, text) IS 'starts recording the changes of a table in the audit log; returns its stored name';
REVOKE ALL ON FUNCTION dbaudit_enable(text, jsonb, text) FROM PUBLIC;
-- The registry of named schemas (dbjson_register; core/jsonschema/js_registry.c):
-- written through dbjson_register and dbjson_unregister, each change with a
-- row in json_schema_changes; a cached compiled schema that read the registry
-- is kept while the registry is unchanged (here: no invalidation from the
-- trigger below since; on SQLite: the same fingerprint of every row).
-- (both tables are made by the catalogue's stanza above)

-- The JSON Schema registry's functions, and the validators' overloads taking a registered schema's
-- name (docs/json.md); the validators no longer SET search_path: every
-- statement they run goes through the host, which pins it (a SET clause
-- costs a GUC save and restore per call, once a row in a CHECK).
ALTER FUNCTION dbjson_valid(jsonb, jsonb, boolean) RESET search_path;
ALTER FUNCTION dbjson_valid(json, json, boolean) RESET search_path;
ALTER FUNCTION dbjson_valid(text, text, boolean) RESET search_path;
ALTER FUNCTION dbjson_assert(jsonb, jsonb, boolean) RESET search_path;
ALTER FUNCTION dbjson_assert(json, json, boolean) RESET search_path;
ALTER FUNCTION dbjson_assert(text, text, boolean) RESET search_path;
ALTER FUNCTION dbjson_errors(jsonb, jsonb, boolean) RESET search_path;
ALTER FUNCTION dbjson_errors(json, json, boolean) RESET search_path;
ALTER FUNCTION dbjson_errors(text, text, boolean) RESET search_path;
ALTER FUNCTION dbjson_schema_valid(jsonb) RESET search_path;
-- Nor does the audit trigger: it resolves no name through the path and pins
-- it around the SQL it runs (a SET clause costs a GUC save and restore per
-- audited statement, and per row of a row-level trigger).
ALTER FUNCTION dbcare.audit_trigger() RESET search_path;
CREATE FUNCTION dbjson_valid("document" jsonb, "schema" text, "format_assertion" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_valid_jsonb_name';
COMMENT ON FUNCTION dbjson_valid(jsonb, text, boolean) IS 'whether a document is valid against a JSON Schema or a registered one';

CREATE FUNCTION dbjson_valid("document" json, "schema" text, "format_assertion" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_valid_json_name';
COMMENT ON FUNCTION dbjson_valid(json, text, boolean) IS 'whether a document is valid against a JSON Schema or a registered one';

CREATE FUNCTION dbjson_assert("document" jsonb, "schema" text, "format_assertion" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_assert_jsonb_name';
COMMENT ON FUNCTION dbjson_assert(jsonb, text, boolean) IS 'true, or an error naming the first violation of a JSON Schema';

CREATE FUNCTION dbjson_assert("document" json, "schema" text, "format_assertion" boolean DEFAULT false) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_assert_json_name';
COMMENT ON FUNCTION dbjson_assert(json, text, boolean) IS 'true, or an error naming the first violation of a JSON Schema';

CREATE FUNCTION dbjson_errors("document" jsonb, "schema" text, "format_assertion" boolean DEFAULT false)
    RETURNS TABLE ("instance_path" text, "schema_path" text, "keyword" text, "message" text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_errors_jsonb_name';
COMMENT ON FUNCTION dbjson_errors(jsonb, text, boolean) IS 'every violation of a JSON Schema by a document';

CREATE FUNCTION dbjson_errors("document" json, "schema" text, "format_assertion" boolean DEFAULT false)
    RETURNS TABLE ("instance_path" text, "schema_path" text, "keyword" text, "message" text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'dbjson_errors_json_name';
COMMENT ON FUNCTION dbjson_errors(json, text, boolean) IS 'every violation of a JSON Schema by a document';

CREATE FUNCTION dbcheck_json("table" regclass, "column" text, "schema" text, "format_assertion" boolean DEFAULT false)
    RETURNS TABLE ("violations" bigint, "sample" jsonb)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcheck_json_name';
COMMENT ON FUNCTION dbcheck_json(regclass, text, text, boolean) IS 'how many stored values of a column a JSON Schema refuses, with a sample';

CREATE FUNCTION dbjson_register("name" text, "schema" text, "uri" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_register';
COMMENT ON FUNCTION dbjson_register(text, text, text) IS 'stores a JSON Schema under a name (and its $id or uri) for CHECK constraints and $ref; returns its SHA-256';
REVOKE ALL ON FUNCTION dbjson_register(text, text, text) FROM PUBLIC;

CREATE FUNCTION dbjson_unregister("name" text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_unregister';
COMMENT ON FUNCTION dbjson_unregister(text) IS 'removes a registered JSON Schema no CHECK constraint names';
REVOKE ALL ON FUNCTION dbjson_unregister(text) FROM PUBLIC;

CREATE FUNCTION dbjson_schemas()
    RETURNS TABLE ("name" text, "uri" text, "sha256" text, "bytes" bigint, "registered_at" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_schemas';
COMMENT ON FUNCTION dbjson_schemas() IS 'the registered JSON Schemas';

CREATE FUNCTION dbjson_revalidate("name" text)
    RETURNS TABLE ("table_name" text, "constraint_name" text, "violations" bigint, "not_checked" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_revalidate';
COMMENT ON FUNCTION dbjson_revalidate(text) IS 'the stored rows each CHECK naming a registered schema no longer accepts';

CREATE FUNCTION dbcare.json_registry_changed() RETURNS trigger
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_json_registry_changed';
COMMENT ON FUNCTION dbcare.json_registry_changed() IS 'dbcare: tells every session that the JSON Schema registry changed';
REVOKE ALL ON FUNCTION dbcare.json_registry_changed() FROM PUBLIC;

-- Every statement that writes the registry tells every backend's cache of
-- compiled schemas (pg/json/json_registry.c).
CREATE TRIGGER dbcare_json_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbcare.json_schemas
    FOR EACH STATEMENT EXECUTE FUNCTION dbcare.json_registry_changed();
CREATE TRIGGER dbcare_json_registry_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbcare.json_schema_changes
    FOR EACH STATEMENT EXECUTE FUNCTION dbcare.json_registry_changed();

-- The registry's writers run as the extension's owner (issue 56): a role
-- granted EXECUTE needs no right on the registry's tables, which nobody else
-- writes; each change records the session's role, not the definer.
ALTER FUNCTION dbjson_register(text, text, text) SECURITY DEFINER;
ALTER FUNCTION dbjson_unregister(text) SECURITY DEFINER;

-- Who changed a registered schema (issue 64): readable by superusers,
-- pg_monitor, the schema's owner and the owners of tables whose CHECK names
-- it; the function decides, refusing anyone else by name.
CREATE FUNCTION dbjson_history("name" text)
    RETURNS TABLE ("changed_at" text, "changed_by" text, "old_sha256" text, "new_sha256" text)
    LANGUAGE c STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbjson_history';
COMMENT ON FUNCTION dbjson_history(text) IS 'who changed a registered JSON Schema, when, and its SHA-256 before and after';

-- Read-your-migration (docs/migrations.md, "Reading your migration on a
-- standby"): a bookmark on the primary, a wait on a standby.
CREATE FUNCTION dbmigrate_assert("version" text, "bookmark" text, "timeout" text DEFAULT '30s') RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_assert_bookmark';
COMMENT ON FUNCTION dbmigrate_assert(text, text, text) IS 'dbmigrate_bookmark''s wait, then dbmigrate_assert(version)';

CREATE FUNCTION dbmigrate_bookmark() RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_bookmark';
COMMENT ON FUNCTION dbmigrate_bookmark() IS 'VERSION@LSN: the applied version and the WAL position a standby must replay to show it (SQLite: VERSION)';

CREATE FUNCTION dbmigrate_wait("bookmark" text, "timeout" text DEFAULT '30s') RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_wait';
COMMENT ON FUNCTION dbmigrate_wait(text, text) IS 'waits until this server shows the bookmark''s migration (a standby: replayed past its LSN); returns the version then visible';

-- dbcare migrate --online (issue 70): the steps of one pending migration,
-- its blocking statements rewritten into their lock-safe recipes.
CREATE FUNCTION dbmigrate_online_plan("version" text)
    RETURNS TABLE ("step" integer, "unit" integer, "line" integer, "mode" text, "lock" text, "relation" text, "statement" text, "purpose" text, "undo" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_online_plan';
COMMENT ON FUNCTION dbmigrate_online_plan(text) IS 'the steps dbcare migrate --online runs for a pending migration: each blocking statement as its lock-safe recipe, the rest as written';

-- What dbcare migrate --online records of a run (dbcare.migrations_online_steps,
-- made by the catalogue's stanza above): a step done, the steps done, a
-- half-done run's records removed by dbcare rollback.
CREATE FUNCTION dbmigrate_online_record("version" text, "step" integer, "statement" text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_online_record';
REVOKE ALL ON FUNCTION dbmigrate_online_record(text, integer, text) FROM PUBLIC;

CREATE FUNCTION dbmigrate_online_done("version" text DEFAULT NULL) RETURNS text
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_online_done';
REVOKE ALL ON FUNCTION dbmigrate_online_done(text) FROM PUBLIC;

CREATE FUNCTION dbmigrate_online_forget("version" text) RETURNS boolean
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_online_forget';
REVOKE ALL ON FUNCTION dbmigrate_online_forget(text) FROM PUBLIC;

-- dbmigrate_apply(target, online): online => true is refused, naming dbcare
-- migrate --online (a function call cannot commit between the steps). An
-- overload: the grants of dbmigrate_apply(text) stay.
CREATE FUNCTION dbmigrate_apply("target" text, "online" boolean) RETURNS integer
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'dbmigrate_apply_online';
COMMENT ON FUNCTION dbmigrate_apply(text, boolean) IS 'dbmigrate_apply(target); online => true is refused: run dbcare migrate --online';
REVOKE ALL ON FUNCTION dbmigrate_apply(text, boolean) FROM PUBLIC;

-- The log's row index is its primary key (issue 63): (row_hash, id) in
-- place of (id) and the index on (row_hash, id), so an entry costs one
-- B-tree entry, not two. Ids come from the identity alone; no reader looks
-- an entry up by id (core/book/tables.c, audit_log).
ALTER TABLE dbcare.audit_log DROP CONSTRAINT dbcare_audit_log_pkey,
    ADD CONSTRAINT dbcare_audit_log_pkey PRIMARY KEY (row_hash, id);
DROP INDEX dbcare.dbcare_audit_log_row;

-- The log's live page range left unsummarised (pg/sql/70_audit.sql): the
-- range holding its last page, summarised by the index's build when it was
-- the empty log's first (VACUUM summarises only full ranges).
SELECT pg_catalog.brin_desummarize_range('dbcare.dbcare_audit_log_at',
    GREATEST(pg_catalog.pg_relation_size('dbcare.audit_log')
        / pg_catalog.current_setting('block_size')::pg_catalog.int8 - 1, 0));
