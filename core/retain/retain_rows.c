/*
 * retain_rows.c — which rows a statement of soft delete or retention names:
 * the row identity it picks them by, and the test "this row's point in time
 * lies before the cutoff".
 */
#include "retain/retain.h"

#include <strings.h>

/* Where tables have a rowid it answers to three names, each hidden by a
 * column of that name; the first one no column takes names the row. */
static const char *const rowid_names[] = {"rowid", "_rowid_", "oid", NULL};

int dbc_retain_row_id(dbc_ctx *ctx, const dbc_table *t, const char **out)
{
	*out = ctx->host->dialect->row_id;
	if (!ctx->host->dialect->rowid)
		return DBC_OK;
	for (const char *const *name = rowid_names; *name; name++) {
		bool shadowed = false;
		for (int i = 0; i < t->ncolumns && !shadowed; i++)
			shadowed = strcasecmp(t->columns[i].name, *name) == 0;
		if (!shadowed) {
			*out = *name;
			return DBC_OK;
		}
	}
	*out = NULL;
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	                 "table %s has columns rowid, _rowid_ and oid, which hide its rowid: dbcare "
	                 "cannot name its rows",
	                 dbc_qualified_name(ctx, t->schema, t->name));
}

char *dbc_retain_before(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *value,
                        const char *cutoff)
{
	if (!value || !cutoff)
		return NULL;
	return eng->before_sql ? eng->before_sql(ctx, value, cutoff)
	                       : dbc_printf(ctx, "%s < %s", value, cutoff);
}

char *dbc_retain_time_text(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *expr)
{
	if (!expr)
		return NULL;
	return eng->time_text ? eng->time_text(ctx, expr) : dbc_printf(ctx, "CAST(%s AS text)", expr);
}
