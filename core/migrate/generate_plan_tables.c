/*
 * generate_plan_tables.c — whole tables: made new (with their identities,
 * row security and owned sequences), dropped (with what makes them again),
 * and a column's default or identity changing.
 */
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>
#include <strings.h>

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
int dbc_gen_alter_row_security(planner *pl, const dbc_table *l, const dbc_table *w)
{
	static const char *const opts[] = {"row level security", "force row level security"};
	static const char *const on[] = {"ENABLE", "FORCE"}, *const off[] = {"DISABLE", "NO FORCE"};
	dbc_ctx *ctx = pl->ctx;
	char *qt = dbc_gen_qt(ctx, w);
	for (int i = 0; i < 2; i++) {
		bool was = dbc_table_has_option(l, opts[i]), now = dbc_table_has_option(w, opts[i]);
		if (was == now)
			continue;
		if (!dbc_gen_plan_add(
		        pl,
		        dbc_printf(ctx, "ALTER TABLE %s %s ROW LEVEL SECURITY", qt, now ? on[i] : off[i]),
		        dbc_printf(ctx, "ALTER TABLE %s %s ROW LEVEL SECURITY", qt, now ? off[i] : on[i]),
		        dbc_gen_lock_of(pl, DBC_LOP_ALTER_OTHER)))
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
		const char *own = dbc_gen_owned_sequence(&s->objects[i])
		                      ? strstr(s->objects[i].definition, " OWNED BY ")
		                      : NULL;
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
char *dbc_gen_identity_named(planner *pl, const dbc_table *w, const dbc_column *c)
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

/* The owned sequence seq of d->from, gone from d->to: dropped with its
 * column's default (a serial column becoming an identity); or the other
 * way, made before the default names it. */
static bool seq_only_in(const dbc_object *seq, const dbc_schema *other)
{
	return seq && !dbc_gen_find_object(other, "sequence", seq->schema, seq->name);
}

/* What gives column c its default or identity where column was had
 * another: an identity is no default ("generated always as identity" is
 * a clause of its own, with the sequence it names), and the sequence a
 * serial column's default names comes and goes with that default. */
char *dbc_gen_column_default(planner *pl, const default_change *d, const dbc_column *c,
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
	bool made = new_seq && d->to == pl->in->want && dbc_gen_stmt_of(pl, new_seq);
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
		dbc_buf_appendf(&b, "ALTER SEQUENCE %s%s;\n", qs, dbc_gen_owned_by(ctx, own, d->tt));
	if (drop_old && !dropped_default)
		dbc_buf_append(&b, drop_old);
	if (b.len >= 2) /* the last ";\n" */
		b.len -= 2;
	return dbc_buf_finish(&b);
}

/* Live table t without its foreign keys the plan drops ahead of it
 * (their own steps' reverses add them back). */
static const dbc_table *keys_kept(const planner *pl, const dbc_table *t)
{
	int n = 0;
	for (int k = 0; k < t->nconstraints; k++)
		n += dbc_gen_key_dropped_first(pl, &t->constraints[k]);
	dbc_table *copy = n ? dbc_alloc(pl->ctx, sizeof *copy) : NULL;
	dbc_constraint *kept =
	    copy ? dbc_alloc(pl->ctx, sizeof *kept * (size_t)(t->nconstraints - n + 1)) : NULL;
	if (!kept)
		return t;
	*copy = *t;
	copy->constraints = kept;
	copy->nconstraints = 0;
	for (int k = 0; k < t->nconstraints; k++)
		if (!dbc_gen_key_dropped_first(pl, &t->constraints[k]))
			kept[copy->nconstraints++] = t->constraints[k];
	return copy;
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
		const char *own = dbc_gen_owned_sequence(o) ? strstr(o->definition, " OWNED BY ") : NULL;
		if (!own || strncmp(own, owner, strlen(owner)) != 0)
			continue;
		/* an identity column's sequence is made by its table */
		const dbc_column *c = dbc_table_find_column(t, own + strlen(owner));
		if (c && dbc_gen_is_identity(c))
			continue;
		char *q = dbc_quoted_name(ctx, o->schema, o->name);
		dbc_buf_appendf(&b, "CREATE SEQUENCE %s %.*s;\n", q, (int)(own - o->definition),
		                o->definition);
		dbc_buf_appendf(&after, ";\nALTER SEQUENCE %s%s", q, dbc_gen_owned_by(ctx, own, t));
	}
	dbc_buf_append(&b,
	               identities_named(pl, L, t, dbc_gen_create_table(ctx, keys_kept(pl, t), true)));
	for (int i = 0; i < L->nindexes; i++) {
		const dbc_index *x = &L->indexes[i];
		if (!x->constraint && !x->primary && x->definition && x->table &&
		    strcmp(x->table, t->name) == 0 && dbc_gen_same_schema(x->schema, t->schema))
			dbc_buf_appendf(&b, ";\n%s", dbc_gen_index_text(pl->in, x->definition));
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
	if (dbc_gen_count_rows(pl, l, NULL, &rows, &values, &counts) != DBC_OK)
		return DBC_ERROR;
	char *what =
	    dbc_printf(ctx, "table %s (%s)", dbc_qualified_name(ctx, l->schema, l->name), counts);
	if (!pl->in->opt->allow_drop)
		return dbc_gen_refuse_drop(pl, what);
	dbc_gen_step *s =
	    dbc_gen_plan_add(pl, dbc_printf(ctx, "DROP TABLE %s", dbc_gen_qt(ctx, l)),
	                     remake_table(pl, l), dbc_gen_lock_of(pl, DBC_LOP_DROP_TABLE));
	if (!s)
		return DBC_ERROR;
	s->rows = rows;
	s->hazard = dbc_printf(ctx, "drops %s; the down makes it again empty", what);
	return DBC_OK;
}

/* Whether constraint fk is a foreign key naming table l. */
static bool key_names(const dbc_constraint *fk, const dbc_table *l)
{
	return fk->kind == DBC_CON_FOREIGN_KEY && fk->ref_table &&
	       strcmp(fk->ref_table, l->name) == 0 && dbc_gen_same_schema(fk->ref_schema, l->schema);
}

/* Whether live table j is one the plan drops that is still there. */
static bool left_to_drop(const planner *pl, int j)
{
	return !pl->to[j] && !pl->dropped[j];
}

/* Whether fk is a foreign key naming table l that is still there (not
 * dropped ahead of the tables). */
static bool key_still_names(const planner *pl, const dbc_constraint *fk, const dbc_table *l)
{
	return key_names(fk, l) && !dbc_gen_key_dropped_first(pl, fk);
}

/* Whether live table c still has a foreign key naming live table l. */
static bool still_names(const planner *pl, const dbc_table *c, const dbc_table *l)
{
	for (int k = 0; k < c->nconstraints; k++)
		if (key_still_names(pl, &c->constraints[k], l))
			return true;
	return false;
}

/* Whether live table i is named by another table the plan drops that is
 * still there: that one goes first. */
static bool named_by_dropping(const planner *pl, int i)
{
	const dbc_schema *L = pl->in->live;
	for (int j = 0; j < L->ntables; j++)
		if (j != i && left_to_drop(pl, j) && still_names(pl, &L->tables[j], &L->tables[i]))
			return true;
	return false;
}

/* Foreign key fk of the table qt (quoted) dropped ahead of the table it
 * names, its own step; the down adds it back. The key is then one
 * dbc_gen_key_dropped_first knows. */
static int drop_key_first(planner *pl, const char *qt, const dbc_constraint *fk)
{
	dbc_ctx *ctx = pl->ctx;
	if (!dbc_gen_plan_add(
	        pl, dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt, dbc_gen_q(ctx, fk->name)),
	        dbc_printf(ctx, "ALTER TABLE %s ADD %s", qt, dbc_gen_constraint_def(ctx, fk)),
	        dbc_gen_lock_of(pl, DBC_LOP_ALTER_CONSTRAINT)) ||
	    dbc_grow(ctx, &pl->keys_first, pl->nkeys_first, &pl->capkeys_first, sizeof(*pl->keys_first),
	             4) != DBC_OK)
		return DBC_ERROR;
	pl->keys_first[pl->nkeys_first++] = fk;
	return DBC_OK;
}

/* Dropped tables naming each other in a cycle: the foreign keys of the
 * first of them that name the others go first, each its own step, so the
 * tables then go one by one; the down makes the tables again without
 * these keys (remake_table) and adds each back once both are there. */
static int break_key_cycle(planner *pl)
{
	const dbc_schema *L = pl->in->live;
	for (int i = 0; i < L->ntables; i++) {
		const dbc_table *c = &L->tables[i];
		bool broke = false;
		if (!left_to_drop(pl, i))
			continue;
		for (int k = 0; k < c->nconstraints; k++) {
			const dbc_constraint *fk = &c->constraints[k];
			bool names_dropping = false;
			for (int j = 0; j < L->ntables && !names_dropping; j++)
				names_dropping =
				    j != i && left_to_drop(pl, j) && key_still_names(pl, fk, &L->tables[j]);
			if (!names_dropping)
				continue;
			if (drop_key_first(pl, dbc_gen_qt(pl->ctx, c), fk) != DBC_OK)
				return DBC_ERROR;
			broke = true;
		}
		if (broke)
			return DBC_OK;
	}
	return DBC_OK;
}

int dbc_gen_drop_tables(planner *pl)
{
	const dbc_schema *L = pl->in->live;
	/* where ALTER TABLE drops no constraint (SQLite, whose keys are
	 * checked on rows only), tables in a cycle go as they come */
	bool anyway = false;
	for (;;) {
		bool dropped = false, left = false;
		for (int i = 0; i < L->ntables; i++) {
			if (!left_to_drop(pl, i))
				continue;
			/* a table that another dropped table still names goes after it */
			if (!anyway && named_by_dropping(pl, i)) {
				left = true;
				continue;
			}
			if (drop_one(pl, i) != DBC_OK)
				return DBC_ERROR;
			dropped = true;
		}
		if (!left)
			return DBC_OK;
		if (!dropped && pl->limited)
			anyway = true;
		else if (!dropped && break_key_cycle(pl) != DBC_OK)
			return DBC_ERROR;
	}
}

/* Whether table t of schema s has a constraint or an index named name. */
static bool holds_name(const dbc_schema *s, const dbc_table *t, const char *name)
{
	for (int k = 0; k < t->nconstraints; k++)
		if (t->constraints[k].name && strcmp(t->constraints[k].name, name) == 0)
			return true;
	for (int k = 0; k < s->nindexes; k++)
		if (s->indexes[k].table && strcmp(s->indexes[k].table, t->name) == 0 &&
		    dbc_gen_same_schema(s->indexes[k].schema, t->schema) &&
		    strcmp(s->indexes[k].name, name) == 0)
			return true;
	return false;
}

/* Whether live foreign key k is dropped before the table it names. */
bool dbc_gen_key_dropped_first(const planner *pl, const dbc_constraint *k)
{
	for (int i = 0; i < pl->nkeys_first; i++)
		if (pl->keys_first[i] == k)
			return true;
	return false;
}

/* The foreign keys of kept tables naming live table l, dropped before l
 * goes ahead of the changed tables' pass (drop_namesakes): the down adds
 * each back only once l is made again. A kept table's key can name a
 * dropped table in no desired form, so none of these is kept. */
static int drop_keys_naming(planner *pl, const dbc_table *l)
{
	const dbc_schema *L = pl->in->live;
	for (int j = 0; j < L->ntables; j++) {
		const dbc_table *c = &L->tables[j];
		if (!pl->to[j] || c == l)
			continue;
		for (int k = 0; k < c->nconstraints; k++) {
			const dbc_constraint *fk = &c->constraints[k];
			if (!key_still_names(pl, fk, l))
				continue;
			/* the renames pass has run: the table has its desired name */
			if (drop_key_first(pl, dbc_gen_qt(pl->ctx, pl->to[j]), fk) != DBC_OK)
				return DBC_ERROR;
		}
	}
	return DBC_OK;
}

/* Whether live table c has a foreign key naming live table l. */
static bool names_table(const dbc_table *c, const dbc_table *l)
{
	for (int k = 0; k < c->nconstraints; k++)
		if (key_names(&c->constraints[k], l))
			return true;
	return false;
}

/* Live table i dropped ahead of the tables' passes: first the dropped
 * tables whose foreign keys name it (each made again after it in the
 * down), then the keys of kept tables naming it; depth bounds a cycle of
 * dropped tables, whose last table is then left to refuse in the proof. */
static int drop_early(planner *pl, int i, int depth)
{
	const dbc_schema *L = pl->in->live;
	const dbc_table *l = &L->tables[i];
	for (int j = 0; j < L->ntables && depth > 0; j++)
		if (j != i && left_to_drop(pl, j) && names_table(&L->tables[j], l) &&
		    drop_early(pl, j, depth - 1) != DBC_OK)
			return DBC_ERROR;
	if (pl->dropped[i])
		return DBC_OK;
	if (!pl->limited && drop_keys_naming(pl, l) != DBC_OK)
		return DBC_ERROR;
	return drop_one(pl, i);
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
		if (!left_to_drop(pl, i) || !dbc_gen_same_schema(l->schema, w->schema))
			continue;
		for (int k = 0; k < w->nconstraints && !clash; k++)
			clash = w->constraints[k].name && holds_name(L, l, w->constraints[k].name);
		for (int k = 0; k < W->nindexes && !clash; k++)
			clash = W->indexes[k].table && strcmp(W->indexes[k].table, w->name) == 0 &&
			        dbc_gen_same_schema(W->indexes[k].schema, w->schema) &&
			        holds_name(L, l, W->indexes[k].name);
		if (clash && drop_early(pl, i, L->ntables) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_gen_new_tables(planner *pl)
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
					     dbc_gen_same_schema(W->tables[j].schema, d->stmts[k].schema)))
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
			if (st && dbc_gen_altered_later(pl, w))
				st = NULL;
			char *make = st ? dbc_strdup(ctx, st->text)
			                : identities_named(pl, W, w, dbc_gen_create_table(ctx, w, false));
			if (!st)
				later[i] = true;
			make = dbc_printf(ctx, "%s%s", make, row_security(pl, w));
			for (int k = 0; make && k < pl->in->want->nobjects; k++) {
				const dbc_object *o = &pl->in->want->objects[k];
				const char *own = dbc_gen_owned_sequence(o) && dbc_gen_stmt_of(pl, o)
				                      ? strstr(o->definition, " OWNED BY ")
				                      : NULL;
				char *prefix =
				    dbc_printf(ctx, " OWNED BY %s.", dbc_qualified_name(ctx, w->schema, w->name));
				if (own && prefix && strncmp(own, prefix, strlen(prefix)) == 0)
					make = dbc_printf(ctx, "%s;\nALTER SEQUENCE %s%s", make,
					                  dbc_quoted_name(ctx, o->schema, o->name),
					                  dbc_gen_owned_by(ctx, own, w));
			}
			if (drop_namesakes(pl, w) != DBC_OK ||
			    !dbc_gen_plan_add(pl, make, dbc_printf(ctx, "DROP TABLE %s", dbc_gen_qt(ctx, w)),
			                      dbc_gen_lock_of(pl, DBC_LOP_CREATE_TABLE)))
				return DBC_ERROR;
			/* its indexes come with the index pass; its owned objects with it */
		}
	pl->keys_later = later;
	return dbc_gen_new_table_keys(pl, false);
}

int dbc_gen_new_table_keys(planner *pl, bool after_indexes)
{
	dbc_ctx *ctx = pl->ctx;
	const dbc_schema *W = pl->in->want;
	bool *later = pl->keys_later;
	for (int i = 0; later && i < W->ntables; i++)
		for (int k = 0; later[i] && k < W->tables[i].nconstraints; k++) {
			const dbc_table *w = &W->tables[i];
			const dbc_constraint *c = &w->constraints[k];
			if (c->kind != DBC_CON_FOREIGN_KEY ||
			    (!pl->limited && dbc_gen_key_needs_new_index(pl, c)) != after_indexes)
				continue;
			char *qt = dbc_gen_qt(ctx, w);
			if (!dbc_gen_plan_add(
			        pl,
			        dbc_printf(ctx, "ALTER TABLE %s ADD %s", qt, dbc_gen_constraint_def(ctx, c)),
			        dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s", qt,
			                   dbc_gen_q(ctx, c->name)),
			        dbc_gen_lock_of(pl, DBC_LOP_ADD_FOREIGN_KEY)))
				return DBC_ERROR;
		}
	return DBC_OK;
}
