/*
 * pinned_path.c — the search_path every dbcare SQL function is declared
 * with (pg_catalog, pg_temp), set around C code that runs SQL outside
 * such a function: a transaction's callbacks run under the session's
 * path, where an operator or function a user made in a schema of their
 * own would be found first and run with the rights of whoever runs the
 * SQL.
 *
 * Invariant: an error between pin and unpin aborts the (sub)transaction,
 * whose end pops the GUC level pushed here; unpin runs on success only.
 */
#include "pg/host/glue.h"

#include "utils/guc.h"

int pgdbc_pin_search_path(void)
{
	int nest = NewGUCNestLevel();
	(void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
	                        GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void pgdbc_unpin_search_path(int nest)
{
	AtEOXact_GUC(true, nest);
}
