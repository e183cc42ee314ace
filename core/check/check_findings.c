/*
 * check_findings.c — the list of findings the checks fill (check_run.c) and
 * the row builders read (check_rows.c): below both, so the one calls the
 * other in one direction only.
 */
#include "check/check.h"

int dbc_check_findings_add(dbc_ctx *ctx, dbc_check_findings *l, const dbc_check_finding *f)
{
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(*l->items), 16) != DBC_OK)
		return DBC_ERROR;
	/* copies, as dbc_rows_add made: a name may live in a schema model
	 * that is not this call's */
	dbc_check_finding *c = &l->items[l->n];
	*c = *f;
	c->table = f->table ? dbc_strdup(ctx, f->table) : NULL;
	c->name = f->name ? dbc_strdup(ctx, f->name) : NULL;
	c->kind = f->kind ? dbc_strdup(ctx, f->kind) : NULL;
	c->parent = f->parent ? dbc_strdup(ctx, f->parent) : NULL;
	c->sample = f->sample ? dbc_strdup(ctx, f->sample) : NULL;
	if (ctx->failed)
		return DBC_ERROR;
	l->n++;
	return DBC_OK;
}
