/*
 * pg/host.c — dbcare's host over SPI: SQL execution with errors caught inside
 * the core's internal subtransactions (the way PL/pgSQL exception blocks work),
 * memory in PostgreSQL contexts, and the per-call helpers of pg/glue.h.
 */
#include "glue.h"
#include "audit_glue.h"

#include "health/health.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "jit/jit.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include <ctype.h>

PG_MODULE_MAGIC;

/*
 * The arena context of the innermost running dbcare call. dbc_host.alloc has no
 * ctx argument, and dbcare functions can nest (a migration's SQL may call
 * dbcare_set), so calls save and restore it; an error caught by an outer call
 * resets it to that call's context.
 */
static MemoryContext pgdbc_arena_cxt = NULL;

static MemoryContext arena_cxt(void)
{
	return pgdbc_arena_cxt ? pgdbc_arena_cxt : CurrentMemoryContext;
}

void *pgdbc_alloc(size_t size)
{
	return MemoryContextAllocExtended(arena_cxt(), size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

void pgdbc_free(void *ptr)
{
	if (ptr)
		pfree(ptr);
}

/* dbcare.progress: on, a long step's progress is a NOTICE per step (off by
 * default: a NOTICE per step would flood an ordinary client; the dbcare
 * command turns it on in its own session when it draws progress). */
static bool progress_setting = false;

void _PG_init(void)
{
	pgdbc_init_json_alloc();
	pgdbc_define_schema_cache_setting();
	pgdbc_define_audit_settings();
	DefineCustomBoolVariable("dbcare.progress", "Reports the progress of long steps as notices.",
	                         "Each notice reads \"dbcare progress: DONE/TOTAL what\".",
	                         &progress_setting, false, PGC_USERSET, 0, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ errors */

static void restore_arena(pgdbc_call *call)
{
	pgdbc_arena_cxt = call->prev_arena;
}

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
	if (pgdbc_arena_cxt == g->self)
		pgdbc_arena_cxt = g->prev;
}

/* Ends the call's subtransactions until n are left open, innermost first:
 * released or rolled back, then the memory context and resource owner of the
 * moment each was opened made current again (as PL/pgSQL does), so the code
 * around finds its own state. */
static void end_subxacts(pgdbc_call *call, int n, bool commit)
{
	while (call->nsubxacts > n) {
		/* off the stack first: should ending it fail, PostgreSQL's abort
		 * cleans up a subtransaction caught half-way, and it must not be
		 * ended twice */
		pgdbc_subxact *sx = &call->subxacts[--call->nsubxacts];
		/* nothing opened after it is left: its creators all end theirs */
		Assert(GetCurrentSubTransactionId() == sx->id);
		if (commit)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(sx->saved_cxt);
		CurrentResourceOwner = sx->saved_owner;
	}
}

/* Rolls back every subtransaction the core left open, so an enclosing
 * PL/pgSQL exception block (or the top level) finds its own current. */
static void unwind_all(pgdbc_call *call, bool commit)
{
	end_subxacts(call, 0, commit);
}

/*
 * An error PostgreSQL raised leaves the call with the "dbcare: " prefix every
 * dbcare error has ("permission denied for schema dbcare", "cannot execute
 * INSERT in a read-only transaction"), once (a nested dbcare call's error has
 * it already), and all else kept: SQLSTATE, detail, hint, context, position.
 * A cancel or timeout (57014) stays exactly as PostgreSQL raised it: it is the
 * caller's own doing, not dbcare's finding.
 */
static void prefix_error(ErrorData *ed)
{
	if (ed->elevel != ERROR || ed->sqlerrcode == ERRCODE_QUERY_CANCELED ||
	    (ed->message && strncmp(ed->message, "dbcare: ", 8) == 0))
		return;
	ed->message = psprintf("dbcare: %s", ed->message ? ed->message : "unknown error");
	if (!ed->hint)
		ed->hint = pgdbc_grant_hint(unpack_sql_state(ed->sqlerrcode), ed->message + 8);
}

/*
 * An ERROR that ends the call, caught (and copied into ed, in the call's
 * memory) by one of the call's frames: every subtransaction the core has open
 * is rolled back, then the error is raised again, prefixed but otherwise
 * unchanged. Why: PostgreSQL's top-level error handling aborts a
 * subtransaction left open but keeps it on the stack as an aborted
 * savepoint, so after an internal one escaped, every later statement failed
 * with 25P02 even in autocommit and ROLLBACK ended the connection.
 */
static _Noreturn void escape(pgdbc_call *call, ErrorData *ed)
{
	unwind_all(call, false);
	restore_arena(call);
	prefix_error(ed);
	ReThrowError(ed);
}

/* The error being handled, copied into the call's memory, the error state
 * flushed: what a PG_CATCH block of the call starts with. */
static ErrorData *take_error(pgdbc_call *call)
{
	ErrorData *ed;
	pgdbc_arena_cxt = call->call_cxt;
	MemoryContextSwitchTo(call->call_cxt);
	ed = CopyErrorData();
	FlushErrorState();
	return ed;
}

int pgdbc_run(pgdbc_call *call, int (*body)(dbc_ctx *ctx, void *arg), void *arg)
{
	volatile int rc = DBC_ERROR;
	PG_TRY();
	{
		rc = body(&call->ctx, arg);
	}
	PG_CATCH();
	{
		escape(call, take_error(call));
	}
	PG_END_TRY();
	return rc;
}

void pgdbc_error(const char *sqlstate, const char *fmt, ...)
{
	StringInfoData buf;
	initStringInfo(&buf);
	for (;;) {
		va_list ap;
		int needed;
		va_start(ap, fmt);
		needed = appendStringInfoVA(&buf, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	ereport(ERROR, (errcode(MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3],
	                                      sqlstate[4])),
	                errmsg("dbcare: %s", buf.data)));
	pg_unreachable();
}

/* A glue-level error on a running call: leave the call's state clean first. */
static void call_error(pgdbc_call *call, const char *sqlstate, const char *msg, const char *name)
{
	unwind_all(call, false);
	restore_arena(call);
	pgdbc_error(sqlstate, msg, name);
}

/* ------------------------------------------------------------ call helpers */

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
	call->prev_arena = pgdbc_arena_cxt;
	{
		arena_guard *g = MemoryContextAlloc(call->call_cxt, sizeof(*g));
		g->self = call->call_cxt;
		g->prev = call->prev_arena;
		g->cb.func = arena_guard_fire;
		g->cb.arg = g;
		MemoryContextRegisterResetCallback(call->call_cxt, &g->cb);
	}
	pgdbc_arena_cxt = call->call_cxt;
	dbc_ctx_init(&call->ctx, &pgdbc_host, call);
}

void pgdbc_begin(pgdbc_call *call, FunctionCallInfo fcinfo)
{
	/* first of all, before any argument is looked at (pg/readonly.c) */
	pgdbc_refuse_changes_when_read_only(fcinfo);
	/* then whether the objects are the ones this library reads and writes */
	pgdbc_require_current_objects();
	begin_call(call, fcinfo, true);
}

void pgdbc_begin_lean(pgdbc_call *call, FunctionCallInfo fcinfo)
{
	begin_call(call, fcinfo, false);
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
		unwind_all(call, false);
		restore_arena(call);
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
	unwind_all(call, true);
	restore_arena(call);
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
		call_error(call, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must not be NULL", name);
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
		unwind_all((call), true);                                                                  \
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
	/* Everything else (text, timestamps, jsonb, numeric, out-of-range ints) goes
	 * through the column type's input function, which also validates it. */
	return InputFunctionCall(in, cell_text(v), ioparam, att->atttypmod);
}

/* Sets up fcinfo's result as a materialised set: a tuplestore in the query's
 * memory and the declared row type. What InitMaterializedSRF(fcinfo, 0) does,
 * written out because 15.0 names that function SetSingleFuncCall: every call
 * here is one all 15.x minors export (see pg/tuple_attr.c). */
static void materialize_result(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	TupleDesc desc;
	MemoryContext old;
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("dbcare: set-valued function called in a context that cannot "
		                       "accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("dbcare: the function's return type must be a row type")));
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
	                                          false, work_mem);
	rsinfo->setDesc = CreateTupleDescCopy(desc);
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
	unwind_all(call, true);
	materialize_result(fcinfo);
	rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	desc = rsinfo->setDesc;
	if (rows && rows->nrows > 0 && rows->ncol != desc->natts) {
		char *msg =
		    psprintf("result has %d columns but the function declares %d", rows->ncol, desc->natts);
		call_error(call, DBC_SQLSTATE_INTERNAL, "%s", msg);
	}
	in = palloc0(sizeof(FmgrInfo) * desc->natts);
	ioparams = palloc0(sizeof(Oid) * desc->natts);
	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc0(sizeof(bool) * desc->natts);
	for (int c = 0; c < desc->natts; c++) {
		Oid input;
		getTypeInputInfo(TupleDescAttr(desc, c)->atttypid, &input, &ioparams[c]);
		fmgr_info(input, &in[c]);
	}
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

/* ------------------------------------------------------------ the host */

/* What a guarded body is doing, so an error can be placed in the SQL text. */
typedef struct guard_state {
	const char *sql;  /* the text the caller passed, NULL when there is none */
	int stmt_offset;  /* byte offset of the statement being run */
	const char *stmt; /* its text as sent to SPI */
} guard_state;

typedef void (*guarded_body)(pgdbc_call *call, guard_state *gs, void *arg);

/* 1-based line of byte offset off in sql. */
static int line_at(const char *sql, int off)
{
	int line = 1;
	for (int i = 0; i < off && sql[i]; i++)
		if (sql[i] == '\n')
			line++;
	return line;
}

/* Byte offset of the first token of a statement: skips blanks and comments
 * that the grammar counts as part of it. */
static int skip_blanks(const char *sql, int off)
{
	for (;;) {
		while (sql[off] && isspace((unsigned char)sql[off]))
			off++;
		if (sql[off] == '-' && sql[off + 1] == '-') {
			while (sql[off] && sql[off] != '\n')
				off++;
		} else if (sql[off] == '/' && sql[off + 1] == '*') {
			const char *end = strstr(sql + off + 2, "*/");
			if (!end)
				return off;
			off = (int)(end - sql) + 2;
		} else {
			return off;
		}
	}
}

/* Byte offset of the 1-based character position pos within s. */
static int byte_of_char(const char *s, int pos)
{
	int off = 0;
	for (int c = 1; c < pos && s[off]; c++)
		off += pg_mblen(s + off);
	return off;
}

static void fill_error(pgdbc_call *call, guard_state *gs, ErrorData *ed)
{
	dbc_ctx *ctx = &call->ctx;
	const char *state = unpack_sql_state(ed->sqlerrcode);
	dbc_error_clear(ctx);
	ctx->failed = true;
	memcpy(ctx->sqlstate, state, 5);
	ctx->sqlstate[5] = '\0';
	ctx->message = dbc_strdup(ctx, ed->message ? ed->message : "unknown error");
	ctx->detail = dbc_strdup(ctx, ed->detail);
	ctx->hint = dbc_strdup(ctx, ed->hint);
	ctx->context = dbc_strdup(ctx, ed->context);
	if (!gs->sql)
		return;
	if (ed->cursorpos > 0 && gs->stmt) {
		/* cursorpos counts characters of the statement SPI saw */
		int off = gs->stmt_offset + byte_of_char(gs->stmt, ed->cursorpos);
		ctx->error_cursor = pg_mbstrlen_with_len(gs->sql, off) + 1;
		ctx->error_line = line_at(gs->sql, off);
	} else if (ed->cursorpos > 0) {
		int off = byte_of_char(gs->sql, ed->cursorpos);
		ctx->error_cursor = ed->cursorpos;
		ctx->error_line = line_at(gs->sql, off);
	} else if (ed->internalpos > 0 && ed->internalquery && gs->stmt &&
	           strcmp(ed->internalquery, gs->stmt) == 0) {
		int off = gs->stmt_offset + byte_of_char(gs->stmt, ed->internalpos);
		ctx->error_cursor = pg_mbstrlen_with_len(gs->sql, off) + 1;
		ctx->error_line = line_at(gs->sql, off);
	} else {
		/* a run-time error: the line where the failing statement starts */
		ctx->error_line = line_at(gs->sql, skip_blanks(gs->sql, gs->stmt_offset));
	}
}

/*
 * Runs body; an ERROR inside it is caught only where rolling back the
 * innermost savepoint the core has open undoes exactly what failed: that
 * subtransaction is rolled back at once (the core's later rollback of that
 * level is a no-op) and the error lands in the ctx. Otherwise the error goes
 * on, after the call's subtransactions are rolled back (escape):
 *  - a cancel or statement timeout (57014) always: it ends the call, as it
 *    ends a PL/pgSQL block whatever its EXCEPTION clauses say;
 *  - with no savepoint open: the transaction aborts anyway;
 *  - when the innermost savepoint was opened before an enclosing guarded body
 *    (a row callback that queries): rolling it back would free what that
 *    body still uses (SPI's tuple table), so the enclosing body's frame
 *    decides.
 */
static int run_guarded(pgdbc_call *call, guard_state *gs, guarded_body body, void *arg)
{
	volatile int rc = DBC_OK;
	MemoryContext cxt = CurrentMemoryContext;
	int base = call->nsubxacts;
	int outer_floor = call->guard_floor;

	call->guard_floor = base;
	PG_TRY();
	{
		body(call, gs, arg);
		if (call->ctx.failed)
			rc = DBC_ERROR;
	}
	PG_CATCH();
	{
		ErrorData *ed;
		call->guard_floor = outer_floor;
		ed = take_error(call);
		if (ed->sqlerrcode == ERRCODE_QUERY_CANCELED || base == 0 || call->nsubxacts < base)
			escape(call, ed);
		if (base <= outer_floor)
			ReThrowError(ed); /* the enclosing body's frame rolls back its savepoint */
		end_subxacts(call, base - 1, false);
		fill_error(call, gs, ed);
		FreeErrorData(ed);
		rc = DBC_ERROR;
	}
	PG_END_TRY();
	call->guard_floor = outer_floor;
	MemoryContextSwitchTo(cxt);
	return rc;
}

static void check_spi(int ret, const char *stmt)
{
	if (ret == SPI_ERROR_TRANSACTION)
		ereport(ERROR, (errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
		                errmsg("transaction control statements are not allowed here"),
		                errdetail("Statement: %s", stmt)));
	if (ret < 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
		                errmsg("SPI failed: %s", SPI_result_code_string(ret))));
}

/* Runs one statement's text [loc, loc + len) of gs->sql through SPI. The text
 * after the previous ';' starts with its line break: it is dropped, so error
 * contexts quote the statement itself. */
static void exec_statement(guard_state *gs, int loc, int len)
{
	char *stmt;
	while (len > 0 && isspace((unsigned char)gs->sql[loc])) {
		loc++;
		len--;
	}
	stmt = pnstrdup(gs->sql + loc, len);
	gs->stmt_offset = loc;
	gs->stmt = stmt;
	CHECK_FOR_INTERRUPTS();
	check_spi(SPI_execute(stmt, false, 0), stmt);
	SPI_freetuptable(SPI_tuptable);
	gs->stmt = NULL;
	pfree(stmt);
}

/* Length of sql without a final ';' and the blanks around it when no other
 * ';' is left in it: then it is at most one statement. -1 otherwise. */
static int single_statement_len(const char *sql)
{
	int len = (int)strlen(sql);
	while (len > 0 && isspace((unsigned char)sql[len - 1]))
		len--;
	if (len > 0 && sql[len - 1] == ';')
		len--;
	while (len > 0 && isspace((unsigned char)sql[len - 1]))
		len--;
	return memchr(sql, ';', len) ? -1 : len;
}

static void exec_body(pgdbc_call *call, guard_state *gs, void *arg)
{
	int single = single_statement_len(gs->sql);
	MemoryContext parse_cxt, old;
	List *stmts;
	ListCell *lc;
	(void)call;
	(void)arg;
	/* A migration runner sends one statement at a time: SPI parses it, and a
	 * parse here first cost as much again per statement. */
	if (single >= 0) {
		exec_statement(gs, 0, single);
		return;
	}
	/* Several statements: one at a time, so a run-time error knows its
	 * statement's line. The parse trees are only needed for the offsets. */
	parse_cxt = AllocSetContextCreate(CurrentMemoryContext, "dbcare statement split",
	                                  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(parse_cxt);
	stmts = raw_parser(gs->sql, RAW_PARSE_DEFAULT);
	MemoryContextSwitchTo(old);
	foreach (lc, stmts) {
		RawStmt *rs = lfirst_node(RawStmt, lc);
		int loc = rs->stmt_location > 0 ? rs->stmt_location : 0;
		int len = rs->stmt_len > 0 ? rs->stmt_len : (int)strlen(gs->sql + loc);
		exec_statement(gs, loc, len);
	}
	MemoryContextDelete(parse_cxt);
}

/* Runs a migration script (the core's only use of exec). */
static int pg_exec(dbc_ctx *ctx, const char *sql)
{
	pgdbc_call *call = ctx->host_data;
	guard_state gs = {sql, 0, NULL};
	return run_guarded(call, &gs, exec_body, NULL);
}

typedef struct plain_args {
	void (*fn)(void *);
	void *arg;
} plain_args;

static void plain_body(pgdbc_call *call, guard_state *gs, void *arg)
{
	plain_args *pa = arg;
	(void)call;
	(void)gs;
	pa->fn(pa->arg);
}

int pgdbc_guarded(dbc_ctx *ctx, void (*fn)(void *), void *arg)
{
	guard_state gs = {NULL, 0, NULL};
	plain_args pa = {fn, arg};
	return run_guarded(ctx->host_data, &gs, plain_body, &pa);
}

/* The search_path of every pinned dbcare function (the extension script's SET). */
#define PINNED_SEARCH_PATH "pg_catalog, pg_temp"
/*
 * Kept plans of the statements dbcare runs, by SQL text and parameter types.
 * Most of them are the same catalog queries on every call (the schema reader,
 * the health checks), and planning those joins over pg_catalog cost about as
 * much as running them. The plan cache revalidates a kept plan after DDL or a
 * search_path change, so a stale plan is never used. Bounded: the least
 * recently used plan is freed when the cache is full.
 */
#define PLAN_CACHE_SIZE 128

typedef struct cached_plan {
	char *sql; /* NULL: free slot */
	int nparam;
	Oid types[8];
	SPIPlanPtr plan;
	uint64 used;
} cached_plan;

static cached_plan plan_cache[PLAN_CACHE_SIZE];
static uint64 plan_clock = 0;

static SPIPlanPtr cached_plan_for(const char *sql, int nparam, Oid *types)
{
	cached_plan *slot = NULL;
	SPIPlanPtr plan;
	if (nparam > 8)
		return NULL;
	for (int i = 0; i < PLAN_CACHE_SIZE; i++) {
		cached_plan *c = &plan_cache[i];
		if (!c->sql) {
			if (!slot || slot->sql)
				slot = c;
			continue;
		}
		if (c->nparam == nparam && strcmp(c->sql, sql) == 0 &&
		    (nparam == 0 || memcmp(c->types, types, sizeof(Oid) * nparam) == 0)) {
			c->used = ++plan_clock;
			return c->plan;
		}
		if (!slot || (slot->sql && c->used < slot->used))
			slot = c;
	}
	/* parallel workers allowed, as SPI_execute_with_args does */
	plan = SPI_prepare_cursor(sql, nparam, types, CURSOR_OPT_PARALLEL_OK);
	if (!plan)
		check_spi(SPI_result, sql);
	if (slot->sql) {
		SPI_freeplan(slot->plan);
		pfree(slot->sql);
		slot->sql = NULL;
	}
	SPI_keepplan(plan);
	slot->sql = MemoryContextStrdup(TopMemoryContext, sql);
	slot->nparam = nparam;
	if (nparam > 0)
		memcpy(slot->types, types, sizeof(Oid) * nparam);
	slot->plan = plan;
	slot->used = ++plan_clock;
	return plan;
}

/* A snapshot every query reads under while set (pgdbc_read_as_of), instead
 * of a new one per statement: readings that must agree with each other. */
static Snapshot read_as_of;

int pgdbc_read_as_of(dbc_ctx *ctx, int (*body)(dbc_ctx *, void *), void *arg)
{
	Snapshot outer = read_as_of;
	/* the transaction's owner: a cancel rolls back the call's
	 * subtransactions, and with them their owners, before the FINALLY
	 * below lets the snapshot go */
	Snapshot snap = RegisterSnapshotOnOwner(GetTransactionSnapshot(), TopTransactionResourceOwner);
	volatile int rc = DBC_ERROR;
	read_as_of = snap;
	PG_TRY();
	{
		rc = body(ctx, arg);
	}
	PG_FINALLY();
	{
		read_as_of = outer;
		UnregisterSnapshotFromOwner(snap, TopTransactionResourceOwner);
	}
	PG_END_TRY();
	return rc;
}

typedef struct query_args {
	int nparam;
	const dbc_value *params;
	dbc_row_fn fn;
	void *arg;
	bool latest; /* run on the latest snapshot (query_latest) */
} query_args;

static void query_body(pgdbc_call *call, guard_state *gs, void *arg)
{
	query_args *qa = arg;
	dbc_ctx *ctx = &call->ctx;
	Oid *types = NULL;
	Datum *values = NULL;
	char *nulls = NULL;
	SPITupleTable *tt;
	uint64 nrows;
	int ret;
	int guc_nest = -1;

	if (qa->nparam > 0) {
		types = palloc(sizeof(Oid) * qa->nparam);
		values = palloc(sizeof(Datum) * qa->nparam);
		nulls = palloc(sizeof(char) * qa->nparam);
		for (int i = 0; i < qa->nparam; i++) {
			const dbc_value *p = &qa->params[i];
			nulls[i] = ' ';
			switch (p->type) {
			case DBC_INT:
				types[i] = INT8OID;
				values[i] = Int64GetDatum(p->i);
				break;
			case DBC_FLOAT:
				types[i] = FLOAT8OID;
				values[i] = Float8GetDatum(p->f);
				break;
			case DBC_BOOL:
				types[i] = BOOLOID;
				values[i] = BoolGetDatum(p->i != 0);
				break;
			case DBC_TEXT:
				types[i] = TEXTOID;
				values[i] = CStringGetTextDatum(p->s);
				break;
			case DBC_NULL:
				/* typed text: write $n::type in the SQL for other types */
				types[i] = TEXTOID;
				values[i] = (Datum)0;
				nulls[i] = 'n';
				break;
			}
		}
	}
	gs->stmt = gs->sql;
	/* dbcare's own SQL names pg_catalog's functions, operators and views
	 * unqualified. The migration runners keep the caller's search_path for
	 * migration SQL (pg_exec), so their bookkeeping queries pin it here: a
	 * function, operator or view planted in public must not answer for
	 * pg_catalog's. Plans are made and run under the pinned path. An error
	 * unwinds the GUC level with the subtransaction.
	 * JIT is off for every statement dbcare plans here (the single place
	 * all internal queries go through): the planner's cost of a catalog
	 * join or of a retention batch crosses jit_above_cost on big tables,
	 * and compiling then costs seconds per statement, each paid again with
	 * every batch while it holds its locks. The plan keeps the choice
	 * (PlannedStmt.jitFlags), so a kept plan never compiles either. */
	if (strcmp(namespace_search_path, PINNED_SEARCH_PATH) != 0 || jit_enabled) {
		guc_nest = NewGUCNestLevel();
		if (strcmp(namespace_search_path, PINNED_SEARCH_PATH) != 0)
			(void)set_config_option("search_path", PINNED_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
			                        GUC_ACTION_SAVE, true, 0, false);
		if (jit_enabled)
			(void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
			                        0, false);
	}
	{
		SPIPlanPtr plan = cached_plan_for(gs->sql, qa->nparam, types);
		if (qa->latest && IsolationUsesXactSnapshot()) {
			/* the transaction's snapshot predates what committed while a
			 * lock was awaited: read as of now, read-only */
			if (!plan && !(plan = SPI_prepare(gs->sql, qa->nparam, types)))
				check_spi(SPI_result, gs->sql);
			ret = SPI_execute_snapshot(plan, values, nulls, GetLatestSnapshot(), InvalidSnapshot,
			                           true, false, 0);
		} else if (read_as_of && !qa->latest) {
			/* read-only: the statements under it only read */
			if (!plan && !(plan = SPI_prepare(gs->sql, qa->nparam, types)))
				check_spi(SPI_result, gs->sql);
			ret = SPI_execute_snapshot(plan, values, nulls, read_as_of, InvalidSnapshot, true,
			                           false, 0);
		} else if (plan)
			ret = SPI_execute_plan(plan, values, nulls, false, 0);
		else
			ret = SPI_execute_with_args(gs->sql, qa->nparam, types, values, nulls, false, 0);
	}
	if (guc_nest >= 0)
		AtEOXact_GUC(true, guc_nest);
	check_spi(ret, gs->sql);
	tt = SPI_tuptable;
	nrows = SPI_processed;
	if (tt && qa->fn) {
		TupleDesc desc = tt->tupdesc;
		int ncol = desc->natts;
		dbc_value *cells = palloc0(sizeof(dbc_value) * (ncol > 0 ? ncol : 1));
		FmgrInfo *out = palloc0(sizeof(FmgrInfo) * (ncol > 0 ? ncol : 1));
		MemoryContext rowcxt =
		    AllocSetContextCreate(CurrentMemoryContext, "dbcare query row", ALLOCSET_SMALL_SIZES);
		for (int c = 0; c < ncol; c++) {
			Oid outfn;
			bool varlena;
			getTypeOutputInfo(TupleDescAttr(desc, c)->atttypid, &outfn, &varlena);
			fmgr_info(outfn, &out[c]);
		}
		for (uint64 r = 0; r < nrows; r++) {
			MemoryContext old = MemoryContextSwitchTo(rowcxt);
			int frc;
			for (int c = 0; c < ncol; c++) {
				bool isnull;
				Datum d = SPI_getbinval(tt->vals[r], desc, c + 1, &isnull);
				if (isnull) {
					cells[c] = dbc_null();
					continue;
				}
				switch (TupleDescAttr(desc, c)->atttypid) {
				case INT2OID:
					cells[c] = dbc_int(DatumGetInt16(d));
					break;
				case INT4OID:
					cells[c] = dbc_int(DatumGetInt32(d));
					break;
				case INT8OID:
					cells[c] = dbc_int(DatumGetInt64(d));
					break;
				case FLOAT4OID:
					cells[c] = dbc_float(DatumGetFloat4(d));
					break;
				case FLOAT8OID:
					cells[c] = dbc_float(DatumGetFloat8(d));
					break;
				case BOOLOID:
					cells[c] = dbc_bool(DatumGetBool(d));
					break;
				default:
					cells[c] = dbc_text(OutputFunctionCall(&out[c], d));
					break;
				}
			}
			MemoryContextSwitchTo(old);
			frc = qa->fn(ctx, qa->arg, ncol, cells);
			MemoryContextReset(rowcxt);
			if (frc != DBC_OK) {
				if (!ctx->failed)
					dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "a row callback failed without an error");
				break;
			}
		}
		MemoryContextDelete(rowcxt);
	}
	SPI_freetuptable(tt);
}

static int pg_query(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                    dbc_row_fn fn, void *arg)
{
	pgdbc_call *call = ctx->host_data;
	guard_state gs = {sql, 0, NULL};
	query_args qa = {nparam, params, fn, arg, false};
	return run_guarded(call, &gs, query_body, &qa);
}

static int pg_query_latest(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                           dbc_row_fn fn, void *arg)
{
	pgdbc_call *call = ctx->host_data;
	guard_state gs = {sql, 0, NULL};
	query_args qa = {nparam, params, fn, arg, true};
	return run_guarded(call, &gs, query_body, &qa);
}

static int pg_savepoint(dbc_ctx *ctx)
{
	pgdbc_call *call = ctx->host_data;
	pgdbc_subxact *sx;
	if (call->nsubxacts == call->capsubxacts) {
		int cap = call->capsubxacts ? call->capsubxacts * 2 : 8;
		pgdbc_subxact *n = MemoryContextAlloc(call->call_cxt, sizeof(pgdbc_subxact) * cap);
		if (call->nsubxacts)
			memcpy(n, call->subxacts, sizeof(pgdbc_subxact) * call->nsubxacts);
		call->subxacts = n;
		call->capsubxacts = cap;
	}
	sx = &call->subxacts[call->nsubxacts];
	sx->saved_cxt = CurrentMemoryContext;
	sx->saved_owner = CurrentResourceOwner;
	BeginInternalSubTransaction(NULL);
	sx->id = GetCurrentSubTransactionId();
	/* Stay in the core's memory: the subtransaction's context dies with it. */
	MemoryContextSwitchTo(sx->saved_cxt);
	sx->level = ++call->next_level;
	call->nsubxacts++;
	return sx->level;
}

static int find_level(pgdbc_call *call, int level)
{
	for (int i = call->nsubxacts - 1; i >= 0; i--)
		if (call->subxacts[i].level == level)
			return i;
	return -1;
}

/* Ends subtransactions down to level (inner ones first); unknown levels were
 * already unwound after an error and are a no-op. */
static int end_level(dbc_ctx *ctx, int level, bool commit)
{
	pgdbc_call *call = ctx->host_data;
	int idx = find_level(call, level);
	if (idx >= 0)
		end_subxacts(call, idx, commit);
	return DBC_OK;
}

static int pg_release(dbc_ctx *ctx, int level)
{
	return end_level(ctx, level, true);
}

/* Never touches the ctx error (the dbc.h contract): the subtransaction API
 * reports nothing into it, and an error caught earlier stays as it was. */
static int pg_rollback(dbc_ctx *ctx, int level)
{
	return end_level(ctx, level, false);
}

static char *pg_quote_ident(dbc_ctx *ctx, const char *ident)
{
	return dbc_strdup(ctx, quote_identifier(ident));
}

static char *pg_quote_literal(dbc_ctx *ctx, const char *literal)
{
	char *q = quote_literal_cstr(literal);
	char *r = dbc_strdup(ctx, q);
	pfree(q);
	return r;
}

static void interrupt_body(pgdbc_call *call, guard_state *gs, void *arg)
{
	(void)call;
	(void)gs;
	(void)arg;
	CHECK_FOR_INTERRUPTS();
}

/* A pending cancel or statement timeout is raised by CHECK_FOR_INTERRUPTS
 * and ends the call at once as PostgreSQL's own 57014 (run_guarded never
 * turns it into a ctx error); a termination ends the session. Returns 0
 * otherwise. */
static int pg_interrupted(dbc_ctx *ctx)
{
	pgdbc_call *call = ctx->host_data;
	guard_state gs = {NULL, 0, NULL};
	if (!INTERRUPTS_PENDING_CONDITION())
		return 0;
	return run_guarded(call, &gs, interrupt_body, NULL) != DBC_OK;
}

static void pg_warning(dbc_ctx *ctx, const char *message, const char *hint)
{
	(void)ctx;
	ereport(WARNING, (errmsg("dbcare: %s", message), hint ? errhint("%s", hint) : 0));
}

static void pg_notice(dbc_ctx *ctx, const char *message, const char *hint)
{
	(void)ctx;
	ereport(NOTICE, (errmsg("dbcare: %s", message), hint ? errhint("%s", hint) : 0));
}

static void pg_progress(dbc_ctx *ctx, const char *line)
{
	(void)ctx;
	if (progress_setting)
		ereport(NOTICE, (errmsg("%s", line)));
}

static int pg_book_ensure(dbc_ctx *ctx)
{
	(void)ctx;
	return DBC_OK; /* the extension script created them */
}

static int pg_book_exists(dbc_ctx *ctx, bool *exists)
{
	(void)ctx;
	*exists = true;
	return DBC_OK;
}

static int take_written(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol >= 1 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

/* The sum of the per-backend counts of dbcare.audit_written
 * (pg/audit_write.c); before ALTER EXTENSION UPDATE made it, the newest
 * entry's id, as 0.3.8 reported. */
static int pg_audit_entries_written(dbc_ctx *ctx, int64_t *written)
{
	*written = 0;
	bool counted =
	    OidIsValid(get_relname_relid("audit_written", get_namespace_oid("dbcare", false)));
	return pg_query(ctx,
	                counted ? "SELECT coalesce(sum(entries), 0)::bigint FROM dbcare.audit_written"
	                        : "SELECT max(id) FROM dbcare.audit_log",
	                0, NULL, take_written, written);
}

/* The host's schema reader: the cached catalog reader (pgdbc_read_schema)
 * under the search_path every pinned dbcare function has. pg_get_viewdef
 * and friends qualify names relative to the path, and dbmigrate_apply runs
 * with the caller's, so without this the snapshot stored by apply and the
 * one validate takes would differ for the same schema. A pinned function
 * has that path already: the reader runs as it is. */
static int read_schema_pinned(dbc_ctx *ctx, dbc_schema *out)
{
	const char *path = GetConfigOption("search_path", false, false);
	int sp, nest;
	if (path && strcmp(path, "pg_catalog, pg_temp") == 0)
		return pgdbc_read_schema(ctx, out);
	/* In a savepoint of its own: should reading fail (a cancel, a timeout),
	 * aborting that savepoint also pops the GUC level, so AtEOXact_GUC runs
	 * only on success, on the level it pushed. */
	sp = ctx->host->savepoint(ctx);
	if (sp < 0)
		return DBC_ERROR;
	nest = NewGUCNestLevel();
	(void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
	                        GUC_ACTION_SAVE, true, 0, false);
	if (pgdbc_read_schema(ctx, out) != DBC_OK) {
		ctx->host->rollback(ctx, sp);
		return DBC_ERROR;
	}
	AtEOXact_GUC(true, nest);
	return ctx->host->release(ctx, sp);
}

extern const dbc_api_hooks pgdbc_api_engine;

/* The settings of the parts above core/settings. */
static const dbc_settings_source *const settings_sources[] = {&dbc_health_settings, NULL};

const dbc_host pgdbc_host = {
    .dialect = &pgdbc_dialect,
    .api = &pgdbc_api_engine,
    .read_schema = read_schema_pinned,
    .exec = pg_exec,
    .query = pg_query,
    .query_latest = pg_query_latest,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback = pg_rollback,
    .quote_ident = pg_quote_ident,
    .quote_literal = pg_quote_literal,
    .interrupted = pg_interrupted,
    .book_prefix = "dbcare.",
    .name_path = pgdbc_name_path,
    .book_ensure = pg_book_ensure,
    .book_exists = pg_book_exists,
    .audit_entries_written = pg_audit_entries_written,
    .status_cache = pgdbc_status_cache,
    .status_stamp = pgdbc_status_stamp,
    .check_enter = pgdbc_check_enter,
    .check_lock = pgdbc_check_lock,
    .check_leave = pgdbc_check_leave,
    .domain_checks = pgdbc_domain_checks,
    .key_match = pgdbc_key_match,
    .warning = pg_warning,
    .notice = pg_notice,
    .progress = pg_progress,
    .settings_sources = settings_sources,
    .alloc = pgdbc_alloc,
    .free = pgdbc_free,
};
