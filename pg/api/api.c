/*
 * api.c — the PostgreSQL module's exported functions: PG_FUNCTION_INFO_V1
 * for every PostgreSQL entry of the API table (core/api/functions.h), and
 * the generic wrappers of the functions of forms CORE_SCALAR and CORE_TABLE:
 * each argument as the engine has it, decoded and checked by the core
 * (dbc_api_args), the core entry run under pgdbc_run, the result encoded by
 * its declared type. The CREATE FUNCTION statements come from the same
 * table (pg/gen/api_sql.c).
 */
#include "pg/host/glue.h"
#include "pg/retain/purge_scope.h"

#include "backup/backup.h"
#include "health/health.h"
#include "migrate/migrate.h"
#include "retain/retain.h"

#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

#include <string.h>

/* Argument k as PostgreSQL passed it: DBC_NULL when NULL, else by its
 * declared type; dbc_api_args does every check. */
static dbc_value raw_arg(pgdbc_call *call, const dbc_api_column *arg, int k)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	if (!pgdbc_arg_given(call, k))
		return dbc_null();
	switch (arg->type) {
	case DBC_T_INT4:
		return dbc_int(PG_GETARG_INT32(k));
	case DBC_T_INT8:
		return dbc_int(PG_GETARG_INT64(k));
	case DBC_T_BOOL:
		return dbc_bool(PG_GETARG_BOOL(k));
	case DBC_T_FLOAT8:
		return dbc_float(PG_GETARG_FLOAT8(k));
	case DBC_T_JSONB:
	case DBC_T_JSON:
		return dbc_text(pgdbc_arg_json(call, k, arg->name));
	case DBC_T_TIMESTAMPTZ:
		return dbc_text(DatumGetCString(DirectFunctionCall1(timestamptz_out, PG_GETARG_DATUM(k))));
	default: /* text: dbc_api_check allows no other type */
		return dbc_text(pgdbc_arg_text(call, k, arg->name));
	}
}

/* One call of a core entry, run by pgdbc_run. */
typedef struct core_run {
	const dbc_api_fn *fn;
	dbc_api_entry entry;           /* CORE_SCALAR */
	dbc_api_rows_entry rows_entry; /* CORE_TABLE */
	dbc_value args[DBC_API_MAX_ARGS];
	dbc_value result;
	dbc_rows rows;
} core_run;

static int run_entry(dbc_ctx *ctx, void *arg)
{
	core_run *r = arg;
	if (r->entry)
		return r->entry(ctx, r->args, &r->result);
	return r->rows_entry(ctx, r->fn->nargs, r->args, &r->rows);
}

/* Decodes the arguments and runs the entry. A purge the core opened never
 * outlives the call (pg/retain/purge_scope.c); nor does the migrate part's
 * re-entrancy guard should PostgreSQL unwind past the core (an error raised
 * where no savepoint catches it, a cancel): pgdbc_run has rolled back the
 * core's savepoints by then. */
static int call_entry(pgdbc_call *call, FunctionCallInfo fcinfo, core_run *r)
{
	dbc_value raw[DBC_API_MAX_ARGS];
	int depth, saved;
	volatile int rc;
	pgdbc_begin(call, fcinfo);
	for (int k = 0; k < r->fn->nargs; k++)
		raw[k] = raw_arg(call, &r->fn->args[k], k);
	rc = dbc_api_args(&call->ctx, r->fn, DBC_API_FIRST(r->fn->nargs), raw, r->args);
	if (rc != DBC_OK)
		return rc;
	depth = pgdbc_purge_depth();
	saved = dbc_migrate_guard_save();
	PG_TRY();
	{
		rc = pgdbc_run(call, run_entry, r);
	}
	PG_CATCH();
	{
		dbc_migrate_guard_restore(saved);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pgdbc_purge_end_to(depth);
	return rc;
}

/* The generic wrapper of a function of form CORE_SCALAR. */
static Datum call_core(FunctionCallInfo fcinfo, const dbc_api_fn *fn, dbc_api_entry entry)
{
	pgdbc_call call;
	core_run r = {.fn = fn, .entry = entry, .result = dbc_null()};
	int rc = call_entry(&call, fcinfo, &r);
	if (rc == DBC_OK && r.result.type == DBC_NULL)
		return pgdbc_return_null(&call, rc);
	switch (fn->returns) {
	case DBC_T_INT4:
		return pgdbc_return_int32(&call, rc, (int32)r.result.i);
	case DBC_T_INT8:
		return pgdbc_return_int64(&call, rc, r.result.i);
	case DBC_T_BOOL:
		return pgdbc_return_bool(&call, rc, r.result.i != 0);
	case DBC_T_FLOAT8:
		return pgdbc_return_float8(&call, rc, r.result.f);
	case DBC_T_JSONB:
		return pgdbc_return_jsonb(&call, rc, r.result.type == DBC_TEXT ? r.result.s : NULL);
	default:
		return pgdbc_return_text(&call, rc, r.result.type == DBC_TEXT ? r.result.s : NULL);
	}
}

/* The generic wrapper of a function of form CORE_TABLE. */
static Datum call_core_rows(FunctionCallInfo fcinfo, const dbc_api_fn *fn, dbc_api_rows_entry entry)
{
	pgdbc_call call;
	core_run r = {.fn = fn, .rows_entry = entry};
	int rc = call_entry(&call, fcinfo, &r);
	return pgdbc_return_rows(&call, rc, rc == DBC_OK ? &r.rows : NULL);
}

#define PGDBC_INFO_PG(id)        PG_FUNCTION_INFO_V1(id);
#define PGDBC_INFO_PG_SCALAR(id) PGDBC_INFO_PG(id)
#define PGDBC_INFO_PG_TABLE(id)  PGDBC_INFO_PG(id)
#define PGDBC_INFO_SCALAR(id)
#define PGDBC_INFO_CORE_SQLITE(id)
#define PGDBC_INFO_CORE_PG(id) PGDBC_INFO_CORE_SCALAR(id)
#define PGDBC_INFO_TABLE(id)
#define PGDBC_INFO_CORE_SCALAR(id)                                                                 \
	PG_FUNCTION_INFO_V1(id);                                                                       \
	Datum id(PG_FUNCTION_ARGS)                                                                     \
	{                                                                                              \
		return call_core(fcinfo, &dbc_api_functions[DBC_API_##id], dbc_call_##id);                 \
	}
#define PGDBC_INFO_CORE_TABLE(id)                                                                  \
	PG_FUNCTION_INFO_V1(id);                                                                       \
	Datum id(PG_FUNCTION_ARGS)                                                                     \
	{                                                                                              \
		return call_core_rows(fcinfo, &dbc_api_functions[DBC_API_##id], dbc_call_##id);            \
	}
#define PGDBC_INFO_(id, name, form, ...) PGDBC_INFO_##form(id)
DBC_API_FUNCTIONS(PGDBC_INFO_)
