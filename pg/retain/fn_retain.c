/*
 * fn_retain.c — what of soft delete and retention PostgreSQL calls in its
 * own way: the soft-delete trigger dbcare.softdelete_row and the procedure
 * dbretain_run, which commits between batches (the other functions have
 * the generic glue of pg/api/api.c).
 */
#include "pg/host/glue.h"
#include "purge_scope.h"

#include "retain/retain.h"
#include "settings/settings.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

/* BEFORE DELETE FOR EACH ROW, argument: the soft-delete column. The row's
 * DELETE becomes an UPDATE of that column, run as the writer (no rights
 * of its own: the function is not SECURITY DEFINER), and the DELETE is
 * skipped; a row already soft-deleted stays as it is. During a purge
 * (dbsoftdelete_purge, a purge policy's batch) the DELETE goes through in
 * the tables that purge deletes from for real (pg/retain/purge_scope.c) and
 * nowhere else. */
Datum dbcare_softdelete_row(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *)fcinfo->context;
	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
	    !TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_DELETE(td->tg_event) ||
	    td->tg_trigger->tgnargs != 1)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("dbcare: softdelete_row() runs only as a BEFORE DELETE row "
		                       "trigger with the column as its argument")));
	Relation rel = td->tg_relation;
	if (pgdbc_purge_covers(RelationGetRelid(rel)))
		return PointerGetDatum(td->tg_trigtuple);

	const char *column = td->tg_trigger->tgargs[0];
	int attnum = SPI_fnumber(RelationGetDescr(rel), column);
	if (attnum <= 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("dbcare: soft-delete column \"%s\" of table %s does not exist",
		                       column, RelationGetRelationName(rel)),
		                errhint("SELECT dbsoftdelete_disable(...) removes the trigger.")));
	bool isnull;
	(void)SPI_getbinval(td->tg_trigtuple, RelationGetDescr(rel), attnum, &isnull);
	if (!isnull)
		return PointerGetDatum(NULL);

	char *sql = psprintf("UPDATE ONLY %s.%s SET %s = pg_catalog.now() "
	                     "WHERE ctid OPERATOR(pg_catalog.=) $1",
	                     quote_identifier(get_namespace_name(RelationGetNamespace(rel))),
	                     quote_identifier(RelationGetRelationName(rel)), quote_identifier(column));
	Oid types[1] = {TIDOID};
	Datum values[1] = {PointerGetDatum(&td->tg_trigtuple->t_self)};
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	if (SPI_execute_with_args(sql, 1, types, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "dbcare: soft-deleting a row of %s failed", RelationGetRelationName(rel));
	SPI_finish();
	pfree(sql);
	return PointerGetDatum(NULL);
}

/* ------------------------------------------------------------ dbretain_run
 *
 * CALL dbretain_run([name]): one batch of each policy per transaction,
 * committed; then retain.sleep_ms of sleep; until no policy moved a row or
 * retain.max_duration_ms passed. A procedure with a SET clause cannot
 * commit: its statements run under the path the host pins for each of
 * them (pg/host/host_query.c), whatever the caller's. */

typedef struct run_settings {
	int64_t batch, sleep_ms, max_ms;
} run_settings;

static int read_run_settings(dbc_ctx *ctx, void *arg)
{
	run_settings *s = arg;
	if (dbc_setting_get_int(ctx, "retain.batch_size", &s->batch) != DBC_OK ||
	    dbc_setting_get_int(ctx, "retain.sleep_ms", &s->sleep_ms) != DBC_OK)
		return DBC_ERROR;
	return dbc_setting_get_int(ctx, "retain.max_duration_ms", &s->max_ms);
}

typedef struct run_step {
	const char *name;
	int64_t batch;
	int64_t archived, deleted;
	/* where each policy's next batch starts, kept across the commits in
	 * run_cxt (a child of SPI's procedure context: SPI_finish frees it, the
	 * portal's cleanup does when a batch fails) */
	MemoryContext run_cxt;
	dbc_retain_results resume;
} run_step;

/* Keeps each policy's resume point of r in st->run_cxt (the previous
 * step's points were copied into r's arena by the core already). */
static void keep_resume(run_step *st, const dbc_retain_results *r)
{
	MemoryContextReset(st->run_cxt);
	st->resume.n = 0;
	st->resume.items = r->n ? MemoryContextAllocZero(st->run_cxt, sizeof(*r->items) * r->n) : NULL;
	for (int i = 0; i < r->n; i++) {
		if (!r->items[i].resume)
			continue;
		dbc_retain_result *k = &st->resume.items[st->resume.n++];
		k->policy = MemoryContextStrdup(st->run_cxt, r->items[i].policy);
		k->resume = MemoryContextStrdup(st->run_cxt, r->items[i].resume);
	}
}

static int do_step(dbc_ctx *ctx, void *arg)
{
	run_step *st = arg;
	dbc_retain_results r;
	st->archived = st->deleted = 0;
	int depth = pgdbc_purge_depth();
	int rc = dbc_retain_apply_from(ctx, pgdbc_retain_hooks(), st->name, st->batch, false,
	                               &st->resume, &r);
	pgdbc_purge_end_to(depth);
	for (int i = 0; rc == DBC_OK && i < r.n; i++) {
		st->archived += r.items[i].archived;
		st->deleted += r.items[i].deleted;
	}
	if (rc == DBC_OK)
		keep_resume(st, &r);
	return rc;
}

Datum dbretain_run(PG_FUNCTION_ARGS)
{
	CallContext *cc = fcinfo->context && IsA(fcinfo->context, CallContext)
	                      ? (CallContext *)fcinfo->context
	                      : NULL;
	pgdbc_refuse_changes_when_read_only(fcinfo);
	if (!cc || cc->atomic || IsSubTransaction())
		ereport(ERROR, (errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
		                errmsg("dbcare: dbretain_run must be called with CALL outside a "
		                       "transaction block"),
		                errhint("It commits after each batch. Inside a transaction, use "
		                        "SELECT * FROM dbretain_apply(name, max_rows).")));
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "dbcare: SPI_connect failed");
	/* The name must outlive the commits, and no path may leave it behind:
	 * it is copied into SPI's procedure context (current now), which in a
	 * non-atomic call is a child of the portal's context. SPI_finish frees
	 * it; when a batch fails, it goes with the portal. */
	char *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	run_step st = {.name = name,
	               .run_cxt = AllocSetContextCreate(CurrentMemoryContext, "dbretain_run",
	                                                ALLOCSET_SMALL_SIZES)};
	run_settings set = {0};
	pgdbc_call call;
	pgdbc_begin(&call, fcinfo);
	pgdbc_finish(&call, pgdbc_run(&call, read_run_settings, &set));
	TimestampTz start = GetCurrentTimestamp();
	int64 archived = 0, deleted = 0, batches = 0;
	st.batch = set.batch > 0 ? set.batch : 1;
	for (;;) {
		pgdbc_begin(&call, fcinfo);
		pgdbc_finish(&call, pgdbc_run(&call, do_step, &st));
		SPI_commit();
		if (st.archived + st.deleted == 0)
			break;
		archived += st.archived;
		deleted += st.deleted;
		batches++;
		if (set.max_ms > 0 &&
		    TimestampDifferenceExceeds(start, GetCurrentTimestamp(), (int)set.max_ms))
			break;
		for (int64 slept = 0; slept < set.sleep_ms; slept += 10) {
			pg_usleep(10000L);
			CHECK_FOR_INTERRUPTS();
		}
	}
	SPI_finish();
	ereport(NOTICE, (errmsg("dbcare: dbretain_run archived %lld and deleted %lld row(s) in %lld "
	                        "batch(es)",
	                        (long long)archived, (long long)deleted, (long long)batches)));
	PG_RETURN_VOID();
}
