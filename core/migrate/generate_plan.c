/*
 * generate_plan.c — the steps that take the live schema to the desired one,
 * in dependency order: new schemas and types, triggers and views that must
 * go first, renames (only where a mark says so), new tables, each changed
 * table, indexes, dropped tables, then views and triggers made again. Each
 * step carries what undoes it; the down is the reverses in reverse order.
 * Where the engine's ALTER TABLE is limited (lint hooks' alter_limited) a
 * changed table is rebuilt (generate_rebuild.c). Lock-safe forms come from
 * the engine's facts: CONCURRENTLY from the dialect, NOT VALID from the lint
 * hooks. This file orders the passes (generate_plan_*.c) and frames the
 * locking steps with lock_timeout.
 */
#include "migrate/generate_plan.h"

/* lock_timeout for each step that takes a lock, where the engine has lock
 * timeouts, in the up and in the down: a step that runs in a transaction
 * starts with SET LOCAL (it ends with the migration's transaction); a run
 * of steps that cannot run in one is framed by SET and RESET, whose
 * reverses frame the same run of the down (the reverses run newest
 * first). */
static int lock_timeouts(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	if (!pl->ctx->host->dialect->exclusive_lock || !pl->in->opt->lock_safe ||
	    pl->in->opt->lock_timeout_ms <= 0)
		return DBC_OK;
	char *set =
	    dbc_printf(ctx, "SET lock_timeout = '%lldms'", (long long)pl->in->opt->lock_timeout_ms);
	char *local = dbc_printf(ctx, "SET LOCAL lock_timeout = '%lldms';\n",
	                         (long long)pl->in->opt->lock_timeout_ms);
	char *reset = dbc_strdup(ctx, "RESET lock_timeout");
	dbc_gen_plan done = {0};
	if (!set || !local || !reset)
		return DBC_ERROR;
	for (int i = 0; i < pl->out->n; i++) {
		dbc_gen_step s = pl->out->items[i];
		bool run_start = !s.transactional && (i == 0 || pl->out->items[i - 1].transactional);
		bool run_end =
		    !s.transactional && (i + 1 == pl->out->n || pl->out->items[i + 1].transactional);
		dbc_gen_step *t;
		if (run_start) {
			if (!(t = dbc_gen_add(ctx, &done, set, reset)))
				return DBC_ERROR;
			t->transactional = false;
		}
		if (s.transactional && s.lock)
			s.statement = dbc_printf(ctx, "%s%s", local, s.statement);
		if (s.transactional && (s.lock || s.reverse_locks) && s.reverse)
			s.reverse = dbc_printf(ctx, "%s%s", local, s.reverse);
		if (!(t = dbc_gen_add(ctx, &done, s.statement, s.reverse)))
			return DBC_ERROR;
		*t = s;
		if (run_end) {
			if (!(t = dbc_gen_add(ctx, &done, reset, set)))
				return DBC_ERROR;
			t->transactional = false;
		}
	}
	done.moved = pl->out->moved;
	done.nmoved = pl->out->nmoved;
	done.capmoved = pl->out->capmoved;
	done.appended = pl->out->appended;
	done.nappended = pl->out->nappended;
	done.capappended = pl->out->capappended;
	done.appended_moves = pl->out->appended_moves;
	*pl->out = done;
	return DBC_OK;
}

/* The tables made again in their desired column order, last: everything
 * else stands as desired by then (generate_reorder.c). */
static int reorder_tables(planner *pl)
{
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++)
		if (pl->reorder[i] &&
		    dbc_gen_reorder(pl->ctx, pl->in, &W->tables[i], pl->reorder[i],
		                    dbc_gen_rows_of(pl, pl->from[i]),
		                    dbc_gen_lock_of(pl, DBC_LOP_DROP_TABLE), pl->out) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

int dbc_gen_plan_make(dbc_ctx *ctx, const dbc_gen_input *in, dbc_gen_plan *out)
{
	planner pl = {.ctx = ctx, .in = in, .out = out};
	pl.eng = in->env ? in->env->lint : NULL;
	pl.conc = ctx->host->dialect->concurrently;
	pl.limited = ctx->host->dialect->alter_limited;
	if (dbc_gen_match_tables(&pl) != DBC_OK)
		return DBC_ERROR;
	const dbc_schema *W = in->want;
	for (int i = 0; i < W->ntables; i++) {
		if (!pl.from[i])
			continue;
		bool simple, views;
		if (dbc_gen_classify_table(&pl, pl.from[i], &W->tables[i], &simple, &views) != DBC_OK)
			return DBC_ERROR;
		pl.rebuilt[i] = pl.limited && !simple;
		pl.affected[i] = views || pl.rebuilt[i];
	}
	/* triggers go before the functions they fire, views before the
	 * routines and types they use (and come back after them in the down) */
	if (dbc_gen_order_objects(&pl) != DBC_OK || dbc_gen_mark_views(&pl) != DBC_OK ||
	    dbc_gen_plan_objects(&pl, false, false) != DBC_OK || dbc_gen_drop_views(&pl) != DBC_OK ||
	    dbc_gen_plan_objects(&pl, true, false) != DBC_OK ||
	    dbc_gen_plan_objects(&pl, true, true) != DBC_OK || dbc_gen_plan_renames(&pl) != DBC_OK ||
	    dbc_gen_new_tables(&pl) != DBC_OK || dbc_gen_drop_gone_indexes(&pl, true) != DBC_OK ||
	    dbc_gen_changed_tables(&pl) != DBC_OK || dbc_gen_plan_indexes(&pl) != DBC_OK ||
	    dbc_gen_keys_after_indexes(&pl) != DBC_OK ||
	    dbc_gen_drop_gone_indexes(&pl, false) != DBC_OK || dbc_gen_drop_tables(&pl) != DBC_OK ||
	    dbc_gen_drop_late(&pl) != DBC_OK)
		return DBC_ERROR;
	pl.late_pass = true;
	int rc = dbc_gen_plan_objects(&pl, true, true);
	pl.late_pass = false;
	if (rc != DBC_OK || dbc_gen_make_views(&pl) != DBC_OK ||
	    dbc_gen_plan_objects(&pl, false, true) != DBC_OK || reorder_tables(&pl) != DBC_OK)
		return DBC_ERROR;
	return lock_timeouts(&pl);
}
