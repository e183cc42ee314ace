/*
 * api.c — the SQLite registration of the API table (core/api/functions.h):
 * every scalar function once per argument count it accepts (from its
 * required arguments to all), and every table-valued function as an
 * eponymous virtual table. Nothing here names a function: adding one to the
 * table and defining its sqldbc_<id> glue is all it takes.
 */
#include "glue.h"

typedef struct sqldbc_glue {
	void (*scalar)(sqlite3_context *, int, sqlite3_value **);
	sqldbc_tvf_fn produce;
} sqldbc_glue;

#define SQLDBC_REF_PG_SCALAR(id) .scalar = sqldbc_##id
#define SQLDBC_REF_SCALAR(id)    SQLDBC_REF_PG_SCALAR(id)
#define SQLDBC_REF_PG_TABLE(id)  .produce = sqldbc_##id
#define SQLDBC_REF_TABLE(id)     SQLDBC_REF_PG_TABLE(id)
#define SQLDBC_REF_PG(id)        .scalar = NULL

static const sqldbc_glue glue[DBC_API_NFUNCTIONS] = {
#define SQLDBC_REF_ENTRY_(id, name, engines, ...) [DBC_API_##id] = {SQLDBC_REF_##engines(id)},
    DBC_API_FUNCTIONS(SQLDBC_REF_ENTRY_)
#undef SQLDBC_REF_ENTRY_
};

static int register_scalar(sqlite3 *db, sqldbc_conn *conn, const dbc_api_fn *fn,
                           const sqldbc_glue *g, char **errmsg)
{
	int flags = fn->flags & DBC_API_PURE ? SQLDBC_PURE : SQLDBC_SIDE_EFFECT;
	for (int nargs = dbc_api_required_args(fn); nargs <= fn->nargs; nargs++) {
		int rc = sqlite3_create_function_v2(db, fn->name, nargs, flags, conn, g->scalar, NULL, NULL,
		                                    NULL);
		if (rc != SQLITE_OK) {
			*errmsg = sqlite3_mprintf("dbcare: could not register function %s: %s", fn->name,
			                          sqlite3_errmsg(db));
			return rc;
		}
	}
	return SQLITE_OK;
}

int sqldbc_register_api(sqlite3 *db, sqldbc_conn *conn, char **errmsg)
{
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		int rc = SQLITE_OK;
		if (fn->engines & DBC_ON_SQLITE_SCALAR)
			rc = register_scalar(db, conn, fn, &glue[i], errmsg);
		else if (fn->engines & DBC_ON_SQLITE_TABLE)
			rc = sqldbc_register_tvf(db, conn, fn, glue[i].produce, errmsg);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}
