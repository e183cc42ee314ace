/*
 * retain_health.c — what the health check "retention" grades: the batches
 * each policy has due (a backlog means its runs do not keep up), and each
 * archive against the rows the policies recorded moving into it (fewer
 * rows: archived data was lost).
 */
#include "retain/retain_policy.h"
#include "settings/settings.h"

#include <stdlib.h>
#include <string.h>

static int count_rows(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *p, int64_t *n)
{
	char *text = NULL;
	if (!sql || dbc_query_text(ctx, sql, nparam, p, &text, NULL) != DBC_OK)
		return DBC_ERROR;
	*n = text ? strtoll(text, NULL, 10) : 0;
	return DBC_OK;
}

static int archive_of(dbc_ctx *ctx, dbc_retain_health *out, const char *target,
                      dbc_retain_health_archive **a)
{
	for (int i = 0; i < out->narchives; i++)
		if (strcmp(out->archives[i].target, target) == 0) {
			*a = &out->archives[i];
			return DBC_OK;
		}
	if (dbc_grow(ctx, &out->archives, out->narchives, &out->cap_archives, sizeof(*out->archives),
	             4) != DBC_OK)
		return DBC_ERROR;
	*a = &out->archives[out->narchives++];
	memset(*a, 0, sizeof(**a));
	(*a)->target = dbc_strdup(ctx, target);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_retain_health_read(dbc_ctx *ctx, const dbc_retain_engine *eng, dbc_retain_health *out)
{
	memset(out, 0, sizeof(*out));
	dbc_policies ps;
	int64_t batch = 0;
	if (dbc_retain_load(ctx, NULL, &ps) != DBC_OK ||
	    dbc_setting_get_int(ctx, "retain.batch_size", &batch) != DBC_OK)
		return DBC_ERROR;
	if (ps.n == 0)
		return DBC_OK;
	if (batch <= 0)
		batch = 1;
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (ctx->host->read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < ps.n; i++) {
		const dbc_policy *p = &ps.items[i];
		dbc_policy_ctx pc;
		if (dbc_policy_resolve(ctx, eng, &s, p, false, &pc) != DBC_OK)
			return DBC_ERROR;
		if (dbc_grow(ctx, &out->policies, out->npolicies, &out->cap_policies,
		             sizeof(*out->policies), 4) != DBC_OK)
			return DBC_ERROR;
		dbc_retain_health_policy *h = &out->policies[out->npolicies++];
		h->policy = p->name;
		h->table = dbc_qualified_name(ctx, p->table_schema, p->table_name);
		if (count_rows(ctx,
		               dbc_printf(ctx, "SELECT count(*) FROM %s%s AS s WHERE %s%s", eng->only,
		                          pc.qt, pc.due_now, pc.unblocked),
		               0, NULL, &h->due) != DBC_OK)
			return DBC_ERROR;
		h->batches = (h->due + batch - 1) / batch;
		if (p->action != DBC_RETAIN_ARCHIVE)
			continue;
		dbc_retain_health_archive *a;
		char *target = dbc_qualified_name(ctx, p->target_schema, p->target_name);
		if (!target || archive_of(ctx, out, target, &a) != DBC_OK)
			return DBC_ERROR;
		a->recorded += p->archived;
	}
	/* each archive counted once, however many policies feed it */
	for (int i = 0; i < ps.n; i++) {
		const dbc_policy *p = &ps.items[i];
		if (p->action != DBC_RETAIN_ARCHIVE)
			continue;
		dbc_retain_health_archive *a;
		char *target = dbc_qualified_name(ctx, p->target_schema, p->target_name);
		if (!target || archive_of(ctx, out, target, &a) != DBC_OK)
			return DBC_ERROR;
		if (a->rows != 0 || a->recorded == 0)
			continue; /* counted already, or nothing to compare */
		dbc_value v[2] = {p->target_schema ? dbc_text(p->target_schema) : dbc_null(),
		                  dbc_text(p->target_name)};
		char *any = NULL;
		bool exists = false;
		if (dbc_query_text(ctx, eng->columns_sql, 2, v, &any, &exists) != DBC_OK)
			return DBC_ERROR;
		if (!exists) {
			a->rows = -1;
			continue;
		}
		if (count_rows(ctx,
		               dbc_printf(ctx, "SELECT count(*) FROM %s",
		                          dbc_quoted_name(ctx, p->target_schema, p->target_name)),
		               0, NULL, &a->rows) != DBC_OK)
			return DBC_ERROR;
		if (a->rows == 0)
			a->rows = -2; /* empty: marked so it is not counted again */
	}
	for (int i = 0; i < out->narchives; i++)
		if (out->archives[i].rows == -2)
			out->archives[i].rows = 0;
	return DBC_OK;
}
