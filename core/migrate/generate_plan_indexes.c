/*
 * generate_plan_indexes.c — indexes made, changed (built under a new name
 * and swapped where lock-safe) and dropped, around the tables they are
 * on.
 */
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>

static const dbc_index *find_index(const dbc_schema *s, const char *schema, const char *name)
{
	for (int i = 0; i < s->nindexes; i++)
		if (dbc_gen_same_schema(s->indexes[i].schema, schema) &&
		    strcmp(s->indexes[i].name, name) == 0)
			return &s->indexes[i];
	return NULL;
}

/* Whether foreign key k of a desired table needs a unique index of its
 * parent that the index pass makes (new, or made again), and no unique
 * or primary key constraint of the parent stands for: the engine wants
 * that index before the key is added, and the key dropped before it. */
bool dbc_gen_key_needs_new_index(planner *pl, const dbc_constraint *k)
{
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	if (k->kind != DBC_CON_FOREIGN_KEY || !k->ref_table || k->ref_columns.n == 0)
		return false;
	for (int i = 0; i < W->nindexes; i++) {
		const dbc_index *x = &W->indexes[i];
		if (!x->unique || x->constraint || x->primary || !x->definition || !x->table ||
		    !dbc_gen_same_schema(x->schema, k->ref_schema) || strcmp(x->table, k->ref_table))
			continue;
		const dbc_index *lx = find_index(L, x->schema, x->name);
		if (!lx || !dbc_gen_same_text(lx->definition, x->definition))
			return true;
	}
	return false;
}

/* Whether the desired table of an index is new or rebuilt (its indexes
 * come with it) */
static bool comes_with_table(planner *pl, const dbc_index *x)
{
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++)
		if (dbc_gen_same_schema(W->tables[i].schema, x->schema) && x->table &&
		    strcmp(W->tables[i].name, x->table) == 0)
			return !pl->from[i] || pl->rebuilt[i];
	return false;
}

/* Whether the desired table of an index is rebuilt: the rebuild's script
 * makes the table's desired indexes, and its way back the live ones. */
static bool made_by_rebuild(planner *pl, const dbc_index *x)
{
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++)
		if (dbc_gen_same_schema(W->tables[i].schema, x->schema) && x->table &&
		    strcmp(W->tables[i].name, x->table) == 0)
			return pl->from[i] && pl->rebuilt[i];
	return false;
}

static bool goes_with_table(planner *pl, const dbc_index *x)
{
	const dbc_schema *L = pl->in->live;
	for (int i = 0; i < L->ntables; i++)
		if (dbc_gen_same_schema(L->tables[i].schema, x->schema) && x->table &&
		    strcmp(L->tables[i].name, x->table) == 0) {
			const dbc_table *w = pl->to[i];
			return !w || pl->rebuilt[w - pl->in->want->tables];
		}
	return false;
}

/* Whether index x (of schema S) is built and dropped CONCURRENTLY: where
 * the engine can and the plan is lock-safe, never on a partitioned table,
 * which PostgreSQL refuses to index or unindex concurrently. The proof
 * runs such a step's plain form inside its transaction, so this is the
 * one place that keeps a plan `dbcare migrate` cannot apply from
 * passing it. */
static bool concurrent_for(planner *pl, const dbc_schema *S, const dbc_index *x)
{
	if (!pl->conc || !pl->in->opt->lock_safe)
		return false;
	for (int i = 0; i < S->ntables; i++)
		if (dbc_gen_same_schema(S->tables[i].schema, x->schema) && x->table &&
		    strcmp(S->tables[i].name, x->table) == 0)
			return !S->tables[i].kind || strcmp(S->tables[i].kind, "partitioned table") != 0;
	return true;
}

static int make_index(planner *pl, const dbc_index *x, const char *name, char *reverse,
                      char *proof_reverse)
{
	dbc_ctx *ctx = pl->ctx;
	bool conc = concurrent_for(pl, pl->in->want, x) && !comes_with_table(pl, x);
	const char *text = dbc_gen_index_text(pl->in, x->definition);
	dbc_gen_step *s =
	    dbc_gen_plan_add(pl, dbc_gen_index_def(ctx, text, name, conc ? pl->conc : NULL), reverse,
	                     dbc_gen_lock_of(pl, DBC_LOP_CREATE_INDEX));
	if (!s)
		return DBC_ERROR;
	if (conc) {
		s->transactional = false;
		s->proof = dbc_gen_index_def(ctx, text, name, NULL);
		s->proof_reverse = proof_reverse;
		s->hazard = dbc_strdup(ctx, "builds the index while writes go on");
	}
	return DBC_OK;
}

static char *drop_index(planner *pl, const dbc_index *x, const char *name, bool conc)
{
	return dbc_printf(pl->ctx, "DROP INDEX %s%s%s", conc ? pl->conc : "", conc ? " " : "",
	                  dbc_quoted_name(pl->ctx, x->schema, name));
}

/* Whether live index lx names a column its table loses: the engine drops
 * it with the column, so the plan drops it first (and its down makes it
 * once the column is back). */
static bool on_dropped_column(planner *pl, const dbc_index *lx)
{
	const dbc_schema *L = pl->in->live;
	for (int i = 0; i < L->ntables; i++) {
		const dbc_table *l = &L->tables[i], *w = pl->to[i];
		if (!w || !lx->table || strcmp(l->name, lx->table) != 0 ||
		    !dbc_gen_same_schema(l->schema, lx->schema))
			continue;
		bool *kept;
		if (dbc_gen_columns_kept(pl, l, w, &kept) != DBC_OK)
			return false; /* out of memory: pl->ctx failed, the plan stops there */
		for (int c = 0; c < l->ncolumns; c++)
			if (!kept[c] && dbc_gen_names_token(pl->ctx, lx->definition, l->columns[c].name))
				return true;
	}
	return false;
}

int dbc_gen_plan_indexes(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	/* new and replaced ones first: a replaced index is built before the old goes */
	for (int i = 0; i < W->nindexes; i++) {
		const dbc_index *x = &W->indexes[i];
		if (x->constraint || x->primary || !x->definition || made_by_rebuild(pl, x) ||
		    dbc_gen_index_on_view(pl, x, false))
			continue;
		bool safe = concurrent_for(pl, W, x);
		const dbc_index *lx = find_index(L, x->schema, x->name);
		if (lx && dbc_gen_same_text(lx->definition, x->definition))
			continue;
		/* one on a column that goes was dropped before the table changed
		 * (dbc_gen_drop_gone_indexes): made as a new one */
		if (!lx || goes_with_table(pl, lx) || on_dropped_column(pl, lx)) {
			bool conc = safe && !comes_with_table(pl, x);
			if (make_index(pl, x, x->name, drop_index(pl, x, x->name, conc),
			               drop_index(pl, x, x->name, false)) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		if (!safe) {
			/* no building beside the old one: drop, then make */
			if (!dbc_gen_plan_add(pl, drop_index(pl, lx, lx->name, false),
			                      dbc_strdup(ctx, dbc_gen_index_text(pl->in, lx->definition)),
			                      dbc_gen_lock_of(pl, DBC_LOP_DROP_INDEX)) ||
			    make_index(pl, x, x->name, drop_index(pl, x, x->name, false), NULL) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		char *tmp = dbc_gen_aside_name(ctx, x->name, "_dbcare_new");
		char *qs = x->schema ? dbc_printf(ctx, "%s.", dbc_gen_q(ctx, x->schema)) : "";
		if (make_index(pl, x, tmp, drop_index(pl, x, tmp, true), drop_index(pl, x, tmp, false)) !=
		    DBC_OK)
			return DBC_ERROR;
		const char *back = dbc_gen_index_text(pl->in, lx->definition);
		dbc_gen_step *s = dbc_gen_plan_add(pl, drop_index(pl, lx, lx->name, true),
		                                   dbc_gen_index_def(ctx, back, lx->name, pl->conc),
		                                   dbc_gen_lock_of(pl, DBC_LOP_DROP_INDEX));
		if (!s)
			return DBC_ERROR;
		s->transactional = false;
		s->proof = drop_index(pl, lx, lx->name, false);
		s->proof_reverse = dbc_strdup(ctx, back);
		if (!dbc_gen_plan_add(pl,
		                      dbc_printf(ctx, "ALTER INDEX %s%s RENAME TO %s", qs,
		                                 dbc_gen_q(ctx, tmp), dbc_gen_q(ctx, x->name)),
		                      dbc_printf(ctx, "ALTER INDEX %s%s RENAME TO %s", qs,
		                                 dbc_gen_q(ctx, x->name), dbc_gen_q(ctx, tmp)),
		                      NULL))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The live indexes the desired schema lacks, dropped: before the tables
 * change (first) those on a column that goes, after them the others. An
 * index the desired schema has under the same name but on a column that
 * goes is dropped first too (the engine would drop it with the column,
 * and its down could not make it before the column is back), and made
 * again by dbc_gen_plan_indexes. */
int dbc_gen_drop_gone_indexes(planner *pl, bool first)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	for (int i = 0; i < L->nindexes; i++) {
		const dbc_index *lx = &L->indexes[i];
		if (lx->constraint || lx->primary || !lx->definition ||
		    (find_index(W, lx->schema, lx->name) && !first) || goes_with_table(pl, lx) ||
		    dbc_gen_index_on_view(pl, lx, true) || on_dropped_column(pl, lx) != first)
			continue;
		bool safe = concurrent_for(pl, L, lx);
		const char *back = dbc_gen_index_text(pl->in, lx->definition);
		dbc_gen_step *s =
		    dbc_gen_plan_add(pl, drop_index(pl, lx, lx->name, safe),
		                     dbc_gen_index_def(ctx, back, lx->name, safe ? pl->conc : NULL),
		                     dbc_gen_lock_of(pl, DBC_LOP_DROP_INDEX));
		if (!s)
			return DBC_ERROR;
		if (safe) {
			s->transactional = false;
			s->proof = drop_index(pl, lx, lx->name, false);
			s->proof_reverse = dbc_strdup(ctx, back);
		}
	}
	return DBC_OK;
}
