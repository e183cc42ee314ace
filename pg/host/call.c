/*
 * pg/host/call.c — the call helpers of pg/host/glue.h: a wrapper's call begun (its
 * memory, SPI, a dbc_ctx over the host the module installed), its arguments
 * read, its result returned in the caller's memory or its error raised.
 */
#include "glue.h"
#include "call_private.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* Whatever ends a call's context (an ERROR anywhere, caught by PL/pgSQL or
 * aborting the transaction), the arena pointer must not outlive it. The guard
 * lives in that context, so it needs no stack frame of the call. */
typedef struct arena_guard {
	MemoryContextCallback cb;
	MemoryContext self;
	MemoryContext prev;
} arena_guard;

static void arena_guard_fire(void *arg)
{
	arena_guard *g = arg;
	if (pgdbc_arena_get() == g->self)
		pgdbc_arena_set(g->prev);
}

static void begin_call(pgdbc_call *call, FunctionCallInfo fcinfo, bool spi)
{
	memset(call, 0, sizeof(*call));
	call->fcinfo = fcinfo;
	call->caller_cxt = CurrentMemoryContext;
	call->call_cxt =
	    AllocSetContextCreate(CurrentMemoryContext, "dbcare call", ALLOCSET_DEFAULT_SIZES);
	if (spi) {
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "dbcare: SPI_connect failed");
		call->spi_connected = true;
	}
	/* Glue temporaries go to the call's context, not SPI's procedure context. */
	MemoryContextSwitchTo(call->call_cxt);
	call->prev_arena = pgdbc_arena_get();
	{
		arena_guard *g = MemoryContextAlloc(call->call_cxt, sizeof(*g));
		g->self = call->call_cxt;
		g->prev = call->prev_arena;
		g->cb.func = arena_guard_fire;
		g->cb.arg = g;
		MemoryContextRegisterResetCallback(call->call_cxt, &g->cb);
	}
	pgdbc_arena_set(call->call_cxt);
	dbc_ctx_init(&call->ctx, pgdbc_installed_host(), call);
}

void pgdbc_begin(pgdbc_call *call, FunctionCallInfo fcinfo)
{
	/* first of all, before any argument is looked at (pg/host/readonly.c) */
	pgdbc_refuse_changes_when_read_only(fcinfo);
	/* then whether the objects are the ones this library reads and writes */
	pgdbc_require_current_objects();
	begin_call(call, fcinfo, true);
}

void pgdbc_begin_lean(pgdbc_call *call, FunctionCallInfo fcinfo)
{
	begin_call(call, fcinfo, false);
	call->lean = true;
}

void pgdbc_finish(pgdbc_call *call, int rc)
{
	dbc_ctx *ctx = &call->ctx;
	if (rc != DBC_OK) {
		const char *st = ctx->failed && ctx->sqlstate[0] ? ctx->sqlstate : DBC_SQLSTATE_INTERNAL;
		const char *msg =
		    ctx->failed && ctx->message ? ctx->message : "internal error: failed without a message";
		/* an error of a nested dbcare call already carries the prefix */
		if (strncmp(msg, "dbcare: ", 8) == 0)
			msg += 8;
		pgdbc_unwind_all(call, false);
		pgdbc_restore_arena(call);
		/* The texts live in the call's context, which the abort frees after the
		 * error data has copied them. SPI is cleaned up by the abort too. */
		const char *hint = ctx->hint ? ctx->hint : pgdbc_grant_hint(st, msg);
		ereport(ERROR,
		        (errcode(MAKE_SQLSTATE(st[0], st[1], st[2], st[3], st[4])),
		         errmsg("dbcare: %s", msg), ctx->detail ? errdetail_internal("%s", ctx->detail) : 0,
		         hint ? errhint("%s", hint) : 0,
		         ctx->context ? errcontext("%s", ctx->context) : 0));
	}
	/* A core that forgot a savepoint on success: keep its work. */
	pgdbc_unwind_all(call, true);
	pgdbc_restore_arena(call);
	if (call->spi_connected) {
		call->spi_connected = false;
		SPI_finish();
	}
	MemoryContextSwitchTo(call->caller_cxt);
	MemoryContextDelete(call->call_cxt);
	call->call_cxt = NULL;
}

bool pgdbc_arg_given(pgdbc_call *call, int n)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	return n < PG_NARGS() && !PG_ARGISNULL(n);
}

static void require_arg(pgdbc_call *call, int n, const char *name)
{
	if (!pgdbc_arg_given(call, n))
		pgdbc_call_error(call, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must not be NULL", name);
}

const char *pgdbc_arg_text(pgdbc_call *call, int n, const char *name)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	require_arg(call, n, name);
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

const char *pgdbc_arg_text_opt(pgdbc_call *call, int n)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	if (!pgdbc_arg_given(call, n))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

const char *pgdbc_arg_json(pgdbc_call *call, int n, const char *name)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	require_arg(call, n, name);
	if (get_fn_expr_argtype(fcinfo->flinfo, n) == JSONBOID) {
		Jsonb *jb = PG_GETARG_JSONB_P(n);
		return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
	return text_to_cstring(PG_GETARG_TEXT_PP(n));
}

bool pgdbc_arg_bool(pgdbc_call *call, int n, const char *name)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	require_arg(call, n, name);
	return PG_GETARG_BOOL(n);
}

/* Builds the result in the caller's context, then finishes. */
#define RETURN_IN_CALLER(call, rc, expr)                                                           \
	do {                                                                                           \
		Datum d_;                                                                                  \
		MemoryContext old_;                                                                        \
		if ((rc) != DBC_OK)                                                                        \
			pgdbc_finish((call), (rc));                                                            \
		pgdbc_unwind_all((call), true);                                                            \
		old_ = MemoryContextSwitchTo((call)->caller_cxt);                                          \
		d_ = (expr);                                                                               \
		MemoryContextSwitchTo(old_);                                                               \
		pgdbc_finish((call), DBC_OK);                                                              \
		return d_;                                                                                 \
	} while (0)

Datum pgdbc_return_null(pgdbc_call *call, int rc)
{
	pgdbc_finish(call, rc);
	call->fcinfo->isnull = true;
	return (Datum)0;
}

Datum pgdbc_return_text(pgdbc_call *call, int rc, const char *s)
{
	if (rc == DBC_OK && !s)
		return pgdbc_return_null(call, rc);
	RETURN_IN_CALLER(call, rc, CStringGetTextDatum(s));
}

Datum pgdbc_return_jsonb(pgdbc_call *call, int rc, const char *json)
{
	if (rc == DBC_OK && !json)
		return pgdbc_return_null(call, rc);
	RETURN_IN_CALLER(call, rc, DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

Datum pgdbc_return_int64(pgdbc_call *call, int rc, int64 v)
{
	RETURN_IN_CALLER(call, rc, Int64GetDatum(v));
}

Datum pgdbc_return_int32(pgdbc_call *call, int rc, int32 v)
{
	RETURN_IN_CALLER(call, rc, Int32GetDatum(v));
}

Datum pgdbc_return_bool(pgdbc_call *call, int rc, bool v)
{
	RETURN_IN_CALLER(call, rc, BoolGetDatum(v));
}

Datum pgdbc_return_float8(pgdbc_call *call, int rc, double v)
{
	RETURN_IN_CALLER(call, rc, Float8GetDatum(v));
}

/* A cell as text, for columns whose type has no direct Datum conversion. */
static char *cell_text(const dbc_value *v)
{
	switch (v->type) {
	case DBC_TEXT:
		return pstrdup(v->s);
	case DBC_INT:
		return psprintf(INT64_FORMAT, (int64)v->i);
	case DBC_FLOAT:
		return psprintf("%.17g", v->f);
	case DBC_BOOL:
		return pstrdup(v->i ? "true" : "false");
	case DBC_NULL:
		break;
	}
	return NULL;
}

static Datum cell_datum(const dbc_value *v, Form_pg_attribute att, FmgrInfo *in, Oid ioparam)
{
	if (v->type == DBC_INT || v->type == DBC_BOOL) {
		switch (att->atttypid) {
		case INT8OID:
			return Int64GetDatum(v->i);
		case INT4OID:
			if (v->i >= PG_INT32_MIN && v->i <= PG_INT32_MAX)
				return Int32GetDatum((int32)v->i);
			break;
		case INT2OID:
			if (v->i >= PG_INT16_MIN && v->i <= PG_INT16_MAX)
				return Int16GetDatum((int16)v->i);
			break;
		case BOOLOID:
			return BoolGetDatum(v->i != 0);
		case FLOAT8OID:
			return Float8GetDatum((double)v->i);
		default:
			break;
		}
	} else if (v->type == DBC_FLOAT) {
		if (att->atttypid == FLOAT8OID)
			return Float8GetDatum(v->f);
		if (att->atttypid == FLOAT4OID)
			return Float4GetDatum((float4)v->f);
	}
	/* text into a text column: textin's own conversion, without a copy of
	 * the cell and a call through fmgr (error rows have four of them) */
	if (v->type == DBC_TEXT && att->atttypid == TEXTOID)
		return PointerGetDatum(cstring_to_text(v->s));
	/* Everything else (timestamps, jsonb, numeric, out-of-range ints) goes
	 * through the column type's input function, which also validates it. */
	return InputFunctionCall(in, cell_text(v), ioparam, att->atttypmod);
}

/* A set-returning function's row type and its columns' input functions,
 * worked out at its first call in a query and kept in fn_extra (the
 * FmgrInfo's memory: the query's) for the others: a function called once
 * per row of a lateral join (dbjson_errors over a table) would otherwise
 * rebuild its row type from pg_proc and look up every input function each
 * time. */
typedef struct result_shape {
	TupleDesc desc;
	FmgrInfo *in;
	Oid *ioparams;
} result_shape;

static const result_shape *result_shape_of(FunctionCallInfo fcinfo)
{
	FmgrInfo *fl = fcinfo->flinfo;
	TupleDesc desc;
	if (fl->fn_extra)
		return fl->fn_extra;
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("dbcare: the function's return type must be a row type")));
	MemoryContext old = MemoryContextSwitchTo(fl->fn_mcxt);
	result_shape *shape = palloc0(sizeof(result_shape));
	shape->desc = CreateTupleDescCopy(desc);
	shape->in = palloc0(sizeof(FmgrInfo) * shape->desc->natts);
	shape->ioparams = palloc0(sizeof(Oid) * shape->desc->natts);
	for (int c = 0; c < shape->desc->natts; c++) {
		Oid input;
		getTypeInputInfo(TupleDescAttr(shape->desc, c)->atttypid, &input, &shape->ioparams[c]);
		fmgr_info_cxt(input, &shape->in[c], fl->fn_mcxt);
	}
	MemoryContextSwitchTo(old);
	fl->fn_extra = shape;
	return shape;
}

/* Sets up fcinfo's result as a materialised set: a tuplestore in the query's
 * memory and the declared row type. What InitMaterializedSRF(fcinfo, 0) does,
 * written out because 15.0 names that function SetSingleFuncCall: every call
 * here is one all 15.x minors export (see pg/host/tuple_attr.c). */
static void materialize_result(FunctionCallInfo fcinfo, const result_shape *shape)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	MemoryContext old;
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("dbcare: set-valued function called in a context that cannot "
		                       "accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
	                                          false, work_mem);
	/* a copy: the executor frees the set's descriptor after each call */
	rsinfo->setDesc = CreateTupleDescCopy(shape->desc);
	MemoryContextSwitchTo(old);
}

Datum pgdbc_return_rows(pgdbc_call *call, int rc, const dbc_rows *rows)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	ReturnSetInfo *rsinfo;
	TupleDesc desc;
	FmgrInfo *in;
	Oid *ioparams;
	Datum *values;
	bool *nulls;
	MemoryContext rowcxt, old;

	if (rc != DBC_OK)
		pgdbc_finish(call, rc);
	/* nothing below may raise an error with a savepoint of the core open */
	pgdbc_unwind_all(call, true);
	const result_shape *shape = result_shape_of(fcinfo);
	materialize_result(fcinfo, shape);
	rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	desc = rsinfo->setDesc;
	if (rows && rows->nrows > 0 && rows->ncol != desc->natts) {
		char *msg =
		    psprintf("result has %d columns but the function declares %d", rows->ncol, desc->natts);
		pgdbc_call_error(call, DBC_SQLSTATE_INTERNAL, "%s", msg);
	}
	in = shape->in;
	ioparams = shape->ioparams;
	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc0(sizeof(bool) * desc->natts);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dbcare row", ALLOCSET_SMALL_SIZES);
	for (int r = 0; rows && r < rows->nrows; r++) {
		const dbc_value *cells = rows->cells + (size_t)r * (size_t)rows->ncol;
		old = MemoryContextSwitchTo(rowcxt);
		for (int c = 0; c < desc->natts; c++) {
			nulls[c] = cells[c].type == DBC_NULL;
			values[c] = nulls[c]
			                ? (Datum)0
			                : cell_datum(&cells[c], TupleDescAttr(desc, c), &in[c], ioparams[c]);
		}
		/* tuplestore_putvalues copies the tuple into the per-query context */
		tuplestore_putvalues(rsinfo->setResult, desc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	pgdbc_finish(call, DBC_OK);
	return (Datum)0;
}
