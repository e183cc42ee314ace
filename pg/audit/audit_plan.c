/*
 * audit_plan.c — the audit writers' statements prepared once a backend and
 * kept (SPI_keepplan): shared by the writer (audit_write.c) and the
 * bookkeeping written at commit (audit_pending.c), which the writer calls.
 */
#include "pg/host/glue.h"

#include "executor/spi.h"

#include "audit_glue.h"

SPIPlanPtr pgdbc_audit_keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
	if (*slot == NULL) {
		SPIPlanPtr p = SPI_prepare(sql, nargs, types);
		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "dbcare: could not prepare an audit statement: %s",
			     SPI_result_code_string(SPI_result));
		*slot = p;
	}
	return *slot;
}
