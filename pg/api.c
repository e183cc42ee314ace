/*
 * api.c — the PostgreSQL module's exported functions: PG_FUNCTION_INFO_V1
 * for every PostgreSQL entry of the API table (core/api/functions.h), and
 * the generic wrappers of the functions of forms CORE_SCALAR (arguments
 * decoded by the table's types) and CORE_TABLE, which call their core entry. The
 * CREATE FUNCTION statements come from the same table (pg/gen/api_sql.c).
 */
#include "glue.h"

#include <string.h>

/* Argument k as the table declares it: NULL (or not passed) is DBC_NULL
 * when its default is NULL, else an error naming it (raised at once). */
static dbc_value arg_value(pgdbc_call *call, const dbc_api_column *arg, int k)
{
	bool null_ok = arg->default_sql && strcmp(arg->default_sql, "NULL") == 0;
	if (null_ok && !pgdbc_arg_given(call, k))
		return dbc_null();
	switch (arg->type) {
	case DBC_T_INT4:
		return dbc_int(pgdbc_arg_int32(call, k, arg->name));
	case DBC_T_INT8:
		return dbc_int(pgdbc_arg_int64(call, k, arg->name));
	case DBC_T_BOOL:
		return dbc_bool(pgdbc_arg_bool(call, k, arg->name));
	default: /* text: dbc_api_check allows no other type */
		return dbc_text(pgdbc_arg_text(call, k, arg->name));
	}
}

static Datum call_core(FunctionCallInfo fcinfo, const dbc_api_fn *fn, dbc_api_entry entry)
{
	pgdbc_call call;
	dbc_value args[DBC_API_MAX_ARGS];
	dbc_value result = dbc_null();
	int rc;
	pgdbc_begin(&call, fcinfo);
	for (int k = 0; k < fn->nargs; k++)
		args[k] = arg_value(&call, &fn->args[k], k);
	rc = entry(&call.ctx, args, &result);
	if (rc == DBC_OK && result.type == DBC_NULL)
		return pgdbc_return_null(&call, rc);
	switch (fn->returns) {
	case DBC_T_INT4:
		return pgdbc_return_int32(&call, rc, (int32)result.i);
	case DBC_T_INT8:
		return pgdbc_return_int64(&call, rc, result.i);
	case DBC_T_BOOL:
		return pgdbc_return_bool(&call, rc, result.i != 0);
	default:
		return pgdbc_return_text(&call, rc, result.type == DBC_TEXT ? result.s : NULL);
	}
}

/* The generic wrapper of a function of form CORE_TABLE. */
static Datum call_core_rows(FunctionCallInfo fcinfo, dbc_api_rows_entry entry)
{
	pgdbc_call call;
	dbc_rows rows;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = entry(&call.ctx, 0, NULL, &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}

#define PGDBC_INFO_PG(id)        PG_FUNCTION_INFO_V1(id);
#define PGDBC_INFO_PG_SCALAR(id) PGDBC_INFO_PG(id)
#define PGDBC_INFO_PG_TABLE(id)  PGDBC_INFO_PG(id)
#define PGDBC_INFO_SCALAR(id)
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
		return call_core_rows(fcinfo, dbc_call_##id);                                              \
	}
#define PGDBC_INFO_(id, name, form, ...) PGDBC_INFO_##form(id)
DBC_API_FUNCTIONS(PGDBC_INFO_)
