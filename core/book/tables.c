/*
 * book/tables.c — every bookkeeping table of dbcare, declared once (the
 * shape is core/book/book.h). PostgreSQL's install DDL and upgrade stanzas
 * and SQLite's DDL and upgrade columns are generated from here; nothing
 * else states a bookkeeping table's columns.
 *
 * A table: DBC_BOOK_TABLE(name, fields...)
 *   name     without the prefix: PostgreSQL dbcare.<name>, SQLite dbcare_<name>
 *   fields   designated initialisers of dbc_book_table:
 *            .flags       DBC_BOOK_DUMPED (pg_dump keeps its rows),
 *                         DBC_BOOK_MONITOR (pg_monitor reads it),
 *                         DBC_BOOK_OPTIONAL (SQLite: a read takes a missing
 *                         one as empty), DBC_BOOK_PG_ONLY / _SQLITE_ONLY
 *            .comment     PostgreSQL's COMMENT ON TABLE
 *            .sqlite_part SQLite: the part whose first writing call makes it
 *                         (sqldbc_book_ensure_part); NULL: every changing call
 *            .pg_since, .book_since  the extension version and the SQLite
 *                         bookkeeping version (BOOK_VERSION) that added it
 *            .primary_key / .check_name + .check  keys and checks over
 *                         several columns; .pg_primary_key PostgreSQL's key
 *                         in place of the columns' (SQLite keeps theirs)
 *            DBC_BOOK_COLUMNS(DBC_COL(name, TYPE, fields...)...)
 *            DBC_BOOK_INDEXES(DBC_INDEX(name, "columns", fields...)...)
 *   a column: TYPE is one of dbc_book_type without DBC_BT_ (TEXT, INT,
 *            BIGINT, BOOL, DOUBLE, TIME, JSON, BLOB, TXID); fields of
 *            dbc_book_column: .flags (DBC_BOOK_NOT_NULL, _PRIMARY_KEY,
 *            _IDENTITY, ...), .pg_default / .sqlite_default (DBC_BOOK_NOW and
 *            DBC_BOOK_CLOCK for timestamps), .unique (its PostgreSQL name),
 *            .check_name + .check (+ .sqlite_check when SQLite's words
 *            differ), .pg_since / .book_since for a column added to an
 *            existing table
 *   an index: .where (partial), .flags (DBC_BOOK_UNIQUE, _PG_ONLY,
 *            _SQLITE_ONLY), .pg_method
 *
 * Order matters twice: columns are in table order (an added column goes
 * last: ALTER TABLE ADD COLUMN appends, so an upgraded table reads as a
 * fresh one), and tables are in the order SQLite makes them.
 *
 * Adding a column: one DBC_COL at the end of its table with .pg_since (the
 * open version) and .book_since (DBC_BOOK_VERSION + 1, then raise
 * DBC_BOOK_VERSION in book.h); nothing else: the build writes it into the
 * open upgrade script's stanza ("-- dbcare:book-stanza") and SQLite's
 * upgrade (sqlite/book/bookkeeping.c) adds every column of a version by itself,
 * with a step of its own only where the version needs data work. Adding a
 * table: one DBC_BOOK_TABLE and a "-- dbcare:book <name>" line in its
 * part's pg/sql file (docs/ARCHITECTURE.md, "The bookkeeping catalogue").
 * test/script/pg_book_catalog.sh fails until every piece is there.
 */
#include "book/book.h"

#include <stddef.h>

/* clang-format off */
#define DBC_BOOK_TABLE(name_, ...) {.name = name_, __VA_ARGS__}
#define DBC_BOOK_COLUMNS(...)      .columns = (const dbc_book_column[]){__VA_ARGS__, {0}}
#define DBC_BOOK_INDEXES(...)      .indexes = (const dbc_book_index[]){__VA_ARGS__, {0}}
#define DBC_COL(name_, type_, ...) {.name = name_, .type = DBC_BT_##type_, __VA_ARGS__}
#define DBC_INDEX(name_, cols_, ...) {.name = name_, .columns = cols_, __VA_ARGS__}

/* Defaults of a timestamp: the transaction's (or call's) start, and the
 * moment of the write; SQLite's is the ISO 8601 text the core writes. */
#define DBC_SQLITE_NOW "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
#define DBC_BOOK_NOW   .pg_default = "pg_catalog.now()", .sqlite_default = DBC_SQLITE_NOW
#define DBC_BOOK_CLOCK .pg_default = "pg_catalog.clock_timestamp()", .sqlite_default = DBC_SQLITE_NOW

/* Shorthands of the flags every table uses. */
#define NN  DBC_BOOK_NOT_NULL
#define PK  DBC_BOOK_PRIMARY_KEY
#define PGO DBC_BOOK_PG_ONLY
#define SQO DBC_BOOK_SQLITE_ONLY
/* a one-row table's id: 1 */
#define DBC_ONE_ROW_ID(table)                                                                      \
	DBC_COL("id", INT, .flags = PK, .check_name = "dbcare_" table "_id_check", .check = "id = 1")

const dbc_book_table dbc_book_tables[] = {
    /* settings (dbcare_set / dbcare_get) */
    DBC_BOOK_TABLE("config", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR,
        .comment = "dbcare settings changed from their defaults (see dbcare_settings)",
        .pg_since = "0.1.0", .book_since = 1,
        DBC_BOOK_COLUMNS(
            DBC_COL("key", TEXT, .flags = PK),
            DBC_COL("value", TEXT, .flags = NN))),

    /* migrations: the registry, what is applied now, every event, the lock
     * row. version is unique by an index on PostgreSQL, not a UNIQUE
     * constraint: an application's migration that sweeps pg_constraint for
     * the UNIQUE constraints of its own table named "migrations" (by bare
     * relname) would find it and fail (pg/sql/20_migrate.sql). pg_monitor
     * reads everything but the migrations' SQL. */
    DBC_BOOK_TABLE("migrations", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR,
        .comment = "dbcare: registered migrations (dbmigrate_add, dbmigrate_load)",
        .pg_since = "0.1.0", .book_since = 1,
        .check_name = "dbcare_migrations_check", .check = "(kind = 'versioned') = (version IS NOT NULL)",
        DBC_BOOK_COLUMNS(
            DBC_COL("kind", TEXT, .flags = NN, .check_name = "dbcare_migrations_kind_check",
                    .check = "kind IN ('versioned', 'repeatable')"),
            DBC_COL("version", TEXT, .flags = DBC_BOOK_UNIQUE_INDEX, .unique = "dbcare_migrations_version_key"),
            DBC_COL("version_text", TEXT),
            DBC_COL("name", TEXT, .flags = NN),
            DBC_COL("script", TEXT, .flags = NN | DBC_BOOK_PRIVATE),
            DBC_COL("down_script", TEXT, .flags = DBC_BOOK_PRIVATE),
            DBC_COL("checksum", TEXT, .flags = NN),
            DBC_COL("no_transaction", BOOL, .flags = NN, .pg_default = "false", .sqlite_default = "0"),
            DBC_COL("registered_at", TIME, .flags = NN, DBC_BOOK_CLOCK),
            /* checksum of down_script, NULL without one */
            DBC_COL("down_checksum", TEXT, .pg_since = "0.2.0", .book_since = 2),
            /* the role that wrote the row last (trigger dbcare_migrations_registrant) */
            DBC_COL("registered_by", TEXT, .flags = PGO, .pg_since = "0.2.0")),
        DBC_BOOK_INDEXES(
            DBC_INDEX("dbcare_migrations_repeatable", "name", .where = "kind = 'repeatable'",
                      .flags = DBC_BOOK_UNIQUE),
            /* dbmigrate_assert compares applied checksums through it
             * without reading registry rows, which hold whole scripts */
            DBC_INDEX("dbcare_migrations_checksums", "version, checksum, down_checksum", .flags = SQO))),
    DBC_BOOK_TABLE("migrations_applied", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR,
        .comment = "dbcare: migrations applied now, with the checksum they were applied with",
        .pg_since = "0.1.0", .book_since = 1,
        DBC_BOOK_COLUMNS(
            /* SQLite: not IN (...), for which 3.40 builds a three-row index per inserted row */
            DBC_COL("kind", TEXT, .flags = NN, .check_name = "dbcare_migrations_applied_kind_check",
                    .check = "kind IN ('versioned', 'repeatable', 'baseline')",
                    .sqlite_check = "kind = 'versioned' OR kind = 'repeatable' OR kind = 'baseline'"),
            DBC_COL("version", TEXT, .flags = DBC_BOOK_UNIQUE_INDEX, .unique = "dbcare_migrations_applied_version_key"),
            DBC_COL("name", TEXT, .flags = NN),
            DBC_COL("checksum", TEXT),
            DBC_COL("applied_at", TIME, .flags = NN, DBC_BOOK_CLOCK),
            DBC_COL("duration_ms", DOUBLE),
            /* the down script's checksum when applied; 'none' without a down
             * script, NULL when not known (baselines) */
            DBC_COL("down_checksum", TEXT, .pg_since = "0.2.0", .book_since = 2)),
        DBC_BOOK_INDEXES(
            DBC_INDEX("dbcare_migrations_applied_repeatable", "name", .where = "kind = 'repeatable'",
                      .flags = DBC_BOOK_UNIQUE))),
    DBC_BOOK_TABLE("migrations_history", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR,
        .comment = "dbcare: every up, down, baseline and repair event (dbmigrate_history)",
        .pg_since = "0.1.0", .book_since = 1,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_SERIAL | DBC_BOOK_AUTOINCREMENT),
            DBC_COL("version", TEXT),
            DBC_COL("name", TEXT),
            DBC_COL("kind", TEXT, .flags = NN),
            DBC_COL("direction", TEXT, .flags = NN),
            DBC_COL("checksum", TEXT),
            DBC_COL("fingerprint", TEXT),
            DBC_COL("snapshot", TEXT),
            DBC_COL("applied_at", TIME, .flags = NN, DBC_BOOK_CLOCK),
            /* SQLite has no user to name */
            DBC_COL("applied_by", TEXT, .flags = DBC_BOOK_PG_NOT_NULL, .pg_default = "CURRENT_USER"),
            DBC_COL("duration_ms", DOUBLE),
            DBC_COL("success", BOOL, .flags = NN),
            DBC_COL("error", TEXT),
            DBC_COL("started_ms", DOUBLE),
            /* the backup a migration was preceded by (migrate.backup_before) */
            DBC_COL("backup", TEXT, .pg_since = "0.3.0", .book_since = 3)),
        DBC_BOOK_INDEXES(
            DBC_INDEX("dbcare_migrations_history_unfinished", "id", .where = "NOT success"),
            DBC_INDEX("dbcare_migrations_history_fingerprint", "id", .where = "fingerprint IS NOT NULL"))),
    /* The renames and drops the migration runner saw each migration make
     * (docs/schema-as-code.md). Not dumped: the identities mean nothing
     * after a restore. */
    DBC_BOOK_TABLE("migrations_renames", .flags = DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: the renames and drops of tables and columns that applied migrations made (dbmigrate_generate follows them)",
        .sqlite_part = "renames", .pg_since = "0.3.8", .book_since = 11,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_SERIAL | DBC_BOOK_AUTOINCREMENT),
            DBC_COL("version", TEXT),
            DBC_COL("direction", TEXT, .flags = NN),
            DBC_COL("op", TEXT, .flags = NN, .check_name = "dbcare_migrations_renames_op",
                    .check = "op IN ('rename', 'drop', 'forget')",
                    .sqlite_check = "op = 'rename' OR op = 'drop' OR op = 'forget'"),
            DBC_COL("schema_name", TEXT),
            DBC_COL("table_name", TEXT, .flags = NN),
            DBC_COL("column_name", TEXT),
            DBC_COL("new_name", TEXT),
            DBC_COL("identity", TEXT),
            DBC_COL("recorded_at", TIME, .flags = NN, DBC_BOOK_CLOCK),
            /* the role that wrote the row (the registry's trigger) */
            DBC_COL("registered_by", TEXT, .flags = PGO))),
    /* one row, written first by every changing call */
    DBC_BOOK_TABLE("migrations_lock", .flags = DBC_BOOK_DUMPED,
        .pg_since = "0.1.0", .book_since = 1,
        DBC_BOOK_COLUMNS(
            DBC_ONE_ROW_ID("migrations_lock"),
            DBC_COL("generation", BIGINT, .flags = NN, .pg_default = "0", .sqlite_default = "0"))),
    /* PostgreSQL: the counter every write to a migration table bumps; a
     * stored summary answers only at its generation */
    DBC_BOOK_TABLE("migrations_generation", .flags = DBC_BOOK_MONITOR | PGO,
        .pg_since = "0.1.0",
        DBC_BOOK_COLUMNS(
            DBC_ONE_ROW_ID("migrations_generation"),
            DBC_COL("n", BIGINT, .flags = NN))),
    /* the steps of `dbcare migrate --online` done so far, one row a step
     * of the migration's plan (dbmigrate_online_plan), written in the
     * transaction of the step (or after a step outside one); the rows go
     * when the migration is recorded applied. A run killed part way is
     * resumed from them: the steps recorded are not run again. SQLite: made
     * by the first step recorded (a table rebuild's, issue 70). */
    DBC_BOOK_TABLE("migrations_online_steps", .flags = DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: the steps of an online migration done so far (dbcare migrate --online resumes after them)",
        .sqlite_part = "online", .pg_since = "0.3.9", .book_since = 19,
        .primary_key = "version, step",
        DBC_BOOK_COLUMNS(
            DBC_COL("version", TEXT, .flags = NN),
            DBC_COL("step", INT, .flags = NN),
            DBC_COL("statement", TEXT, .flags = NN),
            DBC_COL("done_at", TIME, .flags = NN, DBC_BOOK_CLOCK))),
    /* the migration status in a few figures (dbmigrate_current, _assert,
     * health). PostgreSQL keeps one row always, NULL counts meaning nothing
     * stored; SQLite's triggers delete the row, so a stored one is whole. */
    DBC_BOOK_TABLE("migrations_summary", .flags = DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: the migration status summary and the generation of the migration tables it describes",
        .pg_since = "0.1.0", .book_since = 1,
        DBC_BOOK_COLUMNS(
            DBC_ONE_ROW_ID("migrations_summary"),
            DBC_COL("generation", BIGINT, .flags = PGO),
            DBC_COL("current_version", TEXT),
            DBC_COL("pending", INT, .flags = DBC_BOOK_SQLITE_NOT_NULL),
            DBC_COL("changed", INT, .flags = DBC_BOOK_SQLITE_NOT_NULL),
            DBC_COL("missing", INT, .flags = DBC_BOOK_SQLITE_NOT_NULL),
            DBC_COL("failed", INT, .flags = DBC_BOOK_SQLITE_NOT_NULL),
            DBC_COL("applied", INT, .flags = DBC_BOOK_SQLITE_NOT_NULL))),

    /* dbhealth_snapshot / dbhealth_growth */
    DBC_BOOK_TABLE("health_snapshots", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR,
        .comment = "dbhealth_snapshot() records: size, object counts and score over time",
        .pg_since = "0.1.0", .book_since = 1,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY),
            DBC_COL("taken_at", TIME, .flags = NN, .pg_default = "now()"),
            DBC_COL("mode", TEXT, .flags = NN),
            DBC_COL("score", INT, .flags = NN),
            DBC_COL("status", TEXT, .flags = NN),
            DBC_COL("size_bytes", BIGINT),
            DBC_COL("tables", BIGINT),
            DBC_COL("indexes", BIGINT),
            DBC_COL("schema_fingerprint", TEXT),
            DBC_COL("migration_version", TEXT)),
        DBC_BOOK_INDEXES(DBC_INDEX("dbcare_health_snapshots_taken", "taken_at"))),
    /* the per-table growth history (core/health/health_tables.c; bounded by
     * health.growth.tables and .points): made by the first snapshot */
    DBC_BOOK_TABLE("health_table_sizes",
        .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbhealth_snapshot() records: the largest tables' sizes (health.growth.tables per snapshot, health.growth.points snapshots kept)",
        .sqlite_part = "growth", .pg_since = "0.3.6", .book_since = 10,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY),
            DBC_COL("snapshot_id", BIGINT, .flags = NN),
            DBC_COL("table_schema", TEXT),
            DBC_COL("table_name", TEXT, .flags = NN),
            DBC_COL("rows_estimate", BIGINT),
            DBC_COL("bytes", BIGINT, .flags = NN)),
        DBC_BOOK_INDEXES(DBC_INDEX("dbcare_health_table_sizes_snapshot", "snapshot_id"))),
    /* the query statistics history (core/health/health_queries.c; bounded
     * by health.queries.top and .points): each snapshot's statements with
     * their counters since the engine's statistics were reset, made by the
     * first snapshot that reads any. Not dumped: counters of the server
     * that ran them, and query texts are the users' input. */
    DBC_BOOK_TABLE("health_query_stats",
        .flags = DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbhealth_snapshot() records: the statements of most total time and their counters (health.queries.top per snapshot, health.queries.points snapshots kept)",
        .sqlite_part = "queries", .pg_since = "0.3.9", .book_since = 19,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY),
            DBC_COL("snapshot_id", BIGINT, .flags = NN),
            DBC_COL("query_id", TEXT, .flags = NN),
            DBC_COL("query", TEXT),
            DBC_COL("calls", BIGINT, .flags = NN),
            DBC_COL("total_ms", DOUBLE, .flags = NN),
            DBC_COL("rows", BIGINT)),
        DBC_BOOK_INDEXES(DBC_INDEX("dbcare_health_query_stats_snapshot", "snapshot_id"))),
    /* declared relations (dbcheck_add_relation) */
    DBC_BOOK_TABLE("relations", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR,
        .comment = "relations declared with dbcheck_add_relation (logical foreign keys)",
        .pg_since = "0.1.0", .book_since = 1,
        DBC_BOOK_COLUMNS(
            DBC_COL("name", TEXT, .flags = PK),
            DBC_COL("child_schema", TEXT),
            DBC_COL("child_table", TEXT, .flags = NN),
            DBC_COL("child_columns", TEXT, .flags = NN),
            DBC_COL("parent_schema", TEXT),
            DBC_COL("parent_table", TEXT, .flags = NN),
            DBC_COL("parent_columns", TEXT, .flags = NN),
            DBC_COL("created_at", TIME, .flags = NN, DBC_BOOK_NOW))),
    /* dbmaintain_run / dbmaintain_history */
    DBC_BOOK_TABLE("maintain_history",
        .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbmaintain_run() records: every row of every run, what ran and how long it took",
        .sqlite_part = "maintain", .pg_since = "0.3.0", .book_since = 3,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY),
            DBC_COL("run", BIGINT, .flags = NN),
            DBC_COL("run_at", TIME, .flags = NN, .pg_default = "now()"),
            DBC_COL("mode", TEXT, .flags = NN),
            DBC_COL("object", TEXT, .flags = NN),
            DBC_COL("action", TEXT, .flags = NN),
            DBC_COL("statement", TEXT),
            DBC_COL("safety", TEXT, .flags = NN),
            DBC_COL("status", TEXT, .flags = NN),
            DBC_COL("duration_ms", DOUBLE))),

    /* the catalog of backups (dbbackup_*). The command's own backups: a
     * dump's SHA-256 as verified and its content (per table its rows and
     * hash); pgBackRest's label and WAL range (PostgreSQL); a SQLite
     * backup's method, the base an incremental one builds on and the hash
     * of every page of its image */
    DBC_BOOK_TABLE("backups", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: the catalog of backups (dbbackup_record, dbbackup_list)",
        .sqlite_part = "backup", .pg_since = "0.3.0", .book_since = 3,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY | DBC_BOOK_AUTOINCREMENT),
            DBC_COL("kind", TEXT, .flags = NN),
            DBC_COL("path", TEXT, .flags = NN),
            DBC_COL("created_at", TIME, .flags = NN),
            DBC_COL("bytes", BIGINT),
            DBC_COL("pages", BIGINT),
            DBC_COL("duration_ms", DOUBLE),
            DBC_COL("fingerprint", TEXT),
            DBC_COL("rows_digest", TEXT),
            DBC_COL("verified_at", TIME),
            DBC_COL("status", TEXT, .flags = NN, .check_name = "dbcare_backups_status",
                    .check = "status IN ('verified', 'unverified', 'failed')",
                    .sqlite_check = "status = 'verified' OR status = 'unverified' OR status = 'failed'"),
            DBC_COL("detail", TEXT),
            DBC_COL("recorded_by", TEXT, .flags = NN | PGO, .pg_default = "CURRENT_USER"),
            DBC_COL("sha256", TEXT, .pg_since = "0.3.5", .book_since = 4),
            DBC_COL("content", JSON, .pg_since = "0.3.5", .book_since = 7),
            DBC_COL("label", TEXT, .flags = PGO, .pg_since = "0.3.5"),
            DBC_COL("wal_start", TEXT, .flags = PGO, .pg_since = "0.3.5"),
            DBC_COL("wal_stop", TEXT, .flags = PGO, .pg_since = "0.3.5"),
            DBC_COL("method", TEXT, .flags = SQO, .book_since = 7),
            DBC_COL("base_id", BIGINT, .flags = SQO, .book_since = 7),
            DBC_COL("page_hashes", BLOB, .flags = SQO, .book_since = 7)),
        DBC_BOOK_INDEXES(DBC_INDEX("dbcare_backups_created", "created_at"))),
    /* restore points (dbbackup_mark): a label, the moment, the schema
     * fingerprint and the audit chains' heads at the mark; the LSN of its
     * restore point (PostgreSQL) or the backup taken for it (SQLite) */
    DBC_BOOK_TABLE("backup_marks", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: named restore points (dbbackup_mark)",
        .sqlite_part = "backup", .pg_since = "0.3.6", .book_since = 8,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY | DBC_BOOK_AUTOINCREMENT),
            DBC_COL("label", TEXT, .flags = NN, .unique = "dbcare_backup_marks_label_key"),
            DBC_COL("created_at", TIME, .flags = NN),
            DBC_COL("fingerprint", TEXT),
            DBC_COL("audit_heads", TEXT),
            DBC_COL("backup_id", BIGINT),
            DBC_COL("lsn", TEXT))),
    /* restore drills (dbbackup_drill): a backup restored into scratch,
     * checked and compared with its record; backup_id is the row drilled */
    DBC_BOOK_TABLE("backup_drills", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: restore drills of backups (dbbackup_drill)",
        .sqlite_part = "backup", .pg_since = "0.3.9", .book_since = 12,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY | DBC_BOOK_AUTOINCREMENT),
            DBC_COL("backup_id", BIGINT),
            DBC_COL("path", TEXT, .flags = NN),
            DBC_COL("method", TEXT, .flags = NN),
            DBC_COL("drilled_at", TIME, .flags = NN),
            DBC_COL("duration_ms", DOUBLE, .flags = NN),
            DBC_COL("tables", BIGINT, .flags = NN),
            DBC_COL("rows_compared", BIGINT, .flags = NN),
            DBC_COL("mismatches", BIGINT, .flags = NN),
            DBC_COL("status", TEXT, .flags = NN, .check_name = "dbcare_backup_drills_status",
                    .check = "status IN ('ok', 'failed')"),
            DBC_COL("detail", TEXT)),
        DBC_BOOK_INDEXES(DBC_INDEX("dbcare_backup_drills_drilled", "drilled_at"))),

    /* PostgreSQL wal mode (pg/audit/audit_wal_worker.c): how far the worker has
     * written the decoded changes into the log; one row, not dumped (a
     * restored database makes a new slot, which resets it) */
    DBC_BOOK_TABLE("audit_wal_state", .flags = DBC_BOOK_MONITOR | DBC_BOOK_PG_ONLY,
        .comment = "dbcare: how far the wal-mode worker has written the log",
        .pg_since = "0.3.9",
        DBC_BOOK_COLUMNS(
            DBC_COL("one", BOOL, .flags = PK, .pg_default = "true",
                    .check_name = "dbcare_audit_wal_state_one", .check = "one"),
            DBC_COL("decoded_lsn", LSN, .flags = NN),
            DBC_COL("decoded_at", TIME),
            /* dbcare.actor messages not signed by the audit trigger (forged
             * or malformed: ignored), and entries written without their
             * role (the trigger disabled): the health check names them */
            DBC_COL("rejected_messages", BIGINT, .flags = NN, .pg_default = "0"),
            DBC_COL("last_rejected_at", TIME),
            DBC_COL("unknown_user_entries", BIGINT, .flags = NN, .pg_default = "0"))),

    /* PostgreSQL: the database's identity, named by its sealed dumps (one
     * row; SQLite keeps its own in dbcare_bookkeeping.database_id) */
    DBC_BOOK_TABLE("database_identity", .flags = DBC_BOOK_DUMPED | DBC_BOOK_PG_ONLY,
        .comment = "dbcare: the database's identity, named by its sealed backups",
        .pg_since = "0.3.9",
        DBC_BOOK_COLUMNS(
            DBC_COL("one", BOOL, .flags = PK, .pg_default = "true",
                    .check_name = "dbcare_database_identity_one", .check = "one"),
            DBC_COL("identity", TEXT, .flags = NN, .check_name = "dbcare_database_identity_form",
                    .check = "identity ~ '^[0-9a-f]{32}$'"),
            DBC_COL("made_at", TIME, .flags = NN, DBC_BOOK_NOW))),

    /* the JSON Schema registry (dbjson_register; core/jsonschema/js_registry.c),
     * every change recorded */
    DBC_BOOK_TABLE("json_schemas", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: registered JSON Schemas (dbjson_register)",
        .sqlite_part = "json", .pg_since = "0.3.9", .book_since = 15,
        DBC_BOOK_COLUMNS(
            DBC_COL("name", TEXT, .flags = PK),
            DBC_COL("uri", TEXT, .unique = "dbcare_json_schemas_uri"),
            DBC_COL("schema", TEXT, .flags = NN),
            DBC_COL("sha256", TEXT, .flags = NN),
            DBC_COL("registered_at", TIME, .flags = NN),
            /* the role that registered the name (the session's, as
             * changed_by): only it, its members and superusers replace or
             * remove it, and a $ref reaches only the schemas its owner
             * could use (docs/security.md). SQLite: no roles. */
            DBC_COL("owner", TEXT, .flags = NN | PGO, .pg_default = DBC_PG_SESSION_ROLE))),
    DBC_BOOK_TABLE("json_schema_changes", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: who changed the JSON Schema registry, when",
        .sqlite_part = "json", .pg_since = "0.3.9", .book_since = 15,
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY | DBC_BOOK_AUTOINCREMENT),
            DBC_COL("name", TEXT, .flags = NN),
            DBC_COL("old_sha256", TEXT),
            DBC_COL("new_sha256", TEXT),
            /* the caller's role: dbjson_register and dbjson_unregister are
             * SECURITY DEFINER, where CURRENT_USER is their owner; the
             * session's role (SET ROLE's, else the session user) is not */
            DBC_COL("changed_by", TEXT, .flags = NN | PGO, .pg_default = DBC_PG_SESSION_ROLE),
            DBC_COL("changed_at", TIME, .flags = NN))),

    /* soft-delete tables (dbsoftdelete_enable) */
    DBC_BOOK_TABLE("softdelete", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "tables whose DELETE sets a column (dbsoftdelete_enable)",
        .sqlite_part = "softdelete", .pg_since = "0.3.0", .book_since = 3,
        DBC_BOOK_COLUMNS(
            DBC_COL("table_name", TEXT, .flags = PK),
            DBC_COL("table_schema", TEXT),
            DBC_COL("relation_name", TEXT, .flags = NN),
            DBC_COL("column_name", TEXT, .flags = NN),
            DBC_COL("enabled_at", TIME, .flags = NN, DBC_BOOK_NOW))),
    /* retention policies (dbretain_add) and the rows each moved */
    DBC_BOOK_TABLE("retain_policies", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "retention policies (dbretain_add) and the rows each moved",
        .sqlite_part = "retain", .pg_since = "0.3.0", .book_since = 3,
        DBC_BOOK_COLUMNS(
            DBC_COL("name", TEXT, .flags = PK),
            DBC_COL("table_schema", TEXT),
            DBC_COL("table_name", TEXT, .flags = NN),
            DBC_COL("column_name", TEXT, .flags = NN),
            DBC_COL("keep", TEXT, .flags = NN),
            DBC_COL("action", TEXT, .flags = NN, .check_name = "dbcare_retain_policies_action",
                    .check = "action IN ('delete', 'archive', 'purge')"),
            DBC_COL("target_schema", TEXT),
            DBC_COL("target_name", TEXT),
            DBC_COL("archived_rows", BIGINT, .flags = NN, .pg_default = "0", .sqlite_default = "0"),
            DBC_COL("deleted_rows", BIGINT, .flags = NN, .pg_default = "0", .sqlite_default = "0"),
            DBC_COL("created_at", TIME, .flags = NN, DBC_BOOK_NOW),
            DBC_COL("last_run_at", TIME))),
    /* archives in another database (docs/retention.md): in the source, each
     * batch's stage, count and hash, and its rows until it is done */
    DBC_BOOK_TABLE("retain_batches", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "archive batches moving into another database, each with its stage, count and hash",
        .sqlite_part = "retain", .pg_since = "0.3.6", .book_since = 9,
        DBC_BOOK_COLUMNS(
            DBC_COL("batch_id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY_BY_DEFAULT),
            DBC_COL("policy", TEXT, .flags = NN),
            DBC_COL("batch_key", TEXT, .flags = NN, .unique = "dbcare_retain_batches_key"),
            DBC_COL("stage", TEXT, .flags = NN, .check_name = "dbcare_retain_batches_stage",
                    .check = "stage IN ('picked', 'verified', 'done')"),
            DBC_COL("row_count", BIGINT, .flags = NN),
            DBC_COL("hash", TEXT, .flags = NN),
            DBC_COL("fingerprint", TEXT),
            DBC_COL("created_at", TIME, .flags = NN),
            DBC_COL("changed_at", TIME, .flags = NN)),
        DBC_BOOK_INDEXES(DBC_INDEX("dbcare_retain_batches_policy", "policy, stage"))),
    DBC_BOOK_TABLE("retain_batch_rows", .flags = DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "the rows of archive batches not yet done (row identities, not dumped)",
        .sqlite_part = "retain", .pg_since = "0.3.6", .book_since = 9,
        .primary_key = "batch_id, row_key",
        DBC_BOOK_COLUMNS(
            DBC_COL("batch_id", BIGINT, .flags = NN),
            DBC_COL("row_key", TEXT, .flags = NN))),
    /* in the archive database: each batch stored, keyed by its batch key */
    DBC_BOOK_TABLE("retain_archive", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "archive batches from another database (JSON lines, zstd and base64 when codec is zstd)",
        .sqlite_part = "retain", .pg_since = "0.3.6", .book_since = 9,
        DBC_BOOK_COLUMNS(
            DBC_COL("batch_key", TEXT, .flags = PK),
            DBC_COL("archive", TEXT, .flags = NN),
            DBC_COL("policy", TEXT, .flags = NN),
            DBC_COL("source_table", TEXT, .flags = NN),
            DBC_COL("fingerprint", TEXT),
            DBC_COL("row_count", BIGINT, .flags = NN),
            DBC_COL("hash", TEXT, .flags = NN),
            DBC_COL("codec", TEXT, .flags = NN),
            DBC_COL("payload", TEXT, .flags = NN),
            DBC_COL("archived_at", TIME, .flags = NN)),
        DBC_BOOK_INDEXES(DBC_INDEX("dbcare_retain_archive_archive", "archive, archived_at"))),

    /* The audit trail (docs/audit.md). Log entries name tables by their
     * quoted, qualified name, never an OID. SQLite's ids never repeat
     * (AUTOINCREMENT): its sqlite_sequence row counts the entries ever
     * committed. PostgreSQL's row_hash (a 64-bit hash of table_name and key,
     * "The row hash") finds a row's entries by one bigint comparison per
     * index level; it is made after its function (pg/sql/70_audit.sql).
     * On PostgreSQL that index is the primary key, (row_hash, id): one
     * B-tree entry per log entry, not two (issue 63); ids come from the
     * identity alone, so none repeats, and no reader looks an entry up by
     * id (a chain is verified in id order by a sort, dbaudit_log reads the
     * BRIN index on at or a table's range of row_hash).
     * SQLite's row_hash is the same table half over a hash of the key's
     * stored text (dbaudit_row_hash, written by the module's own writers and
     * set when a pending entry is completed: NULL while pending); its row
     * index holds the hash alone (and the id SQLite appends), no time: at
     * grows with id; its pending entries (written by connections without
     * dbcare, txid <= 0) are found by an index that holds only them. */
    DBC_BOOK_TABLE("audit_log", .flags = DBC_BOOK_DUMPED | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: the audit trail of the audited tables (dbaudit_enable)",
        .sqlite_part = "audit", .pg_since = "0.3.0", .book_since = 3,
        .pg_primary_key = "row_hash, id",
        DBC_BOOK_COLUMNS(
            DBC_COL("id", BIGINT, .flags = PK | DBC_BOOK_IDENTITY | DBC_BOOK_AUTOINCREMENT),
            /* the start of the transaction that made the change */
            DBC_COL("at", TIME, .flags = NN),
            DBC_COL("txid", TXID, .flags = NN),
            /* current_user of the change (SQLite has none); actor: SET LOCAL dbcare.actor */
            DBC_COL("db_user", TEXT, .flags = DBC_BOOK_PG_NOT_NULL),
            DBC_COL("actor", TEXT),
            /* insert, update, delete, truncate or snapshot (no CHECK: every
             * audited change would pay for evaluating it) */
            DBC_COL("operation", TEXT, .flags = NN),
            DBC_COL("table_name", TEXT, .flags = NN),
            DBC_COL("key", JSON),
            DBC_COL("old_values", JSON),
            DBC_COL("new_values", JSON),
            /* hash_chain tables: the previous chained entry's hash, and
             * SHA-256 (hex) over that and this entry */
            DBC_COL("prev_hash", TEXT),
            DBC_COL("hash", TEXT),
            DBC_COL("row_hash", BIGINT, .pg_generated = "dbcare.audit_row_hash(table_name, key)",
                    .pg_since = "0.3.1", .book_since = 17)),
        DBC_BOOK_INDEXES(
            DBC_INDEX("dbcare_audit_log_at", "at", .flags = PGO, .pg_method = "brin"),
            DBC_INDEX("dbcare_audit_log_hashed", "id", .where = "hash IS NOT NULL", .flags = SQO),
            DBC_INDEX("dbcare_audit_log_row", "row_hash", .flags = SQO),
            DBC_INDEX("dbcare_audit_log_pending", "id", .where = "txid <= 0", .flags = SQO))),
    /* the audited tables, their options and the columns their triggers were
     * made for */
    DBC_BOOK_TABLE("audit_tables", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: the audited tables and their options (dbaudit_tables)",
        .sqlite_part = "audit", .pg_since = "0.3.0", .book_since = 3,
        DBC_BOOK_COLUMNS(
            DBC_COL("table_name", TEXT, .flags = PK),
            DBC_COL("enabled_at", TIME, .flags = NN, DBC_BOOK_NOW),
            DBC_COL("options", JSON, .flags = NN),
            DBC_COL("columns", JSON, .flags = NN))),
    /* the hash chains' heads (docs/audit.md, "Hash chain"): one row per
     * chain, its last entry's hash and id (SQLite: one chain, ''; after the
     * log, whose trigger moves it) */
    DBC_BOOK_TABLE("audit_chain", .flags = DBC_BOOK_DUMPED | DBC_BOOK_OPTIONAL,
        .comment = "dbcare: the head of each hash chain of the audit log",
        .sqlite_part = "audit", .pg_since = "0.3.0", .book_since = 5,
        DBC_BOOK_COLUMNS(
            DBC_COL("chain", TEXT, .flags = PK),
            DBC_COL("last_hash", TEXT),
            DBC_COL("last_id", BIGINT))),
    /* PostgreSQL: the entries committed transactions wrote, per backend
     * slot (dbcare_audit_entries_written; SQLite's AUTOINCREMENT counter
     * is that count) */
    DBC_BOOK_TABLE("audit_written", .flags = DBC_BOOK_DUMPED | DBC_BOOK_MONITOR | PGO,
        .comment = "dbcare: the audit entries written, per backend slot",
        .pg_since = "0.3.9",
        DBC_BOOK_COLUMNS(
            DBC_COL("slot", INT, .flags = PK),
            DBC_COL("entries", BIGINT, .flags = NN))),

    /* SQLite: the bookkeeping layout's version (DBC_BOOK_VERSION), in a
     * one-row table of its own (PRAGMA user_version is the application's),
     * and the database's identity: random, made with the first bookkeeping
     * and never changed, so a copy of the file keeps it; sealed backups
     * name it (sqlite/backup/backup_seal.c). Not in the list of tables a changing
     * call makes: sqlite/book/bookkeeping.c makes it last, with its row. */
    DBC_BOOK_TABLE("bookkeeping", .flags = SQO, .book_since = 2,
        DBC_BOOK_COLUMNS(
            DBC_ONE_ROW_ID("bookkeeping"),
            DBC_COL("version", INT, .flags = NN),
            DBC_COL("database_id", TEXT, .book_since = 14))),
};
/* clang-format on */

const int dbc_book_ntables = (int)(sizeof(dbc_book_tables) / sizeof(dbc_book_tables[0]));
