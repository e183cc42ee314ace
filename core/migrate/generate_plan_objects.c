/*
 * generate_plan_objects.c — the objects other than tables, indexes and
 * views (schemas, types, sequences, routines, triggers): compared, dropped
 * and made from the desired schema's own statements, in the order of what
 * each needs.
 */
#include "migrate/generate_plan.h"
#include "migrate/generate_order.h"
#include "migrate/generate_render.h"

#include <string.h>
#include <strings.h>

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

static bool same_line(const char *a, const char *b)
{
	size_t n = strcspn(a, "\n");
	return n == strcspn(b, "\n") && strncmp(a, b, n) == 0;
}

/* Whether a live table's default, generation, check or index names the
 * live routine o: the plan makes none of them again for it, so the
 * engine refuses to drop it under them. */
static bool called_by_table(planner *pl, const dbc_object *o)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *L = pl->in->live;
	const char *paren = strchr(o->name, '(');
	char *fname = paren ? dbc_strndup(ctx, o->name, (size_t)(paren - o->name)) : NULL;
	bool called = false;
	for (int i = 0; fname && i < L->ntables && !called; i++) {
		const dbc_table *t = &L->tables[i];
		for (int c = 0; c < t->ncolumns && !called; c++)
			called = dbc_gen_names_token(ctx, t->columns[c].default_expr, fname) ||
			         dbc_gen_names_token(ctx, t->columns[c].generated, fname);
		for (int k = 0; k < t->nconstraints && !called; k++)
			called = dbc_gen_names_token(ctx, t->constraints[k].expr, fname);
	}
	for (int i = 0; fname && i < L->nindexes && !called; i++)
		called = dbc_gen_names_token(ctx, L->indexes[i].definition, fname);
	return called;
}

/* Whether changed routine want takes the place of live by CREATE OR
 * REPLACE: a function or procedure that a table calls (called_by_table)
 * whose catalog definitions have the same first line (its name, its
 * arguments' names, types and defaults) and the same RETURNS line. The
 * others are dropped and made again, with what needs them (a view, an
 * aggregate) and their rights given back. */
static bool replaces(planner *pl, const dbc_object *live, const dbc_object *want)
{
	static const char create[] = "CREATE OR REPLACE ";
	if ((strcmp(live->type, "function") != 0 && strcmp(live->type, "procedure") != 0) ||
	    strcmp(live->type, want->type) != 0 || !live->definition || !want->definition ||
	    strcmp(live->definition, want->definition) == 0 ||
	    strncmp(live->definition, create, sizeof create - 1) != 0 ||
	    strncmp(want->definition, create, sizeof create - 1) != 0)
		return false;
	const char *lr = strstr(live->definition, "\n RETURNS ");
	const char *wr = strstr(want->definition, "\n RETURNS ");
	return same_line(live->definition, want->definition) && !lr == !wr &&
	       (!lr || same_line(lr + 1, wr + 1)) && called_by_table(pl, live);
}

/* The step dropping live object o, its reverse what makes it again. */
static dbc_gen_step *add_drop(planner *pl, const dbc_object *o)
{
	dbc_gen_step *s = dbc_gen_plan_add(pl, drop_object(pl, o), create_object(pl, o), NULL);
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
const dbc_gen_stmt *dbc_gen_stmt_of(planner *pl, const dbc_object *o)
{
	const char *name = bare_name(o);
	const char *paren = strchr(name, '(');
	if (paren)
		name = dbc_strndup(pl->ctx, name, (size_t)(paren - name));
	if (name && strcmp(o->type, "trigger") == 0 && o->table)
		return dbc_gen_find_trigger_stmt(pl->in->desired, name, o->table);
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

bool dbc_gen_owned_sequence(const dbc_object *o)
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
		if (dbc_gen_is_view(&L->objects[i]) &&
		    dbc_gen_same_schema(L->objects[i].schema, o->schema) &&
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
		if (!dbc_gen_same_schema(S->tables[i].schema, o->schema) ||
		    strcmp(S->tables[i].name, o->table))
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
	const dbc_gen_stmt *st = dbc_gen_is_routine(o->type) ? dbc_gen_stmt_of(pl, o) : NULL;
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

/* Whether the desired routine o names a desired view in its statement (a
 * PL/pgSQL v%rowtype, a LANGUAGE sql body reading it), and no desired
 * CREATE TABLE, INDEX or VIEW names the routine: it is then made after the
 * views (the trigger pass), since PostgreSQL checks the body when it is
 * made, as `dbcare migrate` runs it. */
static bool reads_view(planner *pl, const dbc_object *o)
{
	const dbc_schema *W = pl->in->want;
	const dbc_gen_desired *d = pl->in->desired;
	const dbc_gen_stmt *st = dbc_gen_is_routine(o->type) ? dbc_gen_stmt_of(pl, o) : NULL;
	const char *paren = strchr(o->name, '(');
	char *fname = paren ? dbc_strndup(pl->ctx, o->name, (size_t)(paren - o->name)) : NULL;
	bool reads = false;
	if (!st || !fname)
		return false;
	for (int i = 0; i < W->nobjects && !reads; i++)
		reads = dbc_gen_is_view(&W->objects[i]) &&
		        dbc_gen_names_token(pl->ctx, st->text, W->objects[i].name);
	for (int k = 0; k < d->nstmts && reads; k++)
		if ((strcmp(d->stmts[k].kind, "table") == 0 || strcmp(d->stmts[k].kind, "index") == 0 ||
		     strstr(d->stmts[k].kind, "view")) &&
		    dbc_gen_names_token(pl->ctx, d->stmts[k].text, fname))
			reads = false;
	return reads;
}

int dbc_gen_plan_objects(planner *pl, bool early, bool adding)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *from = adding ? pl->in->want : pl->in->live;
	const dbc_schema *other = adding ? pl->in->live : pl->in->want;
	for (int k = 0; k < from->nobjects; k++) {
		const dbc_object *o = &from->objects[adding ? pl->make_order[k] : pl->drop_order[k]];
		/* a function that reads a new table is made after the tables (the
		 * late pass), one that reads a view after the views (with the
		 * triggers), the others before them */
		bool after_views = adding && reads_view(pl, o);
		bool late = adding && !after_views && reads_new_table(pl, o);
		bool known = pl->late_pass ? late
		             : early       ? in_list(early_types, o->type) && !late && !after_views
		                           : strcmp(o->type, "trigger") == 0 || after_views;
		/* a sequence its column owns comes with its table, unless the
		 * desired file makes it itself (pg_dump's form) */
		if (!known || (dbc_gen_owned_sequence(o) && !(adding && dbc_gen_stmt_of(pl, o))) ||
		    trigger_with_rebuild(pl, o, adding))
			continue;
		const dbc_object *x = dbc_gen_find_object(other, o->type, o->schema, o->name);
		const dbc_object *lo = adding ? x : o;
		if (x && dbc_gen_same_text(x->definition, o->definition) && x->enabled == o->enabled &&
		    !on_remade_view(pl, o) && !pl->remade[lo - pl->in->live->objects])
			continue;
		/* an enum that only gains labels is altered, not made again, as
		 * is a sequence whose options alone change */
		bool extends = x && dbc_gen_enum_extends(ctx, adding ? x : o, adding ? o : x);
		bool alters = x && dbc_gen_seq_alters(adding ? x : o, adding ? o : x);
		if (alters) {
			if (adding && dbc_gen_seq_alter(ctx, x, o, pl->out) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		if (x && replaces(pl, adding ? x : o, adding ? o : x)) {
			if (adding && !dbc_gen_plan_add(pl, create_object(pl, o), create_object(pl, x), NULL))
				return DBC_ERROR;
			continue;
		}
		/* an enum whose labels change otherwise is made again beside the
		 * old one, its columns converted (dropping it fails on them) */
		if (x && dbc_gen_enum_changes(ctx, adding ? x : o, adding ? o : x)) {
			if (adding && dbc_gen_enum_remake(ctx, pl->in, x, o, pl->out) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		if (!adding) {
			/* gone, or changed: dropped here, made again when adding */
			if ((!x && early && !gone_reads_table(pl, o)) || extends)
				continue; /* gone types go after the tables that use them (drop_late) */
			const dbc_gen_stmt *st = x ? dbc_gen_stmt_of(pl, x) : NULL;
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
		const dbc_gen_stmt *st = dbc_gen_stmt_of(pl, o);
		if (!st)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "the desired schema's %s %s has no CREATE statement the generator "
			                 "can reuse",
			                 o->type, o->name);
		/* an owned sequence goes with its table in the down already */
		char *undo = dbc_gen_owned_sequence(o)
		                 ? dbc_printf(ctx, "DROP SEQUENCE IF EXISTS %s",
		                              dbc_quoted_name(ctx, o->schema, o->name))
		                 : drop_object(pl, o);
		if (!dbc_gen_plan_add(pl, make_text(pl, o, st), undo, NULL))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* Whether the generator drops live object o and makes it again when it
 * changes (the object passes' kinds). */
static bool remakes(planner *pl, const dbc_object *o)
{
	const dbc_object *x = dbc_gen_find_object(pl->in->want, o->type, o->schema, o->name);
	if (!x || !(in_list(early_types, o->type) || strcmp(o->type, "trigger") == 0) ||
	    dbc_gen_owned_sequence(o) || trigger_with_rebuild(pl, o, false) || !dbc_gen_stmt_of(pl, x))
		return false;
	return true;
}

/* The order of the object passes and the objects made again: a changed
 * one, and what needs one made again (the engine refuses to drop a type
 * a function's arguments use, a function a trigger fires). */
int dbc_gen_order_objects(planner *pl)
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
		const dbc_object *x = dbc_gen_find_object(W, o->type, o->schema, o->name);
		pl->remade[i] = x && remakes(pl, o) && !dbc_gen_same_text(x->definition, o->definition) &&
		                !dbc_gen_enum_extends(ctx, o, x) && !dbc_gen_seq_alters(o, x) &&
		                !dbc_gen_enum_changes(ctx, o, x) && !replaces(pl, o, x);
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
int dbc_gen_drop_late(planner *pl)
{
	const dbc_schema *L = pl->in->live;
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < L->nobjects; k++) {
			const dbc_object *o = &L->objects[pl->drop_order[k]];
			bool schema = strcmp(o->type, "schema") == 0;
			if (!in_list(early_types, o->type) || dbc_gen_owned_sequence(o) ||
			    schema != (pass == 1) ||
			    dbc_gen_find_object(pl->in->want, o->type, o->schema, o->name) ||
			    gone_reads_table(pl, o))
				continue;
			if (!add_drop(pl, o))
				return DBC_ERROR;
		}
	return DBC_OK;
}
