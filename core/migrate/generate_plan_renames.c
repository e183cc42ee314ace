/*
 * generate_plan_renames.c — the renames a mark or the rename log asks for:
 * tables, their keys' default names, columns.
 */
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>

/* The keys of a renamed table whose default names follow it, renamed
 * right after it: before a new table takes the old names (its down then
 * drops that table first). */
static int rename_keys(planner *pl, const dbc_table *l, const dbc_table *w)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w);
	for (int i = 0; i < l->nconstraints; i++) {
		const dbc_constraint *k = &l->constraints[i];
		const dbc_constraint *wk =
		    k->kind == DBC_CON_NOT_NULL ? NULL : dbc_gen_find_constraint(w, k);
		const dbc_constraint *rk = k->kind == DBC_CON_NOT_NULL || (wk && dbc_gen_same_k(pl, k, wk))
		                               ? NULL
		                               : dbc_gen_renamed_constraint(pl, l, w, k, true);
		if (rk && !dbc_gen_plan_add(pl,
		                            dbc_printf(ctx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
		                                       dbc_gen_q(ctx, k->name), dbc_gen_q(ctx, rk->name)),
		                            dbc_printf(ctx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
		                                       dbc_gen_q(ctx, rk->name), dbc_gen_q(ctx, k->name)),
		                            dbc_gen_lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_gen_plan_renames(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++) {
		const dbc_table *w = &W->tables[i], *l = pl->from[i];
		if (!l)
			continue;
		const char *tname = l->name;
		if (strcmp(l->name, w->name) != 0) {
			dbc_gen_step *s = dbc_gen_plan_add(
			    pl,
			    dbc_printf(ctx, "ALTER TABLE %s RENAME TO %s", dbc_gen_qt(ctx, l),
			               dbc_gen_q(ctx, w->name)),
			    dbc_printf(ctx, "ALTER TABLE %s RENAME TO %s",
			               dbc_quoted_name(ctx, w->schema, w->name), dbc_gen_q(ctx, l->name)),
			    dbc_gen_lock_of(pl, DBC_LOP_RENAME_TABLE));
			if (!s)
				return DBC_ERROR;
			s->hazard = dbc_printf(ctx, "renames table %s to %s; its rows stay%s", l->name, w->name,
			                       dbc_gen_recorded_note(pl, w->name, NULL, l->name));
			s->rows = dbc_gen_rows_of(pl, l);
			tname = w->name;
			if (!pl->limited && rename_keys(pl, l, w) != DBC_OK)
				return DBC_ERROR;
		}
		for (int c = 0; c < w->ncolumns; c++) {
			bool renamed;
			const dbc_column *lc = dbc_gen_column_from(pl, l, w, &w->columns[c], &renamed);
			if (ctx->failed)
				return DBC_ERROR;
			if (!renamed)
				continue;
			if (dbc_gen_drop_in_way(pl, l, w, lc, w->columns[c].name) != DBC_OK)
				return DBC_ERROR;
			char *qt = dbc_quoted_name(ctx, w->schema, tname);
			dbc_gen_step *s = dbc_gen_plan_add(
			    pl,
			    dbc_printf(ctx, "ALTER TABLE %s RENAME COLUMN %s TO %s", qt,
			               dbc_gen_q(ctx, lc->name), dbc_gen_q(ctx, w->columns[c].name)),
			    dbc_printf(ctx, "ALTER TABLE %s RENAME COLUMN %s TO %s", qt,
			               dbc_gen_q(ctx, w->columns[c].name), dbc_gen_q(ctx, lc->name)),
			    dbc_gen_lock_of(pl, DBC_LOP_RENAME_COLUMN));
			if (!s)
				return DBC_ERROR;
			s->hazard =
			    dbc_printf(ctx, "renames column %s.%s to %s; its values stay%s", w->name, lc->name,
			               w->columns[c].name,
			               dbc_gen_recorded_note(pl, w->name, w->columns[c].name, lc->name));
		}
	}
	return DBC_OK;
}
