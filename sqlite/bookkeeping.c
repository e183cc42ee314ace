/*
 * bookkeeping.c — dbcare's own tables in SQLite's main schema. They are made
 * on the first mutating call (never by a read: a read-only call on a fresh
 * database sees them as empty). Each feature adds its tables to the list.
 */
#include "conn.h"

#include <string.h>

typedef struct book_table {
	const char *name;
	const char *ddl;
	bool cache; /* holds only what can be derived again: optional for reads */
} book_table;

/* Clears the migration status summary on a write to one of the tables it is
 * derived from, whoever writes: a dbcare call, a hand edit, another tool.
 * History rows count only as failed runs. SQLite triggers fire per row, so
 * the DELETE runs only while there is a row to clear: an apply writes two
 * rows per migration, and clearing the (empty) table's page for each one
 * showed in the apply's profile (docs/benchmarks.md, "Figures behind code
 * comments"). */
#define SUMMARY_KEPT "EXISTS (SELECT 1 FROM main.dbcare_migrations_summary)"
#define CLEAR_SUMMARY(trigger, event, table, when)                                                 \
	"CREATE TRIGGER IF NOT EXISTS main.dbcare_migrations_summary_" trigger " AFTER " event         \
	" ON dbcare_" table " WHEN " when " BEGIN DELETE FROM dbcare_migrations_summary; END;"

/* clang-format off */
static const char summary_ddl[] =
	"CREATE TABLE IF NOT EXISTS main.dbcare_migrations_summary ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" current_version TEXT,"
	" pending INTEGER NOT NULL,"
	" changed INTEGER NOT NULL,"
	" missing INTEGER NOT NULL,"
	" failed INTEGER NOT NULL,"
	" applied INTEGER NOT NULL);"
	CLEAR_SUMMARY("registry_insert", "INSERT", "migrations", SUMMARY_KEPT)
	CLEAR_SUMMARY("registry_update", "UPDATE", "migrations", SUMMARY_KEPT)
	CLEAR_SUMMARY("registry_delete", "DELETE", "migrations", SUMMARY_KEPT)
	CLEAR_SUMMARY("applied_insert", "INSERT", "migrations_applied", SUMMARY_KEPT)
	CLEAR_SUMMARY("applied_update", "UPDATE", "migrations_applied", SUMMARY_KEPT)
	CLEAR_SUMMARY("applied_delete", "DELETE", "migrations_applied", SUMMARY_KEPT)
	CLEAR_SUMMARY("history_insert", "INSERT", "migrations_history",
	              "NOT NEW.success AND " SUMMARY_KEPT)
	CLEAR_SUMMARY("history_update", "UPDATE", "migrations_history",
	              "(NOT OLD.success OR NOT NEW.success) AND " SUMMARY_KEPT)
	CLEAR_SUMMARY("history_delete", "DELETE", "migrations_history",
	              "NOT OLD.success AND " SUMMARY_KEPT);
/* clang-format on */

static const book_table tables[] = {
	/* settings (dbcare_set / dbcare_get) */
	{"dbcare_config", "CREATE TABLE IF NOT EXISTS main.dbcare_config ("
	                  " key TEXT PRIMARY KEY NOT NULL,"
	                  " value TEXT NOT NULL)", false},
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
	 " ON dbcare_migrations (name) WHERE kind = 'repeatable'", false},
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
	 " ON dbcare_migrations_applied (name) WHERE kind = 'repeatable'", false},
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
	 " started_ms REAL);"
	 "CREATE INDEX IF NOT EXISTS main.dbcare_migrations_history_unfinished"
	 " ON dbcare_migrations_history (id) WHERE NOT success;"
	 "CREATE INDEX IF NOT EXISTS main.dbcare_migrations_history_fingerprint"
	 " ON dbcare_migrations_history (id) WHERE fingerprint IS NOT NULL", false},
	{"dbcare_migrations_lock",
	 "CREATE TABLE IF NOT EXISTS main.dbcare_migrations_lock ("
	 " id INTEGER PRIMARY KEY CHECK (id = 1),"
	 " generation INTEGER NOT NULL DEFAULT 0)", false},
	/* dbmigrate_current / dbmigrate_assert / health read the status from
	 * one row, stored by the call that derived it */
	{"dbcare_migrations_summary", summary_ddl, true},
	/* dbhealth_snapshot / dbhealth_growth */
	{"dbcare_health_snapshots", "CREATE TABLE IF NOT EXISTS main.dbcare_health_snapshots ("
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
	                            " ON dbcare_health_snapshots (taken_at)", false},
	/* declared relations (dbcheck_add_relation) */
	{"dbcare_relations", "CREATE TABLE IF NOT EXISTS main.dbcare_relations ("
	                     " name TEXT PRIMARY KEY NOT NULL,"
	                     " child_schema TEXT,"
	                     " child_table TEXT NOT NULL,"
	                     " child_columns TEXT NOT NULL,"
	                     " parent_schema TEXT,"
	                     " parent_table TEXT NOT NULL,"
	                     " parent_columns TEXT NOT NULL,"
	                     " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))", false},
};

#define NTABLES ((int)(sizeof(tables) / sizeof(tables[0])))

/* Columns added after their tables first shipped: a database made by an
 * older build gets them on its next changing call (ALTER TABLE ADD COLUMN
 * appends them, so the CREATE TABLE above lists them last too). */
static const struct {
	const char *table, *column, *type;
} added_columns[] = {
	{"dbcare_migrations", "down_checksum", "TEXT"},
	{"dbcare_migrations_applied", "down_checksum", "TEXT"},
};

#define NADDED ((int)(sizeof(added_columns) / sizeof(added_columns[0])))

/* Made after the tables and their added columns: dbmigrate_assert compares
 * applied checksums through it without reading registry rows, which hold
 * whole scripts. It replaces dbcare_migrations_checksum on (version,
 * checksum), made by builds that kept no down checksum. */
static const char checksum_index_ddl[] =
	"DROP INDEX IF EXISTS main.dbcare_migrations_checksum;"
	"CREATE INDEX IF NOT EXISTS main.dbcare_migrations_checksums"
	" ON dbcare_migrations (version, checksum, down_checksum)";

/* A statement naming every table, and through INDEXED BY the indexes added
 * after their tables first shipped: it prepares only when all of them exist,
 * so a database made by an older build gets them on its next changing call. */
static char *all_tables_sql(dbc_ctx *ctx)
{
	dbc_buf sql;
	dbc_buf_init(&sql, ctx);
	dbc_buf_append(&sql, "SELECT 1 FROM ");
	for (int i = 0; i < NTABLES; i++) {
		dbc_buf_appendf(&sql, "%smain.%s", i ? ", " : "", tables[i].name);
		if (strcmp(tables[i].name, "dbcare_migrations") == 0)
			dbc_buf_append(&sql, " INDEXED BY dbcare_migrations_checksums");
	}
	/* and the added columns: the statement prepares only when they exist */
	for (int i = 0; i < NADDED; i++)
		dbc_buf_appendf(&sql, " %s main.%s.%s IS NULL", i ? "AND" : "WHERE",
		                added_columns[i].table, added_columns[i].column);
	return dbc_buf_finish(&sql);
}

bool sqldbc_book_has_column(dbc_ctx *ctx, const char *table, const char *column);

/* Runs inside the caller's savepoint, right before the call's first write
 * (the migration lock row). When the tables exist nothing is run: that write
 * is then the transaction's first statement and takes the write lock waiting
 * out the busy timeout. A read first (CREATE TABLE IF NOT EXISTS of an
 * existing table reads the schema) would pin a snapshot that a concurrent
 * writer makes stale, and the write would fail busy at once. Preparing a
 * statement, never stepping it, tells without opening a read transaction. */
int sqldbc_book_ensure(dbc_ctx *ctx)
{
	sqlite3 *db = ((sqldbc_call *)ctx->host_data)->conn->db;
	char *probe = all_tables_sql(ctx);
	if (!probe)
		return DBC_ERROR;
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, probe, -1, &stmt, NULL);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_OK)
		return DBC_OK;
	for (int i = 0; i < NTABLES; i++)
		if (ctx->host->exec(ctx, tables[i].ddl) != DBC_OK)
			return DBC_ERROR;
	for (int i = 0; i < NADDED; i++)
		if (!sqldbc_book_has_column(ctx, added_columns[i].table, added_columns[i].column)) {
			char *ddl = dbc_printf(ctx, "ALTER TABLE main.%s ADD COLUMN %s %s",
			                       added_columns[i].table, added_columns[i].column,
			                       added_columns[i].type);
			if (!ddl || ctx->host->exec(ctx, ddl) != DBC_OK)
				return DBC_ERROR;
		}
	return ctx->host->exec(ctx, checksum_index_ddl);
}

bool sqldbc_book_has_column(dbc_ctx *ctx, const char *table, const char *column)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	return sqlite3_table_column_metadata(db, "main", table, column, NULL, NULL, NULL, NULL,
	                                     NULL) == SQLITE_OK;
}

static bool table_exists(sqlite3 *db, const char *name)
{
	return sqlite3_table_column_metadata(db, "main", name, NULL, NULL, NULL, NULL, NULL, NULL) ==
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
		if (!tables[i].cache) {
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
 * work, and a reading transaction would become a writing one. */
dbc_cache_access sqldbc_status_cache(dbc_ctx *ctx)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	if (!table_exists(db, "dbcare_migrations_summary"))
		return DBC_CACHE_NONE;
	if (!sqlite3_get_autocommit(db) || sqlite3_db_readonly(db, "main") != 0)
		return DBC_CACHE_READ;
	return DBC_CACHE_WRITE;
}
