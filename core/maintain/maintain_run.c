/*
 * maintain_run.c — dbmaintain_run and dbmaintain_history: the plan's rows
 * that are safe (or named by include) and can run inside a transaction run
 * here, all or nothing under one savepoint; the others are returned with
 * the reason they did not run. Every row of a run is recorded in the
 * bookkeeping table maintain_history.
 */
#include "maintain/maintain.h"

#include "check/check.h"

#include <string.h>
#include <strings.h>

bool dbc_maintain_include_known(const char *item)
{
	static const char *const known[] = {"safe",
	                                    "locking",
	                                    "destructive",
	                                    "analyze",
	                                    "optimize",
	                                    "vacuum",
	                                    "incremental_vacuum",
	                                    "reindex",
	                                    "validate_constraint",
	                                    "drop_index",
	                                    "create_index",
	                                    "widen_sequence",
	                                    "widen_column",
	                                    "cleanup_orphans",
	                                    "end_holder"};
	bool ok = !*item;
	for (size_t k = 0; !ok && k < sizeof(known) / sizeof(known[0]); k++)
		ok = strcasecmp(item, known[k]) == 0;
	return ok;
}

/* include: safety classes and action names, comma-separated. */
static int parse_include(dbc_ctx *ctx, const char *include, dbc_strlist *out)
{
	memset(out, 0, sizeof(*out));
	if (!include || dbc_strlist_split(ctx, out, include) != DBC_OK)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	for (int i = 0; i < out->n; i++) {
		if (!dbc_maintain_include_known(out->items[i])) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "unknown item \"%s\" in argument \"include\"",
			          dbc_excerpt(ctx, out->items[i], DBC_EXCERPT));
			dbc_error_hint(ctx, "Name safety classes (locking, destructive) or actions of "
			                    "dbmaintain_plan(), separated by commas.");
			return DBC_ERROR;
		}
	}
	return DBC_OK;
}

static bool named(const dbc_strlist *include, const char *what)
{
	for (int i = 0; i < include->n; i++)
		if (strcasecmp(include->items[i], what) == 0)
			return true;
	return false;
}

/* Why a row does not run here, or NULL when it does. */
static const char *not_here(const dbc_maintain_step *st, const dbc_strlist *include)
{
	if (!st->statement || st->lists_rows)
		return "not_run";
	if (st->outside_transaction)
		return "outside_transaction";
	if (st->safety != DBC_MAINTAIN_SAFE && !named(include, dbc_maintain_safety_name(st->safety)) &&
	    !named(include, st->action))
		return "not_included";
	return NULL;
}

static int take_bool(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	*(bool *)arg = ncol == 1 && c[0].type == DBC_BOOL && c[0].i != 0;
	return DBC_OK;
}

/* Whether the caller may run the step: one that evaluates a table's own
 * code runs only for the table's owner (maintain.h: owner_table). */
static int owner_runs(dbc_ctx *ctx, const dbc_maintain_step *st, bool *ok)
{
	const char *sql = ctx->host->dialect->caller_owns_table;
	*ok = true;
	if (!st->owner_table || !sql)
		return DBC_OK;
	for (int i = -1; i < st->more_owner_tables.n; i++) {
		dbc_value table = dbc_text(i < 0 ? st->owner_table : st->more_owner_tables.items[i]);
		*ok = false;
		if (ctx->host->query(ctx, sql, 1, &table, take_bool, ok) != DBC_OK)
			return DBC_ERROR;
		if (!*ok)
			return DBC_OK;
	}
	return DBC_OK;
}

static int execute(dbc_ctx *ctx, const dbc_maintain_plan *plan, const dbc_maintain_step *st)
{
	if (st->cleans_orphans) {
		int64_t deleted = 0;
		return dbc_check_cleanup_orphans(ctx, plan->schema, false, &deleted);
	}
	return ctx->host->exec(ctx, st->statement);
}

static int take_run(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol == 1 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

/* The history row of one step: its run and mode, then the step's result
 * row (object, action, statement, safety, status, duration_ms) as it was
 * returned, so the history says exactly what the call said. */
static int record(dbc_ctx *ctx, int64_t run, dbc_health_mode mode,
                  const dbc_value row[DBC_MAINTAIN_RUN_NCOLS])
{
	_Static_assert(DBC_MAINTAIN_RUN_NCOLS == 6, "the INSERT below lists the result row's columns");
	char *sql = dbc_printf(ctx,
	                       "INSERT INTO %smaintain_history (run, run_at, mode, object, action, "
	                       "statement, safety, status, duration_ms) "
	                       "VALUES ($1, %s, $2, $3, $4, $5, $6, $7, CAST($8 AS double precision))",
	                       ctx->host->book_prefix, ctx->host->dialect->now);
	dbc_value params[2 + DBC_MAINTAIN_RUN_NCOLS] = {dbc_int(run),
	                                                dbc_text(dbc_health_mode_name(mode))};
	memcpy(params + 2, row, sizeof(dbc_value) * DBC_MAINTAIN_RUN_NCOLS);
	return sql ? ctx->host->query(ctx, sql, 2 + DBC_MAINTAIN_RUN_NCOLS, params, NULL, NULL)
	           : DBC_ERROR;
}

static int run_steps(dbc_ctx *ctx, dbc_health_mode mode, const dbc_maintain_plan *plan,
                     const dbc_strlist *include, dbc_rows *out)
{
	int64_t run = 0;
	char *next = dbc_printf(ctx, "SELECT coalesce(max(run), 0) + 1 FROM %smaintain_history",
	                        ctx->host->book_prefix);
	if (!next || dbc_book_ensure_part(ctx, "maintain") != DBC_OK ||
	    ctx->host->query(ctx, next, 0, NULL, take_run, &run) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < plan->n; i++) {
		const dbc_maintain_step *st = &plan->items[i];
		const char *status = not_here(st, include);
		double ms = 0;
		bool owner = true;
		if (!status && owner_runs(ctx, st, &owner) != DBC_OK)
			return DBC_ERROR;
		if (!owner)
			status = "not_owner";
		if (!status) {
			if (ctx->host->interrupted && ctx->host->interrupted(ctx))
				return DBC_ERROR;
			double t0 = dbc_monotonic_ms();
			if (execute(ctx, plan, st) != DBC_OK) {
				dbc_error_detail(ctx, "The maintenance step was: %s", st->statement);
				return DBC_ERROR;
			}
			ms = dbc_monotonic_ms() - t0;
			status = "done";
		}
		bool timed = strcmp(status, "done") == 0;
		dbc_value row[DBC_MAINTAIN_RUN_NCOLS] = {
		    dbc_text(st->object),
		    dbc_text(st->action),
		    st->statement ? dbc_text(st->statement) : dbc_null(),
		    dbc_text(dbc_maintain_safety_name(st->safety)),
		    dbc_text(status),
		    timed ? dbc_float(ms) : dbc_null(),
		};
		if (dbc_rows_add(out, row) != DBC_OK || record(ctx, run, mode, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_maintain_run(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                     const char *include, dbc_rows *out)
{
	dbc_strlist inc;
	dbc_maintain_plan plan;
	dbc_rows_init(out, ctx, DBC_MAINTAIN_RUN_NCOLS);
	if (parse_include(ctx, include, &inc) != DBC_OK ||
	    dbc_maintain_plan_build(ctx, eng, mode, &plan) != DBC_OK)
		return DBC_ERROR;
	/* all or nothing: a step that fails undoes the steps before it and the
	 * history rows of this run */
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (run_steps(ctx, mode, &plan, &inc, out) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}

static int take_history(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol != DBC_MAINTAIN_HISTORY_NCOLS)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "history query returned %d columns", ncol);
	return dbc_rows_add(arg, c);
}

int dbc_maintain_history(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_rows *out)
{
	(void)eng; /* the history's times come through the dialect */
	bool exists = true;
	dbc_rows_init(out, ctx, DBC_MAINTAIN_HISTORY_NCOLS);
	/* a file no run has written to yet has no history table: no rows */
	if (ctx->host->book_has_column &&
	    !ctx->host->book_has_column(ctx, "dbcare_maintain_history", "run"))
		exists = false;
	if (!exists)
		return DBC_OK;
	char *run_at = dbc_printf(ctx, ctx->host->dialect->time_iso, "run_at");
	char *sql = run_at ? dbc_printf(ctx,
	                                "SELECT run, %s, mode, object, action, statement, safety, "
	                                "status, duration_ms FROM %smaintain_history ORDER BY id",
	                                run_at, ctx->host->book_prefix)
	                   : NULL;
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_history, out) : DBC_ERROR;
}
