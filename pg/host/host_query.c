/*
 * pg/host/host_query.c — the host's query and query_latest: the statement's plan
 * kept (by SQL text and parameter types), run under the pinned search_path
 * with JIT off, on the snapshot a reading asks for, each row handed to the
 * core's callback in a row context of its own.
 */
#include "glue.h"
#include "call_private.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/syscache.h"
#include "executor/spi.h"
#include "jit/jit.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

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
		pgdbc_check_spi(SPI_result, sql);
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

/* Each of the nrows rows of tt handed to the core's callback, its cells
 * converted in a row context reset after each: numbers and booleans as
 * such, everything else as its output text. The first callback that fails
 * stops it (with the ctx error set). */
static void hand_rows(dbc_ctx *ctx, const query_args *qa, SPITupleTable *tt, uint64 nrows)
{
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

/* The statement's parameters as SPI takes them: each value's type, Datum
 * and null flag. */
static void bind_params(const query_args *qa, Oid **types, Datum **values, char **nulls)
{
	*types = palloc(sizeof(Oid) * qa->nparam);
	*values = palloc(sizeof(Datum) * qa->nparam);
	*nulls = palloc(sizeof(char) * qa->nparam);
	for (int i = 0; i < qa->nparam; i++) {
		const dbc_value *p = &qa->params[i];
		(*nulls)[i] = ' ';
		switch (p->type) {
		case DBC_INT:
			(*types)[i] = INT8OID;
			(*values)[i] = Int64GetDatum(p->i);
			break;
		case DBC_FLOAT:
			(*types)[i] = FLOAT8OID;
			(*values)[i] = Float8GetDatum(p->f);
			break;
		case DBC_BOOL:
			(*types)[i] = BOOLOID;
			(*values)[i] = BoolGetDatum(p->i != 0);
			break;
		case DBC_TEXT:
			(*types)[i] = TEXTOID;
			(*values)[i] = CStringGetTextDatum(p->s);
			break;
		case DBC_NULL:
			/* typed text: write $n::type in the SQL for other types */
			(*types)[i] = TEXTOID;
			(*values)[i] = (Datum)0;
			(*nulls)[i] = 'n';
			break;
		}
	}
}

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

	if (qa->nparam > 0)
		bind_params(qa, &types, &values, &nulls);
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
	if (!pgdbc_search_path_pinned() || jit_enabled) {
		guc_nest = pgdbc_pin_search_path();
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
				pgdbc_check_spi(SPI_result, gs->sql);
			ret = SPI_execute_snapshot(plan, values, nulls, GetLatestSnapshot(), InvalidSnapshot,
			                           true, false, 0);
		} else if (read_as_of && !qa->latest) {
			/* read-only: the statements under it only read */
			if (!plan && !(plan = SPI_prepare(gs->sql, qa->nparam, types)))
				pgdbc_check_spi(SPI_result, gs->sql);
			ret = SPI_execute_snapshot(plan, values, nulls, read_as_of, InvalidSnapshot, true,
			                           false, 0);
		} else if (plan)
			ret = SPI_execute_plan(plan, values, nulls, false, 0);
		else
			ret = SPI_execute_with_args(gs->sql, qa->nparam, types, values, nulls, false, 0);
	}
	if (guc_nest >= 0)
		pgdbc_unpin_search_path(guc_nest);
	pgdbc_check_spi(ret, gs->sql);
	tt = SPI_tuptable;
	nrows = SPI_processed;
	if (tt && qa->fn)
		hand_rows(ctx, qa, tt, nrows);
	SPI_freetuptable(tt);
}

/* A lean call (pgdbc_begin_lean) connects to SPI only when it first
 * queries (a JSON validator reading the schema registry); pgdbc_finish
 * disconnects it as any call's. */
static void connect_spi(pgdbc_call *call)
{
	if (call->spi_connected)
		return;
	MemoryContext keep = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	call->spi_connected = true;
	MemoryContextSwitchTo(keep);
}

/* The owner of the dbcare schema (the extension's), InvalidOid when there
 * is no such schema. */
static Oid dbcare_schema_owner(void)
{
	Oid nsp = get_namespace_oid("dbcare", true);
	Oid owner = InvalidOid;
	HeapTuple tup = OidIsValid(nsp) ? SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp)) : NULL;
	if (HeapTupleIsValid(tup)) {
		owner = ((Form_pg_namespace)GETSTRUCT(tup))->nspowner;
		ReleaseSysCache(tup);
	}
	return owner;
}

int pgdbc_host_query(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                     dbc_row_fn fn, void *arg)
{
	pgdbc_call *call = ctx->host_data;
	connect_spi(call);
	guard_state gs = {sql, 0, NULL};
	query_args qa = {nparam, params, fn, arg, false};
	if (!call->lean)
		return pgdbc_run_guarded(call, &gs, query_body, &qa);
	/* a validator's registry read (pgdbc_call.lean): as the schema's owner,
	 * restricted; an error unwinds the user with the subtransaction */
	Oid owner = dbcare_schema_owner(), save_user;
	int save_sec;
	if (!OidIsValid(owner))
		return dbc_error(ctx, "3F000", "the dbcare schema does not exist: CREATE EXTENSION dbcare");
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_RESTRICTED_OPERATION);
	int rc = pgdbc_run_guarded(call, &gs, query_body, &qa);
	SetUserIdAndSecContext(save_user, save_sec);
	return rc;
}

int pgdbc_host_query_latest(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                            dbc_row_fn fn, void *arg)
{
	pgdbc_call *call = ctx->host_data;
	connect_spi(call);
	guard_state gs = {sql, 0, NULL};
	query_args qa = {nparam, params, fn, arg, true};
	return pgdbc_run_guarded(call, &gs, query_body, &qa);
}
