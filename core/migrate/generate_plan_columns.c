/*
 * generate_plan_columns.c — a column's drop and what refuses one: the
 * rows a drop loses (counted where reading is safe), a NOT NULL the live
 * rows break, a new required column the engine cannot add.
 */
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <stdlib.h>
#include <string.h>

/* Why a rename no mark asked for is in the plan: the rename log's. */
const char *dbc_gen_recorded_note(const planner *pl, const char *table, const char *column,
                                  const char *live)
{
	const dbc_gen_rename *r = dbc_gen_rename_of(pl->in->desired, table, column);
	if (!r || !r->recorded)
		return "";
	return dbc_printf(pl->ctx,
	                  " (no mark: dbcare's rename log has %s renamed to %s by migration%s %s, and "
	                  "%s is still that %s)",
	                  column ? column : table, live, strchr(r->recorded, ',') ? "s" : "",
	                  r->recorded, live, column ? "column" : "table");
}

/* Whether the desired file has an ALTER TABLE of t after its CREATE. */
bool dbc_gen_altered_later(planner *pl, const dbc_table *t)
{
	return pl->in->desired->altered && dbc_strlist_find(pl->in->desired->altered, t->name) >= 0;
}

/* Whether the live table may be read to count its rows: not where reading
 * it would run its owner's code with the caller's rights (PostgreSQL's
 * row-level policies). */
static int may_count(planner *pl, const dbc_table *t, bool *may)
{
	bool owner_code = false;
	*may = true;
	if (pl->eng && pl->eng->read_runs_owner_code &&
	    pl->eng->read_runs_owner_code(pl->ctx, t->schema, t->name, &owner_code) != DBC_OK)
		return DBC_ERROR;
	*may = !owner_code;
	return DBC_OK;
}

#define NOT_COUNTED "rows not counted: reading them would run the table's row-level policies"

/* Exact counts for a drop: rows, and the column's non-NULL values; *what
 * says them in words ("12 rows, 3 non-NULL values"); -1 when not counted. */
int dbc_gen_count_rows(planner *pl, const dbc_table *t, const char *column, int64_t *rows,
                       int64_t *values, char **what)
{
	dbc_ctx *ctx = pl->ctx;
	char *n = NULL;
	bool may;
	*rows = *values = -1;
	if (may_count(pl, t, &may) != DBC_OK)
		return DBC_ERROR;
	if (!may) {
		*what = dbc_strdup(ctx, NOT_COUNTED);
		return DBC_OK;
	}
	char *sql =
	    dbc_printf(ctx, "SELECT count(*)%s%s%s FROM %s", column ? " || ',' || count(" : "",
	               column ? dbc_gen_q(ctx, column) : "", column ? ")" : "", dbc_gen_qt(ctx, t));
	if (!sql || dbc_query_text(ctx, sql, 0, NULL, &n, NULL) != DBC_OK)
		return DBC_ERROR;
	*rows = n ? strtoll(n, &n, 10) : 0;
	*values = n && *n == ',' ? strtoll(n + 1, NULL, 10) : *rows;
	*what = column ? dbc_printf(ctx, "%lld rows, %lld non-NULL values", (long long)*rows,
	                            (long long)*values)
	               : dbc_printf(ctx, "%lld rows", (long long)*rows);
	return DBC_OK;
}

/* A NOT NULL the live rows break: the proof runs on tables without rows,
 * so the NULLs are counted here, with a plain read of the live table. */
int dbc_gen_refuse_nulls(planner *pl, const dbc_table *l, const dbc_table *w, const char *column,
                         const char *now)
{
	dbc_ctx *ctx = pl->ctx;
	char *n = NULL;
	bool may;
	if (may_count(pl, l, &may) != DBC_OK)
		return DBC_ERROR;
	if (!may)
		return DBC_OK; /* not read: the migration's own scan finds them */
	char *sql = dbc_printf(ctx, "SELECT count(*) FROM %s WHERE %s IS NULL", dbc_gen_qt(ctx, l),
	                       dbc_gen_q(ctx, column));
	if (!sql || dbc_query_text(ctx, sql, 0, NULL, &n, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!n || strcmp(n, "0") == 0)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "the desired NOT NULL on column %s.%s fails on the live rows: %s rows hold NULL",
	          w->name, now, n);
	dbc_error_hint(ctx, "Fill those rows first (or give the column a default and an UPDATE in "
	                    "a migration of its own), then generate again.");
	return DBC_ERROR;
}

/* A new NOT NULL column without a default where the engine cannot add one
 * to a table with rows (SQLite's ADD COLUMN, a rebuild's copy): the proof
 * runs on tables without rows, so the live rows are counted here and a
 * table that has any refuses, with their count. */
int dbc_gen_refuse_required(planner *pl, const dbc_table *l, const dbc_table *w,
                            const dbc_column *c)
{
	int64_t n, values;
	char *counts;
	if (!c->not_null || c->default_expr || c->generated || c->hidden ||
	    dbc_gen_count_rows(pl, l, NULL, &n, &values, &counts) != DBC_OK || n <= 0)
		return pl->ctx->failed ? DBC_ERROR : DBC_OK;
	dbc_error(pl->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "the desired column %s.%s is NOT NULL without a default, and the live table "
	          "holds %lld rows",
	          w->name, c->name, (long long)n);
	dbc_error_hint(pl->ctx, "Give it a default (or add it NULL, fill it in a migration of its "
	                        "own, then make it NOT NULL), then generate again.");
	return DBC_ERROR;
}

/* New columns of a rebuilt table: each refused as above. */
int dbc_gen_refuse_required_all(planner *pl, const dbc_table *l, const dbc_table *w)
{
	bool renamed;
	for (int i = 0; i < w->ncolumns; i++)
		if (!dbc_gen_column_from(pl, l, w, &w->columns[i], &renamed) &&
		    (pl->ctx->failed || dbc_gen_refuse_required(pl, l, w, &w->columns[i]) != DBC_OK))
			return DBC_ERROR;
	return DBC_OK;
}

/* What a dropped column's down cannot do: bring back a NOT NULL column
 * without a default on a table with rows ("" when it can). */
const char *dbc_gen_down_fails(const dbc_column *c)
{
	return c->not_null && !c->default_expr
	           ? " (NOT NULL without a default: that down fails while the table has rows)"
	           : "";
}

int dbc_gen_refuse_drop(planner *pl, const char *what)
{
	dbc_error(pl->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the desired schema drops %s", what);
	dbc_error_hint(pl->ctx,
	               "A rename is never guessed: mark it with \"-- dbcare: renamed from OLD\" on "
	               "the new name's line, or pass {\"allow_drop\": true} (dbcare generate "
	               "--allow-drop) to drop.");
	return DBC_ERROR;
}

/* Whether lc's drop is in the plan already (before a rename to its name). */
bool dbc_gen_dropped_first(const planner *pl, const dbc_column *lc)
{
	for (int i = 0; i < pl->ndropped_first; i++)
		if (pl->dropped_first[i] == lc)
			return true;
	return false;
}

/* The step dropping live column lc of l (the desired w): refused without
 * allow_drop; its down adds the column back at the table's end. */
int dbc_gen_drop_column(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc,
                        bool kept_after)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w);
	int64_t n, values;
	char *counts;
	if (dbc_gen_count_rows(pl, l, lc->name, &n, &values, &counts) != DBC_OK)
		return DBC_ERROR;
	char *what = dbc_printf(ctx, "column %s.%s (%s)", w->name, lc->name, counts);
	if (!pl->in->opt->allow_drop)
		return dbc_gen_refuse_drop(pl, what);
	dbc_gen_step *s = dbc_gen_plan_add(
	    pl, dbc_printf(ctx, "ALTER TABLE %s DROP COLUMN %s", qt, dbc_gen_q(ctx, lc->name)),
	    dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s", qt, dbc_gen_column_def(ctx, lc)),
	    dbc_gen_lock_of(pl, DBC_LOP_DROP_COLUMN));
	if (!s)
		return DBC_ERROR;
	s->rows = n;
	s->hazard =
	    dbc_printf(ctx, "drops %s; the down brings the column back empty%s%s", what,
	               kept_after ? ", after the table's other columns" : "", dbc_gen_down_fails(lc));
	if (dbc_grow(ctx, &pl->out->moved, pl->out->nmoved, &pl->out->capmoved, sizeof(dbc_gen_moved),
	             8) != DBC_OK)
		return DBC_ERROR;
	pl->out->moved[pl->out->nmoved++] = (dbc_gen_moved){.table = l, .column = lc};
	return DBC_OK;
}

/* A live column of l in the way of a rename to its name, and going
 * (the rename log's rename back to a name a new column took since):
 * dropped before the rename. */
int dbc_gen_drop_in_way(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc,
                        const char *to)
{
	const dbc_column *in_way = dbc_table_find_column(l, to);
	if (!in_way || in_way == lc || dbc_gen_column_kept(pl, l, w, in_way) ||
	    dbc_gen_dropped_first(pl, in_way))
		return pl->ctx->failed ? DBC_ERROR : DBC_OK;
	bool kept_after = false;
	for (int i = (int)(in_way - l->columns) + 1; i < l->ncolumns && !kept_after; i++)
		kept_after = dbc_gen_column_kept(pl, l, w, &l->columns[i]);
	if (dbc_gen_drop_column(pl, l, w, in_way, kept_after) != DBC_OK ||
	    dbc_grow(pl->ctx, &pl->dropped_first, pl->ndropped_first, &pl->capdropped_first,
	             sizeof(*pl->dropped_first), 4) != DBC_OK)
		return DBC_ERROR;
	pl->dropped_first[pl->ndropped_first++] = in_way;
	return DBC_OK;
}
