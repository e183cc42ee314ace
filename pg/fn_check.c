/*
 * fn_check.c — dbcheck_* for PostgreSQL: SQL-callable wrappers around the
 * constraint planner and runner of core/check/. The catalog reader is
 * pg/catalog.c; nothing here decides what a violation is.
 */
#include "glue.h"

#include "check/check.h"

Datum dbcheck_constraints(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	dbc_schema s;
	dbc_check_options opt = {0};
	int rc;
	pgdbc_begin(&call, fcinfo);
	opt.table = pgdbc_arg_text_opt(&call, 0);
	dbc_rows_init(&rows, &call.ctx, DBC_CHECK_NCOLS);
	dbc_schema_init(&s, &call.ctx);
	rc = pgdbc_read_schema(&call.ctx, &s);
	if (rc == DBC_OK)
		rc = dbc_check_constraints(&call.ctx, &s, &opt, &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}

Datum dbcheck_orphans(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	dbc_schema s;
	int rc;
	pgdbc_begin(&call, fcinfo);
	dbc_rows_init(&rows, &call.ctx, DBC_ORPHAN_NCOLS);
	dbc_schema_init(&s, &call.ctx);
	rc = pgdbc_read_schema(&call.ctx, &s);
	if (rc == DBC_OK)
		rc = dbc_check_orphans(&call.ctx, &s, NULL, &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}

Datum dbcheck_add_relation(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_schema s;
	const char *name, *child, *child_cols, *parent, *parent_cols;
	int rc;
	pgdbc_begin(&call, fcinfo);
	name = pgdbc_arg_text(&call, 0, "name");
	child = pgdbc_arg_text(&call, 1, "child_table");
	child_cols = pgdbc_arg_text(&call, 2, "child_columns");
	parent = pgdbc_arg_text(&call, 3, "parent_table");
	parent_cols = pgdbc_arg_text(&call, 4, "parent_columns");
	dbc_schema_init(&s, &call.ctx);
	rc = pgdbc_read_schema(&call.ctx, &s);
	if (rc == DBC_OK)
		rc = dbc_relation_add(&call.ctx, &s, name, child, child_cols, parent, parent_cols);
	return pgdbc_return_text(&call, rc, name);
}

Datum dbcheck_cleanup_orphans(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_schema s;
	bool dry_run;
	int64_t count = 0;
	int rc;
	pgdbc_begin(&call, fcinfo);
	/* declared DEFAULT true: a NULL is an explicit NULL, an error */
	dry_run = pgdbc_arg_bool(&call, 0, "dry_run");
	dbc_schema_init(&s, &call.ctx);
	rc = pgdbc_read_schema(&call.ctx, &s);
	if (rc == DBC_OK)
		rc = dbc_check_cleanup_orphans(&call.ctx, &s, dry_run, &count);
	return pgdbc_return_int64(&call, rc, count);
}
