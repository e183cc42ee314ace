/*
 * pinned_path.c — the search_path every dbcare SQL function is declared
 * with (DBC_PG_PINNED_SEARCH_PATH: pg_catalog, pg_temp), set around C code
 * that runs SQL outside such a function: a transaction's callbacks, the
 * host's queries and schema reader under a caller's path, a check's scope.
 * Under the session's path an operator or function a user made in a schema
 * of their own would be found first and run with the rights of whoever
 * runs the SQL.
 *
 * Invariant: an error between pin and unpin aborts the (sub)transaction,
 * whose end pops the GUC level pushed here; unpin runs on success only.
 */
#include "pg/host/glue.h"

#include "catalog/namespace.h"
#include "utils/guc.h"

#include <string.h>

bool pgdbc_search_path_pinned(void)
{
	return namespace_search_path && strcmp(namespace_search_path, DBC_PG_PINNED_SEARCH_PATH) == 0;
}

int pgdbc_pin_search_path(void)
{
	int nest = NewGUCNestLevel();
	if (!pgdbc_search_path_pinned())
		(void)set_config_option("search_path", DBC_PG_PINNED_SEARCH_PATH, PGC_USERSET,
		                        PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

void pgdbc_unpin_search_path(int nest)
{
	AtEOXact_GUC(true, nest);
}
