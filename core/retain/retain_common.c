/*
 * retain_common.c — what soft delete and retention share: finding the table
 * and column an argument names, whether a column holds a point in time,
 * comparing names as the engine does, whether a bookkeeping table of the
 * part can be read yet, whether a delete or insert would run another
 * role's code with the caller's rights, and locking a batch's rows apart
 * from deleting them.
 */
#include "check/check.h"
#include "retain/retain.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dbc_retain_find_table(dbc_ctx *ctx, const dbc_schema *s, const char *name, const char *argname,
                          const dbc_table **out)
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

bool dbc_retain_temporal(const char *const *words, const char *type)
{
	if (!type)
		return false;
	for (const char *const *w = words; *w; w++) {
		size_t n = strlen(*w);
		for (const char *p = type; *p; p++)
			if (strncasecmp(p, *w, n) == 0)
				return true;
	}
	return false;
}

bool dbc_retain_same_name(const dbc_ctx *ctx, const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return ctx->host->dialect->names_fold_case ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

int dbc_retain_book_readable(dbc_ctx *ctx, const char *table, const char *column, bool *readable)
{
	bool exists = true;
	*readable = false;
	if (ctx->host->book_exists && ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	/* a SQLite file whose bookkeeping predates the table (or the column)
	 * reads as having no rows in it */
	*readable = !ctx->host->book_has_column || ctx->host->book_has_column(ctx, table, column);
	return DBC_OK;
}

int dbc_retain_table_alone(dbc_ctx *ctx, const char *table, const char *column, bool *readable)
{
	*readable = ctx->host->book_has_column && ctx->host->book_has_column(ctx, table, column);
	return DBC_OK;
}

int dbc_retain_owner_code(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *schema,
                          const char *name, const char *event, const char *what)
{
	if (!eng->owner_code)
		return DBC_OK;
	char *code = NULL;
	bool any = false;
	if (eng->owner_code(ctx, schema, name, event, &code, &any) != DBC_OK)
		return DBC_ERROR;
	if (!any)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "%s: the %s on table %s would run %s with your rights; dbcare will not", what, event,
	          dbc_qualified_name(ctx, schema, name), code ? code : "another role's code");
	dbc_error_hint(ctx, "Run it as that role (SET ROLE), or have a superuser own that code.");
	return DBC_ERROR;
}

const char *dbc_retain_concurrently(dbc_ctx *ctx)
{
	const char *c = ctx->host->dialect->concurrently;
	return c ? dbc_printf(ctx, "%s ", c) : "";
}

const char *dbc_retain_only(const dbc_ctx *ctx)
{
	return ctx->host->dialect->table_inheritance ? "ONLY " : "";
}

/* The locked rows' identities as one text value, and how many. */
typedef struct locked_rows {
	char *ids;
	int64_t n;
} locked_rows;

static int take_locked(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	locked_rows *l = arg;
	l->ids = ncol > 0 && c[0].type == DBC_TEXT ? dbc_strdup(ctx, c[0].s) : NULL;
	l->n = ncol < 2                ? 0
	       : c[1].type == DBC_INT  ? c[1].i
	       : c[1].type == DBC_TEXT ? strtoll(c[1].s, NULL, 10)
	                               : 0;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_retain_lock_rows(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *pick, int nparams,
                         const dbc_value *params, char **ids, int64_t *n)
{
	locked_rows l = {NULL, 0};
	char *sql = eng->locked_ids(ctx, pick);
	if (!sql || ctx->host->query(ctx, sql, nparams, params, take_locked, &l) != DBC_OK)
		return DBC_ERROR;
	if (!l.ids)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "the locked rows were not listed");
	*ids = l.ids;
	*n = l.n;
	return DBC_OK;
}
