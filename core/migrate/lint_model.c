/*
 * lint_model.c — the tables as the live schema holds them and the pending
 * migrations before the current statement change them: a table a pending
 * migration created is new and empty, one it truncated is empty, one it
 * dropped or renamed is gone. Row counts come from the engine (one call per
 * table the migrations touch, cached); everything else from the schema model
 * read once. Lookups go through a hash: a 10,000-table database costs one
 * pass to index it.
 */
#include "migrate/lint.h"
#include "schema/ddl_lex.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct lint_check {
	char *name;
	char *expr;
	bool validated;
} lint_check;

/* One table's state for the statements to come. schema and name are the
 * table's name at this point of the pending migrations; the engine is only
 * ever asked about live->schema and live->name, the name the catalog holds
 * now (a table a pending migration renamed does not exist under its new
 * name until that migration runs). */
typedef struct ltab {
	char *schema, *name;
	const dbc_table *live; /* NULL: created by a pending migration */
	bool gone;             /* dropped or renamed away */
	bool rows_known;
	int64_t rows;
	bool key_known, key_near;
	int64_t key_high;
	/* the columns (by name) a pending statement added, dropped, renamed
	 * (both names) or retyped: the live statistics no longer describe the
	 * column by that name; every other column's rows are still the live
	 * ones (an ADD COLUMN note leaves email's NULLs where they are) */
	dbc_strlist changed_columns;
	bool unnamed_column_changed; /* one the lint could not name: any may be it */
	const dbc_index **indexes;   /* the live indexes of the table */
	int nindexes, capindexes;
	lint_check *checks; /* CHECKs the pending migrations added */
	int nchecks, capchecks;
	struct ltab *next_in_bucket;
} ltab;

typedef struct lint_view {
	char *name;
	const char *table; /* a trigger's table; NULL for a view */
	const char *text;
} lint_view;

struct dbc_lint_model {
	dbc_ctx *ctx;
	const dbc_lint_hooks *eng;
	dbc_schema schema;
	ltab **buckets;
	size_t nbuckets;
	lint_view *views; /* views and triggers: live ones, then those migrations created */
	int nviews, capviews;
	dbc_lint_action *indexes; /* CREATE INDEX actions of the pending migrations */
	int nindexes, capindexes;
	/* a statement the lint does not model ran before: the values the
	 * statistics show may have changed (an UPDATE filling NULLs) */
	bool rows_may_change;
};

void dbc_lint_model_rows_may_change(dbc_lint_model *m)
{
	m->rows_may_change = true;
}

static bool same_name(const dbc_lint_model *m, const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !m->ctx->host->dialect->names_fold_case ? strcmp(a, b) == 0 : strcasecmp(a, b) == 0;
}

/* The engine's default schema: unqualified names fall into it, and a table
 * the catalog lists with no schema lives there. */
static const char *default_schema(const dbc_lint_model *m)
{
	return m->ctx->host->dialect->default_schema;
}

/* Schemas compare with a missing one read as the default schema. */
static bool same_schema(const dbc_lint_model *m, const char *a, const char *b)
{
	return same_name(m, a ? a : default_schema(m), b ? b : default_schema(m));
}

static size_t hash_name(const dbc_lint_model *m, const char *s)
{
	size_t h = 5381;
	for (; s && *s; s++)
		h = h * 33 + (unsigned char)(!m->ctx->host->dialect->names_fold_case
		                                 ? *s
		                                 : tolower((unsigned char)*s));
	return h;
}

/* The table named exactly (schema NULL: the NULL schema), gone ones too. */
static ltab *find_exact(dbc_lint_model *m, const char *schema, const char *name)
{
	for (ltab *t = m->buckets[hash_name(m, name) % m->nbuckets]; t; t = t->next_in_bucket)
		if (same_name(m, t->name, name) && same_schema(m, t->schema, schema))
			return t;
	return NULL;
}

/* A name as written: qualified, or in the default schema, or the one table
 * of that name anywhere. */
static ltab *find(dbc_lint_model *m, const char *schema, const char *name)
{
	ltab *t;
	if (!name)
		return NULL;
	if (schema || !default_schema(m))
		return find_exact(m, schema, name);
	if ((t = find_exact(m, default_schema(m), name)) && !t->gone)
		return t;
	ltab *only = NULL;
	for (ltab *c = m->buckets[hash_name(m, name) % m->nbuckets]; c; c = c->next_in_bucket)
		if (same_name(m, c->name, name) && !c->gone) {
			if (only)
				return t;
			only = c;
		}
	return only ? only : t;
}

static ltab *insert(dbc_lint_model *m, const char *schema, const char *name, const dbc_table *live)
{
	ltab *t = dbc_zalloc(m->ctx, sizeof(*t));
	if (!t)
		return NULL;
	t->schema = (char *)schema;
	t->name = (char *)name;
	t->live = live;
	size_t b = hash_name(m, name) % m->nbuckets;
	t->next_in_bucket = m->buckets[b];
	m->buckets[b] = t;
	return t;
}

static int add_view(dbc_lint_model *m, const char *name, const char *table, const char *text)
{
	if (dbc_grow(m->ctx, &m->views, m->nviews, &m->capviews, sizeof(*m->views), 16) != DBC_OK)
		return DBC_ERROR;
	m->views[m->nviews++] = (lint_view){(char *)name, table, text};
	return DBC_OK;
}

int dbc_lint_model_open(dbc_ctx *ctx, const dbc_lint_hooks *eng, dbc_lint_model **out)
{
	dbc_lint_model *m = dbc_zalloc(ctx, sizeof(*m));
	if (!m)
		return DBC_ERROR;
	m->ctx = ctx;
	m->eng = eng;
	dbc_schema_init(&m->schema, ctx);
	if (ctx->host->read_schema(ctx, &m->schema) != DBC_OK)
		return DBC_ERROR;
	m->nbuckets = (size_t)m->schema.ntables * 2 + 64;
	if (!(m->buckets = dbc_zalloc(ctx, sizeof(*m->buckets) * m->nbuckets)))
		return DBC_ERROR;
	for (int i = 0; i < m->schema.ntables; i++) {
		dbc_table *t = &m->schema.tables[i];
		if (!insert(m, t->schema, t->name, t))
			return DBC_ERROR;
	}
	for (int i = 0; i < m->schema.nindexes; i++) {
		const dbc_index *x = &m->schema.indexes[i];
		ltab *t = x->table ? find_exact(m, x->schema, x->table) : NULL;
		if (t && dbc_grow(ctx, &t->indexes, t->nindexes, &t->capindexes, sizeof(*t->indexes), 4) !=
		             DBC_OK)
			return DBC_ERROR;
		if (t)
			t->indexes[t->nindexes++] = x;
	}
	for (int i = 0; i < m->schema.nobjects; i++) {
		dbc_object *o = &m->schema.objects[i];
		bool view = strstr(o->type, "view") != NULL;
		if ((view || strcmp(o->type, "trigger") == 0) && o->definition &&
		    add_view(m, o->name, view ? NULL : o->table, o->definition) != DBC_OK)
			return DBC_ERROR;
	}
	*out = m;
	return DBC_OK;
}

/* Whether text names the identifier name (quoted or not) as a token. */
static bool mentions(const dbc_lint_model *m, const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);
	if (!text || !n)
		return false;
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END)
			return false;
		if (t.kind == TK_WORD && t.len == n &&
		    (!m->ctx->host->dialect->names_fold_case
		         ? strncasecmp(t.start, name, n) == 0 &&
		               !strpbrk(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		         : strncasecmp(t.start, name, n) == 0))
			return true;
		if (t.kind == TK_QIDENT && t.len == n + 2 && strncmp(t.start + 1, name, n) == 0)
			return true;
	}
}

/* A view (or trigger) other than those on table itself names table (and column). */
static bool view_depends(const dbc_lint_model *m, const ltab *t, const char *column, bool triggers)
{
	for (int i = 0; i < m->nviews; i++) {
		const lint_view *v = &m->views[i];
		if (v->table && !triggers)
			continue;
		bool on_it = v->table && same_name(m, v->table, t->name);
		if (!on_it && !mentions(m, v->text, t->name))
			continue;
		if (!column || mentions(m, v->text, column))
			return true;
	}
	return false;
}

static bool list_has(const dbc_lint_model *m, const dbc_strlist *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (same_name(m, l->items[i], s))
			return true;
	return false;
}

/* An index, key, constraint, view or trigger uses the column (a limited
 * ALTER's DROP COLUMN then fails). */
static bool column_used(const dbc_lint_model *m, const ltab *t, const char *column)
{
	if (t->live) {
		for (int i = 0; i < t->live->nconstraints; i++) {
			const dbc_constraint *c = &t->live->constraints[i];
			if (c->kind == DBC_CON_NOT_NULL)
				continue;
			if (list_has(m, &c->columns, column) || (c->expr && mentions(m, c->expr, column)))
				return true;
		}
		for (int i = 0; i < t->nindexes; i++) {
			const dbc_index *x = t->indexes[i];
			if (list_has(m, &x->keys, column))
				return true;
			for (int k = 0; k < x->keys.n; k++)
				if (mentions(m, x->keys.items[k], column))
					return true;
			if (x->predicate && mentions(m, x->predicate, column))
				return true;
		}
		for (int i = 0; i < t->live->ncolumns; i++)
			if (t->live->columns[i].generated && mentions(m, t->live->columns[i].generated, column))
				return true;
	}
	/* indexes the earlier pending migrations create (keys and WHERE as written) */
	for (int i = 0; i < m->nindexes; i++) {
		const dbc_lint_action *x = &m->indexes[i];
		if (x->table && same_name(m, x->table, t->name) &&
		    (!x->schema || !t->schema || same_name(m, x->schema, t->schema)) &&
		    mentions(m, x->expr, column))
			return true;
	}
	return view_depends(m, t, column, true);
}

/* "(col IS NOT NULL)" in a CHECK's text. */
static bool check_is_not_null(const dbc_lint_model *m, const char *expr, const char *column)
{
	const char *p = expr;
	dbc_token w[4] = {{TK_END, NULL, 0}};
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END)
			return false;
		if (dbc_lex_is_punct(t, '(') || dbc_lex_is_punct(t, ')'))
			continue;
		w[0] = w[1], w[1] = w[2], w[2] = w[3], w[3] = t;
		if (dbc_lex_is_word(w[1], "IS") && dbc_lex_is_word(w[2], "NOT") &&
		    dbc_lex_is_word(w[3], "NULL") && (w[0].kind == TK_WORD || w[0].kind == TK_QIDENT)) {
			char *name = dbc_lex_ident(m->ctx, w[0]);
			if (name && same_name(m, name, column))
				return true;
		}
	}
}

static bool checked_not_null(const dbc_lint_model *m, const ltab *t, const char *column)
{
	for (int i = 0; t->live && i < t->live->nconstraints; i++) {
		const dbc_constraint *c = &t->live->constraints[i];
		if (c->kind == DBC_CON_CHECK && c->validated && c->expr &&
		    check_is_not_null(m, c->expr, column))
			return true;
	}
	for (int i = 0; i < t->nchecks; i++)
		if (t->checks[i].validated && check_is_not_null(m, t->checks[i].expr, column))
			return true;
	return false;
}

/* A default that calls a volatile function, or a column every row gets a
 * computed value of. */
static int volatile_default(dbc_lint_model *m, const dbc_lint_action *a, bool *out)
{
	*out = (a->flags & (DBC_LF_SERIAL | DBC_LF_STORED)) != 0;
	if (*out || !a->default_expr || !m->eng->volatile_function)
		return DBC_OK;
	const char *p = a->default_expr;
	dbc_token prev = {TK_END, NULL, 0};
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END)
			return DBC_OK;
		if (dbc_lex_is_punct(t, '(') && (prev.kind == TK_WORD || prev.kind == TK_QIDENT)) {
			char *fn = dbc_lex_ident(m->ctx, prev);
			if (!fn)
				return DBC_ERROR;
			if (prev.kind == TK_WORD && !m->ctx->host->dialect->names_fold_case)
				for (char *q = fn; *q; q++)
					*q = (char)tolower((unsigned char)*q);
			if (m->eng->volatile_function(m->ctx, fn, out) != DBC_OK)
				return DBC_ERROR;
			if (*out)
				return DBC_OK;
		}
		prev = t;
	}
}

/* Whether a limited ALTER refuses this ADD COLUMN (SQLite's documented
 * restrictions): a key, a stored generated column, NOT NULL without a
 * default, a default that is not a constant. */
static bool add_not_possible(const dbc_lint_action *a)
{
	if (a->flags & DBC_LF_KEY)
		return true;
	if (a->flags & DBC_LF_STORED)
		return true;
	if ((a->flags & DBC_LF_NOT_NULL) && !(a->flags & DBC_LF_HAS_DEFAULT))
		return true;
	if (a->default_expr) {
		const char *p = a->default_expr;
		dbc_token t = dbc_lex_next(&p);
		/* CURRENT_TIME/DATE/TIMESTAMP are refused too; a parenthesised
		 * expression is not a constant */
		if (dbc_lex_is_punct(t, '(') || dbc_lex_is_word(t, "CURRENT_TIME") ||
		    dbc_lex_is_word(t, "CURRENT_DATE") || dbc_lex_is_word(t, "CURRENT_TIMESTAMP"))
			return true;
	}
	return false;
}

static const char *const int_types[] = {"integer", "int",     "int4",        "smallint", "int2",
                                        "serial",  "serial4", "smallserial", "serial2",  NULL};

static int key_near_limit(dbc_lint_model *m, ltab *t, bool *near)
{
	*near = false;
	if (!t->live || !m->eng->key_high)
		return DBC_OK;
	if (t->key_known) {
		*near = t->key_near;
		return DBC_OK;
	}
	t->key_known = true;
	for (int i = 0; i < t->live->nconstraints; i++) {
		const dbc_constraint *c = &t->live->constraints[i];
		if (c->kind != DBC_CON_PRIMARY_KEY || c->columns.n != 1)
			continue;
		const dbc_column *col = dbc_table_find_column(t->live, c->columns.items[0]);
		if (!col || !col->type)
			return DBC_OK;
		int k = 0;
		while (int_types[k] && strcasecmp(int_types[k], col->type) != 0)
			k++;
		if (!int_types[k])
			return DBC_OK;
		bool small = strstr(int_types[k], "small") || strstr(int_types[k], "2");
		int64_t high;
		if (m->eng->key_high(m->ctx, t->live->schema, t->live->name, col->name, &high) != DBC_OK)
			return DBC_ERROR;
		t->key_high = high;
		t->key_near = high > (small ? 32767 : 2147483647) / 2;
		*near = t->key_near;
	}
	return DBC_OK;
}

static bool column_changed(const dbc_lint_model *m, const ltab *t, const char *column)
{
	if (t->unnamed_column_changed)
		return true;
	for (int i = 0; i < t->changed_columns.n; i++)
		if (same_name(m, t->changed_columns.items[i], column))
			return true;
	return false;
}

/* SET NOT NULL of a column the engine's statistics show NULLs in: it will
 * fail. Only while nothing the lint does not model ran before it (an UPDATE
 * filling the NULLs) and the column is still the live one; a table emptied
 * by a pending TRUNCATE holds none. */
static int holds_nulls(dbc_lint_model *m, ltab *t, dbc_lint_action *a)
{
	double share = -1;
	if (!t->live || !a->column || !m->eng->null_share || m->rows_may_change ||
	    column_changed(m, t, a->column) || (t->rows_known && t->rows == 0))
		return DBC_OK;
	if (m->eng->null_share(m->ctx, t->live->schema, t->live->name, a->column, &share) != DBC_OK)
		return DBC_ERROR;
	if (share <= 0)
		return DBC_OK;
	a->flags |= DBC_LF_HOLDS_NULLS;
	a->evidence = share < 0.01 ? "under 1% of its rows"
	                           : dbc_printf(m->ctx, "about %.0f%% of its rows", share * 100);
	return a->evidence ? DBC_OK : DBC_ERROR;
}

static int rows_of(dbc_lint_model *m, ltab *t, int64_t *rows)
{
	if (!t->rows_known) {
		t->rows_known = true;
		t->rows = -1;
		/* a virtual or foreign table's rows are another program's: never asked */
		bool plain = !t->live || !t->live->kind || strcmp(t->live->kind, "table") == 0 ||
		             strcmp(t->live->kind, "partitioned table") == 0;
		if (plain && t->live && m->eng->rows &&
		    m->eng->rows(m->ctx, t->live->schema, t->live->name, &t->rows) != DBC_OK)
			return DBC_ERROR;
	}
	*rows = t->rows;
	return DBC_OK;
}

/* The table a DROP INDEX names: of a live index, or one a pending migration made. */
static void index_table(dbc_lint_model *m, dbc_lint_action *a)
{
	for (int i = m->nindexes - 1; i >= 0; i--)
		if (m->indexes[i].index && same_name(m, m->indexes[i].index, a->index)) {
			a->schema = m->indexes[i].schema;
			a->table = m->indexes[i].table;
			return;
		}
	for (int i = 0; i < m->schema.nindexes; i++) {
		const dbc_index *x = &m->schema.indexes[i];
		if (same_name(m, x->name, a->index) &&
		    (!a->schema || same_schema(m, x->schema, a->schema))) {
			a->schema = x->schema;
			a->table = x->table;
			return;
		}
	}
}

int dbc_lint_model_judge(dbc_lint_model *m, dbc_lint_action *a, int64_t *rows, char **table_name)
{
	*rows = 0;
	*table_name = NULL;
	if (a->op == DBC_LOP_DROP_INDEX)
		index_table(m, a);
	if (!a->table)
		return DBC_OK;
	ltab *t = find(m, a->schema, a->table);
	*table_name = dbc_qualified_name(m->ctx, t ? t->schema : a->schema, a->table);
	if (!t || t->gone || a->op == DBC_LOP_CREATE_TABLE || a->op == DBC_LOP_CREATE_VIEW)
		return DBC_OK; /* new, or not a table dbcare knows: nothing waits on it */
	/* a table that existed before the pending migrations: its rows are
	 * counted when a rule asks (dbc_lint_model_rows) */
	if (t->live)
		*rows = t->rows_known ? t->rows : -1;
	switch (a->op) {
	case DBC_LOP_ADD_COLUMN: {
		bool v;
		if (volatile_default(m, a, &v) != DBC_OK)
			return DBC_ERROR;
		if (v)
			a->flags |= DBC_LF_VOLATILE_DEFAULT;
		if (add_not_possible(a))
			a->flags |= DBC_LF_ADD_NOT_POSSIBLE;
		break;
	}
	case DBC_LOP_ALTER_TYPE: {
		const dbc_column *col =
		    t->live && a->column ? dbc_table_find_column(t->live, a->column) : NULL;
		bool rewrites = true;
		if (col && col->type && a->type && m->eng->type_rewrites &&
		    m->eng->type_rewrites(m->ctx, col->type, a->type, &rewrites) != DBC_OK)
			return DBC_ERROR;
		if (rewrites)
			a->flags |= DBC_LF_REWRITES;
		break;
	}
	case DBC_LOP_SET_NOT_NULL:
		if (a->column && checked_not_null(m, t, a->column))
			a->flags |= DBC_LF_CHECKED_NOT_NULL;
		else if (holds_nulls(m, t, a) != DBC_OK)
			return DBC_ERROR;
		break;
	case DBC_LOP_DROP_COLUMN:
		if (a->column && view_depends(m, t, a->column, false))
			a->flags |= DBC_LF_VIEW_DEPENDS;
		if (a->column && column_used(m, t, a->column))
			a->flags |= DBC_LF_COLUMN_USED;
		break;
	case DBC_LOP_DROP_TABLE:
		if (view_depends(m, t, NULL, false))
			a->flags |= DBC_LF_VIEW_DEPENDS;
		break;
	default:
		break;
	}
	if (a->op >= DBC_LOP_ADD_COLUMN && a->op <= DBC_LOP_ALTER_OTHER && a->op != DBC_LOP_VALIDATE) {
		bool near;
		if (key_near_limit(m, t, &near) != DBC_OK)
			return DBC_ERROR;
		if (near)
			a->flags |= DBC_LF_KEY_NEAR_LIMIT;
	}
	return DBC_OK;
}

int dbc_lint_model_rows(dbc_lint_model *m, const dbc_lint_action *a, int64_t *rows)
{
	ltab *t = a->table ? find(m, a->schema, a->table) : NULL;
	*rows = 0;
	if (!t || t->gone || !t->live || a->op == DBC_LOP_CREATE_TABLE || a->op == DBC_LOP_CREATE_VIEW)
		return DBC_OK;
	return rows_of(m, t, rows);
}

/* The highest key value the model read for the table a names (-1 none). */
int64_t dbc_lint_model_key_high(dbc_lint_model *m, const dbc_lint_action *a)
{
	ltab *t = find(m, a->schema, a->table);
	return t && t->key_known ? t->key_high : -1;
}

int dbc_lint_model_apply(dbc_lint_model *m, const dbc_lint_action *a)
{
	ltab *t = a->table ? find(m, a->schema, a->table) : NULL;
	switch (a->op) {
	case DBC_LOP_CREATE_TABLE: {
		const char *schema = a->schema ? a->schema : default_schema(m);
		ltab *n = find_exact(m, schema, a->table);
		if (n && !n->gone)
			return DBC_OK; /* IF NOT EXISTS of a table that is there */
		if (!(n = insert(m, schema, a->table, NULL)))
			return DBC_ERROR;
		n->rows_known = true;
		return DBC_OK;
	}
	case DBC_LOP_CREATE_VIEW:
		return add_view(m, a->table, NULL, a->expr);
	case DBC_LOP_CREATE_INDEX:
		if (dbc_grow(m->ctx, &m->indexes, m->nindexes, &m->capindexes, sizeof(*m->indexes), 8) !=
		    DBC_OK)
			return DBC_ERROR;
		m->indexes[m->nindexes] = *a;
		if (t) {
			m->indexes[m->nindexes].schema = t->schema;
			m->indexes[m->nindexes].table = t->name;
		}
		m->nindexes++;
		return DBC_OK;
	case DBC_LOP_DROP_TABLE:
		if (t)
			t->gone = true;
		return DBC_OK;
	case DBC_LOP_TRUNCATE:
		if (t) {
			t->rows_known = true;
			t->rows = 0;
		}
		return DBC_OK;
	case DBC_LOP_RENAME_TABLE: {
		if (!t || !a->new_name)
			return DBC_OK;
		ltab *n = insert(m, t->schema, a->new_name, t->live);
		if (!n)
			return DBC_ERROR;
		int64_t rows;
		if (t->live && rows_of(m, t, &rows) != DBC_OK)
			return DBC_ERROR;
		n->rows_known = t->rows_known;
		n->rows = t->rows;
		n->checks = t->checks, n->nchecks = t->nchecks, n->capchecks = t->capchecks;
		n->changed_columns = t->changed_columns;
		n->unnamed_column_changed = t->unnamed_column_changed;
		t->gone = true;
		return DBC_OK;
	}
	case DBC_LOP_ADD_COLUMN:
	case DBC_LOP_ALTER_TYPE: /* USING may fill the NULLs */
	case DBC_LOP_DROP_COLUMN:
	case DBC_LOP_RENAME_COLUMN:
		if (!t)
			return DBC_OK;
		if (!a->column)
			t->unnamed_column_changed = true;
		if ((a->column && dbc_strlist_add(m->ctx, &t->changed_columns, a->column) != DBC_OK) ||
		    (a->new_name && dbc_strlist_add(m->ctx, &t->changed_columns, a->new_name) != DBC_OK))
			return DBC_ERROR;
		return DBC_OK;
	case DBC_LOP_ADD_CHECK:
		if (!t)
			return DBC_OK;
		if (dbc_grow(m->ctx, &t->checks, t->nchecks, &t->capchecks, sizeof(*t->checks), 4) !=
		    DBC_OK)
			return DBC_ERROR;
		t->checks[t->nchecks++] =
		    (lint_check){a->constraint, a->expr, !(a->flags & DBC_LF_NOT_VALID)};
		return DBC_OK;
	case DBC_LOP_VALIDATE:
		if (!t || !a->constraint)
			return DBC_OK;
		for (int i = 0; i < t->nchecks; i++)
			if (t->checks[i].name && same_name(m, t->checks[i].name, a->constraint))
				t->checks[i].validated = true;
		for (int i = 0; t->live && i < t->live->nconstraints; i++) {
			const dbc_constraint *c = &t->live->constraints[i];
			if (c->kind != DBC_CON_CHECK || !same_name(m, c->name, a->constraint))
				continue;
			if (dbc_grow(m->ctx, &t->checks, t->nchecks, &t->capchecks, sizeof(*t->checks), 4) !=
			    DBC_OK)
				return DBC_ERROR;
			t->checks[t->nchecks++] = (lint_check){c->name, c->expr, true};
		}
		return DBC_OK;
	default:
		return DBC_OK;
	}
}
