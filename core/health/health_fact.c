/*
 * health_fact.c — what a check's gatherer fills its fact with (a skip, the
 * objects it names, rows collected by SQL), whether health.ignore names an
 * object, and the schema one run reads once. Below the run, the catalogue
 * and the gatherers, which all ask it.
 */
#include "health/health.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- facts */

void dbc_health_skip(dbc_ctx *ctx, dbc_health_fact *fact, const char *reason, const char *hint)
{
	fact->skipped = true;
	fact->reason = dbc_strdup(ctx, reason);
	fact->hint = hint ? dbc_strdup(ctx, hint) : NULL;
}

void dbc_health_skip_denied(dbc_ctx *ctx, dbc_health_fact *fact, const char *reason,
                            const char *hint)
{
	dbc_health_skip(ctx, fact, reason, hint);
	fact->denied = true;
}

void dbc_health_finding(dbc_ctx *ctx, dbc_health_fact *fact, dbc_check_status status,
                        const char *text)
{
	if (fact->skipped) {
		fact->skipped = false;
		fact->message = NULL;
		fact->hint = NULL;
		fact->value = -1;
		fact->value_text = dbc_strdup(ctx, "none");
	}
	if (status > fact->min_status)
		fact->min_status = status;
	fact->note = fact->note ? dbc_printf(ctx, "%s; %s", fact->note, text) : dbc_strdup(ctx, text);
}

int dbc_health_add_object(dbc_ctx *ctx, dbc_health_fact *fact, const char *schema, const char *name,
                          const char *table, double value, const char *detail)
{
	if (dbc_grow(ctx, &fact->objects, fact->nobjects, &fact->capobjects, sizeof(*fact->objects),
	             8) != DBC_OK)
		return DBC_ERROR;
	dbc_health_object *o = &fact->objects[fact->nobjects];
	o->schema = schema ? dbc_strdup(ctx, schema) : NULL;
	o->name = dbc_strdup(ctx, name ? name : "");
	o->table = table ? dbc_strdup(ctx, table) : NULL;
	o->value = value;
	o->detail = detail ? dbc_strdup(ctx, detail) : NULL;
	o->index = o->listing = o->column_schema = o->column_table = o->column = o->type = NULL;
	memset(&o->columns, 0, sizeof(o->columns));
	o->widen = NULL;
	o->nwiden = 0;
	if (ctx->failed)
		return DBC_ERROR;
	fact->nobjects++;
	return DBC_OK;
}

static const char *cell_text(dbc_ctx *ctx, const dbc_value *v)
{
	switch (v->type) {
	case DBC_TEXT:
		return v->s;
	case DBC_INT:
	case DBC_BOOL:
		return dbc_printf(ctx, "%lld", (long long)v->i);
	case DBC_FLOAT:
		return dbc_printf(ctx, "%g", v->f);
	default:
		return NULL;
	}
}

static double cell_number(const dbc_value *v)
{
	switch (v->type) {
	case DBC_INT:
	case DBC_BOOL:
		return (double)v->i;
	case DBC_FLOAT:
		return v->f;
	case DBC_TEXT:
		return strtod(v->s, NULL);
	default:
		return 0;
	}
}

int dbc_health_collect_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	dbc_health_fact *fact = arg;
	if (ncol < 5)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "health query returned %d columns, not 5",
		                 ncol);
	if (dbc_health_add_object(ctx, fact, cell_text(ctx, &cols[0]), cell_text(ctx, &cols[1]),
	                          cell_text(ctx, &cols[2]), cell_number(&cols[3]),
	                          cell_text(ctx, &cols[4])) != DBC_OK)
		return DBC_ERROR;
	/* the repair fields, in dbc_health_collect's order */
	dbc_health_object *o = &fact->objects[fact->nobjects - 1];
	char **extra[] = {&o->listing,   &o->column_schema, &o->column_table, &o->column, &o->type,
	                  &o->own_bound, &o->room_bound,    &o->increment,    &o->holder};
	for (int i = 5; i < ncol && i - 5 < (int)(sizeof(extra) / sizeof(extra[0])); i++) {
		const char *t = cell_text(ctx, &cols[i]);
		*extra[i - 5] = t ? dbc_strdup(ctx, t) : NULL;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_health_collect(dbc_ctx *ctx, dbc_health_fact *fact, const char *sql, int nparam,
                       const dbc_value *params)
{
	return ctx->host->query(ctx, sql, nparam, params, dbc_health_collect_row, fact);
}

/* ---------------------------------------------------------------- grading */

static bool eq_qualified(const char *item, const char *schema, const char *name)
{
	if (!name)
		return false;
	if (strcmp(item, name) == 0)
		return true;
	if (!schema)
		return false;
	size_t sl = strlen(schema);
	return strncmp(item, schema, sl) == 0 && item[sl] == '.' && strcmp(item + sl + 1, name) == 0;
}

bool dbc_health_ignored(const dbc_strlist *ignore, const char *schema, const char *name,
                        const char *table)
{
	if (!ignore)
		return false;
	for (int i = 0; i < ignore->n; i++) {
		const char *item = ignore->items[i];
		if (!*item)
			continue;
		if (eq_qualified(item, schema, name) || eq_qualified(item, schema, table))
			return true;
	}
	return false;
}

int dbc_health_schema(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_schema **out)
{
	dbc_health_shared *sh = eng->shared;
	if (sh && sh->schema) {
		*out = sh->schema;
		return DBC_OK;
	}
	if (!ctx->host->read_schema)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no schema reader for this engine");
	dbc_schema *s = dbc_zalloc(ctx, sizeof(*s));
	if (!s)
		return DBC_ERROR;
	dbc_schema_init(s, ctx);
	if (ctx->host->read_schema(ctx, s) != DBC_OK)
		return DBC_ERROR;
	if (sh)
		sh->schema = s;
	*out = s;
	return DBC_OK;
}
