/*
 * generate_recorded.c — the renames the rename log gives the generator
 * (docs/schema-as-code.md, "Renames dbcare recorded"): where the desired
 * schema names a table or column by a name the log says a live one had,
 * and neither a mark nor a live object of that name says otherwise, the
 * plan renames rather than drops and adds. Nothing is guessed: the log
 * holds only renames the runner saw, and a former name counts only while
 * the live object keeps the identity recorded with it (rename_log.h).
 */
#include "migrate/generate.h"
#include "migrate/rename_log.h"

#include <string.h>
#include <strings.h>

typedef struct matcher {
	const char *default_schema;
	bool fold;
} matcher;

static bool same_name(const matcher *m, const char *a, const char *b)
{
	return m->fold ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static const dbc_table *table_in(const matcher *m, const dbc_schema *s, const char *schema,
                                 const char *name)
{
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		const char *ts = t->schema ? t->schema : m->default_schema;
		if (ts && schema && same_name(m, ts, schema) && same_name(m, t->name, name))
			return t;
	}
	return NULL;
}

static const dbc_column *column_in(const matcher *m, const dbc_table *t, const char *name)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (same_name(m, t->columns[i].name, name))
			return &t->columns[i];
	return NULL;
}

/* Whether a rename of d (a mark or one added here) already takes from
 * in table (column NULL: among tables). */
static bool taken(const dbc_gen_desired *d, const char *table, const char *from)
{
	for (int i = 0; i < d->nrenames; i++) {
		const dbc_gen_rename *r = &d->renames[i];
		if (strcasecmp(r->from, from) == 0 &&
		    (table ? r->column && strcasecmp(r->table, table) == 0 : !r->column))
			return true;
	}
	return false;
}

static int add(dbc_ctx *ctx, dbc_gen_desired *d, const char *table, const char *column,
               const char *from, const char *by)
{
	if (dbc_grow(ctx, &d->renames, d->nrenames, &d->caprenames, sizeof(dbc_gen_rename), 4) !=
	    DBC_OK)
		return DBC_ERROR;
	d->renames[d->nrenames++] = (dbc_gen_rename){.table = (char *)table,
	                                             .column = (char *)column,
	                                             .from = (char *)from,
	                                             .recorded = by ? by : "?"};
	return DBC_OK;
}

/* The desired table live table l becomes: of the same name, else the one
 * a rename takes from it. */
static const dbc_table *desired_of(const matcher *m, const dbc_schema *want,
                                   const dbc_gen_desired *d, const dbc_table *l, const char *schema)
{
	const dbc_table *w = table_in(m, want, schema, l->name);
	for (int i = 0; !w && i < d->nrenames; i++) {
		const dbc_gen_rename *r = &d->renames[i];
		if (!r->column && same_name(m, r->from, l->name))
			w = table_in(m, want, schema, r->table);
	}
	return w;
}

/* A rename the log offers: the desired name of a live table (column NULL)
 * or of a live table's column. */
typedef struct offer {
	const dbc_former_name *x;
	const char *table;  /* the desired table (of the column, or itself) */
	const char *column; /* the desired column, NULL for a table */
	const char *desired, *live;
} offer;

typedef struct offers {
	offer *items;
	int n, cap;
} offers;

static int offer_add(dbc_ctx *ctx, offers *o, const offer *x)
{
	if (dbc_grow(ctx, &o->items, o->n, &o->cap, sizeof(offer), 8) != DBC_OK)
		return DBC_ERROR;
	o->items[o->n++] = *x;
	return DBC_OK;
}

/* Whether offer i is the only one for its desired name and for its live
 * object: a name two live objects had, or a live object that had two
 * desired names, is not followed (nothing says which is meant). */
static bool unique_offer(const matcher *m, const offers *o, int i)
{
	const offer *a = &o->items[i];
	for (int k = 0; k < o->n; k++) {
		const offer *b = &o->items[k];
		/* tables compete with tables, columns with the same table's columns */
		if (k == i || (a->column && !same_name(m, a->table, b->table)))
			continue;
		if (same_name(m, a->desired, b->desired) != same_name(m, a->live, b->live))
			return false;
	}
	return true;
}

/* Each offer of o that is unique, as a rename of d. */
static int accept_unique(dbc_ctx *ctx, const matcher *m, const offers *o, dbc_gen_desired *d)
{
	for (int i = 0; i < o->n; i++) {
		const offer *a = &o->items[i];
		if (unique_offer(m, o, i) && add(ctx, d, a->table, a->column, a->live, a->x->by) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_gen_recorded_renames(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_schema *live,
                             const dbc_schema *want, dbc_gen_desired *d)
{
	matcher m = {ctx->host->dialect->default_schema, ctx->host->dialect->names_fold_case};
	dbc_former_names f = {0};
	offers tables = {0}, columns = {0};
	if (dbc_rename_log_formers(ctx, env, &f) != DBC_OK)
		return DBC_ERROR;
	/* tables first: a column's table is found through them */
	for (int i = 0; i < f.n; i++) {
		const dbc_former_name *x = &f.items[i];
		if (x->column)
			continue;
		const dbc_table *l = table_in(&m, live, x->schema, x->table);
		const dbc_table *w = table_in(&m, want, x->schema, x->former);
		if (!l || !w || table_in(&m, want, x->schema, l->name) ||
		    table_in(&m, live, x->schema, x->former) || taken(d, NULL, l->name) ||
		    dbc_gen_rename_of(d, w->name, NULL))
			continue;
		offer o = {.x = x, .table = w->name, .desired = w->name, .live = l->name};
		if (offer_add(ctx, &tables, &o) != DBC_OK)
			return DBC_ERROR;
	}
	if (accept_unique(ctx, &m, &tables, d) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < f.n; i++) {
		const dbc_former_name *x = &f.items[i];
		if (!x->column)
			continue;
		const dbc_table *l = table_in(&m, live, x->schema, x->table);
		const dbc_table *w = l ? desired_of(&m, want, d, l, x->schema) : NULL;
		const dbc_column *lc = l ? column_in(&m, l, x->column) : NULL;
		const dbc_column *wc = w ? column_in(&m, w, x->former) : NULL;
		/* a live column of the former name (a new one made since) does not
		 * stop it: the log says which one the desired column was, and the
		 * plan drops the other (ALTER TABLE DROP COLUMN, on SQLite too)
		 * before the rename */
		if (!lc || !wc || column_in(&m, w, lc->name) || taken(d, w->name, lc->name) ||
		    dbc_gen_rename_of(d, w->name, wc->name))
			continue;
		offer o = {
		    .x = x, .table = w->name, .column = wc->name, .desired = wc->name, .live = lc->name};
		if (offer_add(ctx, &columns, &o) != DBC_OK)
			return DBC_ERROR;
	}
	return accept_unique(ctx, &m, &columns, d);
}
