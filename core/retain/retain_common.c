/*
 * retain_common.c — what soft delete and retention share: finding the table
 * and column an argument names, and whether a column holds a point in time.
 */
#include "check/check.h"
#include "retain/retain.h"

#include <string.h>
#include <strings.h>

int dbc_retain_find_table(dbc_ctx *ctx, const dbc_schema *s, const char *name,
                          const char *argname, const dbc_table **out)
{
	if (dbc_check_find_table(ctx, s, name, argname, out) != DBC_OK)
		return DBC_ERROR;
	const char *kind = (*out)->kind;
	if (kind && strcmp(kind, "table") != 0 && strcmp(kind, "partitioned table") != 0) {
		const char *display = dbc_qualified_name(ctx, (*out)->schema, (*out)->name);
		*out = NULL;
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "%s named by argument \"%s\" is a %s, not a table",
		                 display ? display : name, argname, kind);
	}
	return DBC_OK;
}

const dbc_column *dbc_retain_find_column(const dbc_ctx *ctx, const dbc_table *t, const char *name)
{
	const dbc_column *c = dbc_table_find_column(t, name);
	if (c || !ctx->host->dialect->names_fold_case)
		return c;
	for (int i = 0; i < t->ncolumns; i++)
		if (strcasecmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

bool dbc_retain_temporal(const dbc_retain_engine *eng, const char *type)
{
	if (!type)
		return false;
	for (const char *const *w = eng->temporal_words; *w; w++) {
		size_t n = strlen(*w);
		for (const char *p = type; *p; p++)
			if (strncasecmp(p, *w, n) == 0)
				return true;
	}
	return false;
}
