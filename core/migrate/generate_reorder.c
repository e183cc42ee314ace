/*
 * generate_reorder.c — a table whose columns the desired schema orders
 * otherwise than ALTER TABLE leaves them (PostgreSQL: ADD COLUMN appends,
 * nothing moves a column): made again in the desired order, in one step at
 * the plan's end, where every other object already stands as desired. The
 * step, inside its transaction, under the ACCESS EXCLUSIVE lock its first
 * statement takes:
 *   - drops what names the table from outside it: other tables' foreign
 *     keys to it, the views naming it (or a view or function dropped
 *     here), the functions whose signature or SQL-standard body names it;
 *   - renames the table (and its identity sequences) aside, makes the table
 *     in the order wanted, copies every stored column's values (identity
 *     values kept, each identity sequence set where the old one stood),
 *     hands serial sequences to the new columns, drops the old table;
 *   - makes its keys, checks, indexes, triggers and row security again,
 *     then the functions, the views (with their indexes) and the keys of
 *     other tables it dropped.
 * The reverse is the same step toward the order before. What the schema
 * model does not know (grants, policies, comments, ...) would not be
 * carried: the planner asks the engine (remake_loses) before choosing a
 * reorder, and appends instead where the table has any.
 */
#include "migrate/generate.h"
#include "migrate/generate_render.h"

#include <string.h>
#include <strings.h>

static bool same_schema(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool is_view(const dbc_object *o)
{
	return strcmp(o->type, "view") == 0 || strcmp(o->type, "materialized view") == 0;
}

static bool is_function(const dbc_object *o)
{
	return strcmp(o->type, "function") == 0 || strcmp(o->type, "procedure") == 0;
}

/* The sequence of W that column c of t owns (" OWNED BY s.t.c"); NULL. */
static const dbc_object *owned_seq(dbc_ctx *ctx, const dbc_schema *W, const dbc_table *t,
                                   const dbc_column *c)
{
	char *owner =
	    dbc_printf(ctx, " OWNED BY %s.%s", dbc_qualified_name(ctx, t->schema, t->name), c->name);
	size_t n = owner ? strlen(owner) : 0;
	for (int i = 0; owner && i < W->nobjects; i++) {
		const dbc_object *o = &W->objects[i];
		const char *own = strcmp(o->type, "sequence") == 0 && o->definition
		                      ? strstr(o->definition, " OWNED BY ")
		                      : NULL;
		if (own && strncmp(own, owner, n) == 0 && (own[n] == '\0' || own[n] == ' '))
			return o;
	}
	return NULL;
}

/* Whether function o names table name where the engine records it: its
 * signature (up to the body), or all of an SQL-standard body. */
static bool function_names(dbc_ctx *ctx, const dbc_object *o, const char *name)
{
	const char *d = o->definition ? o->definition : "";
	const char *body = strstr(d, "\nBEGIN ATOMIC") ? NULL : strstr(d, "\nAS ");
	char *head = body ? dbc_strndup(ctx, d, (size_t)(body - d)) : (char *)d;
	return head && dbc_gen_names_token(ctx, head, name);
}

/* What stands on the table from outside it: by object of W, dropped and
 * made again (views and functions); views in the order they can go. */
typedef struct outside {
	bool *out;  /* by object */
	int *views; /* view objects, each before what it names */
	int nviews;
} outside;

static bool names_any(dbc_ctx *ctx, const dbc_schema *W, const outside *o, const char *text,
                      const dbc_table *t, int self)
{
	if (dbc_gen_names_token(ctx, text, t->name))
		return true;
	for (int j = 0; j < W->nobjects; j++) {
		if (j == self || !o->out[j])
			continue;
		const char *n = W->objects[j].name, *paren = strchr(n, '(');
		char *bare = paren ? dbc_strndup(ctx, n, (size_t)(paren - n)) : (char *)n;
		if (bare && dbc_gen_names_token(ctx, text, bare))
			return true;
	}
	return false;
}

static int find_outside(dbc_ctx *ctx, const dbc_schema *W, const dbc_table *t, outside *o)
{
	o->out = dbc_zalloc(ctx, sizeof(bool) * (size_t)(W->nobjects + 1));
	o->views = dbc_zalloc(ctx, sizeof(int) * (size_t)(W->nobjects + 1));
	if (!o->out || !o->views)
		return DBC_ERROR;
	for (int i = 0; i < W->nobjects; i++)
		o->out[i] = is_function(&W->objects[i]) && function_names(ctx, &W->objects[i], t->name);
	for (bool more = true; more;) {
		more = false;
		for (int i = 0; i < W->nobjects; i++)
			if (is_view(&W->objects[i]) && !o->out[i] &&
			    names_any(ctx, W, o, W->objects[i].definition, t, i))
				o->out[i] = more = true;
	}
	/* dependents first: a view goes once no view left names it */
	bool *placed = dbc_zalloc(ctx, sizeof(bool) * (size_t)(W->nobjects + 1));
	if (!placed)
		return DBC_ERROR;
	for (int round = 0; round <= W->nobjects; round++)
		for (int i = 0; i < W->nobjects; i++) {
			if (!o->out[i] || placed[i] || !is_view(&W->objects[i]))
				continue;
			bool blocked = false;
			for (int j = 0; j < W->nobjects && !blocked; j++)
				blocked = j != i && o->out[j] && !placed[j] && is_view(&W->objects[j]) &&
				          dbc_gen_names_token(ctx, W->objects[j].definition, W->objects[i].name);
			if (blocked && round < W->nobjects)
				continue;
			placed[i] = true;
			o->views[o->nviews++] = i;
		}
	return DBC_OK;
}

static char *function_ref(dbc_ctx *ctx, const dbc_object *o)
{
	const char *paren = strchr(o->name, '(');
	size_t n = paren ? (size_t)(paren - o->name) : strlen(o->name);
	return dbc_printf(ctx, "%s %s%s", strcmp(o->type, "procedure") == 0 ? "PROCEDURE" : "FUNCTION",
	                  dbc_quoted_name(ctx, o->schema, dbc_strndup(ctx, o->name, n)),
	                  paren ? paren : "()");
}

/* Whether constraint k of table c is a foreign key to t. */
static bool key_to(const dbc_table *c, const dbc_constraint *k, const dbc_table *t)
{
	return k->kind == DBC_CON_FOREIGN_KEY && k->ref_table && strcmp(k->ref_table, t->name) == 0 &&
	       same_schema(k->ref_schema ? k->ref_schema : c->schema, t->schema);
}

/* Other tables' foreign keys to t: dropped (drop) or added back. */
static void outside_keys(dbc_ctx *ctx, dbc_buf *b, const dbc_schema *W, const dbc_table *t,
                         bool drop)
{
	for (int i = 0; i < W->ntables; i++) {
		const dbc_table *c = &W->tables[i];
		if (strcmp(c->name, t->name) == 0 && same_schema(c->schema, t->schema))
			continue;
		for (int k = 0; k < c->nconstraints; k++)
			if (key_to(c, &c->constraints[k], t))
				dbc_buf_appendf(
				    b, drop ? "ALTER TABLE %s DROP CONSTRAINT %s;\n" : "ALTER TABLE %s ADD %s;\n",
				    dbc_gen_qt(ctx, c),
				    drop ? dbc_gen_q(ctx, c->constraints[k].name)
				         : dbc_gen_constraint_def(ctx, &c->constraints[k]));
	}
}

/* The columns of t in its order, identities with the sequence W names,
 * as a CREATE TABLE without constraints (they come after the copy). */
static char *create_columns(dbc_ctx *ctx, const dbc_schema *W, const dbc_table *t)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "CREATE TABLE %s (", dbc_gen_qt(ctx, t));
	for (int i = 0; i < t->ncolumns; i++) {
		const dbc_column *c = &t->columns[i];
		const dbc_object *seq = dbc_gen_is_identity(c) ? owned_seq(ctx, W, t, c) : NULL;
		char *def = dbc_gen_column_def(ctx, c);
		const char *at = seq && def ? strstr(def, c->default_expr) : NULL;
		if (at) {
			size_t end = (size_t)(at - def) + strlen(c->default_expr);
			def = dbc_printf(ctx, "%.*s (SEQUENCE NAME %s)%s", (int)end, def,
			                 dbc_quoted_name(ctx, seq->schema, seq->name), def + end);
		}
		dbc_buf_appendf(&b, "%s\n    %s", i ? "," : "", def);
	}
	dbc_buf_append(&b, "\n);\n");
	return dbc_buf_finish(&b);
}

/* Sequences: identities' renamed aside before the new table takes their
 * names (aside), set where the old ones stood (restore), serial ones
 * handed to the new columns (own). */
typedef enum { SEQ_ASIDE, SEQ_RESTORE, SEQ_OWN } seq_pass;

static void sequences(dbc_ctx *ctx, dbc_buf *b, const dbc_schema *W, const dbc_table *t,
                      seq_pass pass)
{
	for (int i = 0; i < t->ncolumns; i++) {
		const dbc_column *c = &t->columns[i];
		const dbc_object *seq = owned_seq(ctx, W, t, c);
		if (!seq || dbc_gen_is_identity(c) != (pass != SEQ_OWN))
			continue;
		char *qs = dbc_quoted_name(ctx, seq->schema, seq->name);
		char *aside = dbc_gen_aside_name(ctx, seq->name, "_dbcare_reorder");
		if (pass == SEQ_ASIDE)
			dbc_buf_appendf(b, "ALTER SEQUENCE %s RENAME TO %s;\n", qs, dbc_gen_q(ctx, aside));
		else if (pass == SEQ_RESTORE)
			dbc_buf_appendf(b, "SELECT pg_catalog.setval(%s, last_value, is_called) FROM %s;\n",
			                ctx->host->quote_literal(ctx, qs),
			                dbc_quoted_name(ctx, seq->schema, aside));
		else
			dbc_buf_appendf(b, "ALTER SEQUENCE %s OWNED BY %s.%s;\n", qs, dbc_gen_qt(ctx, t),
			                dbc_gen_q(ctx, c->name));
	}
}

/* The copy of every stored column from the table set aside. */
static void copy_rows(dbc_ctx *ctx, dbc_buf *b, const dbc_table *t, const char *aside)
{
	dbc_buf cols;
	dbc_buf_init(&cols, ctx);
	int n = 0;
	for (int i = 0; i < t->ncolumns; i++)
		if (!t->columns[i].generated)
			dbc_buf_appendf(&cols, "%s%s", n++ ? ", " : "", dbc_gen_q(ctx, t->columns[i].name));
	char *list = dbc_buf_finish(&cols);
	if (n)
		dbc_buf_appendf(b, "INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s;\n",
		                dbc_gen_qt(ctx, t), list, list, dbc_quoted_name(ctx, t->schema, aside));
}

/* The table's keys (unique ones first: the others may name them), checks,
 * indexes, triggers and row security. */
static void table_parts(dbc_ctx *ctx, dbc_buf *b, const dbc_gen_input *in, const dbc_table *t)
{
	const dbc_schema *W = in->want;
	char *qt = dbc_gen_qt(ctx, t);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < t->nconstraints; i++) {
			const dbc_constraint *k = &t->constraints[i];
			bool unique = k->kind == DBC_CON_PRIMARY_KEY || k->kind == DBC_CON_UNIQUE;
			if (k->kind != DBC_CON_NOT_NULL && unique == (pass == 0))
				dbc_buf_appendf(b, "ALTER TABLE %s ADD %s;\n", qt, dbc_gen_constraint_def(ctx, k));
		}
	for (int i = 0; i < W->nindexes; i++) {
		const dbc_index *x = &W->indexes[i];
		if (x->definition && !x->constraint && !x->primary && x->table &&
		    strcmp(x->table, t->name) == 0 && same_schema(x->schema, t->schema))
			dbc_buf_appendf(b, "%s;\n", dbc_gen_index_text(in, x->definition));
	}
	for (int i = 0; i < W->nobjects; i++) {
		const dbc_object *o = &W->objects[i];
		if (strcmp(o->type, "trigger") != 0 || !o->definition || !o->table ||
		    strcmp(o->table, t->name) != 0 || !same_schema(o->schema, t->schema))
			continue;
		/* the catalog's text, then how it fires when not as made */
		const char *mode = strstr(o->definition, " (enabled ");
		const char *name = o->name + strlen(o->table) + 1;
		dbc_buf_appendf(b, "%.*s;\n",
		                (int)(mode ? (size_t)(mode - o->definition) : strlen(o->definition)),
		                o->definition);
		if (mode || !o->enabled)
			dbc_buf_appendf(b, "ALTER TABLE %s %s TRIGGER %s;\n", qt,
			                !o->enabled                                   ? "DISABLE"
			                : strncmp(mode, " (enabled replica", 17) == 0 ? "ENABLE REPLICA"
			                                                              : "ENABLE ALWAYS",
			                dbc_gen_q(ctx, name));
	}
}

/* The statement that makes table t (of in->want, where everything else
 * stands as in->want has it) again with its columns in t's order. */
static char *remake(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_table *t, const outside *o)
{
	const dbc_schema *W = in->want;
	char *qt = dbc_gen_qt(ctx, t);
	char *aside = dbc_gen_aside_name(ctx, t->name, "_dbcare_reorder");
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n", qt);
	outside_keys(ctx, &b, W, t, true);
	for (int k = 0; k < o->nviews; k++) {
		const dbc_object *v = &W->objects[o->views[k]];
		dbc_buf_appendf(&b, "DROP %sVIEW %s;\n",
		                strcmp(v->type, "view") == 0 ? "" : "MATERIALIZED ",
		                dbc_quoted_name(ctx, v->schema, v->name));
	}
	for (int i = 0; i < W->nobjects; i++)
		if (o->out[i] && is_function(&W->objects[i]))
			dbc_buf_appendf(&b, "DROP %s;\n", function_ref(ctx, &W->objects[i]));
	dbc_buf_appendf(&b,
	                "-- dbcare:lint-ignore rename-table (set aside: the table is made again "
	                "under its name below)\nALTER TABLE %s RENAME TO %s;\n",
	                qt, dbc_gen_q(ctx, aside));
	sequences(ctx, &b, W, t, SEQ_ASIDE);
	dbc_buf_append(&b, create_columns(ctx, W, t));
	copy_rows(ctx, &b, t, aside);
	sequences(ctx, &b, W, t, SEQ_RESTORE);
	sequences(ctx, &b, W, t, SEQ_OWN);
	dbc_buf_appendf(&b,
	                "-- dbcare:lint-ignore drop-table-data (its rows were copied above)\n"
	                "DROP TABLE %s;\n",
	                dbc_quoted_name(ctx, t->schema, aside));
	table_parts(ctx, &b, in, t);
	if (dbc_table_has_option(t, "row level security"))
		dbc_buf_appendf(&b, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", qt);
	if (dbc_table_has_option(t, "force row level security"))
		dbc_buf_appendf(&b, "ALTER TABLE %s FORCE ROW LEVEL SECURITY;\n", qt);
	for (int i = 0; i < W->nobjects; i++)
		if (o->out[i] && is_function(&W->objects[i]))
			dbc_buf_appendf(&b, "%s;\n", W->objects[i].definition);
	for (int k = o->nviews - 1; k >= 0; k--) {
		const dbc_object *v = &W->objects[o->views[k]];
		dbc_buf_appendf(&b, "%s;\n", dbc_gen_view_create(ctx, v));
		for (int i = 0; i < W->nindexes; i++) {
			const dbc_index *x = &W->indexes[i];
			if (x->definition && x->table && strcmp(x->table, v->name) == 0 &&
			    same_schema(x->schema, v->schema))
				dbc_buf_appendf(&b, "%s;\n", dbc_gen_index_text(in, x->definition));
		}
	}
	outside_keys(ctx, &b, W, t, false);
	if (b.len) /* the last ";\n" */
		b.len -= 2;
	return dbc_buf_finish(&b);
}

int dbc_gen_reorder(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_table *w,
                    const dbc_table *before, int64_t rows, const char *lock, dbc_gen_plan *out)
{
	outside o = {0};
	if (find_outside(ctx, in->want, w, &o) != DBC_OK)
		return DBC_ERROR;
	char *up = remake(ctx, in, w, &o), *down = remake(ctx, in, before, &o);
	int k = 0;
	while (k < w->ncolumns && strcmp(w->columns[k].name, before->columns[k].name) == 0)
		k++;
	if (!up || !down || k == w->ncolumns)
		return DBC_ERROR;
	dbc_gen_step *s = dbc_gen_add(ctx, out, up, down);
	if (!s)
		return DBC_ERROR;
	s->lock = (char *)lock;
	s->rows = rows;
	s->hazard = dbc_printf(ctx,
	                       "rewrites table %s under an ACCESS EXCLUSIVE lock to put column %s "
	                       "before %s as the desired file does: copies its rows, builds its "
	                       "keys and indexes again; reads and writes wait until it commits",
	                       w->name, w->columns[k].name, before->columns[k].name);
	return DBC_OK;
}
