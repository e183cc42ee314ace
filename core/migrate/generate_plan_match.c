/*
 * generate_plan_match.c — which live table and column each desired one
 * was (a mark's or the rename log's rename, else the same name), and how
 * much a kept table changes.
 */
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>
#include <strings.h>

/* Whether another desired table than w, of its schema, takes the live
 * table named as w by a rename: marked (and not itself live) or recorded.
 * The desired w is
 * then a new table of the old name ("rename orders to purchases, then a
 * new orders"). */
static bool table_claimed(const planner *pl, const dbc_table *w)
{
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++) {
		const dbc_table *d = &W->tables[i];
		const dbc_gen_rename *r = d == w ? NULL : dbc_gen_rename_of(pl->in->desired, d->name, NULL);
		if (r && strcasecmp(r->from, w->name) == 0 && dbc_gen_same_schema(d->schema, w->schema) &&
		    (r->recorded || !dbc_schema_find_table(L, d->schema, d->name)))
			return true;
	}
	return false;
}

/* The live table desired table w was: a recorded rename's (the log knows
 * the object), else the one of its name unless a rename takes that one,
 * else its mark's. */
static int table_from(planner *pl, const dbc_table *w, const dbc_table **out)
{
	const dbc_schema *L = pl->in->live;
	const dbc_table *named = dbc_schema_find_table(L, w->schema, w->name);
	const dbc_gen_rename *r = dbc_gen_rename_of(pl->in->desired, w->name, NULL);
	const dbc_table *l = r ? dbc_schema_find_table(L, w->schema, r->from) : NULL;
	*out = NULL;
	if (r && r->recorded && l)
		*out = l;
	else if (named)
		*out = table_claimed(pl, w) ? NULL : named;
	else if (r && l)
		*out = l;
	else if (r)
		return dbc_error(pl->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "table %s is marked renamed from %s, which does not exist", w->name,
		                 r->from);
	return DBC_OK;
}

int dbc_gen_match_tables(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	pl->to = dbc_zalloc(ctx, sizeof(*pl->to) * (size_t)(L->ntables + 1));
	pl->from = dbc_zalloc(ctx, sizeof(*pl->from) * (size_t)(W->ntables + 1));
	pl->rebuilt = dbc_zalloc(ctx, sizeof(bool) * (size_t)(W->ntables + 1));
	pl->affected = dbc_zalloc(ctx, sizeof(bool) * (size_t)(W->ntables + 1));
	pl->view_out = dbc_zalloc(ctx, sizeof(bool) * (size_t)(L->nobjects + 1));
	pl->dropped = dbc_zalloc(ctx, sizeof(bool) * (size_t)(L->ntables + 1));
	pl->reorder = dbc_zalloc(ctx, sizeof(*pl->reorder) * (size_t)(W->ntables + 1));
	if (!pl->to || !pl->from || !pl->rebuilt || !pl->affected || !pl->view_out || !pl->dropped ||
	    !pl->reorder)
		return DBC_ERROR;
	for (int i = 0; i < W->ntables; i++) {
		const dbc_table *w = &W->tables[i], *l;
		if (table_from(pl, w, &l) != DBC_OK)
			return DBC_ERROR;
		if (l && pl->to[dbc_gen_table_index(L, l)])
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "tables %s and %s are both the live table %s (a mark or the "
			                 "rename log)",
			                 pl->to[dbc_gen_table_index(L, l)]->name, w->name, l->name);
		if (l) {
			pl->from[i] = l;
			pl->to[dbc_gen_table_index(L, l)] = w;
		}
	}
	return DBC_OK;
}

/* Whether another desired column of w than c takes the live column named
 * as c by a rename: marked (and not itself live) or recorded. The desired
 * c is then a new column of the old name ("rename description to
 * sidebar, then add a new description"). */
static bool column_claimed(const planner *pl, const dbc_table *l, const dbc_table *w,
                           const dbc_column *c)
{
	for (int i = 0; i < w->ncolumns; i++) {
		const dbc_column *d = &w->columns[i];
		const dbc_gen_rename *r =
		    d == c ? NULL : dbc_gen_rename_of(pl->in->desired, w->name, d->name);
		if (r && strcasecmp(r->from, c->name) == 0 &&
		    (r->recorded || !dbc_table_find_column(l, d->name)))
			return true;
	}
	return false;
}

/* The live column a desired column was: a recorded rename's (the log
 * knows the object), else the one of its name unless a rename takes that
 * one (a mark on a column whose name is live was applied already), else
 * its mark's. */
const dbc_column *dbc_gen_column_from(planner *pl, const dbc_table *l, const dbc_table *w,
                                      const dbc_column *c, bool *renamed)
{
	*renamed = false;
	const dbc_column *named = dbc_table_find_column(l, c->name);
	const dbc_gen_rename *r = dbc_gen_rename_of(pl->in->desired, w->name, c->name);
	const dbc_column *lc = r ? dbc_table_find_column(l, r->from) : NULL;
	if (r && r->recorded && lc) {
		*renamed = true;
		return lc;
	}
	if (named)
		return column_claimed(pl, l, w, c) ? NULL : named;
	if (!r)
		return NULL;
	if (lc) {
		*renamed = true;
		return lc;
	}
	dbc_error(pl->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "column %s.%s is marked renamed from %s, which does not exist", w->name, c->name,
	          r->from);
	return NULL;
}

/* Which live columns of l a desired column of w is: kept[i] for
 * l->columns[i], one pass over w's columns (dbc_gen_column_kept asked of
 * each live column in turn is that pass once per column). DBC_ERROR:
 * out of memory only; a column's error is pl->ctx's, as there. */
int dbc_gen_columns_kept(planner *pl, const dbc_table *l, const dbc_table *w, bool **kept)
{
	*kept = dbc_alloc(pl->ctx, sizeof(bool) * (size_t)(l->ncolumns ? l->ncolumns : 1));
	if (!*kept)
		return DBC_ERROR;
	memset(*kept, 0, sizeof(bool) * (size_t)(l->ncolumns ? l->ncolumns : 1));
	for (int k = 0; k < w->ncolumns; k++) {
		bool renamed;
		const dbc_column *lc = dbc_gen_column_from(pl, l, w, &w->columns[k], &renamed);
		if (lc && lc >= l->columns && lc < l->columns + l->ncolumns)
			(*kept)[lc - l->columns] = true;
	}
	return DBC_OK;
}

/* Whether a desired column of w is the live column lc. */
bool dbc_gen_column_kept(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc)
{
	for (int k = 0; k < w->ncolumns; k++) {
		bool renamed;
		if (dbc_gen_column_from(pl, l, w, &w->columns[k], &renamed) == lc)
			return true;
	}
	return false;
}

static bool column_same(const dbc_column *a, const dbc_column *b)
{
	return dbc_gen_same_text(a->type, b->type) && a->not_null == b->not_null &&
	       dbc_gen_same_text(a->default_expr, b->default_expr) &&
	       dbc_gen_same_text(a->generated, b->generated) &&
	       dbc_gen_same_text(a->collation, b->collation);
}

const dbc_constraint *dbc_gen_find_constraint(const dbc_table *t, const dbc_constraint *k)
{
	for (int i = 0; i < t->nconstraints; i++) {
		const dbc_constraint *c = &t->constraints[i];
		if (c->kind == k->kind && c->name && k->name && strcmp(c->name, k->name) == 0)
			return c;
	}
	return NULL;
}

/* Whether live constraint lk is the desired wk, its parent named as the
 * plan's renames leave it. */
bool dbc_gen_same_k(const planner *pl, const dbc_constraint *lk, const dbc_constraint *wk)
{
	dbc_constraint m = *lk;
	if (m.kind == DBC_CON_FOREIGN_KEY && m.ref_table) {
		const dbc_table *p = dbc_schema_find_table(pl->in->live, m.ref_schema, m.ref_table);
		const dbc_table *to = p ? pl->to[p - pl->in->live->tables] : NULL;
		if (to)
			m.ref_table = to->name;
	}
	return dbc_gen_same_constraint(&m, wk);
}

/* The constraint of to that k of from became under another name (the
 * same definition, neither name on the other side): a table rename gives
 * its keys new default names in a schema written afresh. */
const dbc_constraint *dbc_gen_renamed_constraint(const planner *pl, const dbc_table *from,
                                                 const dbc_table *to, const dbc_constraint *k,
                                                 bool from_live)
{
	if (k->kind == DBC_CON_NOT_NULL || dbc_gen_find_constraint(to, k))
		return NULL;
	for (int i = 0; i < to->nconstraints; i++) {
		const dbc_constraint *c = &to->constraints[i];
		if (c->kind != DBC_CON_NOT_NULL && !dbc_gen_find_constraint(from, c) &&
		    (from_live ? dbc_gen_same_k(pl, k, c) : dbc_gen_same_k(pl, c, k)))
			return c;
	}
	return NULL;
}

/* Whether live column lc of l goes and a renamed column of w takes its
 * name: renames() drops it with ALTER TABLE before the rename (drop_in_way). */
static bool in_way_of_rename(planner *pl, const dbc_table *l, const dbc_table *w,
                             const dbc_column *lc)
{
	const dbc_column *c = dbc_table_find_column(w, lc->name);
	bool renamed;
	const dbc_column *from = c ? dbc_gen_column_from(pl, l, w, c, &renamed) : NULL;
	return from && renamed && from != lc && !dbc_gen_column_kept(pl, l, w, lc);
}

/* Whether the table changes beyond renames, columns added at its end with
 * a plain definition and columns dropped before a rename takes their name,
 * and whether a column is dropped or changes type (views naming the table
 * then go and come back). */
int dbc_gen_classify_table(planner *pl, const dbc_table *l, const dbc_table *w, bool *simple,
                           bool *views)
{
	*simple = true;
	*views = false;
	int kept = 0;
	for (int i = 0; i < w->ncolumns; i++) {
		bool renamed;
		const dbc_column *lc = dbc_gen_column_from(pl, l, w, &w->columns[i], &renamed);
		if (pl->ctx->failed)
			return DBC_ERROR;
		if (!lc) {
			if (kept < l->ncolumns)
				*simple = false; /* a column among the old ones, not at the end */
			continue;
		}
		kept++;
		if (!column_same(lc, &w->columns[i])) {
			*simple = false;
			if (!dbc_gen_same_text(lc->type, w->columns[i].type))
				*views = true;
		}
	}
	int in_way = 0;
	for (int i = 0; i < l->ncolumns; i++)
		in_way += in_way_of_rename(pl, l, w, &l->columns[i]);
	if (in_way)
		*views = true;
	if (kept + in_way < l->ncolumns)
		*simple = false, *views = true; /* a column dropped */
	for (int i = 0; i < w->nconstraints; i++) {
		const dbc_constraint *k = &w->constraints[i];
		const dbc_constraint *lk =
		    k->kind == DBC_CON_NOT_NULL ? NULL : dbc_gen_find_constraint(l, k);
		/* a key whose default name follows a renamed table is the same key */
		if (k->kind != DBC_CON_NOT_NULL && (!lk || !dbc_gen_same_k(pl, lk, k)) &&
		    !dbc_gen_renamed_constraint(pl, w, l, k, false))
			*simple = false;
	}
	for (int i = 0; i < l->nconstraints; i++)
		if (l->constraints[i].kind != DBC_CON_NOT_NULL &&
		    !dbc_gen_find_constraint(w, &l->constraints[i]) &&
		    !dbc_gen_renamed_constraint(pl, l, w, &l->constraints[i], true))
			*simple = false;
	if (!dbc_gen_same_text(l->options, w->options) || !dbc_gen_same_text(l->kind, w->kind))
		*simple = false;
	return DBC_OK;
}
