/*
 * pg/audit_count.c — how many audit entries were ever committed, for the
 * metric dbcare_audit_entries_written (the host's audit_entries_written):
 * the per-backend counts the audited statements add in their own
 * transactions (pg/audit_write.c), so a rollback takes its count back.
 */
#include "glue.h"

#include "catalog/namespace.h"
#include "utils/lsyscache.h"

static int take_written(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol >= 1 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

/* The sum of the per-backend counts of dbcare.audit_written
 * (pg/audit_write.c); before ALTER EXTENSION UPDATE made it, the newest
 * entry's id, as 0.3.8 reported. */
int pgdbc_audit_entries_written(dbc_ctx *ctx, int64_t *written)
{
	*written = 0;
	bool counted =
	    OidIsValid(get_relname_relid("audit_written", get_namespace_oid("dbcare", false)));
	return ctx->host->query(
	    ctx,
	    counted ? "SELECT coalesce(sum(entries), 0)::bigint FROM dbcare.audit_written"
	            : "SELECT max(id) FROM dbcare.audit_log",
	    0, NULL, take_written, written);
}
