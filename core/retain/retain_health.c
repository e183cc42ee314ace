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

/* The entry of policy p's archive, made on first use: each archive once,
 * however many policies feed it. */
static int archive_of(dbc_ctx *ctx, dbc_retain_health *out, const dbc_policy *p,
                      dbc_retain_health_archive **a)
{
	char *target = dbc_qualified_name(ctx, p->target_schema, p->target_name);
	if (!target)
		return DBC_ERROR;
	for (int i = 0; i < out->narchives; i++)
		if (strcmp(out->archives[i].target, target) == 0) {
			*a = &out->archives[i];
			return DBC_OK;
		}
	if (dbc_grow(ctx, &out->archives, out->narchives, &out->cap_archives, sizeof(*out->archives),
	             4) != DBC_OK)
		return DBC_ERROR;
	*a = &out->archives[out->narchives++];
	**a = (dbc_retain_health_archive){
	    .target = target, .schema = p->target_schema, .name = p->target_name};
	return DBC_OK;
}

/* A row was read: *(bool *)arg. */
static int seen(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	(void)ctx, (void)ncol, (void)cols;
	*(bool *)arg = true;
	return DBC_OK;
}

/* The rows archive a holds now (-1: the table is missing). */
static int count_archive(dbc_ctx *ctx, const dbc_retain_hooks *eng, dbc_retain_health_archive *a)
{
	bool exists = false;
	if (eng->columns(ctx, a->schema, a->name, seen, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists) {
		a->rows = -1;
		return DBC_OK;
	}
	return count_rows(
	    ctx, dbc_printf(ctx, "SELECT count(*) FROM %s", dbc_quoted_name(ctx, a->schema, a->name)),
	    0, NULL, &a->rows);
}

/* Counting the rows a run would move now: due, and removed by the one
 * rule (retain_removable.c; on a table referencing itself a row only rows
 * going with it reference, a cycle of due rows, counts too). */
static char *due_sql(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_policy_ctx *pc)
{
	const char *only = dbc_retain_only(ctx);
	if (!dbc_retain_self_keyed(pc))
		return dbc_printf(ctx, "SELECT count(*) FROM %s%s AS s WHERE %s%s", only, pc->qt,
		                  pc->due_now, pc->unblocked);
	char *cands = dbc_printf(ctx, "SELECT s.%s FROM %s%s AS s WHERE %s", pc->row_id, only, pc->qt,
	                         pc->due_now);
	char *gone = cands ? dbc_retain_removable(ctx, eng, pc, cands) : NULL;
	return gone ? dbc_printf(ctx, "SELECT count(*) FROM %s%s AS s WHERE %s AND %s", only, pc->qt,
	                         pc->due_now, gone)
	            : NULL;
}

int dbc_retain_health_read(dbc_ctx *ctx, const dbc_retain_hooks *eng, dbc_retain_health *out)
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
		if (count_rows(ctx, due_sql(ctx, eng, &pc), 0, NULL, &h->due) != DBC_OK)
			return DBC_ERROR;
		h->batches = (h->due + batch - 1) / batch;
		for (int k = 0; k < pc.nblockers && !h->index_fix; k++)
			h->index_fix = dbc_retain_self_key_index(ctx, &s, &pc, &pc.blocker_keys[k]);
		if (p->action != DBC_RETAIN_ARCHIVE || dbc_retain_external(p))
			continue; /* an archive in another database is counted there */
		dbc_retain_health_archive *a;
		if (archive_of(ctx, out, p, &a) != DBC_OK)
			return DBC_ERROR;
		a->recorded += p->archived;
	}
	/* an archive no policy recorded moving rows into has nothing to compare */
	for (int i = 0; i < out->narchives; i++)
		if (out->archives[i].recorded != 0 && count_archive(ctx, eng, &out->archives[i]) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}
