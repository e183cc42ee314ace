/*
 * retain.c — what SQLite does its own way for soft delete and retention
 * (core/retain/retain.h, dbc_retain_hooks); the functions have the generic
 * glue of sqlite/api/api.c. The soft-delete trigger is plain SQL calling only
 * built-in functions, so it runs with trusted_schema off.
 */
#include "sqlite/host/glue.h"
#include "retain/retain.h"

#include <string.h>

/* Dates stored as text compare as text: the cutoff takes the form of a
 * stored value (ISO 8601 with T and Z, as dbcare's own tables write it, or
 * datetime()'s with a space), decided in the statement itself. */
static char *strftime_of(dbc_ctx *ctx, const char *format, const dbc_interval *iv)
{
	static const char *const units[6] = {"years", "months", "days", "hours", "minutes", "seconds"};
	const int64_t v[6] = {iv->years, iv->months, iv->days, iv->hours, iv->minutes, iv->seconds};
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "strftime('%s', 'now'", format);
	for (int i = 0; i < 6; i++)
		if (v[i])
			dbc_buf_appendf(&b, ", '-%lld %s'", (long long)v[i], units[i]);
	dbc_buf_append(&b, ")");
	return dbc_buf_finish(&b);
}

static char *cutoff_sql(dbc_ctx *ctx, const dbc_interval *iv, const char *sample)
{
	char *plain = strftime_of(ctx, "%Y-%m-%d %H:%M:%f", iv);
	if (!sample || !plain)
		return plain;
	char *iso = strftime_of(ctx, "%Y-%m-%dT%H:%M:%fZ", iv);
	return iso ? dbc_printf(ctx, "CASE WHEN substr(%s, 11, 1) = 'T' THEN %s ELSE %s END", sample,
	                        iso, plain)
	           : NULL;
}

/* Values compare by the column's affinity: no cast. */
static char *param_as(dbc_ctx *ctx, int n, const char *type)
{
	(void)type;
	return dbc_printf(ctx, "$%d", n);
}

/* Trigger names are per schema in SQLite: one per table. */
static char *trigger_name(dbc_ctx *ctx, const dbc_table *t)
{
	char *name = dbc_printf(ctx, "dbcare_softdelete_%s", t->name);
	return name ? ctx->host->quote_ident(ctx, name) : NULL;
}

/* The row the trigger fires for: by rowid (under a name no column hides),
 * or by the primary key of a WITHOUT ROWID table. (A trigger body names
 * tables unqualified.) */
static char *row_match(dbc_ctx *ctx, const dbc_table *t)
{
	if (!t->options || !strstr(t->options, "without rowid")) {
		const char *row_id;
		if (dbc_retain_row_id(ctx, t, &row_id) != DBC_OK)
			return NULL;
		return dbc_printf(ctx, "%s = OLD.%s", row_id, row_id);
	}
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < t->nconstraints; i++)
		if (t->constraints[i].kind == DBC_CON_PRIMARY_KEY)
			for (int k = 0; k < t->constraints[i].columns.n; k++) {
				char *q = ctx->host->quote_ident(ctx, t->constraints[i].columns.items[k]);
				dbc_buf_appendf(&b, "%s%s = OLD.%s", k ? " AND " : "", q, q);
			}
	return dbc_buf_finish(&b);
}

/* The DELETE of a row becomes an UPDATE of its column (when not set yet)
 * and the DELETE is dropped (RAISE(IGNORE) skips the row, the statement
 * goes on). */
static char *trigger_create(dbc_ctx *ctx, const dbc_table *t, const char *column)
{
	char *name = trigger_name(ctx, t);
	char *qt = ctx->host->quote_ident(ctx, t->name);
	char *qc = ctx->host->quote_ident(ctx, column);
	char *match = row_match(ctx, t);
	if (!name || !qt || !qc || !match)
		return NULL;
	return dbc_printf(ctx,
	                  "DROP TRIGGER IF EXISTS main.%s; "
	                  "CREATE TRIGGER main.%s BEFORE DELETE ON %s FOR EACH ROW BEGIN "
	                  "UPDATE %s SET %s = %s WHERE %s AND %s IS NULL; "
	                  "SELECT RAISE(IGNORE); END",
	                  name, name, qt, qt, qc, ctx->host->dialect->column_now, match, qc);
}

static char *trigger_drop(dbc_ctx *ctx, const dbc_table *t)
{
	char *name = trigger_name(ctx, t);
	return name ? dbc_printf(ctx, "DROP TRIGGER IF EXISTS main.%s", name) : NULL;
}

/* A text column holds dates when every value read (up to a thousand) is one. */
static char *text_dates_probe(dbc_ctx *ctx, const char *table, const char *column)
{
	return dbc_printf(
	    ctx,
	    "SELECT count(*) FROM (SELECT %s AS v FROM %s WHERE %s IS NOT NULL LIMIT 1000) "
	    "WHERE julianday(v) IS NULL",
	    column, table, column);
}

static char *rows_in(dbc_ctx *ctx, const char *row_id, const char *subquery)
{
	return subquery ? dbc_printf(ctx, "%s IN (%s)", row_id, subquery) : NULL;
}

/* A point in time is stored as text (any form julianday() reads, time zone
 * offsets included), as a REAL Julian day or as an INTEGER Unix time, and
 * the forms mix freely: each row is compared in its own unit, as the
 * 'auto' modifier of SQLite's date functions reads a number (0 to
 * 5373484.5 a Julian day, else Unix seconds). A value read as no date is
 * never due. The first test is the index's range: every value before the
 * cutoff is below it (numbers sort before text; a text form is at most a
 * day of time zone away from the UTC one). */
static char *before_sql(dbc_ctx *ctx, const char *value, const char *cutoff)
{
	return dbc_printf(ctx,
	                  "(%s < strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %s, '+1 day') AND "
	                  "CASE WHEN typeof(%s) IN ('integer', 'real') AND (%s < 0 OR %s >= 5373484.5) "
	                  "THEN julianday(%s, 'unixepoch') ELSE julianday(%s) END < julianday(%s))",
	                  value, cutoff, value, value, value, value, value, cutoff);
}

static int columns(dbc_ctx *ctx, const char *schema, const char *table, dbc_row_fn each, void *arg)
{
	dbc_value p[2] = {schema ? dbc_text(schema) : dbc_null(), dbc_text(table)};
	return ctx->host->query(
	    ctx, "SELECT name, type FROM pragma_table_info($2, coalesce($1, 'main'))", 2, p, each, arg);
}

static int schema_exists(dbc_ctx *ctx, const char *schema, bool *exists)
{
	dbc_value p = dbc_text(schema);
	char *one = NULL;
	return dbc_query_text(ctx, "SELECT 1 FROM pragma_database_list WHERE name = $1", 1, &p, &one,
	                      exists);
}

/* An ATTACHed database as an archive (dbretain_archive_attached). */
static int attached_archive(dbc_ctx *ctx, const char *schema, char **prefix, bool *exists)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	if (!sqlite3_get_autocommit(db)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "an archive into an attached database runs outside a transaction");
		dbc_error_hint(ctx, "COMMIT first: each call commits one stage of a batch in one "
		                    "database, which a transaction around them would undo.");
		return DBC_ERROR;
	}
	dbc_value p = dbc_text(schema);
	char *seq = NULL;
	bool attached = false;
	if (dbc_query_text(ctx, "SELECT seq FROM pragma_database_list WHERE name = $1 AND seq >= 2", 1,
	                   &p, &seq, &attached) != DBC_OK)
		return DBC_ERROR;
	if (!attached && (sqlite3_stricmp(schema, "main") == 0 || sqlite3_stricmp(schema, "temp") == 0))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "\"%s\" is not an archive: attach the archive's file under a name of "
		                 "its own",
		                 schema);
	if (!attached) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "no database is attached as \"%s\"", schema);
		dbc_error_hint(ctx, "ATTACH 'archive.db' AS %s first.", schema);
		return DBC_ERROR;
	}
	/* an in-memory or temporary database keeps nothing past the
	 * connection: the rows deleted from the source would be gone with it */
	const char *file = sqlite3_db_filename(db, schema);
	if (!file || !file[0]) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "the database attached as \"%s\" has no file: an archive there is gone with "
		          "the connection",
		          schema);
		dbc_error_hint(ctx, "ATTACH the archive's file (a path) under a name of its own.");
		return DBC_ERROR;
	}
	const char *q = ctx->host->quote_ident(ctx, schema);
	*prefix = q ? dbc_printf(ctx, "%s.dbcare_", q) : NULL;
	if (!*prefix)
		return DBC_ERROR;
	return sqldbc_table_probe(ctx, schema, "dbcare_retain_archive", "payload", exists);
}

/* Its archive table: the bookkeeping's own statements, in that database. */
static int attached_archive_make(dbc_ctx *ctx, const char *schema)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	const char *q = ctx->host->quote_ident(ctx, schema);
	char *sql = q ? sqldbc_book_ddl(ctx, "retain_archive", q) : NULL;
	if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                               "could not make the archive table in %s: %s", schema,
		                               sqlite3_errmsg(db));
	return DBC_OK;
}

static const dbc_retain_hooks sqlite_retain = {
    .cutoff_sql = cutoff_sql,
    .param_as = param_as,
    .trigger_create = trigger_create,
    .trigger_drop = trigger_drop,
    .purge_through = NULL,
    .purge_end = NULL,
    .columns = columns,
    .schema_exists = schema_exists,
    .text_dates_probe = text_dates_probe,
    .rows_in = rows_in,
    .locked_ids = NULL, /* one statement picks and deletes */
    .rows_among = NULL,
    .before_sql = before_sql,
    .policy_lock = NULL,
    .attached_archive = attached_archive,
    .attached_archive_make = attached_archive_make,
};

const struct dbc_retain_hooks *sqldbc_retain_hooks(void)
{
	return &sqlite_retain;
}

void sqldbc_retain_register(dbc_api_hooks *api)
{
	api->retain = sqldbc_retain_hooks;
}
