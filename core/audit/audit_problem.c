/*
 * audit_problem.c — whether an audited table's changes are all recorded
 * now: the "recording" and "problem" columns of dbaudit_tables and the
 * health check "audit" (docs/audit.md, "Is it recording?"). The engine reads
 * its catalog (dbc_audit_hooks.recording: the table dropped, an operation
 * without an enabled audit trigger, triggers out of step with the table);
 * the words are chosen here, so both engines say the same fact the same way.
 * Below the table list and the health check, which both ask it.
 *
 * Invariant: a table is reported as recording only when every operation it
 * records has an audit trigger of its own that fires in ordinary sessions.
 */
#include "audit/audit.h"

#include <string.h>

/* "insert, update" + the clause in the singular or plural. */
static void add_clause(dbc_buf *b, dbc_ctx *ctx, const dbc_strlist *ops, const char *one,
                       const char *many)
{
	if (ops->n == 0)
		return;
	char *list = dbc_strlist_join(ctx, ops, ", ");
	dbc_buf_appendf(b, "%snot recording %s: %s", b->len ? "; " : "", list ? list : "?",
	                ops->n == 1 ? one : many);
}

int dbc_audit_problem(dbc_ctx *ctx, const dbc_audit_hooks *e, const dbc_audit_table *row,
                      char **problem)
{
	dbc_audit_recording r;
	memset(&r, 0, sizeof(r));
	*problem = NULL;
	if (e->recording(ctx, row, &r) != DBC_OK)
		return DBC_ERROR;
	if (!r.exists) {
		*problem = dbc_strdup(ctx, "dropped: its log is kept");
		return *problem ? DBC_OK : DBC_ERROR;
	}
	if (r.missing.n == 0 && r.disabled.n == 0 && r.replica.n == 0 && !r.stale && !r.renamed_to)
		return DBC_OK;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (r.renamed_to)
		dbc_buf_appendf(&b,
		                "renamed to %s since it was enabled: its changes are recorded under its "
		                "old name",
		                r.renamed_to);
	add_clause(&b, ctx, &r.missing, "its audit trigger was dropped",
	           "its audit triggers were dropped");
	add_clause(&b, ctx, &r.disabled, "its audit trigger is disabled",
	           "its audit triggers are disabled");
	add_clause(&b, ctx, &r.replica,
	           "its audit trigger fires only under session_replication_role = replica",
	           "its audit triggers fire only under session_replication_role = replica");
	if (r.stale)
		dbc_buf_appendf(&b, "%s%s", b.len ? "; " : "", r.stale);
	*problem = dbc_buf_finish(&b);
	return *problem ? DBC_OK : DBC_ERROR;
}
