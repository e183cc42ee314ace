/*
 * bookkeeping.c — dbcare's own tables in SQLite's main schema. The shared
 * ones (settings, migrations, health snapshots, relations) are made by the
 * first mutating call; the tables of a part that only its own calls write
 * (audit, backups, maintenance history, retention, soft delete) by that
 * part's first writing call. Never by a read: a read-only call on a fresh
 * database sees them as empty. Each feature adds its tables to the list.
 *
 * A part's tables wait for their part because each CREATE costs SQLite
 * about 240,000 instructions (it parses the statement, then reads the new
 * row back from sqlite_schema): making the audit, backup, maintenance,
 * retention and soft-delete tables in every fresh file was an eighth of a
 * fleet worker's whole migration of a small file (docs/benchmarks.md, "A
 * fleet's workers"). Files made before keep theirs; files made since read
 * the same to every later version of this layout (BOOK_VERSION, below),
 * whose changing calls make a missing table.
 *
 * PostgreSQL's tables are in the files of pg/sql/; test/script/pg_book_parity.sh
 * compares both column by column and lists the intended differences.
 */
#include "conn.h"

#include <string.h>

typedef struct book_table {
	const char *name;
	const char *ddl;
	/* optional for reads: a read finds the bookkeeping whole without it, and
	 * its readers take a missing one as empty. Such a table holds only what
	 * can be derived again (the summary), or came after files of this
	 * bookkeeping version were made (the data half's tables): the next
	 * changing call makes it. */
	bool optional;
} book_table;

/* Clears the migration status summary on a write to one of the tables it is
 * derived from, whoever writes: a dbcare call, a hand edit, another tool.
 * History rows count only as failed runs. SQLite triggers fire per row, so
 * the DELETE runs only while there is a row to clear: an apply writes two
 * rows per migration, and clearing the (empty) table's page for each one
 * showed in the apply's profile (docs/benchmarks.md, "Figures behind code
 * comments").
 *
 * A trigger's body names tables without a schema: SQLite binds them to the
 * trigger's own database, and refuses a file whose trigger names "main."
 * as soon as the file is ATTACHed under another name ("cannot reference
 * objects in database main"). Every trigger dbcare writes into a file is so
 * (sqlite/audit_sql.c, sqlite/retain.c); test/script/sqlite_attach_managed.sh
 * attaches one. */
#define SUMMARY_KEPT "EXISTS (SELECT 1 FROM dbcare_migrations_summary)"
#define CLEAR_SUMMARY(trigger, event, table, when)                                                 \
	"CREATE TRIGGER IF NOT EXISTS main.dbcare_migrations_summary_" trigger " AFTER " event         \
	" ON dbcare_" table " WHEN " when " BEGIN DELETE FROM dbcare_migrations_summary; END;"
#define DROP_SUMMARY(trigger, event, table, when)                                                  \
	"DROP TRIGGER IF EXISTS main.dbcare_migrations_summary_" trigger ";"
/* clang-format off */
#define SUMMARY_TRIGGERS(X)                                                                        \
	X("registry_insert", "INSERT", "migrations", SUMMARY_KEPT)                                     \
	X("registry_update", "UPDATE", "migrations", SUMMARY_KEPT)                                     \
	X("registry_delete", "DELETE", "migrations", SUMMARY_KEPT)                                     \
	X("applied_insert", "INSERT", "migrations_applied", SUMMARY_KEPT)                              \
	X("applied_update", "UPDATE", "migrations_applied", SUMMARY_KEPT)                              \
	X("applied_delete", "DELETE", "migrations_applied", SUMMARY_KEPT)                              \
	X("history_insert", "INSERT", "migrations_history", "NOT NEW.success AND " SUMMARY_KEPT)       \
	X("history_update", "UPDATE", "migrations_history",                                            \
	  "(NOT OLD.success OR NOT NEW.success) AND " SUMMARY_KEPT)                                    \
	X("history_delete", "DELETE", "migrations_history", "NOT OLD.success AND " SUMMARY_KEPT)
/* clang-format on */

/* The hash chain's head (docs/audit.md, "Hash chain"): SQLite's chained
 * entries form one chain, named '', whose last hash and id this row holds.
 * The trigger moves it whenever an entry gets its hash, whoever links it
 * (a table's trigger of any version, the baseline, the completion of
 * entries written without dbcare), and only forward: an entry older than the
 * head that gets a hash again (by hand) does not move it back, so deleting
 * the newest entries stays visible to dbaudit_verify. */
#define AUDIT_CHAIN_DDL                                                                            \
	"CREATE TABLE IF NOT EXISTS main.dbcare_audit_chain ("                                         \
	" chain TEXT PRIMARY KEY NOT NULL,"                                                            \
	" last_hash TEXT,"                                                                             \
	" last_id INTEGER);"                                                                           \
	"CREATE TRIGGER IF NOT EXISTS main.dbcare_audit_chain_head AFTER UPDATE OF hash"               \
	" ON dbcare_audit_log WHEN NEW.hash IS NOT NULL AND length(NEW.hash) = 64 AND NEW.id >="       \
	" coalesce((SELECT last_id FROM dbcare_audit_chain WHERE chain = ''), 0)"                      \
	" BEGIN INSERT OR REPLACE INTO dbcare_audit_chain (chain, last_hash, last_id)"                 \
	" VALUES ('', NEW.hash, NEW.id); END"

/* The pending entries, written by connections without dbcare and completed
 * by the next one with it (sqlite/audit_pending.c): found through this index
 * (empty but for them) before each read of the log and each entry linked. */
#define AUDIT_PENDING_DDL                                                                          \
	"CREATE INDEX IF NOT EXISTS main.dbcare_audit_log_pending"                                     \
	" ON dbcare_audit_log (id) WHERE txid <= 0"

/* The audit log. Its ids never repeat (AUTOINCREMENT): an entry deleted
 * from the end, by retention or by hand, leaves its id used, so an id names
 * one entry for ever (exports, archives, a verify report) and SQLite's
 * sqlite_sequence row holds how many entries were ever committed (the
 * metric dbcare_audit_entries_written reads it, core/health). */
#define AUDIT_LOG_TABLE_DDL(name)                                                                  \
	"CREATE TABLE IF NOT EXISTS main." name " ("                                                   \
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"                                                       \
	" at TEXT NOT NULL,"                                                                           \
	" txid INTEGER NOT NULL,"                                                                      \
	" db_user TEXT,"                                                                               \
	" actor TEXT,"                                                                                 \
	" operation TEXT NOT NULL,"                                                                    \
	" table_name TEXT NOT NULL,"                                                                   \
	" key TEXT,"                                                                                   \
	" old_values TEXT,"                                                                            \
	" new_values TEXT,"                                                                            \
	" prev_hash TEXT,"                                                                             \
	" hash TEXT)"
/* no index on at: every audited write would pay for it; at grows with id,
 * so a range of time is a range of ids */
#define AUDIT_LOG_INDEX_DDL                                                                        \
	"CREATE INDEX IF NOT EXISTS main.dbcare_audit_log_hashed"                                      \
	" ON dbcare_audit_log (id) WHERE hash IS NOT NULL;"                                            \
	"CREATE INDEX IF NOT EXISTS main.dbcare_audit_log_row"                                         \
	" ON dbcare_audit_log (table_name, key);" AUDIT_PENDING_DDL

static const char summary_ddl[] = "CREATE TABLE IF NOT EXISTS main.dbcare_migrations_summary ("
                                  " id INTEGER PRIMARY KEY CHECK (id = 1),"
                                  " current_version TEXT,"
                                  " pending INTEGER NOT NULL,"
                                  " changed INTEGER NOT NULL,"
                                  " missing INTEGER NOT NULL,"
                                  " failed INTEGER NOT NULL,"
                                  " applied INTEGER NOT NULL);" SUMMARY_TRIGGERS(CLEAR_SUMMARY);

static const book_table tables[] = {
    /* settings (dbcare_set / dbcare_get) */
    {"dbcare_config",
     "CREATE TABLE IF NOT EXISTS main.dbcare_config ("
     " key TEXT PRIMARY KEY NOT NULL,"
     " value TEXT NOT NULL)",
     false},
    /* migrations: the registry, what is applied now, every event, the lock row */
    {"dbcare_migrations",
     "CREATE TABLE IF NOT EXISTS main.dbcare_migrations ("
     " kind TEXT NOT NULL CHECK (kind IN ('versioned', 'repeatable')),"
     " version TEXT UNIQUE,"
     " version_text TEXT,"
     " name TEXT NOT NULL,"
     " script TEXT NOT NULL,"
     " down_script TEXT,"
     " checksum TEXT NOT NULL,"
     " no_transaction INTEGER NOT NULL DEFAULT 0,"
     " registered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
     " down_checksum TEXT,"
     " CHECK ((kind = 'versioned') = (version IS NOT NULL)));"
     "CREATE UNIQUE INDEX IF NOT EXISTS main.dbcare_migrations_repeatable"
     " ON dbcare_migrations (name) WHERE kind = 'repeatable'",
     false},
    {"dbcare_migrations_applied",
     "CREATE TABLE IF NOT EXISTS main.dbcare_migrations_applied ("
     /* not IN (...): SQLite 3.40 builds a three-row index for it per inserted row */
     " kind TEXT NOT NULL CHECK (kind = 'versioned' OR kind = 'repeatable' OR kind = 'baseline'),"
     " version TEXT UNIQUE,"
     " name TEXT NOT NULL,"
     " checksum TEXT,"
     " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
     " duration_ms REAL,"
     " down_checksum TEXT);"
     "CREATE UNIQUE INDEX IF NOT EXISTS main.dbcare_migrations_applied_repeatable"
     " ON dbcare_migrations_applied (name) WHERE kind = 'repeatable'",
     false},
    {"dbcare_migrations_history",
     "CREATE TABLE IF NOT EXISTS main.dbcare_migrations_history ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " version TEXT,"
     " name TEXT,"
     " kind TEXT NOT NULL,"
     " direction TEXT NOT NULL,"
     " checksum TEXT,"
     " fingerprint TEXT,"
     " snapshot TEXT,"
     " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
     " applied_by TEXT,"
     " duration_ms REAL,"
     " success INTEGER NOT NULL,"
     " error TEXT,"
     " started_ms REAL,"
     " backup TEXT);"
     "CREATE INDEX IF NOT EXISTS main.dbcare_migrations_history_unfinished"
     " ON dbcare_migrations_history (id) WHERE NOT success;"
     "CREATE INDEX IF NOT EXISTS main.dbcare_migrations_history_fingerprint"
     " ON dbcare_migrations_history (id) WHERE fingerprint IS NOT NULL",
     false},
    /* the renames and drops the runner saw migrations make (part
     * "renames", made by the first such migration) */
    {"dbcare_migrations_renames",
     "CREATE TABLE IF NOT EXISTS main.dbcare_migrations_renames ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " version TEXT,"
     " direction TEXT NOT NULL,"
     " op TEXT NOT NULL CHECK (op = 'rename' OR op = 'drop' OR op = 'forget'),"
     " schema_name TEXT,"
     " table_name TEXT NOT NULL,"
     " column_name TEXT,"
     " new_name TEXT,"
     " identity TEXT,"
     " recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
     true},
    {"dbcare_migrations_lock",
     "CREATE TABLE IF NOT EXISTS main.dbcare_migrations_lock ("
     " id INTEGER PRIMARY KEY CHECK (id = 1),"
     " generation INTEGER NOT NULL DEFAULT 0)",
     false},
    /* dbmigrate_current / dbmigrate_assert / health read the status from
     * one row, stored by the call that derived it */
    {"dbcare_migrations_summary", summary_ddl, true},
    /* dbhealth_snapshot / dbhealth_growth */
    {"dbcare_health_snapshots",
     "CREATE TABLE IF NOT EXISTS main.dbcare_health_snapshots ("
     " id INTEGER PRIMARY KEY,"
     " taken_at TEXT NOT NULL,"
     " mode TEXT NOT NULL,"
     " score INTEGER NOT NULL,"
     " status TEXT NOT NULL,"
     " size_bytes INTEGER,"
     " tables INTEGER,"
     " indexes INTEGER,"
     " schema_fingerprint TEXT,"
     " migration_version TEXT);"
     "CREATE INDEX IF NOT EXISTS main.dbcare_health_snapshots_taken"
     " ON dbcare_health_snapshots (taken_at)",
     false},
    /* the per-table growth history (dbhealth_snapshot records, core/health/
     * health_tables.c; bounded by health.growth.tables and .points).
     * Optional for reads: dbhealth_growth and dbhealth_metrics read a
     * missing table as no history; the first snapshot makes it. */
    {"dbcare_health_table_sizes",
     "CREATE TABLE IF NOT EXISTS main.dbcare_health_table_sizes ("
     " id INTEGER PRIMARY KEY,"
     " snapshot_id INTEGER NOT NULL,"
     " table_schema TEXT,"
     " table_name TEXT NOT NULL,"
     " rows_estimate INTEGER,"
     " bytes INTEGER NOT NULL);"
     "CREATE INDEX IF NOT EXISTS main.dbcare_health_table_sizes_snapshot"
     " ON dbcare_health_table_sizes (snapshot_id)",
     true},
    /* declared relations (dbcheck_add_relation) */
    {"dbcare_relations",
     "CREATE TABLE IF NOT EXISTS main.dbcare_relations ("
     " name TEXT PRIMARY KEY NOT NULL,"
     " child_schema TEXT,"
     " child_table TEXT NOT NULL,"
     " child_columns TEXT NOT NULL,"
     " parent_schema TEXT,"
     " parent_table TEXT NOT NULL,"
     " parent_columns TEXT NOT NULL,"
     " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
     false},
    /* dbmaintain_run / dbmaintain_history. Optional for reads (the flag):
     * a file made before it has none until its next mutating call, and
     * dbmaintain_history reads a missing table as no row. */
    {"dbcare_maintain_history",
     "CREATE TABLE IF NOT EXISTS main.dbcare_maintain_history ("
     " id INTEGER PRIMARY KEY,"
     " run INTEGER NOT NULL,"
     " run_at TEXT NOT NULL,"
     " mode TEXT NOT NULL,"
     " object TEXT NOT NULL,"
     " action TEXT NOT NULL,"
     " statement TEXT,"
     " safety TEXT NOT NULL,"
     " status TEXT NOT NULL,"
     " duration_ms REAL)",
     true},
    /* the catalog of backups (dbbackup_*); optional for reads: a file from
     * before it reads as having no backups until a changing call makes it */
    {"dbcare_backups",
     "CREATE TABLE IF NOT EXISTS main.dbcare_backups ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " kind TEXT NOT NULL,"
     " path TEXT NOT NULL,"
     " created_at TEXT NOT NULL,"
     " bytes INTEGER,"
     " pages INTEGER,"
     " duration_ms REAL,"
     " fingerprint TEXT,"
     " rows_digest TEXT,"
     " verified_at TEXT,"
     " status TEXT NOT NULL"
     "  CHECK (status = 'verified' OR status = 'unverified' OR status = 'failed'),"
     " detail TEXT,"
     " sha256 TEXT,"
     " content TEXT,"
     " method TEXT,"
     " base_id INTEGER,"
     " page_hashes BLOB);"
     "CREATE INDEX IF NOT EXISTS main.dbcare_backups_created"
     " ON dbcare_backups (created_at)",
     true},
    /* restore points (dbbackup_mark): a label, the schema and the audit
     * heads at the mark, and the backup taken for it */
    {"dbcare_backup_marks",
     "CREATE TABLE IF NOT EXISTS main.dbcare_backup_marks ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " label TEXT NOT NULL UNIQUE,"
     " created_at TEXT NOT NULL,"
     " fingerprint TEXT,"
     " audit_heads TEXT,"
     " backup_id INTEGER,"
     " lsn TEXT)",
     true},
    /* restore drills (dbbackup_drill): a backup restored into scratch,
     * checked and compared with its record */
    {"dbcare_backup_drills",
     "CREATE TABLE IF NOT EXISTS main.dbcare_backup_drills ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " backup_id INTEGER,"
     " path TEXT NOT NULL,"
     " method TEXT NOT NULL,"
     " drilled_at TEXT NOT NULL,"
     " duration_ms REAL NOT NULL,"
     " tables INTEGER NOT NULL,"
     " rows_compared INTEGER NOT NULL,"
     " mismatches INTEGER NOT NULL,"
     " status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),"
     " detail TEXT);"
     "CREATE INDEX IF NOT EXISTS main.dbcare_backup_drills_drilled"
     " ON dbcare_backup_drills (drilled_at)",
     true},
    /* soft-delete tables (dbsoftdelete_enable) */
    {"dbcare_softdelete",
     "CREATE TABLE IF NOT EXISTS main.dbcare_softdelete ("
     " table_name TEXT PRIMARY KEY NOT NULL,"
     " table_schema TEXT,"
     " relation_name TEXT NOT NULL,"
     " column_name TEXT NOT NULL,"
     " enabled_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
     true},
    /* retention policies (dbretain_add) */
    {"dbcare_retain_policies",
     "CREATE TABLE IF NOT EXISTS main.dbcare_retain_policies ("
     " name TEXT PRIMARY KEY NOT NULL,"
     " table_schema TEXT,"
     " table_name TEXT NOT NULL,"
     " column_name TEXT NOT NULL,"
     " keep TEXT NOT NULL,"
     " action TEXT NOT NULL CHECK (action IN ('delete', 'archive', 'purge')),"
     " target_schema TEXT,"
     " target_name TEXT,"
     " archived_rows INTEGER NOT NULL DEFAULT 0,"
     " deleted_rows INTEGER NOT NULL DEFAULT 0,"
     " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
     " last_run_at TEXT)",
     true},
    /* archives in another database (docs/retention.md): in the source,
     * each batch's stage, count and hash, and its rows until it is done;
     * in the archive database, each batch stored under its key */
    {"dbcare_retain_batches",
     "CREATE TABLE IF NOT EXISTS main.dbcare_retain_batches ("
     " batch_id INTEGER PRIMARY KEY,"
     " policy TEXT NOT NULL,"
     " batch_key TEXT NOT NULL UNIQUE,"
     " stage TEXT NOT NULL CHECK (stage IN ('picked', 'verified', 'done')),"
     " row_count INTEGER NOT NULL,"
     " hash TEXT NOT NULL,"
     " fingerprint TEXT,"
     " created_at TEXT NOT NULL,"
     " changed_at TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS main.dbcare_retain_batches_policy"
     " ON dbcare_retain_batches (policy, stage)",
     true},
    {"dbcare_retain_batch_rows",
     "CREATE TABLE IF NOT EXISTS main.dbcare_retain_batch_rows ("
     " batch_id INTEGER NOT NULL,"
     " row_key TEXT NOT NULL,"
     " PRIMARY KEY (batch_id, row_key))",
     true},
    {"dbcare_retain_archive",
     "CREATE TABLE IF NOT EXISTS main.dbcare_retain_archive ("
     " batch_key TEXT PRIMARY KEY NOT NULL,"
     " archive TEXT NOT NULL,"
     " policy TEXT NOT NULL,"
     " source_table TEXT NOT NULL,"
     " fingerprint TEXT,"
     " row_count INTEGER NOT NULL,"
     " hash TEXT NOT NULL,"
     " codec TEXT NOT NULL,"
     " payload TEXT NOT NULL,"
     " archived_at TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS main.dbcare_retain_archive_archive"
     " ON dbcare_retain_archive (archive, archived_at)",
     true},
    /* the audit trail (dbaudit_*): the log, and the audited tables with the
     * columns their triggers were generated for */
    {"dbcare_audit_log", AUDIT_LOG_TABLE_DDL("dbcare_audit_log") ";" AUDIT_LOG_INDEX_DDL, true},
    {"dbcare_audit_tables",
     "CREATE TABLE IF NOT EXISTS main.dbcare_audit_tables ("
     " table_name TEXT PRIMARY KEY NOT NULL,"
     " enabled_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
     " options TEXT NOT NULL,"
     " columns TEXT NOT NULL)",
     true},
    /* the hash chain's head (after the log, whose trigger moves it) */
    {"dbcare_audit_chain", AUDIT_CHAIN_DDL, true},
};

#define NTABLES ((int)(sizeof(tables) / sizeof(tables[0])))

/* The optional tables that their part's first writing call makes
 * (sqldbc_book_ensure_part); every other table of the list is made by every
 * changing call. */
static const struct {
	const char *table, *part;
} part_tables[] = {
    {"dbcare_maintain_history", "maintain"},
    {"dbcare_backups", "backup"},
    {"dbcare_backup_marks", "backup"},
    /* restore drills (dbbackup_drill) */
    {"dbcare_backup_drills", "backup"},
    {"dbcare_softdelete", "softdelete"},
    {"dbcare_retain_policies", "retain"},
    {"dbcare_retain_batches", "retain"},
    {"dbcare_retain_batch_rows", "retain"},
    {"dbcare_retain_archive", "retain"},
    {"dbcare_audit_log", "audit"},
    {"dbcare_audit_tables", "audit"},
    {"dbcare_audit_chain", "audit"},
    {"dbcare_health_table_sizes", "growth"},
    {"dbcare_migrations_renames", "renames"},
};

/* The part that makes table i, NULL when every changing call does. */
static const char *part_of(int i)
{
	if (!tables[i].optional)
		return NULL; /* the check before every changing call stays cheap */
	for (size_t k = 0; k < sizeof(part_tables) / sizeof(part_tables[0]); k++)
		if (strcmp(part_tables[k].table, tables[i].name) == 0)
			return part_tables[k].part;
	return NULL;
}

/* The bookkeeping schema version: the layout of the tables above. dbcare
 * 0.1.0 stored none (its files are version 1); every later change to a
 * bookkeeping table raises it and adds a step below. It lives in a one-row
 * table of its own, not in PRAGMA user_version, which belongs to the
 * application. A file at a newer version than this module's was changed by
 * a newer dbcare: mutating calls refuse it rather than write rows in a
 * layout they do not know. */
#define BOOK_VERSION   15
#define VERSION_TABLE  "dbcare_bookkeeping"
#define SQL_NUMBER_(n) #n
#define SQL_NUMBER(n)  SQL_NUMBER_(n)

/* The version row: this version, the identity the file has or a new one. */
#define BOOK_VERSION_TEXT SQL_NUMBER(BOOK_VERSION)
#define VERSION_ROW                                                                                \
	"INSERT OR REPLACE INTO main." VERSION_TABLE " (id, version, database_id)"                     \
	" VALUES (1, " BOOK_VERSION_TEXT ", coalesce((SELECT database_id FROM main." VERSION_TABLE     \
	" WHERE id = 1), lower(hex(randomblob(16)))))"

/* database_id: the database's identity, random, made with the first
 * bookkeeping (or by the step to version 14) and never changed: a copy of
 * the file (cp app.db r.db, a restore) keeps it, so it restores its own
 * backups; sealed backups name it in their header (backup_seal.c) and a
 * backup of another database is refused by it. */
static const char version_ddl[] = "CREATE TABLE IF NOT EXISTS main." VERSION_TABLE " ("
                                  " id INTEGER PRIMARY KEY CHECK (id = 1),"
                                  " version INTEGER NOT NULL,"
                                  " database_id TEXT)";

/* Made with the tables and by the step to version 2: dbmigrate_assert
 * compares applied checksums through it without reading registry rows,
 * which hold whole scripts. */
static const char checksum_index_ddl[] =
    "CREATE INDEX IF NOT EXISTS main.dbcare_migrations_checksums"
    " ON dbcare_migrations (version, checksum, down_checksum)";

static bool table_exists(sqlite3 *db, const char *name)
{
	return sqlite3_table_column_metadata(db, "main", name, NULL, NULL, NULL, NULL, NULL, NULL) ==
	       SQLITE_OK;
}

/* ALTER TABLE ADD COLUMN appends: the CREATE TABLE above lists an added
 * column last, so an upgraded table reads as a fresh one in sqlite_schema. */
static int add_column(dbc_ctx *ctx, const char *table, const char *column, const char *type)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	if (!table_exists(db, table) || sqldbc_book_has_column(ctx, table, column))
		return DBC_OK;
	char *ddl = dbc_printf(ctx, "ALTER TABLE main.%s ADD COLUMN %s %s", table, column, type);
	return ddl ? ctx->host->exec(ctx, ddl) : DBC_ERROR;
}

/* 0.1.0 -> 0.2.0: down scripts are covered by a checksum, and the index
 * dbmigrate_assert reads covers it (replacing the one on (version, checksum)).
 * Rows keep a NULL down checksum: a migration applied without one is not
 * "changed". */
static int upgrade_to_2(dbc_ctx *ctx)
{
	if (add_column(ctx, "dbcare_migrations", "down_checksum", "TEXT") != DBC_OK ||
	    add_column(ctx, "dbcare_migrations_applied", "down_checksum", "TEXT") != DBC_OK)
		return DBC_ERROR;
	if (!table_exists(sqldbc_call_conn(ctx)->db, "dbcare_migrations"))
		return DBC_OK; /* made whole, with its index, after the steps */
	if (ctx->host->exec(ctx, "DROP INDEX IF EXISTS main.dbcare_migrations_checksum") != DBC_OK)
		return DBC_ERROR;
	return ctx->host->exec(ctx, checksum_index_ddl);
}

/* 2 -> 3 (dbcare 0.3.0): the history row names the backup taken before a
 * migration (migrate.backup_before). The backup catalog is a new table,
 * made with the others. */
static int upgrade_to_3(dbc_ctx *ctx)
{
	return add_column(ctx, "dbcare_migrations_history", "backup", "TEXT");
}

/* 3 -> 4 (dbcare 0.3.2): a backup's row keeps the SHA-256 of the file
 * that was verified, so a later dbbackup_verify sees any changed byte. */
static int upgrade_to_4(dbc_ctx *ctx)
{
	return add_column(ctx, "dbcare_backups", "sha256", "TEXT");
}

/* 4 -> 5 (dbcare 0.3.3): the hash chain's head, compared by dbaudit_verify
 * (deleted newest entries). An existing log's head starts at its newest
 * chained entry; the head's trigger moves it from then on, also for entries
 * linked by tables' triggers made before. */
static int upgrade_to_5(dbc_ctx *ctx)
{
	if (!table_exists(sqldbc_call_conn(ctx)->db, "dbcare_audit_log"))
		return DBC_OK; /* made with the others */
	return ctx->host->exec(ctx, AUDIT_CHAIN_DDL
	                       ";"
	                       "INSERT OR IGNORE INTO main.dbcare_audit_chain"
	                       " (chain, last_hash, last_id) SELECT '', hash, id"
	                       " FROM main.dbcare_audit_log INDEXED BY dbcare_audit_log_hashed"
	                       " WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1");
}

/* 5 -> 6 (dbcare 0.3.4): writes from connections without dbcare are
 * recorded as pending entries (sqlite/audit_pending.c): the index that finds
 * them, and every audited table's triggers made again in the form that
 * needs no dbcare function. */
static int upgrade_to_6(dbc_ctx *ctx)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	if (!table_exists(db, "dbcare_audit_log"))
		return DBC_OK; /* made with the others */
	if (ctx->host->exec(ctx, AUDIT_PENDING_DDL) != DBC_OK)
		return DBC_ERROR;
	return table_exists(db, "dbcare_audit_tables") ? sqldbc_audit_remake_triggers(ctx) : DBC_OK;
}

/* 6 -> 7 (dbcare 0.3.5): a backup's row keeps every table's row count and
 * content hash at the copy's moment (the logical verification), whether it
 * is full or incremental, the backup an incremental one builds on, and the
 * hash of every page of its image (the next incremental's base). Older
 * rows keep none: they are verified as before, and are no base. */
static int upgrade_to_7(dbc_ctx *ctx)
{
	return add_column(ctx, "dbcare_backups", "content", "TEXT") != DBC_OK ||
	               add_column(ctx, "dbcare_backups", "method", "TEXT") != DBC_OK ||
	               add_column(ctx, "dbcare_backups", "base_id", "INTEGER") != DBC_OK
	           ? DBC_ERROR
	           : add_column(ctx, "dbcare_backups", "page_hashes", "BLOB");
}

/* 7 -> 8 (dbcare 0.3.6): restore points (dbbackup_mark) in a table of
 * the backup part, dbcare_backup_marks, which that part's first changing
 * call makes (a file without backups gets it then). */
static int upgrade_to_8(dbc_ctx *ctx)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	if (!table_exists(db, "dbcare_backups"))
		return DBC_OK;
	for (int i = 0; i < NTABLES; i++)
		if (strcmp(tables[i].name, "dbcare_backup_marks") == 0)
			return ctx->host->exec(ctx, tables[i].ddl);
	return DBC_OK;
}

/* 8 -> 9 (dbcare 0.3.6): archives in another database keep their batches
 * in three new tables of the retain part (dbcare_retain_batches,
 * dbcare_retain_batch_rows, dbcare_retain_archive), which the part's next
 * writing call makes; no existing table changes. */
static int upgrade_to_9(dbc_ctx *ctx)
{
	(void)ctx;
	return DBC_OK;
}

/* 9 -> 10 (dbcare 0.3.6): the per-table growth history, a table of the
 * "growth" part that the next dbhealth_snapshot makes; nothing to change
 * in an existing file. */
static int upgrade_to_10(dbc_ctx *ctx)
{
	(void)ctx;
	return DBC_OK;
}

/* 10 -> 11 (dbcare 0.3.8): the renames and drops migrations made, a
 * table of the "renames" part that the first such migration makes;
 * nothing to change in an existing file. */
static int upgrade_to_11(dbc_ctx *ctx)
{
	(void)ctx;
	return DBC_OK;
}

/* 11 -> 12 (dbcare 0.3.9): restore drills, a table of the backup part
 * (dbcare_backup_drills) that the part's next writing call makes; its
 * readers take a missing one as empty; nothing to change in an existing
 * file. */
static int upgrade_to_12(dbc_ctx *ctx)
{
	(void)ctx;
	return DBC_OK;
}

/* The newest id a chained entry had, when the entries after the newest one
 * left were deleted before the upgrade: the chain's head still names it. */
#define CHAIN_HEAD_SEQUENCE                                                                        \
	"DELETE FROM main.sqlite_sequence WHERE name = 'dbcare_audit_log';"                            \
	" INSERT INTO main.sqlite_sequence (name, seq) SELECT 'dbcare_audit_log', max(n) FROM"         \
	" (SELECT max(id) AS n FROM main.dbcare_audit_log UNION ALL"                                   \
	" SELECT last_id FROM main.dbcare_audit_chain) HAVING max(n) IS NOT NULL"

/* 12 -> 13 (dbcare 0.3.9): audit-log ids never repeat (AUTOINCREMENT,
 * above). SQLite cannot add it to a table, so the log is copied into one
 * made anew, ids and all; sqlite_sequence starts at the newest id the log
 * or the chain's head has seen; its indexes and the chain head's trigger are
 * made again, and so are the audited tables' triggers (whose pending text is
 * built by printf since: sqlite/audit_sql.c). The rename is the legacy one:
 * it neither rewrites nor checks the file's views and triggers that name the
 * log, which name it again once it is back. */
static int upgrade_to_13(dbc_ctx *ctx)
{
	static const char cols[] = "id, at, txid, db_user, actor, operation, table_name, key,"
	                           " old_values, new_values, prev_hash, hash";
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	if (!table_exists(db, "dbcare_audit_log"))
		return DBC_OK; /* made with AUTOINCREMENT by its part */
	int autoinc = 0, legacy = 0;
	if (sqlite3_table_column_metadata(db, "main", "dbcare_audit_log", "id", NULL, NULL, NULL, NULL,
	                                  &autoinc) == SQLITE_OK &&
	    autoinc)
		return DBC_OK;
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, -1, &legacy) != SQLITE_OK)
		legacy = 0;
	char *sql = dbc_printf(ctx,
	                       "%s; INSERT INTO main.dbcare_audit_log_v13 (%s) SELECT %s"
	                       " FROM main.dbcare_audit_log ORDER BY id;"
	                       " DROP TABLE main.dbcare_audit_log;"
	                       " ALTER TABLE main.dbcare_audit_log_v13 RENAME TO dbcare_audit_log;"
	                       " %s; %s",
	                       AUDIT_LOG_TABLE_DDL("dbcare_audit_log_v13"), cols, cols,
	                       AUDIT_LOG_INDEX_DDL, AUDIT_CHAIN_DDL);
	if (!sql)
		return DBC_ERROR;
	sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 1, NULL);
	int rc = ctx->host->exec(ctx, sql);
	sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, legacy, NULL);
	/* a build with SQLITE_OMIT_AUTOINCREMENT makes no sqlite_sequence */
	if (rc == DBC_OK && table_exists(db, "sqlite_sequence"))
		rc = ctx->host->exec(ctx, CHAIN_HEAD_SEQUENCE);
	if (rc == DBC_OK)
		sqldbc_audit_hook(db); /* this connection's TEMP triggers went with the old log */
	/* the tables' triggers in the form that builds pending text once */
	if (rc == DBC_OK && table_exists(db, "dbcare_audit_tables"))
		rc = sqldbc_audit_remake_triggers(ctx);
	return rc;
}

static int take_count(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol >= 1 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

/* The log's AUTOINCREMENT counter: the newest id ever committed, which is
 * the number of entries ever committed (every entry takes the next id; a
 * rolled-back one gives it back, as sqlite_sequence is rolled back with
 * it). A log from before version 13 has none yet: its newest id. */
int sqldbc_audit_entries_written(dbc_ctx *ctx, int64_t *written)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	*written = 0;
	if (!table_exists(db, "dbcare_audit_log"))
		return DBC_OK;
	const char *sql = table_exists(db, "sqlite_sequence")
	                      ? "SELECT coalesce((SELECT seq FROM main.sqlite_sequence"
	                        " WHERE name = 'dbcare_audit_log'),"
	                        " (SELECT max(id) FROM main.dbcare_audit_log))"
	                      : "SELECT max(id) FROM main.dbcare_audit_log";
	return ctx->host->query(ctx, sql, 0, NULL, take_count, written);
}

/* 13 -> 14 (dbcare 0.3.9): the database's identity (database_id); and
 * the summary's triggers named
 * main.dbcare_migrations_summary in their bodies, which made the file
 * unreadable when ATTACHed under another name: made again with the
 * unqualified name (with the table, when it exists; a file without it gets
 * both from the current list). */
static int upgrade_to_14(dbc_ctx *ctx)
{
	/* the database's identity (version_ddl): the column here, its value
	 * by the version row written after the steps */
	if (add_column(ctx, VERSION_TABLE, "database_id", "TEXT") != DBC_OK)
		return DBC_ERROR;
	if (!table_exists(sqldbc_call_conn(ctx)->db, "dbcare_migrations_summary"))
		return DBC_OK;
	if (ctx->host->exec(ctx, SUMMARY_TRIGGERS(DROP_SUMMARY)) != DBC_OK)
		return DBC_ERROR;
	return ctx->host->exec(ctx, summary_ddl);
}

/* 14 -> 15 (dbcare 0.3.9): the audited tables' triggers made again with
 * the WHEN a connection with dbcare skips them by (its TEMP triggers write
 * the finished entries: sqlite/audit_direct.c). */
static int upgrade_to_15(dbc_ctx *ctx)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	if (!table_exists(db, "dbcare_audit_log") || !table_exists(db, "dbcare_audit_tables"))
		return DBC_OK;
	return sqldbc_audit_remake_triggers(ctx);
}

/* Step i takes a file from version i + 1 to i + 2. A step changes only
 * tables that exist (a table dropped by hand is made afresh afterwards) and
 * skips what is already done (files made by builds between two releases). */
static int (*const upgrade_steps[])(dbc_ctx *ctx) = {
    upgrade_to_2,  upgrade_to_3,  upgrade_to_4,  upgrade_to_5,  upgrade_to_6,
    upgrade_to_7,  upgrade_to_8,  upgrade_to_9,  upgrade_to_10, upgrade_to_11,
    upgrade_to_12, upgrade_to_13, upgrade_to_14, upgrade_to_15,
};

_Static_assert(sizeof(upgrade_steps) / sizeof(upgrade_steps[0]) == BOOK_VERSION - 1,
               "one upgrade step per bookkeeping version after the first");

/* Whether the file has the current layout (or a newer one): every table
 * made by every changing call (not the parts' own) and the version table,
 * the columns the steps added, and the index they made. The tables and columns are looked up in the
 * connection's schema hash (no statement); the index by preparing, never stepping, a statement
 * naming it (INDEXED BY). This runs before every changing call: a single
 * statement joining every table, used before, cost more to plan than a
 * dbmigrate_add's own work (docs/benchmarks.md, the command). Like that
 * statement, it reads the file's schema when the connection has not yet,
 * but opens no read transaction that stays. */
static bool layout_current(sqlite3 *db)
{
	if (!table_exists(db, VERSION_TABLE))
		return false;
	for (int i = 0; i < NTABLES; i++)
		if (!part_of(i) && !table_exists(db, tables[i].name))
			return false;
	static const char *const added[][2] = {{"dbcare_migrations", "down_checksum"},
	                                       {"dbcare_migrations_applied", "down_checksum"},
	                                       {"dbcare_migrations_history", "backup"}};
	for (size_t i = 0; i < sizeof(added) / sizeof(added[0]); i++)
		if (sqlite3_table_column_metadata(db, "main", added[i][0], added[i][1], NULL, NULL, NULL,
		                                  NULL, NULL) != SQLITE_OK)
			return false;
	/* a part's table: its added columns when it exists */
	if (table_exists(db, "dbcare_backups") &&
	    (sqlite3_table_column_metadata(db, "main", "dbcare_backups", "sha256", NULL, NULL, NULL,
	                                   NULL, NULL) != SQLITE_OK ||
	     sqlite3_table_column_metadata(db, "main", "dbcare_backups", "page_hashes", NULL, NULL,
	                                   NULL, NULL, NULL) != SQLITE_OK))
		return false;
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT 1 FROM main.dbcare_migrations"
	                            " INDEXED BY dbcare_migrations_checksums WHERE version IS NULL",
	                            -1, &stmt, NULL);
	sqlite3_finalize(stmt);
	return rc == SQLITE_OK;
}

static int take_version(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol != 1 || c[0].type != DBC_INT)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "the bookkeeping version in " VERSION_TABLE " is not a number");
	*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

/* The file's bookkeeping version: 0 when it has no bookkeeping tables, 1
 * when they were made by 0.1.0 (no version table). A version table whose
 * row was deleted by hand reads as 1 here, so the steps (which skip what is
 * done) run again and the row is stored anew; with the current layout the
 * UPDATE above finds no row and the file is taken as current. */
static int stored_version(dbc_ctx *ctx, int64_t *version)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	*version = 0;
	for (int i = 0; i < NTABLES && *version == 0; i++)
		if (table_exists(db, tables[i].name))
			*version = 1;
	if (!table_exists(db, VERSION_TABLE))
		return DBC_OK;
	*version = 1;
	return ctx->host->query(ctx, "SELECT version FROM main." VERSION_TABLE, 0, NULL, take_version,
	                        version);
}

static int refuse_newer(dbc_ctx *ctx, int64_t version)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "the bookkeeping tables are at version %lld, newer than this module's %d",
	          (long long)version, BOOK_VERSION);
	dbc_error_hint(ctx, "A newer dbcare changed this database: load that version of the module "
	                    "to change it. Reading it works with this one.");
	return DBC_ERROR;
}

/* Every table of the list that every changing call makes, the index, the
 * version table and its row, as one script run by one call (the order of the
 * list). */
static char *all_ddl(dbc_ctx *ctx)
{
	dbc_buf sql;
	dbc_buf_init(&sql, ctx);
	for (int i = 0; i < NTABLES; i++) {
		if (part_of(i))
			continue;
		dbc_buf_append(&sql, tables[i].ddl);
		dbc_buf_append(&sql, ";\n");
	}
	dbc_buf_append(&sql, checksum_index_ddl);
	dbc_buf_append(&sql, ";\n");
	dbc_buf_append(&sql, version_ddl);
	dbc_buf_append(&sql, ";\n" VERSION_ROW);
	return dbc_buf_finish(&sql);
}

/* Runs inside the caller's savepoint, right before the call's first write.
 * When the file has the current layout the first statement is a write
 * (stepping the version check's UPDATE takes the write lock, waiting out the
 * busy timeout) and the version is read under that lock. A read first would
 * pin a snapshot that a concurrent writer makes stale, and the write would
 * then fail busy at once. layout_current tells without opening a read
 * transaction. Otherwise the tables are made (a fresh file) or upgraded step by step (an older
 * one), in the caller's savepoint: a call that fails leaves the file as it was. */
int sqldbc_book_ensure(dbc_ctx *ctx)
{
	sqlite3 *db = ((sqldbc_call *)ctx->host_data)->conn->db;
	if (layout_current(db)) {
		/* matches (and writes) only a row at another version */
		if (ctx->host->exec(ctx, "UPDATE main." VERSION_TABLE " SET version = version"
		                         " WHERE version <> " SQL_NUMBER(BOOK_VERSION)) != DBC_OK)
			return DBC_ERROR;
		if (sqlite3_changes(db) == 0)
			return DBC_OK;
	}
	int64_t version;
	if (stored_version(ctx, &version) != DBC_OK)
		return DBC_ERROR;
	if (version > BOOK_VERSION)
		return refuse_newer(ctx, version);
	for (int64_t v = version; v >= 1 && v < BOOK_VERSION; v++)
		if (upgrade_steps[v - 1](ctx) != DBC_OK)
			return DBC_ERROR;
	/* made in the current layout: all of them in a fresh file, those
	 * dropped by hand in an older one */
	char *ddl = all_ddl(ctx);
	return ddl ? ctx->host->exec(ctx, ddl) : DBC_ERROR;
}

/* sqldbc_book_ensure, then part's own tables where they are missing: after
 * it the call holds the write lock, so the schema it looks at is the file's
 * latest, and a connection making them at the same time either waits for
 * this one or has made them already (IF NOT EXISTS). */
int sqldbc_book_ensure_part(dbc_ctx *ctx, const char *part)
{
	if (sqldbc_book_ensure(ctx) != DBC_OK)
		return DBC_ERROR;
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	bool known = false;
	for (int i = 0; i < NTABLES; i++) {
		const char *owner = part_of(i);
		if (!owner || strcmp(owner, part) != 0)
			continue;
		known = true;
		if (!table_exists(db, tables[i].name) && ctx->host->exec(ctx, tables[i].ddl) != DBC_OK)
			return DBC_ERROR;
	}
	if (!known)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no bookkeeping tables of part \"%s\"", part);
	return DBC_OK;
}

const char *sqldbc_book_ddl(const char *table)
{
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (strcmp(tables[i].name, table) == 0)
			return tables[i].ddl;
	return NULL;
}

bool sqldbc_book_has_column(dbc_ctx *ctx, const char *table, const char *column)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	return sqlite3_table_column_metadata(db, "main", table, column, NULL, NULL, NULL, NULL, NULL) ==
	       SQLITE_OK;
}

/* Present when every table exists, absent when none does. A read never
 * creates anything, so a partial set (a table dropped by hand) is an error
 * that says how to repair it. */
int sqldbc_book_exists(dbc_ctx *ctx, bool *exists)
{
	/* The schema's in-memory hash answers without scanning sqlite_schema,
	 * which matters: a report asks several times. */
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	int64_t n = 0, needed = 0;
	for (int i = 0; i < NTABLES; i++)
		if (!tables[i].optional) {
			needed++;
			n += table_exists(db, tables[i].name);
		}
	*exists = n > 0;
	if (n > 0 && n < needed) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "dbcare's bookkeeping tables are incomplete: %lld of %lld exist", (long long)n,
		          (long long)needed);
		dbc_error_hint(ctx, "SELECT dbmigrate_repair() recreates the missing ones, empty.");
		return DBC_ERROR;
	}
	return DBC_OK;
}

/* The summary row is there to read once a changing call made its table (a
 * database from a build before it has none until then). A call may store
 * one only as a transaction of its own on a writable database: inside the
 * caller's transaction the row would commit or roll back with the caller's
 * work, and a reading transaction would become a writing one. Nor before
 * a changing call upgraded the bookkeeping: until then reads leave a file
 * made by an older version as it is. */
dbc_cache_access sqldbc_status_cache(dbc_ctx *ctx)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	if (!table_exists(db, "dbcare_migrations_summary"))
		return DBC_CACHE_NONE;
	if (!sqlite3_get_autocommit(db) || sqlite3_db_readonly(db, "main") != 0 ||
	    !table_exists(db, VERSION_TABLE))
		return DBC_CACHE_READ;
	return DBC_CACHE_WRITE;
}

char *sqldbc_book_database_id(dbc_ctx *ctx)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	sqlite3_stmt *st = NULL;
	char *id = NULL;
	if (sqlite3_table_column_metadata(db, "main", VERSION_TABLE, "database_id", NULL, NULL, NULL,
	                                  NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT database_id FROM main." VERSION_TABLE " WHERE id = 1", -1,
	                       &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		id = dbc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return id;
}
