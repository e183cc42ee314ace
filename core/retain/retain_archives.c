/*
 * retain_archives.c — which tables of the database are dbcare's archives:
 * the targets of its archive policies. Such a table holds what a policy
 * moved out of its source, in the shape the policy gives it (the source's
 * columns and archived_at, checked at every run by dbc_retain_ensure_target),
 * made on first use by dbretain_apply: it is not part of the user's
 * migrated schema, and rows copied from another table have no key of their
 * own. Schema drift and tables_without_primary_key leave these out.
 */
#include "retain/retain_policy.h"

#include <string.h>

static int archive_tables(dbc_ctx *ctx, dbc_strlist *out)
{
	dbc_policies policies;
	if (dbc_retain_load(ctx, NULL, &policies) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < policies.n; i++) {
		const dbc_policy *p = &policies.items[i];
		/* an archive in another database is no table of this one */
		if (p->action != DBC_RETAIN_ARCHIVE || dbc_retain_external(p) || !p->target_name)
			continue;
		char *qn = dbc_qualified_name(ctx, p->target_schema, p->target_name);
		if (!qn || (dbc_strlist_find(out, qn) < 0 && dbc_strlist_add(ctx, out, qn) != DBC_OK))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* Read inside a savepoint: policies that cannot be read (bookkeeping left
 * incomplete, a role without the grant) are the error of the checks that
 * read them, and leave no table out here. */
int dbc_retain_archive_tables(dbc_ctx *ctx, dbc_strlist *out)
{
	memset(out, 0, sizeof(*out));
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (archive_tables(ctx, out) == DBC_OK)
		return ctx->host->release(ctx, level);
	ctx->host->rollback(ctx, level); /* keeps the error, then forgotten */
	dbc_error_clear(ctx);
	memset(out, 0, sizeof(*out));
	return DBC_OK;
}
