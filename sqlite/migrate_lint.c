/*
 * migrate_lint.c — SQLite's facts for the migration lint
 * (core/migrate/lint_rules.c reads them): no lock levels (a write takes the
 * database's one write lock), an ALTER TABLE that only renames, adds and
 * drops columns, case-insensitive names, row counts bounded by a LIMIT, and
 * notices through sqlite3_log.
 */
#include "migrate/migrate.h"
#include "glue.h"

/* Rows counted at most this far: enough to tell empty from not. */
#define COUNT_BOUND 10000

static int take_int(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

static int sqlite_rows(dbc_ctx *ctx, const char *schema, const char *table, int64_t *rows)
{
	char *sql = dbc_printf(ctx, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %d)",
	                       dbc_quoted_name(ctx, schema, table), COUNT_BOUND);
	*rows = -1;
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_int, rows) : DBC_ERROR;
}

/* SQLite has no notices a statement returns: the error log, as warnings go. */
static void sqlite_notice(dbc_ctx *ctx, const char *message, const char *hint)
{
	(void)ctx;
	(void)hint;
	sqlite3_log(SQLITE_NOTICE, "dbcare: %s", message);
}

static int take_bool(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && (c[0].type == DBC_INT || c[0].type == DBC_BOOL))
		*(bool *)arg = c[0].i != 0;
	return DBC_OK;
}

static int sqlite_foreign_keys_on(dbc_ctx *ctx, bool *on)
{
	*on = false;
	return ctx->host->query(ctx, "SELECT foreign_keys FROM pragma_foreign_keys", 0, NULL,
	                        take_bool, on);
}

/* SQLite's documented procedure for table changes ALTER TABLE cannot make
 * ("Making Other Kinds Of Table Schema Changes"): foreign keys off outside
 * the transaction (the pragma does nothing inside one), back on after the
 * commit. A foreign key violation fails the CHECK of a temporary table, so
 * the script stops before its COMMIT. */
const dbc_lint_engine sqldbc_lint_engine = {
	.alter_limited = true,
	.rows = sqlite_rows,
	.rebuild_begin = {"BEGIN IMMEDIATE;\n", "PRAGMA foreign_keys = OFF;\nBEGIN IMMEDIATE;\n"},
	.rebuild_end = {"COMMIT;\n", "COMMIT;\nPRAGMA foreign_keys = ON;\n"},
	.rebuild_check = "CREATE TEMP TABLE dbcare_rebuild_check (foreign_key_violations INTEGER "
	                 "CHECK (foreign_key_violations = 0));\n"
	                 "INSERT INTO dbcare_rebuild_check SELECT count(*) FROM "
	                 "pragma_foreign_key_check;\n"
	                 "DROP TABLE dbcare_rebuild_check;\n",
	.foreign_keys_on = sqlite_foreign_keys_on,
	.notice = sqlite_notice,
};
