/*
 * health_series.c — the snapshots dbhealth_snapshot recorded, as series a
 * chart draws (the page of `dbcare report --html` and `dbcare serve`):
 * dbhealth_history, each snapshot's size and score; dbhealth_table_history,
 * each recorded table's size; and dbhealth_largest_tables, the sizes a
 * snapshot would record now. Read only; no rows before the bookkeeping
 * (or the snapshots) exist. Times are ISO-8601 UTC and seconds since 1970.
 */
#include "health/health.h"

static int add_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_rows *out = arg;
	if (ncol != out->ncol)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected snapshot row");
	return dbc_rows_add(out, c);
}

/* Whether the snapshots are there to read (a fresh SQLite database has
 * no bookkeeping, and reading creates none). */
static int snapshots_exist(dbc_ctx *ctx, bool *exists)
{
	*exists = false;
	return ctx->host->book_exists(ctx, exists);
}

int dbc_health_history(dbc_ctx *ctx, int64_t limit, dbc_rows *out)
{
	bool exists;
	dbc_rows_init(out, ctx, DBC_HEALTH_HISTORY_NCOLS);
	if (limit <= 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"limit\" must be positive");
	if (snapshots_exist(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	const dbc_dialect *d = ctx->host->dialect;
	char *iso = dbc_printf(ctx, d->time_iso, "s.taken_at");
	char *epoch = dbc_printf(ctx, d->time_epoch, "s.taken_at");
	/* the newest limit snapshots, drawn oldest first */
	char *sql = iso && epoch ? dbc_printf(ctx,
	                                      "SELECT %s, %s, s.size_bytes, s.score FROM"
	                                      " (SELECT id, taken_at, size_bytes, score"
	                                      " FROM %shealth_snapshots ORDER BY taken_at DESC,"
	                                      " id DESC LIMIT $1) AS s ORDER BY s.taken_at, s.id",
	                                      iso, epoch, ctx->host->book_prefix)
	                         : NULL;
	dbc_value p = dbc_int(limit);
	return sql ? ctx->host->query(ctx, sql, 1, &p, add_row, out) : DBC_ERROR;
}

int dbc_health_table_history(dbc_ctx *ctx, int64_t days, dbc_rows *out)
{
	bool exists;
	dbc_rows_init(out, ctx, DBC_HEALTH_TABLE_HISTORY_NCOLS);
	if (days <= 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"days\" must be positive");
	if (snapshots_exist(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	/* the table sizes are made on the growth part's first use (SQLite) */
	if (!exists || (ctx->host->book_has_column &&
	                !ctx->host->book_has_column(ctx, "dbcare_health_table_sizes", "bytes")))
		return DBC_OK;
	const dbc_dialect *d = ctx->host->dialect;
	const char *b = ctx->host->book_prefix;
	char *iso = dbc_printf(ctx, d->time_iso, "s.taken_at");
	char *epoch = dbc_printf(ctx, d->time_epoch, "s.taken_at");
	char *since = dbc_printf(ctx, d->time_within_days, "s.taken_at");
	char *sql = iso && epoch && since
	                ? dbc_printf(ctx,
	                             "SELECT coalesce(t.table_schema || '.', '') || t.table_name, %s,"
	                             " %s, t.bytes FROM %shealth_table_sizes AS t"
	                             " JOIN %shealth_snapshots AS s ON s.id = t.snapshot_id"
	                             " WHERE %s ORDER BY 1, s.taken_at, s.id",
	                             iso, epoch, b, b, since)
	                : NULL;
	dbc_value p = dbc_float((double)days);
	return sql ? ctx->host->query(ctx, sql, 1, &p, add_row, out) : DBC_ERROR;
}

int dbc_health_largest_tables(dbc_ctx *ctx, const dbc_health_hooks *eng, int64_t limit,
                              dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_HEALTH_LARGEST_NCOLS);
	if (limit <= 0 || limit > 1000)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"limit\" must be between 1 and 1000");
	dbc_health_table_sizes t = {.sizes_only = true};
	if (eng->table_sizes && eng->table_sizes(ctx, eng, (int)limit, &t) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < t.n; i++) {
		const dbc_health_table_size *s = &t.items[i];
		/* where the engine has schemas, as SQL writes it: qualified,
		 * quoted where needed */
		char *name = s->schema ? dbc_printf(ctx, "%s.%s", ctx->host->quote_ident(ctx, s->schema),
		                                    ctx->host->quote_ident(ctx, s->name))
		                       : s->name;
		dbc_value row[2] = {dbc_text(name), dbc_int(s->bytes)};
		if (!name || dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
