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
 * The tables, their columns, indexes and the versions that added them are
 * the bookkeeping catalogue's (core/book/tables.c), rendered here as SQLite
 * statements; this file adds what is SQLite's alone (the summary's and the
 * chain head's triggers, the version row) and the upgrade steps.
 * test/script/pg_book_parity.sh compares both engines column by column and
 * lists the intended differences.
 */
#include "sqlite/host/glue.h"

#include "sqlite/audit/audit_sql.h"
#include "book_ddl.h"

#include <stdio.h>
#include <string.h>

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
 * (sqlite/audit/audit_sql.c, sqlite/retain/retain.c); test/script/sqlite_attach_managed.sh
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
#define AUDIT_CHAIN_HEAD                                                                           \
	"CREATE TRIGGER IF NOT EXISTS main.dbcare_audit_chain_head AFTER UPDATE OF hash"               \
	" ON dbcare_audit_log WHEN NEW.hash IS NOT NULL AND length(NEW.hash) = 64 AND NEW.id >="       \
	" coalesce((SELECT last_id FROM dbcare_audit_chain WHERE chain = ''), 0)"                      \
	" BEGIN INSERT OR REPLACE INTO dbcare_audit_chain (chain, last_hash, last_id)"                 \
	" VALUES ('', NEW.hash, NEW.id); END"

/* The rename log's own write path (sqlite/migrate/renames_writer.c): an INSERT of
 * a row is refused unless the runner is writing it, on a connection with
 * the module (one without cannot compile the triggers: "no such
 * function"); an UPDATE or DELETE always is (the runner makes neither:
 * deleting a forget or drop row would join a chain across what it cut). */
#define RENAMES_GUARD(event)                                                                       \
	"CREATE TRIGGER IF NOT EXISTS main.dbcare_migrations_renames_" event "_guard BEFORE " event    \
	" ON dbcare_migrations_renames WHEN NOT dbmigrate_renames_writer() BEGIN SELECT RAISE(ABORT,"  \
	" 'dbcare: the rename log is written only by the migration runner (dbmigrate_apply), "         \
	"on a connection with dbcare loaded'); END"
#define RENAMES_GUARDS                                                                             \
	RENAMES_GUARD("insert") ";" RENAMES_GUARD("update") ";" RENAMES_GUARD("delete")

/* The statements SQLite's bookkeeping adds to a table of the catalogue's:
 * the summary's triggers, the chain head's and the rename log's guards. */
static const char *sqlite_triggers(const dbc_book_table *t)
{
	if (strcmp(t->name, "migrations_summary") == 0)
		return SUMMARY_TRIGGERS(CLEAR_SUMMARY);
	if (strcmp(t->name, "audit_chain") == 0)
		return AUDIT_CHAIN_HEAD;
	if (strcmp(t->name, "migrations_renames") == 0)
		return RENAMES_GUARDS;
	return NULL;
}

/* Whether the catalogue's table i is one of SQLite's bookkeeping tables
 * (the version table is not: it is made last, with its row). */
static bool listed(int i)
{
	const dbc_book_table *t = &dbc_book_tables[i];
	return dbc_book_table_on(t, DBC_BOOK_ON_SQLITE) && strcmp(t->name, "bookkeeping") != 0;
}

/* The table's name in the file: dbcare_<name> (buf holds 64 bytes). */
static const char *file_name(const dbc_book_table *t, char *buf)
{
	snprintf(buf, 64, "dbcare_%s", t->name);
	return buf;
}

/* The part whose first writing call makes table i, NULL when every changing
 * call does (the check before every changing call stays cheap). */
static const char *part_of(int i)
{
	return dbc_book_tables[i].sqlite_part;
}

static void put_buf(void *sink, const char *text)
{
	dbc_buf_append((dbc_buf *)sink, text);
}

/* The statements making table t in schema (a quoted name) with its indexes
 * and triggers; NULL with the error set when out of memory. */
static char *table_ddl(dbc_ctx *ctx, const dbc_book_table *t, const char *schema)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_book_sqlite_create(t, schema, put_buf, &b);
	const char *triggers = sqlite_triggers(t);
	if (triggers) {
		dbc_buf_append(&b, ";");
		dbc_buf_append(&b, triggers);
	}
	return dbc_buf_finish(&b);
}

/* Runs the statements making the catalogue's table of that name (without
 * the prefix) in main. */
static int make_table(dbc_ctx *ctx, const char *name)
{
	const dbc_book_table *t = dbc_book_table_named(name);
	if (!t)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no bookkeeping table \"%s\"", name);
	char *ddl = table_ddl(ctx, t, "main");
	return ddl ? ctx->host->exec(ctx, ddl) : DBC_ERROR;
}

/* The bookkeeping schema version: the layout of the tables above. dbcare
 * 0.1.0 stored none (its files are version 1); every later change to a
 * bookkeeping table raises it and adds a step below. It lives in a one-row
 * table of its own, not in PRAGMA user_version, which belongs to the
 * application. A file at a newer version than this module's was changed by
 * a newer dbcare: mutating calls refuse it rather than write rows in a
 * layout they do not know. */
#define BOOK_VERSION   DBC_BOOK_VERSION
#define VERSION_TABLE  "dbcare_bookkeeping"
#define SQL_NUMBER_(n) #n
#define SQL_NUMBER(n)  SQL_NUMBER_(n)

/* The version row: this version, the identity the file has or a new one. */
#define BOOK_VERSION_TEXT SQL_NUMBER(BOOK_VERSION)
#define VERSION_ROW                                                                                \
	"INSERT OR REPLACE INTO main." VERSION_TABLE " (id, version, database_id)"                     \
	" VALUES (1, " BOOK_VERSION_TEXT ", coalesce((SELECT database_id FROM main." VERSION_TABLE     \
	" WHERE id = 1), lower(hex(randomblob(16)))))"

/* Whether main has the table (column: that column of it). False too when
 * the connection could not read the schema (a busy file): then with the
 * call's error set (schema_probe.c), which every caller's result becomes:
 * ctx->failed, checked by the callers that read before they write, and by
 * the call's end. */
static bool has(dbc_ctx *ctx, const char *name, const char *column)
{
	bool exists = false;
	return sqldbc_table_probe(ctx, "main", name, column, &exists) == DBC_OK && exists;
}

static bool table_exists(dbc_ctx *ctx, const char *name)
{
	return has(ctx, name, NULL);
}

/* Every column the catalogue says bookkeeping version `version` added, to
 * the tables that exist and lack it. ALTER TABLE ADD COLUMN inserts the
 * definition after the last column, in the words CREATE TABLE states it
 * (dbc_book_sqlite_column), so an upgraded table reads as a fresh one in
 * sqlite_schema. */
static int add_columns(dbc_ctx *ctx, int version)
{
	char name[64];
	for (int i = 0; i < dbc_book_ntables; i++) {
		const dbc_book_table *t = &dbc_book_tables[i];
		if (!dbc_book_table_on(t, DBC_BOOK_ON_SQLITE))
			continue;
		if (!table_exists(ctx, file_name(t, name))) {
			if (ctx->failed)
				return DBC_ERROR;
			continue;
		}
		for (const dbc_book_column *c = t->columns; c->name; c++) {
			if (c->book_since != version || !dbc_book_column_on(c, DBC_BOOK_ON_SQLITE) ||
			    has(ctx, name, c->name))
				continue;
			if (ctx->failed)
				return DBC_ERROR;
			dbc_buf b;
			dbc_buf_init(&b, ctx);
			dbc_buf_appendf(&b, "ALTER TABLE main.%s ADD COLUMN ", name);
			dbc_book_sqlite_column(c, put_buf, &b);
			char *ddl = dbc_buf_finish(&b);
			if (!ddl || ctx->host->exec(ctx, ddl) != DBC_OK)
				return DBC_ERROR;
		}
	}
	return DBC_OK;
}

/* Runs the statements making the catalogue's index of that name on the
 * table (names without... the table's without its prefix). */
static int make_index(dbc_ctx *ctx, const char *table, const char *index)
{
	const dbc_book_table *t = dbc_book_table_named(table);
	const dbc_book_index *x = t ? dbc_book_index_named(t, index, DBC_BOOK_ON_SQLITE) : NULL;
	if (!x)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no bookkeeping index \"%s\"", index);
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_book_sqlite_index(t, x, "main", put_buf, &b);
	char *ddl = dbc_buf_finish(&b);
	return ddl ? ctx->host->exec(ctx, ddl) : DBC_ERROR;
}

/* The steps, each run after the columns the catalogue says its version
 * added (add_columns); NULL: those columns are the whole step. History:
 *  2 (0.2.0)  down scripts are covered by a checksum (the registry's and the
 *             applied rows' down_checksum; rows keep NULL: a migration
 *             applied without one is not "changed"), and the index
 *             dbmigrate_assert reads covers it, replacing the one on
 *             (version, checksum)
 *  3 (0.3.0)  the history row names the backup taken before a migration
 *             (migrate.backup_before); the backup catalog is a new table
 *  4 (0.3.2)  a backup's row keeps the SHA-256 of the file that was
 *             verified, so a later dbbackup_verify sees any changed byte
 *  5 (0.3.3)  the hash chain's head, compared by dbaudit_verify
 *  6 (0.3.4)  pending entries of connections without dbcare
 *  7 (0.3.5)  a backup's row keeps every table's row count and content hash
 *             at the copy's moment, whether it is full or incremental, the
 *             backup an incremental one builds on and the hash of every page
 *             of its image (the next incremental's base); older rows keep
 *             none: they are verified as before, and are no base
 *  8 (0.3.6)  restore points (dbcare_backup_marks)
 *  9 (0.3.6)  archives in another database keep their batches in three new
 *             tables of the retain part, which its next writing call makes
 * 10 (0.3.6)  the per-table growth history, a table of the "growth" part
 *             that the next dbhealth_snapshot makes
 * 11 (0.3.8)  the renames and drops migrations made, a table of the
 *             "renames" part that the first such migration makes
 * 12 (0.3.9)  restore drills, a table of the backup part whose readers take
 *             a missing one as empty
 * 13 (0.3.9)  audit-log ids never repeat
 * 14 (0.3.9)  the database's identity (database_id), and the summary's
 *             triggers without "main." in their bodies
 * 15-21       below, at their steps
 * 22 (0.3.9)  the audit triggers' pending views (upgrade_to_22)
 * 23 (0.3.9)  the pending views' triggers in fewer expression nodes
 *             (remake_audit_triggers) */

/* 2: the checksum index covers the down checksum. */
static int upgrade_to_2(dbc_ctx *ctx)
{
	if (!table_exists(ctx, "dbcare_migrations"))
		return DBC_OK; /* made whole, with its index, after the steps */
	if (ctx->host->exec(ctx, "DROP INDEX IF EXISTS main.dbcare_migrations_checksum") != DBC_OK)
		return DBC_ERROR;
	return make_index(ctx, "migrations", "dbcare_migrations_checksums");
}

/* 5: an existing log's head starts at its newest chained entry; the head's
 * trigger moves it from then on, also for entries linked by tables'
 * triggers made before. */
static int upgrade_to_5(dbc_ctx *ctx)
{
	if (!table_exists(ctx, "dbcare_audit_log"))
		return DBC_OK; /* made with the others */
	if (make_table(ctx, "audit_chain") != DBC_OK)
		return DBC_ERROR;
	return ctx->host->exec(ctx, "INSERT OR IGNORE INTO main.dbcare_audit_chain"
	                            " (chain, last_hash, last_id) SELECT '', hash, id"
	                            " FROM main.dbcare_audit_log INDEXED BY dbcare_audit_log_hashed"
	                            " WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1");
}

/* 6: writes from connections without dbcare are recorded as pending
 * entries (sqlite/audit/audit_pending.c): the index that finds them, and every
 * audited table's triggers made again in the form that needs no dbcare
 * function. */
static int upgrade_to_6(dbc_ctx *ctx)
{
	if (!table_exists(ctx, "dbcare_audit_log"))
		return DBC_OK; /* made with the others */
	if (make_index(ctx, "audit_log", "dbcare_audit_log_pending") != DBC_OK)
		return DBC_ERROR;
	return table_exists(ctx, "dbcare_audit_tables") ? sqldbc_audit_remake_triggers(ctx) : DBC_OK;
}

/* 8: restore points, a table of the backup part made here when the part
 * has its tables (a file without backups gets it with them). */
static int upgrade_to_8(dbc_ctx *ctx)
{
	if (!table_exists(ctx, "dbcare_backups"))
		return DBC_OK;
	return make_table(ctx, "backup_marks");
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
 * built by printf since: sqlite/audit/audit_sql.c). The rename is the legacy one:
 * it neither rewrites nor checks the file's views and triggers that name the
 * log, which name it again once it is back. */
static int upgrade_to_13(dbc_ctx *ctx)
{
	static const char cols[] = "id, at, txid, db_user, actor, operation, table_name, key,"
	                           " old_values, new_values, prev_hash, hash";
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	const dbc_book_table *log = dbc_book_table_named("audit_log");
	if (!table_exists(ctx, "dbcare_audit_log"))
		return DBC_OK; /* made with AUTOINCREMENT by its part */
	int autoinc = 0, legacy = 0;
	if (sqlite3_table_column_metadata(db, "main", "dbcare_audit_log", "id", NULL, NULL, NULL, NULL,
	                                  &autoinc) == SQLITE_OK && /* the schema is read: above */
	    autoinc)
		return DBC_OK;
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, -1, &legacy) != SQLITE_OK)
		legacy = 0;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_book_sqlite_table(log, "main", "dbcare_audit_log_v13", put_buf, &b);
	dbc_buf_appendf(&b,
	                "; INSERT INTO main.dbcare_audit_log_v13 (%s) SELECT %s"
	                " FROM main.dbcare_audit_log ORDER BY id;"
	                " DROP TABLE main.dbcare_audit_log;"
	                " ALTER TABLE main.dbcare_audit_log_v13 RENAME TO dbcare_audit_log; ",
	                cols, cols);
	dbc_book_sqlite_indexes(log, "main", put_buf, &b);
	char *sql = dbc_buf_finish(&b);
	if (!sql)
		return DBC_ERROR;
	sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 1, NULL);
	int rc = ctx->host->exec(ctx, sql);
	if (rc == DBC_OK)
		rc = make_table(ctx, "audit_chain");
	sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, legacy, NULL);
	/* a build with SQLITE_OMIT_AUTOINCREMENT makes no sqlite_sequence */
	if (rc == DBC_OK && table_exists(ctx, "sqlite_sequence"))
		rc = ctx->host->exec(ctx, CHAIN_HEAD_SEQUENCE);
	if (rc == DBC_OK)
		sqldbc_audit_hook(db); /* this connection's TEMP triggers went with the old log */
	/* the tables' triggers in the form that builds pending text once */
	if (rc == DBC_OK && table_exists(ctx, "dbcare_audit_tables"))
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
	*written = 0;
	if (!table_exists(ctx, "dbcare_audit_log"))
		return ctx->failed ? DBC_ERROR : DBC_OK;
	const char *sql = table_exists(ctx, "sqlite_sequence")
	                      ? "SELECT coalesce((SELECT seq FROM main.sqlite_sequence"
	                        " WHERE name = 'dbcare_audit_log'),"
	                        " (SELECT max(id) FROM main.dbcare_audit_log))"
	                      : "SELECT max(id) FROM main.dbcare_audit_log";
	return ctx->host->query(ctx, sql, 0, NULL, take_count, written);
}

/* 14: the summary's triggers named main.dbcare_migrations_summary in their
 * bodies, which made the file unreadable when ATTACHed under another name:
 * made again with the unqualified name (with the table, when it exists; a
 * file without it gets both from the current list). The identity's column
 * is the catalogue's; its value is the version row's, written after the
 * steps. */
static int upgrade_to_14(dbc_ctx *ctx)
{
	if (!table_exists(ctx, "dbcare_migrations_summary"))
		return DBC_OK;
	if (ctx->host->exec(ctx, SUMMARY_TRIGGERS(DROP_SUMMARY)) != DBC_OK)
		return DBC_ERROR;
	return make_table(ctx, "migrations_summary");
}

/* The step to version v: the columns the catalogue says v added, then
 * upgrade_steps[v], the step's own work (NULL: none).
 * A step changes only tables that exist (a table dropped by hand is made
 * afresh afterwards) and skips what is already done (files made by builds
 * between two releases). */
/* 15 -> 16 (dbcare 0.3.9): the audited tables' triggers made again with
 * the WHEN a connection with dbcare skips them by (its TEMP triggers write
 * the finished entries: sqlite/audit/audit_direct.c). 19 -> 20 (dbcare
 * 0.3.9): again, in the smaller pending form (audit_sql.c) with the column
 * test after the skip; the TEMP triggers carry the new text's tokens, so
 * until then a connection with dbcare writes every entry pending, then
 * completes it. 20 -> 21 (dbcare 0.3.9): again, a blob pending as its bare
 * hex once more (X'hex' was read as text by the dbcare a downgrade loads).
 * 22 -> 23 (dbcare 0.3.9): again, the pending views' triggers in fewer
 * expression nodes (audit_sql.c: SQLite copies every node of them at each
 * prepare of a write to the table); the pending form is the same text. */
static int remake_audit_triggers(dbc_ctx *ctx)
{
	if (!table_exists(ctx, "dbcare_audit_log") || !table_exists(ctx, "dbcare_audit_tables"))
		return DBC_OK;
	return sqldbc_audit_remake_triggers(ctx);
}

/* Whether the log's row index is the one on the row hash. */
static bool row_index_hashed(dbc_ctx *ctx)
{
	sqlite3_stmt *stmt = NULL;
	bool hashed =
	    sqlite3_prepare_v2(sqldbc_call_conn(ctx)->db,
	                       "SELECT 1 FROM pragma_index_info('dbcare_audit_log_row', 'main')"
	                       " WHERE seqno = 0 AND name = 'row_hash'",
	                       -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_finalize(stmt);
	return hashed;
}

/* 16 -> 17 (dbcare 0.3.9): the log's row index holds a 64-bit hash of the
 * table and key (dbaudit_row_hash) instead of their text, which an audited
 * write paid 5 k instructions an entry for (docs/benchmarks.md): the column
 * (added before this step) is filled for every entry, pending ones too (they
 * are hashed again when completed), and the index made again on it.
 * Connections opened on the old log write through the shared triggers
 * until they are opened again (audit_direct.c). */
static int upgrade_to_17(dbc_ctx *ctx)
{
	if (!table_exists(ctx, "dbcare_audit_log"))
		return DBC_OK;
	/* the index on the row hash already there: the step to 13 made the log
	 * again with today's columns and indexes (a file of 0.3.8 or before)
	 * and copied its entries without a row hash, or a build between two
	 * releases hashed them; either way an entry without one would drop
	 * out of its row's history (sqlite/audit/fn_audit.c, row_range) */
	if (row_index_hashed(ctx))
		return ctx->host->exec(ctx, "UPDATE main.dbcare_audit_log"
		                            " SET row_hash = dbaudit_row_hash(table_name, key)"
		                            " WHERE row_hash IS NULL");
	if (ctx->host->exec(ctx, "DROP INDEX IF EXISTS main.dbcare_audit_log_row;"
	                         " UPDATE main.dbcare_audit_log"
	                         " SET row_hash = dbaudit_row_hash(table_name, key)") != DBC_OK ||
	    make_index(ctx, "audit_log", "dbcare_audit_log_row") != DBC_OK)
		return DBC_ERROR;
	/* this connection's TEMP triggers, not made for the old log, from now */
	return sqldbc_audit_direct_install(ctx);
}

/* 17 -> 18 (dbcare 0.3.9): the rename log's guards (RENAMES_GUARD), on a
 * log already made (a file without one gets them with it): only the
 * runner writes its rows from then on. */
static int upgrade_to_18(dbc_ctx *ctx)
{
	if (!table_exists(ctx, "dbcare_migrations_renames"))
		return DBC_OK;
	return ctx->host->exec(ctx, RENAMES_GUARDS);
}

/* 21 -> 22 (dbcare 0.3.9): the audited tables' shared triggers insert the
 * row into a pending view, whose trigger writes the pending entry and
 * hands its id to SQLDBC_AUDIT_WRITTEN (sqlite/audit/audit_sql.c): made
 * again, and this connection's TEMP trigger completing pending entries
 * moved from the log to that view (sqldbc_audit_hook). The entries stay as
 * they are; the chain links on from its head. */
static int upgrade_to_22(dbc_ctx *ctx)
{
	if (remake_audit_triggers(ctx) != DBC_OK)
		return DBC_ERROR;
	sqldbc_audit_hook(sqldbc_call_conn(ctx)->db);
	return DBC_OK;
}

/* 18 -> 19 (dbcare 0.3.9): the query statistics history
 * (dbcare_health_query_stats), a part's table the first snapshot that
 * reads statements makes, and the steps of dbcare migrate --online
 * (dbcare_migrations_online_steps), a part's table its first recorded step
 * makes: no step. 19 -> 20 and 20 -> 21: remake_audit_triggers (above). */
static int (*const upgrade_steps[BOOK_VERSION + 1])(dbc_ctx *ctx) = {
    [2] = upgrade_to_2,           [5] = upgrade_to_5,           [6] = upgrade_to_6,
    [8] = upgrade_to_8,           [13] = upgrade_to_13,         [14] = upgrade_to_14,
    [16] = remake_audit_triggers, [17] = upgrade_to_17,         [18] = upgrade_to_18,
    [20] = remake_audit_triggers, [21] = remake_audit_triggers, [22] = upgrade_to_22,
    [23] = remake_audit_triggers,
};

/* Takes the file from version v to v + 1. */
static int upgrade_step(dbc_ctx *ctx, int64_t v)
{
	if (add_columns(ctx, (int)v + 1) != DBC_OK)
		return DBC_ERROR;
	int rc = upgrade_steps[v + 1] ? upgrade_steps[v + 1](ctx) : DBC_OK;
	return ctx->failed ? DBC_ERROR : rc; /* a probe that could not read the schema */
}

/* Whether the file has the current layout (or a newer one): every table
 * made by every changing call (not the parts' own) and the version table,
 * the columns the steps added, and the index they made. The tables and columns are looked up in the
 * connection's schema hash (no statement); the index by preparing, never stepping, a statement
 * naming it (INDEXED BY). This runs before every changing call: a single
 * statement joining every table, used before, cost more to plan than a
 * dbmigrate_add's own work (docs/benchmarks.md, the command). Like that
 * statement, it reads the file's schema when the connection has not yet,
 * but opens no read transaction that stays. */
/* In the connection's schema hash, as loaded (no look at the file). */
static bool in_hash(sqlite3 *db, const char *name, const char *column)
{
	return sqlite3_table_column_metadata(db, "main", name, column, NULL, NULL, NULL, NULL, NULL) ==
	       SQLITE_OK;
}

static bool layout_current(dbc_ctx *ctx, sqlite3 *db)
{
	/* Past the version table the schema is loaded, and the hash answers:
	 * a table missing from a stale one only sends the call to the path that
	 * makes it, where the probes confirm an absence from the file (no
	 * step per changing call to confirm a part's tables absent). */
	if (!table_exists(ctx, VERSION_TABLE))
		return false;
	char name[64];
	for (int i = 0; i < dbc_book_ntables; i++) {
		const dbc_book_table *t = &dbc_book_tables[i];
		if (!dbc_book_table_on(t, DBC_BOOK_ON_SQLITE))
			continue;
		bool exists = in_hash(db, file_name(t, name), NULL);
		if (listed(i) && !part_of(i) && !exists)
			return false;
		/* the columns the steps added (a part's table: when it exists) */
		for (const dbc_book_column *c = t->columns; exists && c->name; c++)
			if (c->book_since && dbc_book_column_on(c, DBC_BOOK_ON_SQLITE) &&
			    !in_hash(db, name, c->name))
				return false;
	}
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
	*version = 0;
	char name[64];
	for (int i = 0; i < dbc_book_ntables && *version == 0; i++)
		if (listed(i) && table_exists(ctx, file_name(&dbc_book_tables[i], name)))
			*version = 1;
	if (!table_exists(ctx, VERSION_TABLE))
		return ctx->failed ? DBC_ERROR : DBC_OK;
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
	for (int i = 0; i < dbc_book_ntables; i++) {
		if (!listed(i) || part_of(i))
			continue;
		dbc_buf_append(&sql, table_ddl(ctx, &dbc_book_tables[i], "main"));
		dbc_buf_append(&sql, ";\n");
	}
	dbc_buf_append(&sql, table_ddl(ctx, dbc_book_table_named("bookkeeping"), "main"));
	dbc_buf_append(&sql, ";\n" VERSION_ROW);
	return dbc_buf_finish(&sql);
}

/* The tables made (a fresh file) or upgraded step by step (an older one). */
static int make_or_upgrade(dbc_ctx *ctx, const char *part)
{
	(void)part;
	int64_t version;
	if (stored_version(ctx, &version) != DBC_OK)
		return DBC_ERROR;
	if (version > BOOK_VERSION)
		return refuse_newer(ctx, version);
	for (int64_t v = version; v >= 1 && v < BOOK_VERSION; v++)
		if (upgrade_step(ctx, v) != DBC_OK)
			return DBC_ERROR;
	/* made in the current layout: all of them in a fresh file, those
	 * dropped by hand in an older one */
	char *ddl = all_ddl(ctx);
	return ddl ? ctx->host->exec(ctx, ddl) : DBC_ERROR;
}

/* part's own tables where they are missing. */
static int make_part(dbc_ctx *ctx, const char *part)
{
	bool known = false;
	char name[64];
	for (int i = 0; i < dbc_book_ntables; i++) {
		const char *owner = part_of(i);
		if (!listed(i) || !owner || strcmp(owner, part) != 0)
			continue;
		known = true;
		if (!table_exists(ctx, file_name(&dbc_book_tables[i], name)) &&
		    (ctx->failed || make_table(ctx, dbc_book_tables[i].name) != DBC_OK))
			return DBC_ERROR;
	}
	if (!known)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no bookkeeping tables of part \"%s\"", part);
	return DBC_OK;
}

/* Whether a statement that writes is being stepped on db. */
static bool writing_statement(sqlite3 *db)
{
	for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
		if (sqlite3_stmt_busy(st) && !sqlite3_stmt_readonly(st))
			return true;
	return false;
}

/* Runs make(ctx, part) in a savepoint of its own: a call that does not open
 * one (dbcare_set in autocommit) would otherwise commit each CREATE as a
 * transaction of its own, and a kill between two of them leaves a partial
 * set that every later call refuses. Inside the caller's transaction the
 * savepoint nests and commits with it. */
static int all_or_nothing(dbc_ctx *ctx, int (*make)(dbc_ctx *, const char *), const char *part)
{
	/* Called from inside a writing statement (a CHECK or a trigger calling
	 * dbcare_set): SQLite opens no savepoint then, and needs none: what is
	 * made joins that statement's transaction and commits or goes with it. */
	if (writing_statement(sqldbc_call_conn(ctx)->db))
		return make(ctx, part);
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (make(ctx, part) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}

/* Runs right before the call's first write. When the file has the current
 * layout the first statement is a write (stepping the version check's UPDATE
 * takes the write lock, waiting out the busy timeout) and the version is read
 * under that lock. A read first would pin a snapshot that a concurrent writer
 * makes stale, and the write would then fail busy at once. layout_current
 * tells without opening a read transaction. Otherwise the tables are made (a
 * fresh file) or upgraded step by step (an older one), all or nothing: a call
 * that fails or is killed leaves the file as it was. */
int sqldbc_book_ensure(dbc_ctx *ctx)
{
	sqlite3 *db = ((sqldbc_call *)ctx->host_data)->conn->db;
	bool current = layout_current(ctx, db);
	if (ctx->failed) /* the schema could not be read: not "no bookkeeping" */
		return DBC_ERROR;
	if (current) {
		/* matches (and writes) only a row at another version */
		if (ctx->host->exec(ctx, "UPDATE main." VERSION_TABLE " SET version = version"
		                         " WHERE version <> " SQL_NUMBER(BOOK_VERSION)) != DBC_OK)
			return DBC_ERROR;
		if (sqlite3_changes(db) == 0)
			return DBC_OK;
	}
	return all_or_nothing(ctx, make_or_upgrade, NULL);
}

/* sqldbc_book_ensure, then part's own tables where they are missing: after
 * it the call holds the write lock, so the schema it looks at is the file's
 * latest, and a connection making them at the same time either waits for
 * this one or has made them already (IF NOT EXISTS). */
/* Whether every table of part is there (false too for a part without
 * tables: make_part says so). */
static bool part_made(dbc_ctx *ctx, const char *part)
{
	char name[64];
	bool known = false;
	for (int i = 0; i < dbc_book_ntables; i++) {
		const char *owner = part_of(i);
		if (!listed(i) || !owner || strcmp(owner, part) != 0)
			continue;
		known = true;
		if (!table_exists(ctx, file_name(&dbc_book_tables[i], name)))
			return false;
	}
	return known;
}

int sqldbc_book_ensure_part(dbc_ctx *ctx, const char *part)
{
	if (sqldbc_book_ensure(ctx) != DBC_OK)
		return DBC_ERROR;
	/* no savepoint when nothing is to be made: a call from inside a
	 * writing statement (a CHECK) can open none */
	if (part_made(ctx, part))
		return DBC_OK;
	if (ctx->failed)
		return DBC_ERROR;
	return all_or_nothing(ctx, make_part, part);
}

char *sqldbc_book_ddl(dbc_ctx *ctx, const char *table, const char *schema)
{
	const dbc_book_table *t = dbc_book_table_named(table);
	if (!t || !dbc_book_table_on(t, DBC_BOOK_ON_SQLITE)) {
		dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no bookkeeping table \"%s\"", table);
		return NULL;
	}
	return table_ddl(ctx, t, schema);
}

/* False with the call's error set when the schema could not be read (the
 * core's callers ask after book_exists, which read it, and the call's end
 * reports a set error whatever the caller made of false). */
bool sqldbc_book_has_column(dbc_ctx *ctx, const char *table, const char *column)
{
	return has(ctx, table, column);
}

/* Present when every table exists, absent when none does. A read never
 * creates anything, so a partial set (a table dropped by hand) is an error
 * that says how to repair it. */
int sqldbc_book_exists(dbc_ctx *ctx, bool *exists)
{
	/* The schema's in-memory hash answers without scanning sqlite_schema,
	 * which matters: a report asks several times. */
	int64_t n = 0, needed = 0;
	char name[64];
	for (int i = 0; i < dbc_book_ntables; i++)
		if (listed(i) && !(dbc_book_tables[i].flags & DBC_BOOK_OPTIONAL)) {
			needed++;
			n += table_exists(ctx, file_name(&dbc_book_tables[i], name));
			if (ctx->failed) /* could not read the schema: no answer at all */
				return DBC_ERROR;
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
	if (!table_exists(ctx, "dbcare_migrations_summary"))
		return DBC_CACHE_NONE; /* or the schema could not be read: the error is set */
	if (!sqlite3_get_autocommit(db) || sqlite3_db_readonly(db, "main") != 0 ||
	    !table_exists(ctx, VERSION_TABLE))
		return DBC_CACHE_READ;
	return DBC_CACHE_WRITE;
}

char *sqldbc_book_database_id(dbc_ctx *ctx)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	sqlite3_stmt *st = NULL;
	char *id = NULL;
	if (!has(ctx, VERSION_TABLE, "database_id") ||
	    sqlite3_prepare_v2(db, "SELECT database_id FROM main." VERSION_TABLE " WHERE id = 1", -1,
	                       &st, NULL) != SQLITE_OK)
		return NULL;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		id = dbc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE) /* busy: no identity is not "none" */
		dbc_error(ctx,
		          rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? DBC_SQLSTATE_LOCK_TIMEOUT : "42000",
		          "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return id;
}
