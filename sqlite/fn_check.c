/*
 * fn_check.c — dbcheck_* for SQLite: the constraints and orphans tables and
 * dbcheck_add_relation / dbcheck_cleanup_orphans (dbcheck_relations and
 * dbcheck_drop_relation have the generic glue of sqlite/api.c). Decoding and
 * encoding only; the planning and the bookkeeping rules are core/check/.
 */
#include "check/check.h"
#include "glue.h"

int sqldbc_dbcheck_constraints(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_CHECK_NCOLS);
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (sqldbc_read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	dbc_check_options opt = {0};
	if (argc > 0 && args[0].type == DBC_TEXT)
		opt.table = args[0].s;
	else if (argc > 0 && args[0].type != DBC_NULL)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"table\" must be text");
	return dbc_check_constraints(ctx, &s, &opt, out);
}

int sqldbc_dbcheck_orphans(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	dbc_rows_init(out, ctx, DBC_ORPHAN_NCOLS);
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (sqldbc_read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_check_orphans(ctx, &s, NULL, out);
}

void sqldbc_dbcheck_add_relation(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	static const char *const names[5] = {"name", "child_table", "child_columns", "parent_table",
	                                     "parent_columns"};
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *a[5];
	int rc = DBC_OK;
	for (int i = 0; i < 5 && rc == DBC_OK; i++)
		rc = sqldbc_arg_text(&call, argv, i, names[i], &a[i]);
	dbc_schema s;
	dbc_schema_init(&s, &call.ctx);
	if (rc == DBC_OK)
		rc = sqldbc_read_schema(&call.ctx, &s);
	if (rc == DBC_OK)
		rc = dbc_relation_add(&call.ctx, &s, a[0], a[1], a[2], a[3], a[4]);
	if (rc == DBC_OK)
		sqlite3_result_text(c, a[0], -1, SQLITE_TRANSIENT);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbcheck_cleanup_orphans(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	int64_t dry_run = 1, count = 0;
	int rc = argc > 0 ? sqldbc_arg_int(&call, argv, 0, "dry_run", &dry_run) : DBC_OK;
	dbc_schema s;
	dbc_schema_init(&s, &call.ctx);
	if (rc == DBC_OK)
		rc = sqldbc_read_schema(&call.ctx, &s);
	if (rc == DBC_OK)
		rc = dbc_check_cleanup_orphans(&call.ctx, &s, dry_run != 0, &count);
	if (rc == DBC_OK)
		sqlite3_result_int64(c, count);
	sqldbc_finish(&call, c, rc);
}
