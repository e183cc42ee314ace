/*
 * audit_recording.c — the health check "audit" (docs/audit.md, "Is it
 * recording?"): every audited table's problem (audit_problem.c), over the
 * list of audited tables (audit_tables.c).
 */
#include "audit/audit.h"

int dbc_audit_health(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_health_fact *fact)
{
	dbc_audit_table *rows;
	int n;
	if (dbc_audit_load_tables(ctx, e, NULL, &rows, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		char *problem;
		if (dbc_audit_problem(ctx, e, &rows[i], &problem) != DBC_OK)
			return DBC_ERROR;
		if (problem && dbc_health_add_object(ctx, fact, NULL, rows[i].name, rows[i].name, 1,
		                                     problem) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
