/*
 * generate_plan_views.c — the views a plan drops before the tables change
 * and makes again after them, dependents first.
 */
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>
#include <strings.h>

bool dbc_gen_is_view(const dbc_object *o)
{
	return strcmp(o->type, "view") == 0 || strcmp(o->type, "materialized view") == 0;
}

const dbc_object *dbc_gen_find_object(const dbc_schema *s, const char *type, const char *schema,
                                      const char *name)
{
	for (int i = 0; i < s->nobjects; i++) {
		const dbc_object *o = &s->objects[i];
		if (strcmp(o->type, type) == 0 && dbc_gen_same_schema(o->schema, schema) &&
		    strcmp(o->name, name) == 0)
			return o;
	}
	return NULL;
}

/* Whether view definition def names a live routine the plan drops and
 * makes again (an aggregate over a changed state function, a changed
 * function): the engine refuses to drop a routine a view calls. */
static bool names_remade_routine(planner *pl, const char *def)
{
	const dbc_schema *L = pl->in->live;
	for (int j = 0; j < L->nobjects; j++) {
		const dbc_object *r = &L->objects[j];
		const char *paren = strchr(r->name, '(');
		if (pl->remade[j] && dbc_gen_is_routine(r->type) && paren &&
		    dbc_gen_names_token(pl->ctx, def,
		                        dbc_strndup(pl->ctx, r->name, (size_t)(paren - r->name))))
			return true;
	}
	return false;
}

/* Views that go before the routines and the tables change: gone or
 * changed in the desired schema, naming an affected table or a remade
 * routine, or naming a view that goes. Dependents are dropped before
 * what they name. */
int dbc_gen_mark_views(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	bool more = true;
	for (int i = 0; i < L->nobjects; i++) {
		const dbc_object *o = &L->objects[i];
		if (!dbc_gen_is_view(o))
			continue;
		const dbc_object *w = dbc_gen_find_object(W, o->type, o->schema, o->name);
		bool out = !w || !dbc_gen_same_text(w->definition, o->definition) ||
		           names_remade_routine(pl, o->definition);
		for (int t = 0; t < W->ntables && !out; t++)
			if (pl->affected[t] && pl->from[t] &&
			    dbc_gen_names_token(ctx, o->definition, pl->from[t]->name))
				out = true;
		pl->view_out[i] = out;
	}
	while (more) {
		more = false;
		for (int i = 0; i < L->nobjects; i++) {
			if (!dbc_gen_is_view(&L->objects[i]) || pl->view_out[i])
				continue;
			for (int j = 0; j < L->nobjects; j++)
				if (pl->view_out[j] && j != i &&
				    dbc_gen_names_token(ctx, L->objects[i].definition, L->objects[j].name)) {
					pl->view_out[i] = more = true;
					break;
				}
		}
	}
	return DBC_OK;
}

/* text, the CREATE of view v of schema s, with the indexes s has on it
 * (a materialized view's): dropping the view drops them. */
static char *with_indexes(planner *pl, const dbc_schema *s, const dbc_object *v, char *text)
{
	for (int i = 0; text && i < s->nindexes; i++) {
		const dbc_index *x = &s->indexes[i];
		if (x->definition && x->table && strcmp(x->table, v->name) == 0 &&
		    dbc_gen_same_schema(x->schema, v->schema))
			text = dbc_printf(pl->ctx, "%s;\n%s", text, dbc_gen_index_text(pl->in, x->definition));
	}
	return text;
}

/* Whether index x (of the live schema, or the desired one) is on a view
 * the plan drops (live) or makes (desired): it goes and comes with it. */
bool dbc_gen_index_on_view(planner *pl, const dbc_index *x, bool live)
{
	const dbc_schema *L = pl->in->live, *S = live ? L : pl->in->want;
	for (int i = 0; x->table && i < S->nobjects; i++) {
		const dbc_object *v = &S->objects[i];
		if (!dbc_gen_is_view(v) || strcmp(v->name, x->table) != 0 ||
		    !dbc_gen_same_schema(v->schema, x->schema))
			continue;
		const dbc_object *lv = live ? v : dbc_gen_find_object(L, v->type, v->schema, v->name);
		return !lv || pl->view_out[lv - L->objects];
	}
	return false;
}

/* The views mark_views marked, dependents before what they name. */
int dbc_gen_drop_views(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live;
	bool *done = dbc_zalloc(ctx, sizeof(bool) * (size_t)(L->nobjects + 1));
	if (!done)
		return DBC_ERROR;
	for (int round = 0; round <= L->nobjects; round++)
		for (int i = 0; i < L->nobjects; i++) {
			if (!pl->view_out[i] || done[i])
				continue;
			bool blocked = false; /* a view still standing names this one */
			for (int j = 0; j < L->nobjects && !blocked; j++)
				blocked = j != i && pl->view_out[j] && !done[j] &&
				          dbc_gen_names_token(ctx, L->objects[j].definition, L->objects[i].name);
			if (blocked && round < L->nobjects)
				continue;
			const dbc_object *o = &L->objects[i];
			done[i] = true;
			if (!dbc_gen_plan_add(pl,
			                      dbc_printf(ctx, "DROP %sVIEW %s",
			                                 strcmp(o->type, "view") == 0 ? "" : "MATERIALIZED ",
			                                 dbc_quoted_name(ctx, o->schema, o->name)),
			                      with_indexes(pl, L, o, dbc_gen_view_create(ctx, o)),
			                      dbc_gen_lock_of(pl, DBC_LOP_DROP_TABLE)))
				return DBC_ERROR;
		}
	return DBC_OK;
}

/* Views made after the tables: new, changed, or dropped first; in the
 * order the desired schema writes them. */
int dbc_gen_make_views(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	const dbc_gen_desired *d = pl->in->desired;
	bool *made = dbc_zalloc(ctx, sizeof(bool) * (size_t)(W->nobjects + 1));
	if (!made)
		return DBC_ERROR;
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < (pass ? W->nobjects : d->nstmts); k++) {
			const dbc_object *o = NULL;
			const dbc_gen_stmt *st = NULL;
			if (pass == 0) {
				st = &d->stmts[k];
				if (strcmp(st->kind, "view") != 0 && strcmp(st->kind, "materialized view") != 0)
					continue;
				for (int i = 0; i < W->nobjects && !o; i++)
					if (dbc_gen_is_view(&W->objects[i]) && !made[i] &&
					    strcasecmp(W->objects[i].name, st->name) == 0)
						o = &W->objects[i];
			} else {
				o = dbc_gen_is_view(&W->objects[k]) && !made[k] ? &W->objects[k] : NULL;
			}
			if (!o)
				continue;
			made[o - W->objects] = true;
			const dbc_object *lo = dbc_gen_find_object(L, o->type, o->schema, o->name);
			if (lo && !pl->view_out[lo - L->objects])
				continue;
			if (!dbc_gen_plan_add(
			        pl,
			        with_indexes(pl, W, o,
			                     st ? dbc_strdup(ctx, st->text) : dbc_gen_view_create(ctx, o)),
			        dbc_printf(ctx, "DROP %sVIEW %s",
			                   strcmp(o->type, "view") == 0 ? "" : "MATERIALIZED ",
			                   dbc_quoted_name(ctx, o->schema, o->name)),
			        NULL))
				return DBC_ERROR;
		}
	return DBC_OK;
}
