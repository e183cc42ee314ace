/*
 * api.c — the SQLite registration of the API table (core/api/functions.h):
 * every scalar function once per argument count it accepts (from its
 * required arguments to all), and every table-valued function as an
 * eponymous virtual table. Nothing here names a function: adding one to the
 * table and defining its sqldbc_<id> glue (or, for form CORE_SCALAR, its core
 * entry dbc_call_<id>, called by the generic glue here) is all it takes.
 */
#include "sqlite/host/glue.h"

#include <stdlib.h>
#include <string.h>

typedef struct sqldbc_glue {
	void (*scalar)(sqlite3_context *, int, sqlite3_value **);
	sqldbc_tvf_fn produce;
	dbc_api_entry entry; /* form CORE_SCALAR: the generic glue below calls it */
} sqldbc_glue;

/* What a function of form CORE_SCALAR is registered with (its user data,
 * freed by SQLite with the function; it holds the connection state). */
typedef struct core_call {
	sqldbc_conn *conn;
	const dbc_api_fn *fn;
	dbc_api_entry entry;
} core_call;

static void core_call_free(void *p)
{
	core_call *cc = p;
	sqldbc_conn_release(cc->conn);
	sqlite3_free(cc);
}

/* Argument k as SQLite passed it, for dbc_api_args: text for a text-like
 * argument (any value but NULL has one), a number by numeric affinity for
 * a numeric one. */
static int raw_arg(sqldbc_call *call, const dbc_api_column *arg, int k, sqlite3_value **argv,
                   dbc_value *out)
{
	const char *text;
	int type = sqlite3_value_type(argv[k]);
	if (type == SQLITE_NULL) {
		*out = dbc_null();
		return DBC_OK;
	}
	if (arg->type == DBC_T_INT4 || arg->type == DBC_T_INT8 || arg->type == DBC_T_BOOL ||
	    arg->type == DBC_T_FLOAT8) {
		type = sqlite3_value_numeric_type(argv[k]);
		if (type == SQLITE_INTEGER) {
			*out = dbc_int(sqlite3_value_int64(argv[k]));
			return DBC_OK;
		}
		if (type == SQLITE_FLOAT) {
			*out = dbc_float(sqlite3_value_double(argv[k]));
			return DBC_OK;
		}
	}
	if (sqldbc_arg_text(call, argv, k, arg->name, &text) != DBC_OK)
		return DBC_ERROR;
	*out = dbc_text(text);
	return DBC_OK;
}

static void call_core_fn(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	const core_call *cc = sqlite3_user_data(c);
	sqldbc_call call;
	dbc_value raw[DBC_API_MAX_ARGS], args[DBC_API_MAX_ARGS];
	dbc_value result = dbc_null();
	int rc = DBC_OK;
	sqldbc_call_open(&call, cc->conn);
	for (int k = 0; k < argc && k < cc->fn->nargs && rc == DBC_OK; k++)
		rc = raw_arg(&call, &cc->fn->args[k], k, argv, &raw[k]);
	if (rc == DBC_OK)
		rc = dbc_api_args(&call.ctx, cc->fn, DBC_API_FIRST(argc), raw, args);
	/* the log directory is checked against the filesystem here, where it is */
	if (rc == DBC_OK && strcmp(cc->fn->name, "dbcare_set") == 0 && argc >= 2)
		rc = sqldbc_pitr_check_setting(&call.ctx, &args[0], &args[1]);
	if (rc == DBC_OK)
		rc = cc->entry(&call.ctx, args, &result);
	if (rc == DBC_OK) {
		if (result.type == DBC_TEXT)
			sqlite3_result_text(c, result.s, -1, SQLITE_TRANSIENT);
		else if (result.type == DBC_INT || result.type == DBC_BOOL)
			sqlite3_result_int64(c, result.i);
		else if (result.type == DBC_FLOAT)
			sqlite3_result_double(c, result.f);
		else
			sqlite3_result_null(c);
		/* a jsonb result is JSON to SQLite's json functions, as on PostgreSQL */
		if (result.type == DBC_TEXT && cc->fn->returns == DBC_T_JSONB)
			sqlite3_result_subtype(c, 'J');
	}
	sqldbc_finish(&call, c, rc);
	/* a setting changed on this connection: the log capture follows
	 * backup.log.dir (pitr_module.c) */
	if (rc == DBC_OK && strcmp(cc->fn->name, "dbcare_set") == 0)
		sqldbc_pitr_configure(cc->conn, false);
}

#define SQLDBC_REF_PG_SCALAR(id)   .scalar = sqldbc_##id
#define SQLDBC_REF_SCALAR(id)      SQLDBC_REF_PG_SCALAR(id)
#define SQLDBC_REF_PG_TABLE(id)    .produce = sqldbc_##id
#define SQLDBC_REF_TABLE(id)       SQLDBC_REF_PG_TABLE(id)
#define SQLDBC_REF_PG(id)          .scalar = NULL
#define SQLDBC_REF_CORE_SCALAR(id) .entry = dbc_call_##id
#define SQLDBC_REF_CORE_TABLE(id)  .produce = dbc_call_##id
#define SQLDBC_REF_CORE_SQLITE(id) .entry = dbc_call_##id
#define SQLDBC_REF_CORE_PG(id)     .scalar = NULL

static const sqldbc_glue glue[DBC_API_NFUNCTIONS] = {
#define SQLDBC_REF_ENTRY_(id, name, engines, ...) [DBC_API_##id] = {SQLDBC_REF_##engines(id)},
    DBC_API_FUNCTIONS(SQLDBC_REF_ENTRY_)
#undef SQLDBC_REF_ENTRY_
};

static int register_scalar(sqlite3 *db, sqldbc_conn *conn, const dbc_api_fn *fn,
                           const sqldbc_glue *g, char **errmsg)
{
	int flags = fn->flags & DBC_API_PURE        ? SQLDBC_PURE
	            : fn->flags & DBC_API_INNOCUOUS ? SQLDBC_INNOCUOUS
	                                            : SQLDBC_SIDE_EFFECT;
	/* a variadic function: once, for any number of arguments */
	int last = fn->flags & DBC_API_VARIADIC ? dbc_api_required_args(fn) : fn->nargs;
	for (int nargs = dbc_api_required_args(fn); nargs <= last; nargs++) {
		int narg = fn->flags & DBC_API_VARIADIC ? -1 : nargs;
		int rc;
		if (g->entry) {
			core_call *cc = sqlite3_malloc(sizeof(*cc));
			if (!cc)
				return SQLITE_NOMEM;
			cc->conn = conn;
			cc->fn = fn;
			cc->entry = g->entry;
			sqldbc_conn_hold(conn);
			/* SQLite frees cc with the function, also when this fails */
			rc = sqlite3_create_function_v2(db, fn->name, narg, flags, cc, call_core_fn, NULL, NULL,
			                                core_call_free);
		} else {
			rc = sqldbc_conn_function(db, fn->name, narg, flags, conn, g->scalar);
		}
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

int sqldbc_register_pure(sqlite3 *db, sqldbc_conn *conn, char **errmsg)
{
	for (int i = 0; i < DBC_API_NFUNCTIONS; i++) {
		const dbc_api_fn *fn = &dbc_api_functions[i];
		if ((fn->engines & DBC_ON_SQLITE_SCALAR) && (fn->flags & DBC_API_PURE)) {
			int rc = register_scalar(db, conn, fn, &glue[i], errmsg);
			if (rc != SQLITE_OK)
				return rc;
		}
	}
	return SQLITE_OK;
}
