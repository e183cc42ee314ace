/*
 * fn_retain.c — dbsoftdelete_* for PostgreSQL: the SQL-callable wrappers,
 * what PostgreSQL does its own way for the core (core/retain/retain.h,
 * dbc_retain_engine), and the soft-delete trigger dbcare.softdelete_row.
 */
#include "glue.h"

#include "retain/retain.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* ------------------------------------------------------------ purge switch */

/* On only inside dbsoftdelete_purge's DELETE: the trigger then lets the
 * delete through. Whatever ends that statement's (sub)transaction turns it
 * off, an error the host raises straight through the core included. */
static bool purging;
static bool callbacks_registered;

static void purge_off_xact(XactEvent event, void *arg)
{
	(void)event, (void)arg;
	purging = false;
}

static void purge_off_subxact(SubXactEvent event, SubTransactionId mine, SubTransactionId parent,
                              void *arg)
{
	(void)mine, (void)parent, (void)arg;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		purging = false;
}

static void purge_through(bool on)
{
	if (on && !callbacks_registered) {
		RegisterXactCallback(purge_off_xact, NULL);
		RegisterSubXactCallback(purge_off_subxact, NULL);
		callbacks_registered = true;
	}
	purging = on;
}

/* ------------------------------------------------------------ the dialect */

static char *cutoff_sql(dbc_ctx *ctx, const dbc_interval *iv)
{
	return dbc_printf(ctx,
	                  "(pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval("
	                  "years => %lld, months => %lld, days => %lld, hours => %lld, "
	                  "mins => %lld, secs => %lld))",
	                  (long long)iv->years, (long long)iv->months, (long long)iv->days,
	                  (long long)iv->hours, (long long)iv->minutes, (long long)iv->seconds);
}

/* Parameters arrive as text or bigint: a cast makes them the column's type
 * (the type text is the catalog's, format_type). */
static char *param_as(dbc_ctx *ctx, int n, const char *type)
{
	if (!type || !*type)
		return dbc_printf(ctx, "$%d", n);
	return dbc_printf(ctx, "CAST($%d AS %s)", n, type);
}

static char *trigger_create(dbc_ctx *ctx, const dbc_table *t, const char *column)
{
	return dbc_printf(ctx,
	                  "CREATE OR REPLACE TRIGGER dbcare_softdelete BEFORE DELETE ON %s "
	                  "FOR EACH ROW EXECUTE FUNCTION dbcare.softdelete_row(%s)",
	                  dbc_quoted_name(ctx, t->schema, t->name),
	                  ctx->host->quote_literal(ctx, column));
}

static char *trigger_drop(dbc_ctx *ctx, const dbc_table *t)
{
	return dbc_printf(ctx, "DROP TRIGGER IF EXISTS dbcare_softdelete ON %s",
	                  dbc_quoted_name(ctx, t->schema, t->name));
}

static const char *const temporal_words[] = {"timestamp", "date", NULL};

static const dbc_retain_engine pg_retain = {
    .timestamp_type = "timestamp with time zone",
    .temporal_words = temporal_words,
    .cutoff_sql = cutoff_sql,
    .param_as = param_as,
    .index_concurrently = "CONCURRENTLY ",
    .drops_constraints = true,
    .trigger_create = trigger_create,
    .trigger_drop = trigger_drop,
    .purge_through = purge_through,
};

/* ------------------------------------------------------------ soft delete */

Datum dbsoftdelete_enable(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	char *report = NULL;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text(&call, 0, "table");
	const char *column = pgdbc_arg_text(&call, 1, "column");
	int rc = dbc_softdelete_enable(&call.ctx, &pg_retain, table, column, &report);
	return pgdbc_return_jsonb(&call, rc, report);
}

Datum dbsoftdelete_disable(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	bool was = false;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text(&call, 0, "table");
	int rc = dbc_softdelete_disable(&call.ctx, &pg_retain, table, &was);
	return pgdbc_return_bool(&call, rc, was);
}

Datum dbsoftdelete_restore(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	int64_t n = 0;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text(&call, 0, "table");
	const char *key = pgdbc_arg_json(&call, 1, "key");
	int rc = dbc_softdelete_restore(&call.ctx, &pg_retain, table, key, &n);
	return pgdbc_return_int64(&call, rc, n);
}

Datum dbsoftdelete_purge(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	int64_t n = 0;
	pgdbc_begin(&call, fcinfo);
	const char *table = pgdbc_arg_text(&call, 0, "table");
	const char *older_than = pgdbc_arg_text_opt(&call, 1);
	int rc = dbc_softdelete_purge(&call.ctx, &pg_retain, table, older_than, &n);
	purging = false;
	return pgdbc_return_int64(&call, rc, n);
}

/* BEFORE DELETE FOR EACH ROW, argument: the soft-delete column. The row's
 * DELETE becomes an UPDATE of that column, run as the writer (no rights
 * of its own: the function is not SECURITY DEFINER), and the DELETE is
 * skipped; a row already soft-deleted stays as it is. During
 * dbsoftdelete_purge the DELETE goes through. */
Datum dbcare_softdelete_row(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *)fcinfo->context;
	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
	    !TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_DELETE(td->tg_event) ||
	    td->tg_trigger->tgnargs != 1)
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("dbcare: softdelete_row() runs only as a BEFORE DELETE row "
		                       "trigger with the column as its argument")));
	if (purging)
		return PointerGetDatum(td->tg_trigtuple);

	Relation rel = td->tg_relation;
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
