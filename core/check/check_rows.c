/*
 * check_rows.c — the constraint and orphan findings as the rows the glue
 * returns to SQL (dbcheck_constraints, dbcheck_orphans). Inside the core the
 * findings are read by field; rows exist only at this boundary.
 */
#include "check/check.h"

/* The rows of dbcheck_constraints (table_name, constraint_name, kind,
 * violations, sample) or, orphans, of dbcheck_orphans (relation,
 * child_table, parent_table, orphans, sample); unchecked: a NULL count. */
_Static_assert(DBC_CHECK_NCOLS == DBC_ORPHAN_NCOLS, "one row shape for both");

static int as_rows(const dbc_check_findings *found, bool orphans, dbc_rows *out)
{
	for (int i = 0; i < found->n; i++) {
		const dbc_check_finding *f = &found->items[i];
		dbc_value row[DBC_CHECK_NCOLS] = {
		    dbc_text(orphans ? f->name : f->table), dbc_text(orphans ? f->table : f->name),
		    dbc_text(orphans ? f->parent : f->kind), f->checked ? dbc_int(f->count) : dbc_null(),
		    dbc_text(f->sample)};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_check_constraints(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                          dbc_rows *out)
{
	dbc_check_findings found = {0};
	if (dbc_check_constraint_findings(ctx, s, opt, &found) != DBC_OK)
		return DBC_ERROR;
	return as_rows(&found, false, out);
}

int dbc_check_orphans(dbc_ctx *ctx, const dbc_schema *s, const dbc_check_options *opt,
                      dbc_rows *out)
{
	dbc_check_findings found = {0};
	if (dbc_check_orphan_findings(ctx, s, opt, &found) != DBC_OK)
		return DBC_ERROR;
	return as_rows(&found, true, out);
}
