/*
 * generate_plan.c — the steps that take the live schema to the desired one,
 * in dependency order: new schemas and types, triggers and views that must
 * go first, renames (only where a mark says so), new tables, each changed
 * table, indexes, dropped tables, then views and triggers made again. Each
 * step carries what undoes it; the down is the reverses in reverse order.
 * Where the engine's ALTER TABLE is limited (lint hooks' alter_limited) a
 * changed table is rebuilt (generate_rebuild.c). Lock-safe forms come from
 * the engine's facts: CONCURRENTLY from the dialect, NOT VALID from the lint
 * hooks.
 */
#include "migrate/generate.h"
#include "migrate/generate_order.h"
#include "migrate/generate_render.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct planner {
	dbc_ctx *ctx;
	const dbc_gen_input *in;
	dbc_gen_plan *out;
	const dbc_lint_hooks *eng;
	const char *conc; /* CONCURRENTLY, or NULL */
	bool limited;     /* a rebuild for anything but adding a column */
	/* by live table: the desired table it becomes (NULL: dropped) */
	const dbc_table **to;
	/* by desired table: the live one it was (NULL: new) */
	const dbc_table **from;
	bool *rebuilt;  /* by desired table */
	bool *affected; /* by desired table: views naming it go and come back */
	bool *view_out; /* by live object: a view dropped first */
	bool late_pass; /* objects(): the functions made after the tables */
	bool *dropped;  /* by live table: its DROP TABLE is in the plan already */
	/* live columns dropped before a rename takes their name */
	const dbc_column **dropped_first;
	int ndropped_first, capdropped_first;
	/* by live object: dropped and made again, changed or needing one that
	 * is (a function whose argument type is made again) */
	bool *remade;
	int *drop_order; /* the live objects, each before what it needs */
	int *make_order; /* the desired objects, each after what it needs */
	/* by desired table: its columns in the order ALTER TABLE leaves them,
	 * when that is not the desired order and the plan's last steps make
	 * the table again in it (generate_reorder.c); NULL otherwise */
	const dbc_table **reorder;
	/* why the table alter_full works on is not made again in the desired
	 * order (NULL: it is, or need not be) */
	const char *kept_order_why;
} planner;

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_schema(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static const char *lock_of(planner *pl, dbc_lint_op op)
{
	const dbc_dialect *d = pl->ctx->host->dialect;
	return d->lint_locks ? d->lint_locks[op] : NULL;
}

static int64_t rows_of(planner *pl, const dbc_table *t)
{
	int64_t rows = -1;
	if (pl->eng && pl->eng->rows && pl->eng->rows(pl->ctx, t->schema, t->name, &rows) != DBC_OK) {
		dbc_error_clear(pl->ctx);
		rows = -1;
	}
	return rows;
}

static dbc_gen_step *add(planner *pl, char *statement, char *reverse, const char *lock)
{
	dbc_gen_step *s = dbc_gen_add(pl->ctx, pl->out, statement, reverse);
	if (s)
		s->lock = (char *)lock;
	return s;
}

static int index_of_table(const dbc_schema *s, const dbc_table *t)
{
	return (int)(t - s->tables);
}

/* ------------------------------------------------------------ matching */

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
		if (r && strcasecmp(r->from, w->name) == 0 && same_schema(d->schema, w->schema) &&
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

static int match_tables(planner *pl)
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
		if (l && pl->to[index_of_table(L, l)])
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "tables %s and %s are both the live table %s (a mark or the "
			                 "rename log)",
			                 pl->to[index_of_table(L, l)]->name, w->name, l->name);
		if (l) {
			pl->from[i] = l;
			pl->to[index_of_table(L, l)] = w;
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
static const dbc_column *column_from(planner *pl, const dbc_table *l, const dbc_table *w,
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

/* Whether a desired column of w is the live column lc. */
static bool column_kept(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc)
{
	for (int k = 0; k < w->ncolumns; k++) {
		bool renamed;
		if (column_from(pl, l, w, &w->columns[k], &renamed) == lc)
			return true;
	}
	return false;
}

static bool column_same(const dbc_column *a, const dbc_column *b)
{
	return same_text(a->type, b->type) && a->not_null == b->not_null &&
	       same_text(a->default_expr, b->default_expr) && same_text(a->generated, b->generated) &&
	       same_text(a->collation, b->collation);
}

static const dbc_constraint *find_constraint(const dbc_table *t, const dbc_constraint *k)
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
static bool same_k(const planner *pl, const dbc_constraint *lk, const dbc_constraint *wk)
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
static const dbc_constraint *renamed_constraint(const planner *pl, const dbc_table *from,
                                                const dbc_table *to, const dbc_constraint *k,
                                                bool from_live)
{
	if (k->kind == DBC_CON_NOT_NULL || find_constraint(to, k))
		return NULL;
	for (int i = 0; i < to->nconstraints; i++) {
		const dbc_constraint *c = &to->constraints[i];
		if (c->kind != DBC_CON_NOT_NULL && !find_constraint(from, c) &&
		    (from_live ? same_k(pl, k, c) : same_k(pl, c, k)))
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
	const dbc_column *from = c ? column_from(pl, l, w, c, &renamed) : NULL;
	return from && renamed && from != lc && !column_kept(pl, l, w, lc);
}

/* Whether the table changes beyond renames, columns added at its end with
 * a plain definition and columns dropped before a rename takes their name,
 * and whether a column is dropped or changes type (views naming the table
 * then go and come back). */
static int classify(planner *pl, const dbc_table *l, const dbc_table *w, bool *simple, bool *views)
{
	*simple = true;
	*views = false;
	int kept = 0;
	for (int i = 0; i < w->ncolumns; i++) {
		bool renamed;
		const dbc_column *lc = column_from(pl, l, w, &w->columns[i], &renamed);
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
			if (!same_text(lc->type, w->columns[i].type))
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
		const dbc_constraint *lk = k->kind == DBC_CON_NOT_NULL ? NULL : find_constraint(l, k);
		/* a key whose default name follows a renamed table is the same key */
		if (k->kind != DBC_CON_NOT_NULL && (!lk || !same_k(pl, lk, k)) &&
		    !renamed_constraint(pl, w, l, k, false))
			*simple = false;
	}
	for (int i = 0; i < l->nconstraints; i++)
		if (l->constraints[i].kind != DBC_CON_NOT_NULL && !find_constraint(w, &l->constraints[i]) &&
		    !renamed_constraint(pl, l, w, &l->constraints[i], true))
			*simple = false;
	if (!same_text(l->options, w->options) || !same_text(l->kind, w->kind))
		*simple = false;
	return DBC_OK;
}

/* ------------------------------------------------------------ views */

static bool is_view(const dbc_object *o)
{
	return strcmp(o->type, "view") == 0 || strcmp(o->type, "materialized view") == 0;
}

static const dbc_object *find_object(const dbc_schema *s, const char *type, const char *schema,
                                     const char *name)
{
	for (int i = 0; i < s->nobjects; i++) {
		const dbc_object *o = &s->objects[i];
		if (strcmp(o->type, type) == 0 && same_schema(o->schema, schema) &&
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
static int mark_views(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	bool more = true;
	for (int i = 0; i < L->nobjects; i++) {
		const dbc_object *o = &L->objects[i];
		if (!is_view(o))
			continue;
		const dbc_object *w = find_object(W, o->type, o->schema, o->name);
		bool out = !w || !same_text(w->definition, o->definition) ||
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
			if (!is_view(&L->objects[i]) || pl->view_out[i])
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

/* The views mark_views marked, dependents before what they name. */
static int drop_views(planner *pl)
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
			if (!add(pl,
			         dbc_printf(ctx, "DROP %sVIEW %s",
			                    strcmp(o->type, "view") == 0 ? "" : "MATERIALIZED ",
			                    dbc_quoted_name(ctx, o->schema, o->name)),
			         dbc_gen_view_create(ctx, o), lock_of(pl, DBC_LOP_DROP_TABLE)))
				return DBC_ERROR;
		}
	return DBC_OK;
}

/* Views made after the tables: new, changed, or dropped first; in the
 * order the desired schema writes them. */
static int make_views(planner *pl)
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
					if (is_view(&W->objects[i]) && !made[i] &&
					    strcasecmp(W->objects[i].name, st->name) == 0)
						o = &W->objects[i];
			} else {
				o = is_view(&W->objects[k]) && !made[k] ? &W->objects[k] : NULL;
			}
			if (!o)
				continue;
			made[o - W->objects] = true;
			const dbc_object *lo = find_object(L, o->type, o->schema, o->name);
			if (lo && !pl->view_out[lo - L->objects])
				continue;
			if (!add(pl, st ? dbc_strdup(ctx, st->text) : dbc_gen_view_create(ctx, o),
			         dbc_printf(ctx, "DROP %sVIEW %s",
			                    strcmp(o->type, "view") == 0 ? "" : "MATERIALIZED ",
			                    dbc_quoted_name(ctx, o->schema, o->name)),
			         NULL))
				return DBC_ERROR;
		}
	return DBC_OK;
}

/* ------------------------------------------------------------ other objects */

/* Objects the generator makes from the desired schema's own statement and
 * drops by name: schemas, types, sequences and functions before the tables
 * (first), triggers after them. A sequence owned by a column comes and goes
 * with its column. */
static const char *const early_types[] = {"schema",    "type",      "sequence", "function",
                                          "procedure", "aggregate", NULL};

static bool in_list(const char *const *l, const char *s)
{
	for (int i = 0; l[i]; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

static const char *drop_word(const char *type)
{
	return strcmp(type, "schema") == 0     ? "SCHEMA"
	       : strcmp(type, "type") == 0     ? "TYPE"
	       : strcmp(type, "sequence") == 0 ? "SEQUENCE"
	       : strcmp(type, "function") == 0 ? "FUNCTION"
	                                       : "TRIGGER";
}

static char *drop_object(planner *pl, const dbc_object *o)
{
	dbc_ctx *ctx = pl->ctx;
	if (strcmp(o->type, "trigger") == 0) {
		const char *dot = strrchr(o->name, '.');
		const char *trg = dot ? dot + 1 : o->name;
		if (pl->ctx->host->dialect->alter_limited)
			return dbc_printf(ctx, "DROP TRIGGER %s", dbc_gen_q(ctx, trg));
		return dbc_printf(ctx, "DROP TRIGGER %s ON %s", dbc_gen_q(ctx, trg),
		                  dbc_quoted_name(ctx, o->schema, o->table));
	}
	if (dbc_gen_is_routine(o->type)) /* the name holds its arguments: "f(integer)" */
		return dbc_gen_routine_drop(ctx, o);
	return dbc_printf(ctx, "DROP %s %s", drop_word(o->type),
	                  strcmp(o->type, "schema") == 0 ? dbc_gen_q(ctx, o->name)
	                                                 : dbc_quoted_name(ctx, o->schema, o->name));
}

/* What makes o again, from the catalog's definition: a whole CREATE
 * statement as it is, the type and sequence forms of the snapshot
 * ("ENUM (...)", "DOMAIN AS ...", "COMPOSITE (...)", "RANGE (...)", "AS
 * bigint START ..."); NULL when the definition is none of these. */
static char *create_object(planner *pl, const dbc_object *o)
{
	dbc_ctx *ctx = pl->ctx;
	const char *d = o->definition;
	if (!d)
		return NULL;
	if (strncasecmp(d, "CREATE", 6) == 0)
		return dbc_strdup(ctx, d);
	if (strcmp(o->type, "aggregate") == 0)
		return dbc_gen_aggregate_create(ctx, o);
	char *q = dbc_quoted_name(ctx, o->schema, o->name);
	if (strcmp(o->type, "type") == 0) {
		if (strncmp(d, "ENUM (", 6) == 0)
			return dbc_printf(ctx, "CREATE TYPE %s AS %s", q, d);
		if (strncmp(d, "DOMAIN AS ", 10) == 0) {
			/* a constraint NOT VALID is added after the CREATE, which
			 * cannot say it */
			dbc_buf b, later;
			dbc_buf_init(&b, ctx);
			dbc_buf_init(&later, ctx);
			const char *p = d + 7, *k;
			while ((k = strstr(p, " CONSTRAINT ")) != NULL) {
				const char *next = strstr(k + 12, " CONSTRAINT ");
				size_t len = next ? (size_t)(next - k) : strlen(k);
				if (len > 10 && strncmp(k + len - 10, " NOT VALID", 10) == 0) {
					dbc_buf_appendn(&b, p, (size_t)(k - p));
					dbc_buf_appendf(&later, ";\nALTER DOMAIN %s ADD%.*s", q, (int)len, k);
				} else {
					dbc_buf_appendn(&b, p, (size_t)(k - p) + len);
				}
				p = k + len;
			}
			dbc_buf_append(&b, p);
			return dbc_printf(ctx, "CREATE DOMAIN %s %s%s", q, dbc_buf_finish(&b),
			                  later.len ? dbc_buf_finish(&later) : "");
		}
		if (strncmp(d, "COMPOSITE (", 11) == 0)
			return dbc_printf(ctx, "CREATE TYPE %s AS %s", q, d + 10);
		if (strncmp(d, "RANGE (", 7) == 0)
			return dbc_printf(ctx, "CREATE TYPE %s AS %s", q, d);
		return NULL;
	}
	if (strcmp(o->type, "sequence") == 0 && strncmp(d, "AS ", 3) == 0)
		return dbc_printf(ctx, "CREATE SEQUENCE %s %s", q, d);
	return NULL;
}

/* The step dropping live object o, its reverse what makes it again. */
static dbc_gen_step *add_drop(planner *pl, const dbc_object *o)
{
	dbc_gen_step *s = add(pl, drop_object(pl, o), create_object(pl, o), NULL);
	if (s && strcmp(o->type, "aggregate") == 0)
		s->hazard =
		    "the down makes the aggregate again from what the schema model holds of it "
		    "(SFUNC, STYPE, FINALFUNC, COMBINEFUNC, INITCOND, its kind): a moving-aggregate "
		    "form, a sort operator or a PARALLEL marking it had is not made again";
	return s;
}

static const char *bare_name(const dbc_object *o)
{
	const char *dot = strcmp(o->type, "trigger") == 0 ? strrchr(o->name, '.') : NULL;
	return dot ? dot + 1 : o->name;
}

/* The desired statement that makes o (functions by name without their
 * argument types). */
static const dbc_gen_stmt *stmt_of(planner *pl, const dbc_object *o)
{
	const char *name = bare_name(o);
	const char *paren = strchr(name, '(');
	if (paren)
		name = dbc_strndup(pl->ctx, name, (size_t)(paren - name));
	return name ? dbc_gen_find_stmt(pl->in->desired, o->type, name) : NULL;
}

/* The statement that makes desired object o: its own statement in the
 * desired file, or, for a routine whose name the file gives more than one
 * (overloads, which a name alone does not tell apart) or that an ALTER
 * FUNCTION of the file changes (SECURITY DEFINER, a SET), the catalog's
 * definition of this one. */
static char *make_text(planner *pl, const dbc_object *o, const dbc_gen_stmt *st)
{
	const dbc_gen_desired *d = pl->in->desired;
	if (dbc_gen_is_routine(o->type) && d->altered_routines)
		for (int i = 0; i < d->altered_routines->n; i++)
			if (strcasecmp(d->altered_routines->items[i], st->name) == 0)
				return create_object(pl, o);
	int same = 0;
	for (int i = 0; i < d->nstmts && dbc_gen_is_routine(o->type); i++)
		same +=
		    strcmp(d->stmts[i].kind, st->kind) == 0 && strcasecmp(d->stmts[i].name, st->name) == 0;
	return same > 1 ? create_object(pl, o) : dbc_strdup(pl->ctx, st->text);
}

static bool owned_sequence(const dbc_object *o)
{
	return strcmp(o->type, "sequence") == 0 && o->definition && strstr(o->definition, " OWNED BY ");
}

/* Objects of types the generator knows, compared; early: the types made
 * before the tables, else triggers. adding: new and changed ones made,
 * else gone and changed ones dropped. */
/* Whether o is a trigger on a view the plan drops and makes again: the
 * trigger goes with the view, so it is dropped first and made again. */
static bool on_remade_view(planner *pl, const dbc_object *o)
{
	const dbc_schema *L = pl->in->live;
	if (strcmp(o->type, "trigger") != 0 || !o->table)
		return false;
	for (int i = 0; i < L->nobjects; i++)
		if (is_view(&L->objects[i]) && same_schema(L->objects[i].schema, o->schema) &&
		    strcmp(L->objects[i].name, o->table) == 0)
			return pl->view_out[i];
	return false;
}

/* Whether o is a trigger on a table the plan rebuilds (adding: o is a
 * desired trigger, else a live one). The rebuild drops the table with its
 * live triggers and makes every trigger the desired table has, its down
 * the live ones (generate_rebuild.c): the object passes make and drop
 * none of them. */
static bool trigger_with_rebuild(planner *pl, const dbc_object *o, bool adding)
{
	const dbc_schema *S = adding ? pl->in->want : pl->in->live;
	if (strcmp(o->type, "trigger") != 0 || !o->table)
		return false;
	for (int i = 0; i < S->ntables; i++) {
		if (!same_schema(S->tables[i].schema, o->schema) || strcmp(S->tables[i].name, o->table))
			continue;
		const dbc_table *w = adding ? &S->tables[i] : pl->to[i];
		int k = w ? (int)(w - pl->in->want->tables) : -1;
		return k >= 0 && pl->from[k] && pl->rebuilt[k];
	}
	return false;
}

/* Whether the desired function o reads a table the plan creates or
 * changes: its statement names a desired table (PostgreSQL checks a
 * LANGUAGE sql body when it is created, so it must come after the tables
 * and their new columns), and no desired CREATE TABLE or CREATE INDEX
 * names the function (a default, a check or an index expression calling
 * it needs it first). */
static bool reads_new_table(planner *pl, const dbc_object *o)
{
	const dbc_schema *W = pl->in->want;
	const dbc_gen_desired *d = pl->in->desired;
	const dbc_gen_stmt *st = dbc_gen_is_routine(o->type) ? stmt_of(pl, o) : NULL;
	const char *paren = strchr(o->name, '(');
	char *fname = paren ? dbc_strndup(pl->ctx, o->name, (size_t)(paren - o->name)) : NULL;
	bool reads = false;
	if (!st || !fname)
		return false;
	for (int i = 0; i < W->ntables && !reads; i++)
		reads = dbc_gen_names_token(pl->ctx, st->text, W->tables[i].name);
	for (int k = 0; k < d->nstmts && reads; k++)
		if ((strcmp(d->stmts[k].kind, "table") == 0 || strcmp(d->stmts[k].kind, "index") == 0) &&
		    dbc_gen_names_token(pl->ctx, d->stmts[k].text, fname))
			reads = false;
	return reads;
}

/* Whether live function o, which the desired schema no longer has, reads
 * a live table: its definition names one, and no table's default, check
 * or index calls it. Its drop then goes before the tables change, so that
 * the down makes it again after their columns are back (a LANGUAGE sql
 * body is checked when it is made); the others go after the tables
 * (drop_late). */
static bool gone_reads_table(planner *pl, const dbc_object *o)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live;
	const char *paren = strchr(o->name, '(');
	char *fname = paren ? dbc_strndup(ctx, o->name, (size_t)(paren - o->name)) : NULL;
	if (!dbc_gen_is_routine(o->type) || !o->definition || !fname)
		return false;
	bool reads = false;
	for (int i = 0; i < L->ntables && !reads; i++)
		reads = dbc_gen_names_token(ctx, o->definition, L->tables[i].name);
	for (int i = 0; i < L->ntables && reads; i++) {
		const dbc_table *t = &L->tables[i];
		for (int c = 0; c < t->ncolumns && reads; c++)
			reads = !dbc_gen_names_token(ctx, t->columns[c].default_expr, fname) &&
			        !dbc_gen_names_token(ctx, t->columns[c].generated, fname);
		for (int k = 0; k < t->nconstraints && reads; k++)
			reads = !dbc_gen_names_token(ctx, t->constraints[k].expr, fname);
	}
	for (int i = 0; i < L->nindexes && reads; i++)
		reads = !dbc_gen_names_token(ctx, L->indexes[i].definition, fname);
	return reads;
}

static int objects(planner *pl, bool early, bool adding)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *from = adding ? pl->in->want : pl->in->live;
	const dbc_schema *other = adding ? pl->in->live : pl->in->want;
	for (int k = 0; k < from->nobjects; k++) {
		const dbc_object *o = &from->objects[adding ? pl->make_order[k] : pl->drop_order[k]];
		/* a function that reads a new table is made after the tables (the
		 * late pass), the others before them */
		bool late = adding && reads_new_table(pl, o);
		bool known = pl->late_pass ? late
		             : early       ? in_list(early_types, o->type) && !late
		                           : strcmp(o->type, "trigger") == 0;
		/* a sequence its column owns comes with its table, unless the
		 * desired file makes it itself (pg_dump's form) */
		if (!known || (owned_sequence(o) && !(adding && stmt_of(pl, o))) ||
		    trigger_with_rebuild(pl, o, adding))
			continue;
		const dbc_object *x = find_object(other, o->type, o->schema, o->name);
		const dbc_object *lo = adding ? x : o;
		if (x && same_text(x->definition, o->definition) && x->enabled == o->enabled &&
		    !on_remade_view(pl, o) && !pl->remade[lo - pl->in->live->objects])
			continue;
		/* an enum that only gains labels is altered, not made again */
		bool extends = x && dbc_gen_enum_extends(ctx, adding ? x : o, adding ? o : x);
		if (!adding) {
			/* gone, or changed: dropped here, made again when adding */
			if ((!x && early && !gone_reads_table(pl, o)) || extends)
				continue; /* gone types go after the tables that use them (drop_late) */
			const dbc_gen_stmt *st = x ? stmt_of(pl, x) : NULL;
			if (x && !st)
				continue;
			if (!add_drop(pl, o))
				return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
				                 "cannot drop %s %s: the generator does not know how", o->type,
				                 o->name);
			continue;
		}
		if (extends) {
			if (dbc_gen_enum_add(ctx, pl->in, x, o, pl->out) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		const dbc_gen_stmt *st = stmt_of(pl, o);
		if (!st)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "the desired schema's %s %s has no CREATE statement the generator "
			                 "can reuse",
			                 o->type, o->name);
		/* an owned sequence goes with its table in the down already */
		char *undo = owned_sequence(o) ? dbc_printf(ctx, "DROP SEQUENCE IF EXISTS %s",
		                                            dbc_quoted_name(ctx, o->schema, o->name))
		                               : drop_object(pl, o);
		if (!add(pl, make_text(pl, o, st), undo, NULL))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* Whether the generator drops live object o and makes it again when it
 * changes (the object passes' kinds). */
static bool remakes(planner *pl, const dbc_object *o)
{
	const dbc_object *x = find_object(pl->in->want, o->type, o->schema, o->name);
	if (!x || !(in_list(early_types, o->type) || strcmp(o->type, "trigger") == 0) ||
	    owned_sequence(o) || trigger_with_rebuild(pl, o, false) || !stmt_of(pl, x))
		return false;
	return true;
}

/* The order of the object passes and the objects made again: a changed
 * one, and what needs one made again (the engine refuses to drop a type
 * a function's arguments use, a function a trigger fires). */
static int order_objects(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	dbc_gen_needs ln, wn;
	if (dbc_gen_needs_read(ctx, L, &ln) != DBC_OK || dbc_gen_needs_read(ctx, W, &wn) != DBC_OK ||
	    !(pl->drop_order = dbc_gen_needs_order(ctx, L, &ln, true)) ||
	    !(pl->make_order = dbc_gen_needs_order(ctx, W, &wn, false)) ||
	    !(pl->remade = dbc_zalloc(ctx, sizeof(bool) * (size_t)(L->nobjects + 1))))
		return DBC_ERROR;
	for (int i = 0; i < L->nobjects; i++) {
		const dbc_object *o = &L->objects[i];
		const dbc_object *x = find_object(W, o->type, o->schema, o->name);
		pl->remade[i] = x && remakes(pl, o) && !same_text(x->definition, o->definition) &&
		                !dbc_gen_enum_extends(ctx, o, x);
	}
	for (bool more = true; more;) {
		more = false;
		for (int i = 0; i < L->nobjects; i++)
			if (!pl->remade[i] && dbc_gen_needs_any(&ln, i, pl->remade) &&
			    remakes(pl, &L->objects[i]))
				pl->remade[i] = more = true;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Types, functions, sequences and schemas the desired schema no longer has,
 * after the tables that used them went. */
static int drop_late(planner *pl)
{
	const dbc_schema *L = pl->in->live;
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < L->nobjects; k++) {
			const dbc_object *o = &L->objects[pl->drop_order[k]];
			bool schema = strcmp(o->type, "schema") == 0;
			if (!in_list(early_types, o->type) || owned_sequence(o) || schema != (pass == 1) ||
			    find_object(pl->in->want, o->type, o->schema, o->name) || gone_reads_table(pl, o))
				continue;
			if (!add_drop(pl, o))
				return DBC_ERROR;
		}
	return DBC_OK;
}

/* ------------------------------------------------------------ tables */

/* Why a rename no mark asked for is in the plan: the rename log's. */
static const char *recorded_note(const planner *pl, const char *table, const char *column,
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
static bool altered_later(planner *pl, const dbc_table *t)
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
static int count_rows(planner *pl, const dbc_table *t, const char *column, int64_t *rows,
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
static int refuse_nulls(planner *pl, const dbc_table *l, const dbc_table *w, const char *column,
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
static int refuse_required(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *c)
{
	int64_t n, values;
	char *counts;
	if (!c->not_null || c->default_expr || c->generated || c->hidden ||
	    count_rows(pl, l, NULL, &n, &values, &counts) != DBC_OK || n <= 0)
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
static int refuse_required_all(planner *pl, const dbc_table *l, const dbc_table *w)
{
	bool renamed;
	for (int i = 0; i < w->ncolumns; i++)
		if (!column_from(pl, l, w, &w->columns[i], &renamed) &&
		    (pl->ctx->failed || refuse_required(pl, l, w, &w->columns[i]) != DBC_OK))
			return DBC_ERROR;
	return DBC_OK;
}

/* What a dropped column's down cannot do: bring back a NOT NULL column
 * without a default on a table with rows ("" when it can). */
static const char *down_fails(const dbc_column *c)
{
	return c->not_null && !c->default_expr
	           ? " (NOT NULL without a default: that down fails while the table has rows)"
	           : "";
}

static int refuse_drop(planner *pl, const char *what)
{
	dbc_error(pl->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the desired schema drops %s", what);
	dbc_error_hint(pl->ctx,
	               "A rename is never guessed: mark it with \"-- dbcare: renamed from OLD\" on "
	               "the new name's line, or pass {\"allow_drop\": true} to drop.");
	return DBC_ERROR;
}

/* Whether lc's drop is in the plan already (before a rename to its name). */
static bool dropped_first(const planner *pl, const dbc_column *lc)
{
	for (int i = 0; i < pl->ndropped_first; i++)
		if (pl->dropped_first[i] == lc)
			return true;
	return false;
}

/* The step dropping live column lc of l (the desired w): refused without
 * allow_drop; its down adds the column back at the table's end. */
static int drop_column(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc,
                       bool kept_after)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w);
	int64_t n, values;
	char *counts;
	if (count_rows(pl, l, lc->name, &n, &values, &counts) != DBC_OK)
		return DBC_ERROR;
	char *what = dbc_printf(ctx, "column %s.%s (%s)", w->name, lc->name, counts);
	if (!pl->in->opt->allow_drop)
		return refuse_drop(pl, what);
	dbc_gen_step *s =
	    add(pl, dbc_printf(ctx, "ALTER TABLE %s DROP COLUMN %s", qt, dbc_gen_q(ctx, lc->name)),
	        dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s", qt, dbc_gen_column_def(ctx, lc)),
	        lock_of(pl, DBC_LOP_DROP_COLUMN));
	if (!s)
		return DBC_ERROR;
	s->rows = n;
	s->hazard = dbc_printf(ctx, "drops %s; the down brings the column back empty%s%s", what,
	                       kept_after ? ", after the table's other columns" : "", down_fails(lc));
	if (dbc_grow(ctx, &pl->out->moved, pl->out->nmoved, &pl->out->capmoved, sizeof(dbc_gen_moved),
	             8) != DBC_OK)
		return DBC_ERROR;
	pl->out->moved[pl->out->nmoved++] = (dbc_gen_moved){.table = l, .column = lc};
	return DBC_OK;
}

/* A live column of l in the way of a rename to its name, and going
 * (the rename log's rename back to a name a new column took since):
 * dropped before the rename. */
static int drop_in_way(planner *pl, const dbc_table *l, const dbc_table *w, const dbc_column *lc,
                       const char *to)
{
	const dbc_column *in_way = dbc_table_find_column(l, to);
	if (!in_way || in_way == lc || column_kept(pl, l, w, in_way) || dropped_first(pl, in_way))
		return pl->ctx->failed ? DBC_ERROR : DBC_OK;
	bool kept_after = false;
	for (int i = (int)(in_way - l->columns) + 1; i < l->ncolumns && !kept_after; i++)
		kept_after = column_kept(pl, l, w, &l->columns[i]);
	if (drop_column(pl, l, w, in_way, kept_after) != DBC_OK ||
	    dbc_grow(pl->ctx, &pl->dropped_first, pl->ndropped_first, &pl->capdropped_first,
	             sizeof(*pl->dropped_first), 4) != DBC_OK)
		return DBC_ERROR;
	pl->dropped_first[pl->ndropped_first++] = in_way;
	return DBC_OK;
}

/* The keys of a renamed table whose default names follow it, renamed
 * right after it: before a new table takes the old names (its down then
 * drops that table first). */
static int rename_keys(planner *pl, const dbc_table *l, const dbc_table *w)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w);
	for (int i = 0; i < l->nconstraints; i++) {
		const dbc_constraint *k = &l->constraints[i];
		const dbc_constraint *wk = k->kind == DBC_CON_NOT_NULL ? NULL : find_constraint(w, k);
		const dbc_constraint *rk = k->kind == DBC_CON_NOT_NULL || (wk && same_k(pl, k, wk))
		                               ? NULL
		                               : renamed_constraint(pl, l, w, k, true);
		if (rk && !add(pl,
		               dbc_printf(ctx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
		                          dbc_gen_q(ctx, k->name), dbc_gen_q(ctx, rk->name)),
		               dbc_printf(ctx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
		                          dbc_gen_q(ctx, rk->name), dbc_gen_q(ctx, k->name)),
		               lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int renames(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++) {
		const dbc_table *w = &W->tables[i], *l = pl->from[i];
		if (!l)
			continue;
		const char *tname = l->name;
		if (strcmp(l->name, w->name) != 0) {
			dbc_gen_step *s =
			    add(pl,
			        dbc_printf(ctx, "ALTER TABLE %s RENAME TO %s", dbc_gen_qt(ctx, l),
			                   dbc_gen_q(ctx, w->name)),
			        dbc_printf(ctx, "ALTER TABLE %s RENAME TO %s",
			                   dbc_quoted_name(ctx, w->schema, w->name), dbc_gen_q(ctx, l->name)),
			        lock_of(pl, DBC_LOP_RENAME_TABLE));
			if (!s)
				return DBC_ERROR;
			s->hazard = dbc_printf(ctx, "renames table %s to %s; its rows stay%s", l->name, w->name,
			                       recorded_note(pl, w->name, NULL, l->name));
			s->rows = rows_of(pl, l);
			tname = w->name;
			if (!pl->limited && rename_keys(pl, l, w) != DBC_OK)
				return DBC_ERROR;
		}
		for (int c = 0; c < w->ncolumns; c++) {
			bool renamed;
			const dbc_column *lc = column_from(pl, l, w, &w->columns[c], &renamed);
			if (ctx->failed)
				return DBC_ERROR;
			if (!renamed)
				continue;
			if (drop_in_way(pl, l, w, lc, w->columns[c].name) != DBC_OK)
				return DBC_ERROR;
			char *qt = dbc_quoted_name(ctx, w->schema, tname);
			dbc_gen_step *s =
			    add(pl,
			        dbc_printf(ctx, "ALTER TABLE %s RENAME COLUMN %s TO %s", qt,
			                   dbc_gen_q(ctx, lc->name), dbc_gen_q(ctx, w->columns[c].name)),
			        dbc_printf(ctx, "ALTER TABLE %s RENAME COLUMN %s TO %s", qt,
			                   dbc_gen_q(ctx, w->columns[c].name), dbc_gen_q(ctx, lc->name)),
			        lock_of(pl, DBC_LOP_RENAME_COLUMN));
			if (!s)
				return DBC_ERROR;
			s->hazard = dbc_printf(ctx, "renames column %s.%s to %s; its values stay%s", w->name,
			                       lc->name, w->columns[c].name,
			                       recorded_note(pl, w->name, w->columns[c].name, lc->name));
		}
	}
	return DBC_OK;
}

/* The row security of t a CREATE TABLE cannot say (pg_dump writes it as
 * ALTER TABLE after the table): ";\nALTER TABLE ... ENABLE ROW LEVEL
 * SECURITY" and its FORCE, or "". */
static char *row_security(planner *pl, const dbc_table *t)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, t);
	return dbc_printf(ctx, "%s%s",
	                  dbc_table_has_option(t, "row level security")
	                      ? dbc_printf(ctx, ";\nALTER TABLE %s ENABLE ROW LEVEL SECURITY", qt)
	                      : "",
	                  dbc_table_has_option(t, "force row level security")
	                      ? dbc_printf(ctx, ";\nALTER TABLE %s FORCE ROW LEVEL SECURITY", qt)
	                      : "");
}

/* A kept table's row security, ENABLE/DISABLE and FORCE/NO FORCE, as the
 * desired table has it. */
static int alter_row_security(planner *pl, const dbc_table *l, const dbc_table *w)
{
	static const char *const opts[] = {"row level security", "force row level security"};
	static const char *const on[] = {"ENABLE", "FORCE"}, *const off[] = {"DISABLE", "NO FORCE"};
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w);
	for (int i = 0; i < 2; i++) {
		bool was = dbc_table_has_option(l, opts[i]), now = dbc_table_has_option(w, opts[i]);
		if (was == now)
			continue;
		if (!add(pl,
		         dbc_printf(ctx, "ALTER TABLE %s %s ROW LEVEL SECURITY", qt, now ? on[i] : off[i]),
		         dbc_printf(ctx, "ALTER TABLE %s %s ROW LEVEL SECURITY", qt, now ? off[i] : on[i]),
		         lock_of(pl, DBC_LOP_ALTER_OTHER)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The sequence of schema s that column c of table t owns (an identity's,
 * a serial's); NULL. */
static const dbc_object *owned_by(planner *pl, const dbc_schema *s, const dbc_table *t,
                                  const dbc_column *c)
{
	char *owner = dbc_printf(pl->ctx, " OWNED BY %s.%s",
	                         dbc_qualified_name(pl->ctx, t->schema, t->name), c->name);
	size_t n = owner ? strlen(owner) : 0;
	for (int i = 0; owner && i < s->nobjects; i++) {
		const char *own =
		    owned_sequence(&s->objects[i]) ? strstr(s->objects[i].definition, " OWNED BY ") : NULL;
		if (own && strncmp(own, owner, n) == 0 && (own[n] == '\0' || own[n] == ' '))
			return &s->objects[i];
	}
	return NULL;
}

/* text, a CREATE TABLE of t from the model (of schema s), with each
 * identity column's sequence named as s has it: the engine names one
 * table_column_seq, or with a number where that name is taken, and a
 * table renamed keeps its sequence's name. */
static char *identities_named(planner *pl, const dbc_schema *s, const dbc_table *t, char *text)
{
	dbc_ctx *ctx = pl->ctx;
	const char *from = text;
	for (int i = 0; text && i < t->ncolumns; i++) {
		const dbc_column *c = &t->columns[i];
		const dbc_object *seq = dbc_gen_is_identity(c) ? owned_by(pl, s, t, c) : NULL;
		const char *at = seq ? strstr(from, c->default_expr) : NULL;
		if (!at)
			continue;
		size_t end = (size_t)(at - text) + strlen(c->default_expr);
		char *named =
		    dbc_printf(ctx, " (SEQUENCE NAME %s)", dbc_quoted_name(ctx, seq->schema, seq->name));
		char *next = named ? dbc_printf(ctx, "%.*s%s%s", (int)end, text, named, text + end) : NULL;
		from = next ? next + end + strlen(named) : NULL;
		text = next;
		if (!from)
			return NULL;
	}
	return text;
}

/* Column c of desired table w as the model writes it, an identity with
 * the name of the sequence the desired schema gives it (the engine names
 * one table_column_seq, or with a number where that name is taken). */
static char *identity_named(planner *pl, const dbc_table *w, const dbc_column *c)
{
	dbc_ctx *ctx = pl->ctx;
	char *def = dbc_gen_column_def(ctx, c);
	const dbc_object *seq = dbc_gen_is_identity(c) ? owned_by(pl, pl->in->want, w, c) : NULL;
	const char *at = seq && def ? strstr(def, c->default_expr) : NULL;
	if (!at)
		return def;
	size_t end = (size_t)(at - def) + strlen(c->default_expr);
	return dbc_printf(ctx, "%.*s (SEQUENCE NAME %s)%s", (int)end, def,
	                  dbc_quoted_name(ctx, seq->schema, seq->name), def + end);
}

/* A column's default changing: the column as it was (in schema from, of
 * table tf) and as it becomes (in schema to, of table tt); qt the
 * table's name where the step runs. */
typedef struct default_change {
	const dbc_schema *from, *to;
	const dbc_table *tf, *tt;
	const char *qt;
} default_change;

/* The owned sequence seq of d->from, gone from d->to: dropped with its
 * column's default (a serial column becoming an identity); or the other
 * way, made before the default names it. */
static bool seq_only_in(const dbc_object *seq, const dbc_schema *other)
{
	return seq && !find_object(other, "sequence", seq->schema, seq->name);
}

/* What gives column c its default or identity where column was had
 * another: an identity is no default ("generated always as identity" is
 * a clause of its own, with the sequence it names), and the sequence a
 * serial column's default names comes and goes with that default. */
static char *column_default(planner *pl, const default_change *d, const dbc_column *c,
                            const dbc_column *was)
{
	dbc_ctx *ctx = pl->ctx;
	char *head = dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s ", d->qt, dbc_gen_q(ctx, c->name));
	bool now = dbc_gen_is_identity(c), before = dbc_gen_is_identity(was);
	if (now && before) /* ALWAYS and BY DEFAULT */
		return dbc_printf(ctx, "%sSET %s", head,
		                  strncasecmp(c->default_expr + 10, "always", 6) == 0
		                      ? "GENERATED ALWAYS"
		                      : "GENERATED BY DEFAULT");
	/* a serial's sequence goes when an identity takes its place (which
	 * makes its own, maybe by the same name) or when the other side has
	 * none of its name; one comes back where an identity gave way (DROP
	 * IDENTITY dropped the identity's) or the other side has none */
	const dbc_object *old_seq = before ? NULL : owned_by(pl, d->from, d->tf, was);
	const dbc_object *new_seq = now ? NULL : owned_by(pl, d->to, d->tt, c);
	const dbc_object *id_seq = now ? owned_by(pl, d->to, d->tt, c) : NULL;
	if (!now && !seq_only_in(old_seq, d->to))
		old_seq = NULL;
	if (!before && !seq_only_in(new_seq, d->from))
		new_seq = NULL;
	bool dropped_default = false;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (before)
		dbc_buf_appendf(&b, "%sDROP IDENTITY;\n", head);
	else if (was->default_expr && (now || !c->default_expr))
		dbc_buf_appendf(&b, "%sDROP DEFAULT;\n", head), dropped_default = true;
	char *drop_old = old_seq ? dbc_printf(ctx, "DROP SEQUENCE %s;\n",
	                                      dbc_quoted_name(ctx, old_seq->schema, old_seq->name))
	                         : NULL;
	if (drop_old && dropped_default)
		dbc_buf_append(&b, drop_old);
	const char *own = new_seq ? strstr(new_seq->definition, " OWNED BY ") : NULL;
	char *qs = new_seq ? dbc_quoted_name(ctx, new_seq->schema, new_seq->name) : NULL;
	/* one the desired file makes itself (pg_dump's form) is made by the
	 * object passes already (graphile-worker's 000011 walked back: an
	 * identity becoming a serial again) */
	bool made = new_seq && d->to == pl->in->want && stmt_of(pl, new_seq);
	if (own && !made)
		dbc_buf_appendf(&b, "CREATE SEQUENCE %s %.*s;\n", qs, (int)(own - new_seq->definition),
		                new_seq->definition);
	if (now)
		dbc_buf_appendf(
		    &b, "%sADD %s%s%s%s;\n", head, c->default_expr, id_seq ? " (SEQUENCE NAME " : "",
		    id_seq ? dbc_quoted_name(ctx, id_seq->schema, id_seq->name) : "", id_seq ? ")" : "");
	else if (c->default_expr)
		dbc_buf_appendf(&b, "%sSET DEFAULT %s;\n", head, c->default_expr);
	if (own)
		dbc_buf_appendf(&b, "ALTER SEQUENCE %s%s;\n", qs, own);
	if (drop_old && !dropped_default)
		dbc_buf_append(&b, drop_old);
	if (b.len >= 2) /* the last ";\n" */
		b.len -= 2;
	return dbc_buf_finish(&b);
}

/* What undoes a DROP TABLE: the sequences its columns own, the table, its
 * indexes (constraint ones come with it), the sequences' ownership. */
static char *remake_table(planner *pl, const dbc_table *t)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live;
	dbc_buf b, after;
	dbc_buf_init(&b, ctx);
	dbc_buf_init(&after, ctx);
	char *owner = dbc_printf(ctx, " OWNED BY %s.", dbc_qualified_name(ctx, t->schema, t->name));
	for (int i = 0; i < L->nobjects; i++) {
		const dbc_object *o = &L->objects[i];
		const char *own = owned_sequence(o) ? strstr(o->definition, " OWNED BY ") : NULL;
		if (!own || strncmp(own, owner, strlen(owner)) != 0)
			continue;
		/* an identity column's sequence is made by its table */
		const dbc_column *c = dbc_table_find_column(t, own + strlen(owner));
		if (c && dbc_gen_is_identity(c))
			continue;
		char *q = dbc_quoted_name(ctx, o->schema, o->name);
		dbc_buf_appendf(&b, "CREATE SEQUENCE %s %.*s;\n", q, (int)(own - o->definition),
		                o->definition);
		dbc_buf_appendf(&after, ";\nALTER SEQUENCE %s%s", q, own);
	}
	dbc_buf_append(&b, identities_named(pl, L, t, dbc_gen_create_table(ctx, t, true)));
	for (int i = 0; i < L->nindexes; i++) {
		const dbc_index *x = &L->indexes[i];
		if (!x->constraint && !x->primary && x->definition && x->table &&
		    strcmp(x->table, t->name) == 0 && same_schema(x->schema, t->schema))
			dbc_buf_appendf(&b, ";\n%s", x->definition);
	}
	dbc_buf_append(&b, row_security(pl, t));
	if (after.len)
		dbc_buf_append(&b, dbc_buf_finish(&after));
	return dbc_buf_finish(&b);
}

/* The DROP TABLE of live table i (refused without allow_drop), its down
 * the table made again empty. */
static int drop_one(planner *pl, int i)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_table *l = &pl->in->live->tables[i];
	int64_t rows, values;
	char *counts;
	pl->dropped[i] = true;
	if (count_rows(pl, l, NULL, &rows, &values, &counts) != DBC_OK)
		return DBC_ERROR;
	char *what =
	    dbc_printf(ctx, "table %s (%s)", dbc_qualified_name(ctx, l->schema, l->name), counts);
	if (!pl->in->opt->allow_drop)
		return refuse_drop(pl, what);
	dbc_gen_step *s = add(pl, dbc_printf(ctx, "DROP TABLE %s", dbc_gen_qt(ctx, l)),
	                      remake_table(pl, l), lock_of(pl, DBC_LOP_DROP_TABLE));
	if (!s)
		return DBC_ERROR;
	s->rows = rows;
	s->hazard = dbc_printf(ctx, "drops %s; the down makes it again empty", what);
	return DBC_OK;
}

static int drop_tables(planner *pl)
{
	const dbc_schema *L = pl->in->live;
	for (int round = 0; round <= L->ntables; round++)
		for (int i = 0; i < L->ntables; i++) {
			const dbc_table *l = &L->tables[i];
			if (pl->to[i] || pl->dropped[i])
				continue;
			/* a table that another dropped table still names goes after it */
			bool blocked = false;
			for (int j = 0; j < L->ntables && !blocked && round < L->ntables; j++) {
				if (j == i || pl->to[j] || pl->dropped[j])
					continue;
				for (int k = 0; k < L->tables[j].nconstraints && !blocked; k++) {
					const dbc_constraint *c = &L->tables[j].constraints[k];
					blocked = c->kind == DBC_CON_FOREIGN_KEY && c->ref_table &&
					          strcmp(c->ref_table, l->name) == 0 &&
					          same_schema(c->ref_schema, l->schema);
				}
			}
			if (!blocked && drop_one(pl, i) != DBC_OK)
				return DBC_ERROR;
		}
	return DBC_OK;
}

/* Whether table t of schema s has a constraint or an index named name. */
static bool holds_name(const dbc_schema *s, const dbc_table *t, const char *name)
{
	for (int k = 0; k < t->nconstraints; k++)
		if (t->constraints[k].name && strcmp(t->constraints[k].name, name) == 0)
			return true;
	for (int k = 0; k < s->nindexes; k++)
		if (s->indexes[k].table && strcmp(s->indexes[k].table, t->name) == 0 &&
		    same_schema(s->indexes[k].schema, t->schema) && strcmp(s->indexes[k].name, name) == 0)
			return true;
	return false;
}

/* A dropped table whose constraint or index names the new table w takes
 * (a table renamed without a mark: pg_dump keeps its tasks_pkey on
 * _private_tasks) is dropped before w is made, so that the down drops w
 * before making it again. */
static int drop_namesakes(planner *pl, const dbc_table *w)
{
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	for (int i = 0; i < L->ntables; i++) {
		const dbc_table *l = &L->tables[i];
		bool clash = false;
		if (pl->to[i] || pl->dropped[i] || !same_schema(l->schema, w->schema))
			continue;
		for (int k = 0; k < w->nconstraints && !clash; k++)
			clash = w->constraints[k].name && holds_name(L, l, w->constraints[k].name);
		for (int k = 0; k < W->nindexes && !clash; k++)
			clash = W->indexes[k].table && strcmp(W->indexes[k].table, w->name) == 0 &&
			        same_schema(W->indexes[k].schema, w->schema) &&
			        holds_name(L, l, W->indexes[k].name);
		if (clash && drop_one(pl, i) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int new_tables(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *W = pl->in->want;
	const dbc_gen_desired *d = pl->in->desired;
	bool *made = dbc_zalloc(ctx, sizeof(bool) * (size_t)(W->ntables + 1));
	/* tables made from the model: their foreign keys once all are made */
	bool *later = dbc_zalloc(ctx, sizeof(bool) * (size_t)(W->ntables + 1));
	if (!made || !later)
		return DBC_ERROR;
	/* in the desired schema's order: parents before the tables naming them */
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < (pass ? W->ntables : d->nstmts); k++) {
			int i = -1;
			if (pass == 0) {
				if (strcmp(d->stmts[k].kind, "table") != 0)
					continue;
				for (int j = 0; j < W->ntables && i < 0; j++)
					if (!made[j] && strcasecmp(W->tables[j].name, d->stmts[k].name) == 0 &&
					    (!d->stmts[k].schema ||
					     same_schema(W->tables[j].schema, d->stmts[k].schema)))
						i = j;
			} else {
				i = k;
			}
			if (i < 0 || made[i] || pl->from[i])
				continue;
			made[i] = true;
			const dbc_table *w = &W->tables[i];
			const dbc_gen_stmt *st = dbc_gen_find_stmt(d, "table", w->name);
			/* a file that completes its tables with ALTER TABLE (pg_dump's
			 * form: defaults, keys) has the whole table in the model only */
			if (st && altered_later(pl, w))
				st = NULL;
			char *make = st ? dbc_strdup(ctx, st->text)
			                : identities_named(pl, W, w, dbc_gen_create_table(ctx, w, false));
			if (!st)
				later[i] = true;
			make = dbc_printf(ctx, "%s%s", make, row_security(pl, w));
			for (int k = 0; make && k < pl->in->want->nobjects; k++) {
				const dbc_object *o = &pl->in->want->objects[k];
				const char *own = owned_sequence(o) && stmt_of(pl, o)
				                      ? strstr(o->definition, " OWNED BY ")
				                      : NULL;
				char *prefix =
				    dbc_printf(ctx, " OWNED BY %s.", dbc_qualified_name(ctx, w->schema, w->name));
				if (own && prefix && strncmp(own, prefix, strlen(prefix)) == 0)
					make = dbc_printf(ctx, "%s;\nALTER SEQUENCE %s%s", make,
					                  dbc_quoted_name(ctx, o->schema, o->name), own);
			}
			if (drop_namesakes(pl, w) != DBC_OK ||
			    !add(pl, make, dbc_printf(ctx, "DROP TABLE %s", dbc_gen_qt(ctx, w)),
			         lock_of(pl, DBC_LOP_CREATE_TABLE)))
				return DBC_ERROR;
			/* its indexes come with the index pass; its owned objects with it */
		}
	for (int i = 0; i < W->ntables; i++)
		for (int k = 0; later[i] && k < W->tables[i].nconstraints; k++) {
			const dbc_table *w = &W->tables[i];
			const dbc_constraint *c = &w->constraints[k];
			if (c->kind != DBC_CON_FOREIGN_KEY)
				continue;
			char *qt = dbc_gen_qt(ctx, w);
			if (!add(pl,
			         dbc_printf(ctx, "ALTER TABLE %s ADD %s", qt, dbc_gen_constraint_def(ctx, c)),
			         dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt,
			                    dbc_gen_q(ctx, c->name)),
			         lock_of(pl, DBC_LOP_ADD_FOREIGN_KEY)))
				return DBC_ERROR;
		}
	return DBC_OK;
}

/* ------------------------------------------------------------ a changed table */

static int add_constraint(planner *pl, const dbc_table *w, const dbc_constraint *k, int64_t rows)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w), *qn = dbc_gen_q(ctx, k->name);
	char *def = dbc_gen_constraint_def(ctx, k);
	char *drop = dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt, qn);
	bool safe = pl->in->opt->lock_safe;
	if (safe && pl->ctx->host->dialect->not_valid &&
	    (k->kind == DBC_CON_FOREIGN_KEY || k->kind == DBC_CON_CHECK)) {
		dbc_gen_step *s = add(pl, dbc_printf(ctx, "ALTER TABLE %s ADD %s NOT VALID", qt, def), drop,
		                      lock_of(pl, k->kind == DBC_CON_FOREIGN_KEY ? DBC_LOP_ADD_FOREIGN_KEY
		                                                                 : DBC_LOP_ADD_CHECK));
		if (!s)
			return DBC_ERROR;
		s->hazard = dbc_strdup(ctx, "checks new rows only until the next step validates");
		s = add(pl, dbc_printf(ctx, "ALTER TABLE %s VALIDATE CONSTRAINT %s", qt, qn), NULL,
		        lock_of(pl, DBC_LOP_VALIDATE));
		if (!s)
			return DBC_ERROR;
		s->rows = rows;
		s->hazard = dbc_strdup(ctx, "scans the table; writes go on");
		return DBC_OK;
	}
	if (safe && pl->conc && pl->ctx->host->dialect->unique_using_index &&
	    (k->kind == DBC_CON_UNIQUE || k->kind == DBC_CON_PRIMARY_KEY)) {
		char *cols = dbc_strlist_join(ctx, &k->columns, ", ");
		dbc_buf b;
		dbc_buf_init(&b, ctx);
		for (int i = 0; i < k->columns.n; i++)
			dbc_buf_appendf(&b, "%s%s", i ? ", " : "", dbc_gen_q(ctx, k->columns.items[i]));
		char *qcols = dbc_buf_finish(&b);
		(void)cols;
		char *make =
		    dbc_printf(ctx, "CREATE UNIQUE INDEX %s %s ON %s (%s)", pl->conc, qn, qt, qcols);
		dbc_gen_step *s = add(pl, make,
		                      dbc_printf(ctx, "DROP INDEX %s IF EXISTS %s", pl->conc,
		                                 dbc_quoted_name(ctx, w->schema, k->name)),
		                      lock_of(pl, DBC_LOP_CREATE_INDEX));
		if (!s)
			return DBC_ERROR;
		s->transactional = false;
		s->rows = rows;
		s->hazard = dbc_strdup(ctx, "builds the index while writes go on");
		s->proof = dbc_printf(ctx, "CREATE UNIQUE INDEX %s ON %s (%s)", qn, qt, qcols);
		s->proof_reverse =
		    dbc_printf(ctx, "DROP INDEX IF EXISTS %s", dbc_quoted_name(ctx, w->schema, k->name));
		s = add(pl,
		        dbc_printf(ctx, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s", qt, qn,
		                   k->kind == DBC_CON_UNIQUE ? "UNIQUE" : "PRIMARY KEY", qn),
		        drop, lock_of(pl, DBC_LOP_ADD_UNIQUE));
		return s ? DBC_OK : DBC_ERROR;
	}
	dbc_gen_step *s = add(pl, dbc_printf(ctx, "ALTER TABLE %s ADD %s", qt, def), drop,
	                      lock_of(pl, DBC_LOP_ADD_UNIQUE));
	if (s)
		s->rows = rows;
	return s ? DBC_OK : DBC_ERROR;
}

/* The live table's row count, read once, when a step first needs it. */
typedef struct lazy_rows {
	bool read;
	int64_t n;
} lazy_rows;

static int64_t rows_once(planner *pl, const dbc_table *l, lazy_rows *r)
{
	if (!r->read) {
		r->read = true;
		r->n = rows_of(pl, l);
	}
	return r->n;
}

/* alter_full: the constraints that go or change, first (a type change may
 * need it); a renamed one is renamed. */
static int drop_changed_constraints(planner *pl, const dbc_table *l, const dbc_table *w,
                                    const char *qt)
{
	dbc_ctx *ctx = pl->ctx;
	for (int i = 0; i < l->nconstraints; i++) {
		const dbc_constraint *k = &l->constraints[i];
		if (k->kind == DBC_CON_NOT_NULL)
			continue;
		const dbc_constraint *wk = find_constraint(w, k);
		if (wk && same_k(pl, k, wk))
			continue;
		const dbc_constraint *rk = renamed_constraint(pl, l, w, k, true);
		if (rk && strcmp(l->name, w->name) != 0)
			continue; /* renamed with its table (renames()) */
		if (rk) {
			if (!add(pl,
			         dbc_printf(ctx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
			                    dbc_gen_q(ctx, k->name), dbc_gen_q(ctx, rk->name)),
			         dbc_printf(ctx, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s", qt,
			                    dbc_gen_q(ctx, rk->name), dbc_gen_q(ctx, k->name)),
			         lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)))
				return DBC_ERROR;
			continue;
		}
		if (!add(pl,
		         dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt, dbc_gen_q(ctx, k->name)),
		         dbc_printf(ctx, "ALTER TABLE %s ADD %s", qt, dbc_gen_constraint_def(ctx, k)),
		         lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* alter_full: column i of the wanted table, which the live one lacks:
 * ADD COLUMN (appended: a hazard when the file has it before a kept one). */
static int add_new_column(planner *pl, const dbc_table *l, const dbc_table *w, const char *qt,
                          int i)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_column *c = &w->columns[i];
	char *qc = dbc_gen_q(ctx, c->name);
	const dbc_gen_coldef *cd = dbc_gen_find_coldef(pl->in->desired, w->name, c->name);
	bool plain = cd && !dbc_gen_names_token(ctx, cd->text, "REFERENCES") &&
	             !dbc_gen_names_token(ctx, cd->text, "CHECK") &&
	             !dbc_gen_names_token(ctx, cd->text, "UNIQUE") &&
	             !dbc_gen_names_token(ctx, cd->text, "PRIMARY") &&
	             !dbc_gen_names_token(ctx, cd->text, "CONSTRAINT");
	/* pg_dump writes an identity as an ALTER TABLE of its own */
	plain = plain && (!dbc_gen_is_identity(c) || dbc_gen_names_token(ctx, cd->text, "IDENTITY"));
	dbc_gen_step *s = add(pl,
	                      dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s", qt,
	                                 plain ? cd->text : identity_named(pl, w, c)),
	                      dbc_printf(ctx, "ALTER TABLE %s DROP COLUMN %s", qt, qc),
	                      lock_of(pl, DBC_LOP_ADD_COLUMN));
	if (!s)
		return DBC_ERROR;
	if (c->not_null && !c->default_expr)
		s->hazard = dbc_strdup(ctx, "NOT NULL without a default: fails on a table with rows");
	/* written before a column the table keeps: ADD COLUMN appends (the
	 * plan's end puts it in its place where it makes the table again) */
	if (pl->reorder[index_of_table(pl->in->want, w)])
		return DBC_OK;
	const char *next = NULL;
	for (int k = i + 1; k < w->ncolumns && !next; k++) {
		bool r2;
		if (column_from(pl, l, w, &w->columns[k], &r2))
			next = w->columns[k].name;
	}
	pl->out->appended_moves |= next != NULL;
	if (next)
		s->hazard = dbc_printf(ctx,
		                       "%s%sadds column %s.%s after the table's other columns "
		                       "(ADD COLUMN appends; the desired file has it before %s%s%s)",
		                       s->hazard ? s->hazard : "", s->hazard ? "; " : "", w->name, c->name,
		                       next, pl->kept_order_why ? "; " : "",
		                       pl->kept_order_why ? pl->kept_order_why : "");
	/* every added column goes last, in the order of the steps */
	if (dbc_grow(ctx, &pl->out->appended, pl->out->nappended, &pl->out->capappended,
	             sizeof(dbc_gen_moved), 8) != DBC_OK)
		return DBC_ERROR;
	pl->out->appended[pl->out->nappended++] = (dbc_gen_moved){.table = w, .column = c};
	return DBC_OK;
}

/* alter_full: a column both have (lc live, c wanted): its type, default,
 * NOT NULL; a changed collation or generation is refused. */
static int alter_kept_column(planner *pl, const dbc_table *l, const dbc_table *w, const char *qt,
                             const dbc_column *lc, const dbc_column *c, lazy_rows *rows)
{
	dbc_ctx *ctx = pl->ctx;
	char *qc = dbc_gen_q(ctx, c->name);
	if (!same_text(lc->type, c->type)) {
		bool rewrites = true;
		if (pl->eng && pl->eng->type_rewrites &&
		    pl->eng->type_rewrites(ctx, lc->type, c->type, &rewrites) != DBC_OK)
			return DBC_ERROR;
		dbc_gen_step *s = add(pl,
		                      dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s",
		                                 qt, qc, c->type, qc, c->type),
		                      dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s",
		                                 qt, qc, lc->type, qc, lc->type),
		                      lock_of(pl, DBC_LOP_ALTER_TYPE));
		if (!s)
			return DBC_ERROR;
		s->rows = rows_once(pl, l, rows);
		s->hazard =
		    rewrites ? dbc_printf(ctx, "rewrites the table: %s to %s", lc->type, c->type) : NULL;
	}
	if (!same_text(lc->default_expr, c->default_expr) &&
	    !add(pl, column_default(pl, &(default_change){pl->in->live, pl->in->want, l, w, qt}, c, lc),
	         column_default(pl, &(default_change){pl->in->want, pl->in->live, w, l, qt}, lc, c),
	         lock_of(pl, DBC_LOP_ALTER_OTHER)))
		return DBC_ERROR;
	if (!lc->not_null && c->not_null && refuse_nulls(pl, l, w, lc->name, c->name) != DBC_OK)
		return DBC_ERROR;
	if (lc->not_null != c->not_null) {
		char *set = dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", qt, qc);
		char *unset = dbc_printf(ctx, "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", qt, qc);
		if (!c->not_null) {
			if (!add(pl, unset, set, lock_of(pl, DBC_LOP_ALTER_OTHER)))
				return DBC_ERROR;
		} else if (pl->in->opt->lock_safe && pl->ctx->host->dialect->not_valid) {
			/* a validated CHECK lets SET NOT NULL skip its scan under the lock */
			char *cn = dbc_gen_q(ctx, dbc_printf(ctx, "%s_%s_not_null", w->name, c->name));
			char *addc = dbc_printf(ctx, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL)",
			                        qt, cn, qc);
			char *dropc = dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt, cn);
			dbc_gen_step *s = add(pl, dbc_printf(ctx, "%s NOT VALID", addc), dropc,
			                      lock_of(pl, DBC_LOP_ADD_CHECK));
			if (!s ||
			    !(s = add(pl, dbc_printf(ctx, "ALTER TABLE %s VALIDATE CONSTRAINT %s", qt, cn),
			              NULL, lock_of(pl, DBC_LOP_VALIDATE))))
				return DBC_ERROR;
			s->rows = rows_once(pl, l, rows);
			s->hazard = dbc_strdup(ctx, "scans the table; writes go on");
			if (!add(pl, set, unset, lock_of(pl, DBC_LOP_SET_NOT_NULL)) ||
			    !add(pl, dropc, dbc_printf(ctx, "%s NOT VALID", addc),
			         lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)))
				return DBC_ERROR;
		} else {
			dbc_gen_step *s = add(pl, set, unset, lock_of(pl, DBC_LOP_SET_NOT_NULL));
			if (!s)
				return DBC_ERROR;
			s->rows = rows_once(pl, l, rows);
			s->hazard = dbc_strdup(ctx, "scans the table under the lock");
		}
	}
	if (!same_text(lc->collation, c->collation) || !same_text(lc->generated, c->generated))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "column %s.%s changes its collation or generation, which the "
		                 "generator does not write; write that step by hand",
		                 w->name, c->name);
	return DBC_OK;
}

/* alter_full: the columns that go, the last first (see there). */
static int drop_gone_columns(planner *pl, const dbc_table *l, const dbc_table *w)
{
	bool kept_after = false; /* a column after this one stays */
	for (int i = l->ncolumns - 1; i >= 0; i--) {
		const dbc_column *lc = &l->columns[i];
		bool kept = column_kept(pl, l, w, lc);
		if (kept) {
			kept_after = true;
			continue;
		}
		if (!dropped_first(pl, lc) && drop_column(pl, l, w, lc, kept_after) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* alter_full: the constraints that come or change. */
static int add_new_constraints(planner *pl, const dbc_table *l, const dbc_table *w, lazy_rows *rows)
{
	for (int i = 0; i < w->nconstraints; i++) {
		const dbc_constraint *k = &w->constraints[i];
		if (k->kind == DBC_CON_NOT_NULL)
			continue;
		const dbc_constraint *lk = find_constraint(l, k);
		if ((lk && same_k(pl, lk, k)) || renamed_constraint(pl, w, l, k, false))
			continue;
		if (add_constraint(pl, w, k, rows_once(pl, l, rows)) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* w's columns in the order ALTER TABLE leaves them: those kept in the live
 * table's order, then the added ones (ADD COLUMN appends). */
static int order_after_alter(planner *pl, const dbc_table *l, const dbc_table *w, dbc_table *out)
{
	*out = *w;
	out->columns = dbc_alloc(pl->ctx, sizeof(dbc_column) * (size_t)(w->ncolumns + 1));
	if (!out->columns)
		return DBC_ERROR;
	int n = 0;
	for (int k = 0; k < l->ncolumns; k++)
		for (int i = 0; i < w->ncolumns; i++) {
			bool renamed;
			if (column_from(pl, l, w, &w->columns[i], &renamed) == &l->columns[k])
				out->columns[n++] = w->columns[i];
		}
	for (int i = 0; i < w->ncolumns; i++) {
		bool renamed;
		if (!column_from(pl, l, w, &w->columns[i], &renamed))
			out->columns[n++] = w->columns[i];
	}
	out->ncolumns = n;
	return pl->ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Whether the plan makes w again in its column order (pl->reorder), where
 * ALTER TABLE leaves them otherwise: unless the options say not to, or the
 * engine says the table has what making it again would lose
 * (pl->kept_order_why then says so). */
static int choose_reorder(planner *pl, const dbc_table *l, const dbc_table *w)
{
	dbc_ctx *ctx = pl->ctx;
	int i = index_of_table(pl->in->want, w);
	pl->kept_order_why = NULL;
	dbc_table *after = dbc_alloc(ctx, sizeof(dbc_table));
	if (!after || order_after_alter(pl, l, w, after) != DBC_OK)
		return DBC_ERROR;
	bool same = after->ncolumns == w->ncolumns;
	for (int k = 0; same && k < w->ncolumns; k++)
		same = strcmp(after->columns[k].name, w->columns[k].name) == 0;
	if (same || !pl->eng || !pl->eng->remake_loses)
		return DBC_OK;
	char *lost = NULL;
	if (!pl->in->opt->reorder_columns)
		pl->kept_order_why = "reorder_columns is off";
	else if (pl->eng->remake_loses(ctx, l->schema, l->name, &lost) != DBC_OK)
		return DBC_ERROR;
	else if (lost)
		pl->kept_order_why = dbc_printf(ctx,
		                                "the table is not made again in that order: it would "
		                                "lose %s; write that step by hand",
		                                lost);
	else
		pl->reorder[i] = after;
	return DBC_OK;
}

/* A changed table where ALTER TABLE can say it all (PostgreSQL): the
 * constraints that go or change, the columns that go, then per wanted
 * column its addition or change, the constraints that come. */
static int alter_full(planner *pl, const dbc_table *l, const dbc_table *w)
{
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w);
	lazy_rows rows = {0};
	if (choose_reorder(pl, l, w) != DBC_OK || drop_changed_constraints(pl, l, w, qt) != DBC_OK)
		return DBC_ERROR;
	/* columns that go, the last first, before the kept ones change (a
	 * generated column that goes may read one whose type changes, which
	 * the engine refuses to convert under it; the down converts it back
	 * before adding the column again): the down adds them back in the
	 * table's order, after the columns that stay (plan->moved) */
	if (drop_gone_columns(pl, l, w) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < w->ncolumns; i++) {
		const dbc_column *c = &w->columns[i];
		bool renamed;
		const dbc_column *lc = column_from(pl, l, w, c, &renamed);
		if (ctx->failed)
			return DBC_ERROR;
		if (!lc ? add_new_column(pl, l, w, qt, i) != DBC_OK
		        : alter_kept_column(pl, l, w, qt, lc, c, &rows) != DBC_OK)
			return DBC_ERROR;
	}
	return add_new_constraints(pl, l, w, &rows);
}

/* Columns added at the end where the ALTER TABLE is limited. */
static int alter_add_columns(planner *pl, const dbc_table *l, const dbc_table *w)
{
	dbc_ctx *ctx = pl->ctx;
	for (int i = 0; i < w->ncolumns; i++) {
		bool renamed;
		if (column_from(pl, l, w, &w->columns[i], &renamed) || ctx->failed)
			continue;
		if (refuse_required(pl, l, w, &w->columns[i]) != DBC_OK)
			return DBC_ERROR;
		const dbc_gen_coldef *cd =
		    dbc_gen_find_coldef(pl->in->desired, w->name, w->columns[i].name);
		char *qt = dbc_gen_qt(ctx, w);
		if (!add(pl,
		         dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s", qt,
		                    cd ? cd->text : dbc_gen_column_def(ctx, &w->columns[i])),
		         dbc_printf(ctx, "ALTER TABLE %s DROP COLUMN %s", qt,
		                    dbc_gen_q(ctx, w->columns[i].name)),
		         lock_of(pl, DBC_LOP_ADD_COLUMN)))
			return DBC_ERROR;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* A rebuild that leaves columns behind drops them: refused without
 * allow_drop, as an ALTER TABLE ... DROP COLUMN is; with it, *what names
 * them with their counts for the rebuild's hazard (NULL: none dropped). */
static int rebuild_drops(planner *pl, const dbc_table *l, const dbc_table *w, char **what)
{
	*what = NULL;
	for (int i = 0; i < l->ncolumns; i++) {
		const dbc_column *lc = &l->columns[i];
		bool kept = column_kept(pl, l, w, lc);
		if (kept || lc->hidden || dropped_first(pl, lc))
			continue;
		int64_t n, values;
		char *counts;
		if (count_rows(pl, l, lc->name, &n, &values, &counts) != DBC_OK)
			return DBC_ERROR;
		char *col = dbc_printf(pl->ctx, "column %s.%s (%s)", w->name, lc->name, counts);
		if (!pl->in->opt->allow_drop)
			return refuse_drop(pl, col);
		col = dbc_printf(pl->ctx, "%s%s", col, down_fails(lc));
		*what = *what ? dbc_printf(pl->ctx, "%s, %s", *what, col) : col;
	}
	return DBC_OK;
}

static int changed_tables(planner *pl)
{
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++) {
		const dbc_table *w = &W->tables[i], *l = pl->from[i];
		if (!l)
			continue;
		int rc;
		if (pl->rebuilt[i]) {
			char *drops;
			rc =
			    rebuild_drops(pl, l, w, &drops) == DBC_OK && refuse_required_all(pl, l, w) == DBC_OK
			        ? dbc_gen_rebuild(pl->ctx, pl->in, l, w, pl->out)
			        : DBC_ERROR;
			dbc_gen_step *s = pl->out->n ? &pl->out->items[pl->out->n - 1] : NULL;
			if (rc == DBC_OK && drops && s)
				s->hazard = dbc_printf(pl->ctx, "%s; drops %s, which the down brings back empty",
				                       s->hazard, drops);
		} else if (pl->limited)
			rc = alter_add_columns(pl, l, w);
		else
			rc = alter_full(pl, l, w) == DBC_OK ? alter_row_security(pl, l, w) : DBC_ERROR;
		if (rc != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* ------------------------------------------------------------ indexes */

static const dbc_index *find_index(const dbc_schema *s, const char *schema, const char *name)
{
	for (int i = 0; i < s->nindexes; i++)
		if (same_schema(s->indexes[i].schema, schema) && strcmp(s->indexes[i].name, name) == 0)
			return &s->indexes[i];
	return NULL;
}

/* Whether the desired table of an index is new or rebuilt (its indexes
 * come with it) */
static bool comes_with_table(planner *pl, const dbc_index *x)
{
	const dbc_schema *W = pl->in->want;
	for (int i = 0; i < W->ntables; i++)
		if (same_schema(W->tables[i].schema, x->schema) && x->table &&
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
		if (same_schema(W->tables[i].schema, x->schema) && x->table &&
		    strcmp(W->tables[i].name, x->table) == 0)
			return pl->from[i] && pl->rebuilt[i];
	return false;
}

static bool goes_with_table(planner *pl, const dbc_index *x)
{
	const dbc_schema *L = pl->in->live;
	for (int i = 0; i < L->ntables; i++)
		if (same_schema(L->tables[i].schema, x->schema) && x->table &&
		    strcmp(L->tables[i].name, x->table) == 0) {
			const dbc_table *w = pl->to[i];
			return !w || pl->rebuilt[w - pl->in->want->tables];
		}
	return false;
}

static int make_index(planner *pl, const dbc_index *x, const char *name, char *reverse,
                      char *proof_reverse)
{
	dbc_ctx *ctx = pl->ctx;
	bool conc = pl->conc && pl->in->opt->lock_safe && !comes_with_table(pl, x);
	dbc_gen_step *s = add(pl, dbc_gen_index_def(ctx, x->definition, name, conc ? pl->conc : NULL),
	                      reverse, lock_of(pl, DBC_LOP_CREATE_INDEX));
	if (!s)
		return DBC_ERROR;
	if (conc) {
		s->transactional = false;
		s->proof = dbc_gen_index_def(ctx, x->definition, name, NULL);
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

static int indexes(planner *pl)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	bool safe = pl->conc && pl->in->opt->lock_safe;
	/* new and replaced ones first: a replaced index is built before the old goes */
	for (int i = 0; i < W->nindexes; i++) {
		const dbc_index *x = &W->indexes[i];
		if (x->constraint || x->primary || !x->definition || made_by_rebuild(pl, x))
			continue;
		const dbc_index *lx = find_index(L, x->schema, x->name);
		if (lx && same_text(lx->definition, x->definition))
			continue;
		if (!lx || goes_with_table(pl, lx)) {
			bool conc = safe && !comes_with_table(pl, x);
			if (make_index(pl, x, x->name, drop_index(pl, x, x->name, conc),
			               drop_index(pl, x, x->name, false)) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		if (!safe) {
			/* no building beside the old one: drop, then make */
			if (!add(pl, drop_index(pl, lx, lx->name, false), dbc_strdup(ctx, lx->definition),
			         lock_of(pl, DBC_LOP_DROP_INDEX)) ||
			    make_index(pl, x, x->name, drop_index(pl, x, x->name, false), NULL) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		char *tmp = dbc_printf(ctx, "%s_dbcare_new", x->name);
		char *qs = x->schema ? dbc_printf(ctx, "%s.", dbc_gen_q(ctx, x->schema)) : "";
		if (make_index(pl, x, tmp, drop_index(pl, x, tmp, true), drop_index(pl, x, tmp, false)) !=
		    DBC_OK)
			return DBC_ERROR;
		dbc_gen_step *s = add(pl, drop_index(pl, lx, lx->name, true),
		                      dbc_gen_index_def(ctx, lx->definition, lx->name, pl->conc),
		                      lock_of(pl, DBC_LOP_DROP_INDEX));
		if (!s)
			return DBC_ERROR;
		s->transactional = false;
		s->proof = drop_index(pl, lx, lx->name, false);
		s->proof_reverse = dbc_strdup(ctx, lx->definition);
		if (!add(pl,
		         dbc_printf(ctx, "ALTER INDEX %s%s RENAME TO %s", qs, dbc_gen_q(ctx, tmp),
		                    dbc_gen_q(ctx, x->name)),
		         dbc_printf(ctx, "ALTER INDEX %s%s RENAME TO %s", qs, dbc_gen_q(ctx, x->name),
		                    dbc_gen_q(ctx, tmp)),
		         NULL))
			return DBC_ERROR;
	}
	return DBC_OK;
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
		    !same_schema(l->schema, lx->schema))
			continue;
		for (int c = 0; c < l->ncolumns; c++)
			if (!column_kept(pl, l, w, &l->columns[c]) &&
			    dbc_gen_names_token(pl->ctx, lx->definition, l->columns[c].name))
				return true;
	}
	return false;
}

/* The live indexes the desired schema lacks, dropped: before the tables
 * change (first) those on a column that goes, after them the others. */
static int drop_gone_indexes(planner *pl, bool first)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live, *W = pl->in->want;
	bool safe = pl->conc && pl->in->opt->lock_safe;
	for (int i = 0; i < L->nindexes; i++) {
		const dbc_index *lx = &L->indexes[i];
		if (lx->constraint || lx->primary || !lx->definition ||
		    find_index(W, lx->schema, lx->name) || goes_with_table(pl, lx) ||
		    on_dropped_column(pl, lx) != first)
			continue;
		dbc_gen_step *s =
		    add(pl, drop_index(pl, lx, lx->name, safe),
		        dbc_gen_index_def(ctx, lx->definition, lx->name, safe ? pl->conc : NULL),
		        lock_of(pl, DBC_LOP_DROP_INDEX));
		if (!s)
			return DBC_ERROR;
		if (safe) {
			s->transactional = false;
			s->proof = drop_index(pl, lx, lx->name, false);
			s->proof_reverse = dbc_strdup(ctx, lx->definition);
		}
	}
	return DBC_OK;
}

/* ------------------------------------------------------------ the plan */

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
		if (pl->reorder[i] && dbc_gen_reorder(pl->ctx, pl->in, &W->tables[i], pl->reorder[i],
		                                      rows_of(pl, pl->from[i]),
		                                      lock_of(pl, DBC_LOP_DROP_TABLE), pl->out) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

int dbc_gen_plan_make(dbc_ctx *ctx, const dbc_gen_input *in, dbc_gen_plan *out)
{
	planner pl = {.ctx = ctx, .in = in, .out = out};
	pl.eng = in->env ? in->env->lint : NULL;
	pl.conc = ctx->host->dialect->concurrently;
	pl.limited = ctx->host->dialect->alter_limited;
	if (match_tables(&pl) != DBC_OK)
		return DBC_ERROR;
	const dbc_schema *W = in->want;
	for (int i = 0; i < W->ntables; i++) {
		if (!pl.from[i])
			continue;
		bool simple, views;
		if (classify(&pl, pl.from[i], &W->tables[i], &simple, &views) != DBC_OK)
			return DBC_ERROR;
		pl.rebuilt[i] = pl.limited && !simple;
		pl.affected[i] = views || pl.rebuilt[i];
	}
	/* triggers go before the functions they fire, views before the
	 * routines and types they use (and come back after them in the down) */
	if (order_objects(&pl) != DBC_OK || mark_views(&pl) != DBC_OK ||
	    objects(&pl, false, false) != DBC_OK || drop_views(&pl) != DBC_OK ||
	    objects(&pl, true, false) != DBC_OK || objects(&pl, true, true) != DBC_OK ||
	    renames(&pl) != DBC_OK || new_tables(&pl) != DBC_OK ||
	    drop_gone_indexes(&pl, true) != DBC_OK || changed_tables(&pl) != DBC_OK ||
	    indexes(&pl) != DBC_OK || drop_gone_indexes(&pl, false) != DBC_OK ||
	    drop_tables(&pl) != DBC_OK || drop_late(&pl) != DBC_OK)
		return DBC_ERROR;
	pl.late_pass = true;
	int rc = objects(&pl, true, true);
	pl.late_pass = false;
	if (rc != DBC_OK || make_views(&pl) != DBC_OK || objects(&pl, false, true) != DBC_OK ||
	    reorder_tables(&pl) != DBC_OK)
		return DBC_ERROR;
	return lock_timeouts(&pl);
}
