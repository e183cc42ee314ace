/*
 * pg/api/host.c — dbcare's host over SPI (dbc_host, pg/host/glue.h): the table handed
 * to the core, naming the parts of the glue that implement it (the guarded
 * runner, the query path, the catalog reader, the check scope, ...), and the
 * methods of its own: the core's savepoints as internal subtransactions,
 * quoting, interrupts, messages. The top of the glue: only the module's
 * start (pg/api/module.c) names it, and installs it for the call helpers.
 */
#include "pg/host/glue.h"

#include "health/health.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

/* dbcare.progress: on, a long step's progress is a NOTICE per step (off by
 * default: a NOTICE per step would flood an ordinary client; the dbcare
 * command turns it on in its own session when it draws progress). */
static bool progress_setting = false;

void pgdbc_define_progress_setting(void)
{
	DefineCustomBoolVariable("dbcare.progress", "Reports the progress of long steps as notices.",
	                         "Each notice reads \"dbcare progress: DONE/TOTAL what\".",
	                         &progress_setting, false, PGC_USERSET, 0, NULL, NULL, NULL);
}

static int pg_savepoint(dbc_ctx *ctx)
{
	pgdbc_call *call = ctx->host_data;
	pgdbc_subxact *sx;
	call->subxacts = pgdbc_room(call->call_cxt, call->subxacts, call->nsubxacts, &call->capsubxacts,
	                            sizeof(pgdbc_subxact));
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
		pgdbc_end_subxacts(call, idx, commit);
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

static void interrupt_body(void *arg)
{
	(void)arg;
	CHECK_FOR_INTERRUPTS();
}

/* A pending cancel or statement timeout is raised by CHECK_FOR_INTERRUPTS
 * and ends the call at once as PostgreSQL's own 57014 (run_guarded never
 * turns it into a ctx error); a termination ends the session. Returns 0
 * otherwise. */
static int pg_interrupted(dbc_ctx *ctx)
{
	if (!INTERRUPTS_PENDING_CONDITION())
		return 0;
	return pgdbc_guarded(ctx, interrupt_body, NULL) != DBC_OK;
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

/* The host's schema reader: the cached catalog reader (pgdbc_read_schema)
 * under the search_path every pinned dbcare function has. pg_get_viewdef
 * and friends qualify names relative to the path, and dbmigrate_apply runs
 * with the caller's, so without this the snapshot stored by apply and the
 * one validate takes would differ for the same schema. A pinned function
 * has that path already: the reader runs as it is. */
static int read_schema_pinned(dbc_ctx *ctx, dbc_schema *out)
{
	int sp, nest;
	if (pgdbc_search_path_pinned())
		return pgdbc_read_schema(ctx, out);
	/* In a savepoint of its own: should reading fail (a cancel, a timeout),
	 * aborting that savepoint also pops the GUC level, so AtEOXact_GUC runs
	 * only on success, on the level it pushed. */
	sp = ctx->host->savepoint(ctx);
	if (sp < 0)
		return DBC_ERROR;
	nest = pgdbc_pin_search_path();
	if (pgdbc_read_schema(ctx, out) != DBC_OK) {
		ctx->host->rollback(ctx, sp);
		return DBC_ERROR;
	}
	pgdbc_unpin_search_path(nest);
	return ctx->host->release(ctx, sp);
}

/* The parts' hook tables: empty until _PG_init hands each part this table
 * to fill (pg/api/module.c), before any call reads it. */
static dbc_api_hooks part_hooks;

dbc_api_hooks *pgdbc_hooks_to_fill(void)
{
	return &part_hooks;
}

/* The settings of the parts above core/settings. */
static const dbc_settings_source *const settings_sources[] = {&dbc_health_settings, NULL};

const dbc_host pgdbc_host = {
    .dialect = &pgdbc_dialect,
    .api = &part_hooks,
    .read_schema = read_schema_pinned,
    .exec = pgdbc_host_exec,
    .query = pgdbc_host_query,
    .query_latest = pgdbc_host_query_latest,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback = pg_rollback,
    .quote_ident = pg_quote_ident,
    .quote_literal = pg_quote_literal,
    .interrupted = pg_interrupted,
    .book_prefix = "dbcare.",
    .book_name_prefix = "dbcare.",
    .name_path = pgdbc_name_path,
    .book_ensure = pg_book_ensure,
    .book_exists = pg_book_exists,
    .audit_entries_written = pgdbc_audit_entries_written,
    .audit_wal_lag = pgdbc_audit_wal_lag,
    .status_cache = pgdbc_status_cache,
    .status_stamp = pgdbc_status_stamp,
    .check_enter = pgdbc_check_enter,
    .check_lock = pgdbc_check_lock,
    .check_leave = pgdbc_check_leave,
    .domain_checks = pgdbc_domain_checks,
    .domain_constraints = pgdbc_domain_constraints,
    .key_match = pgdbc_key_match,
    .warning = pg_warning,
    .notice = pg_notice,
    .progress = pg_progress,
    .settings_sources = settings_sources,
    .alloc = pgdbc_alloc,
    .free = pgdbc_free,
};
