/*
 * check_relations.c — relations users declare that the schema does not enforce
 * ("logical" foreign keys), kept in the bookkeeping table <prefix>relations and
 * checked by the same planner as a MATCH SIMPLE foreign key.
 */
#include "check/check.h"

#include <string.h>
#include <strings.h>

/* Whether the engine matches names without regard to ASCII case (SQLite). */
static bool names_fold_case(const dbc_ctx *ctx)
{
	return ctx->host->dialect->names_fold_case;
}

/* An unqualified name in several schemas: the table of the first schema on
 * the caller's path that has one of that name, as the engine resolves it
 * (host->name_path); false when the host offers no path or no schema on it
 * has one. */
static bool resolve_by_path(dbc_ctx *ctx, const dbc_schema *s, const char *name,
                            const dbc_table **out)
{
	char **path = ctx->host->name_path ? ctx->host->name_path(ctx) : NULL;
	for (int p = 0; path && path[p]; p++)
		for (int i = 0; i < s->ntables; i++) {
			const dbc_table *t = &s->tables[i];
			if (t->schema && strcmp(t->schema, path[p]) == 0 && strcmp(t->name, name) == 0) {
				*out = t;
				return true;
			}
		}
	return false;
}

int dbc_check_find_table(dbc_ctx *ctx, const dbc_schema *s, const char *name, const char *argname,
                         const dbc_table **out)
{
	*out = NULL;
	if (!name || !*name)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must name a table",
		                 argname);
	int found = 0;
	for (int pass = 0; pass < 3 && !found; pass++) {
		for (int i = 0; i < s->ntables; i++) {
			const dbc_table *t = &s->tables[i];
			bool hit;
			if (pass == 0) {
				char *display = dbc_qualified_name(ctx, t->schema, t->name);
				if (!display)
					return DBC_ERROR;
				hit = strcmp(display, name) == 0;
			} else if (pass == 1) {
				hit = strcmp(t->name, name) == 0;
			} else {
				hit = names_fold_case(ctx) && strcasecmp(t->name, name) == 0;
			}
			if (hit) {
				if (found++ == 0)
					*out = t;
			}
		}
	}
	if (found == 1)
		return DBC_OK;
	*out = NULL;
	if (found > 1 && !strchr(name, '.') && resolve_by_path(ctx, s, name, out))
		return DBC_OK;
	if (found > 1) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "table \"%s\" named by argument \"%s\" is ambiguous",
		          dbc_excerpt(ctx, name, DBC_EXCERPT), argname);
		dbc_error_hint(ctx, "Qualify the table name with its schema: schema.table.");
		return DBC_ERROR;
	}
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	                 "table \"%s\" named by argument \"%s\" does not exist",
	                 dbc_excerpt(ctx, name, DBC_EXCERPT), argname);
}

static const dbc_column *find_column(const dbc_ctx *ctx, const dbc_table *t, const char *name)
{
	const dbc_column *c = dbc_table_find_column(t, name);
	if (c || !names_fold_case(ctx))
		return c;
	for (int i = 0; i < t->ncolumns; i++)
		if (strcasecmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

/* Splits a comma-separated column list and replaces each name by the
 * catalog's own spelling; every column must exist. */
static int resolve_columns(dbc_ctx *ctx, const dbc_table *t, const char *csv, const char *argname,
                           dbc_strlist *out)
{
	dbc_strlist raw = {0};
	if (dbc_strlist_split(ctx, &raw, csv) != DBC_OK)
		return DBC_ERROR;
	char *tname = dbc_qualified_name(ctx, t->schema, t->name);
	for (int i = 0; i < raw.n; i++) {
		if (!*raw.items[i])
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "argument \"%s\" must be a comma-separated list of column names",
			                 argname);
		const dbc_column *c = find_column(ctx, t, raw.items[i]);
		if (!c)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "column \"%s\" named by argument \"%s\" does not exist in table %s",
			                 dbc_excerpt(ctx, raw.items[i], DBC_EXCERPT), argname, tname);
		if (dbc_strlist_find(out, c->name) >= 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "argument \"%s\" names column \"%s\" twice", argname, c->name);
		if (dbc_strlist_add(ctx, out, c->name) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

typedef struct rel_list {
	dbc_relation *items;
	int n;
	int cap;
} rel_list;

static int take_relation(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	rel_list *l = arg;
	if (ncol < 7)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "relations query returned %d columns", ncol);
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(dbc_relation), 8) != DBC_OK)
		return DBC_ERROR;
	dbc_relation *r = &l->items[l->n];
	memset(r, 0, sizeof(*r));
	const dbc_value *v = cols;
	r->name = dbc_strdup(ctx, v[0].type == DBC_TEXT ? v[0].s : "");
	r->child_schema = v[1].type == DBC_TEXT ? dbc_strdup(ctx, v[1].s) : NULL;
	r->child_table = dbc_strdup(ctx, v[2].type == DBC_TEXT ? v[2].s : "");
	r->parent_schema = v[4].type == DBC_TEXT ? dbc_strdup(ctx, v[4].s) : NULL;
	r->parent_table = dbc_strdup(ctx, v[5].type == DBC_TEXT ? v[5].s : "");
	if (!r->name || !r->child_table || !r->parent_table ||
	    dbc_strlist_split(ctx, &r->child_columns, v[3].type == DBC_TEXT ? v[3].s : "") != DBC_OK ||
	    dbc_strlist_split(ctx, &r->parent_columns, v[6].type == DBC_TEXT ? v[6].s : "") != DBC_OK)
		return DBC_ERROR;
	l->n++;
	return DBC_OK;
}

static int load_where(dbc_ctx *ctx, const char *name, dbc_relation **out, int *n)
{
	*out = NULL;
	*n = 0;
	bool exists = false;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	rel_list l = {0};
	char *sql = dbc_printf(ctx,
	                       "SELECT name, child_schema, child_table, child_columns, parent_schema, "
	                       "parent_table, parent_columns FROM %srelations%s ORDER BY name",
	                       ctx->host->book_prefix, name ? " WHERE name = $1" : "");
	if (!sql)
		return DBC_ERROR;
	dbc_value p = dbc_text(name);
	if (ctx->host->query(ctx, sql, name ? 1 : 0, name ? &p : NULL, take_relation, &l) != DBC_OK)
		return DBC_ERROR;
	*out = l.items;
	*n = l.n;
	return DBC_OK;
}

int dbc_relations_load(dbc_ctx *ctx, dbc_relation **out, int *n)
{
	return load_where(ctx, NULL, out, n);
}

int dbc_relations_rows(dbc_ctx *ctx, dbc_rows *out)
{
	dbc_relation *rels;
	int n;
	if (dbc_relations_load(ctx, &rels, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		const dbc_relation *r = &rels[i];
		char *child = dbc_qualified_name(ctx, r->child_schema, r->child_table);
		char *parent = dbc_qualified_name(ctx, r->parent_schema, r->parent_table);
		char *cc = dbc_strlist_join(ctx, &r->child_columns, ", ");
		char *pc = dbc_strlist_join(ctx, &r->parent_columns, ", ");
		if (!child || !parent || !cc || !pc)
			return DBC_ERROR;
		dbc_value row[DBC_RELATION_NCOLS] = {dbc_text(r->name), dbc_text(child), dbc_text(cc),
		                                     dbc_text(parent), dbc_text(pc)};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static bool same_text(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool same_list(const dbc_strlist *a, const dbc_strlist *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

int dbc_relation_add(dbc_ctx *ctx, const dbc_schema *s, const char *name, const char *child_table,
                     const char *child_columns, const char *parent_table,
                     const char *parent_columns)
{
	if (!name || !*name)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"name\" must not be empty");
	const dbc_table *child, *parent;
	if (dbc_check_find_table(ctx, s, child_table, "child_table", &child) != DBC_OK ||
	    dbc_check_find_table(ctx, s, parent_table, "parent_table", &parent) != DBC_OK)
		return DBC_ERROR;
	dbc_relation r = {0};
	r.name = (char *)name;
	r.child_schema = child->schema;
	r.child_table = child->name;
	r.parent_schema = parent->schema;
	r.parent_table = parent->name;
	if (resolve_columns(ctx, child, child_columns, "child_columns", &r.child_columns) != DBC_OK ||
	    resolve_columns(ctx, parent, parent_columns, "parent_columns", &r.parent_columns) != DBC_OK)
		return DBC_ERROR;
	if (r.child_columns.n != r.parent_columns.n)
		return dbc_error(
		    ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		    "argument \"child_columns\" names %d columns but \"parent_columns\" names %d",
		    r.child_columns.n, r.parent_columns.n);

	if (ctx->host->book_ensure(ctx) != DBC_OK)
		return DBC_ERROR;
	dbc_relation *old;
	int nold;
	if (load_where(ctx, name, &old, &nold) != DBC_OK)
		return DBC_ERROR;
	if (nold > 0) {
		if (same_text(old->child_schema, r.child_schema) &&
		    same_text(old->child_table, r.child_table) &&
		    same_text(old->parent_schema, r.parent_schema) &&
		    same_text(old->parent_table, r.parent_table) &&
		    same_list(&old->child_columns, &r.child_columns) &&
		    same_list(&old->parent_columns, &r.parent_columns))
			return DBC_OK;
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "relation \"%s\" already exists with a different definition", name);
		dbc_error_hint(ctx, "Drop it first with dbcheck_drop_relation.");
		return DBC_ERROR;
	}
	char *cc = dbc_strlist_join(ctx, &r.child_columns, ", ");
	char *pc = dbc_strlist_join(ctx, &r.parent_columns, ", ");
	char *sql =
	    dbc_printf(ctx,
	               "INSERT INTO %srelations (name, child_schema, child_table, child_columns, "
	               "parent_schema, parent_table, parent_columns) VALUES ($1, $2, $3, $4, $5, "
	               "$6, $7)",
	               ctx->host->book_prefix);
	if (!cc || !pc || !sql)
		return DBC_ERROR;
	dbc_value p[7] = {dbc_text(name),
	                  r.child_schema ? dbc_text(r.child_schema) : dbc_null(),
	                  dbc_text(r.child_table),
	                  dbc_text(cc),
	                  r.parent_schema ? dbc_text(r.parent_schema) : dbc_null(),
	                  dbc_text(r.parent_table),
	                  dbc_text(pc)};
	return ctx->host->query(ctx, sql, 7, p, NULL, NULL);
}

int dbc_relation_drop(dbc_ctx *ctx, const char *name, bool *dropped)
{
	*dropped = false;
	if (!name)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "name must not be NULL");
	dbc_relation *old;
	int nold;
	if (load_where(ctx, name, &old, &nold) != DBC_OK)
		return DBC_ERROR;
	if (nold == 0)
		return DBC_OK;
	if (ctx->host->book_ensure(ctx) != DBC_OK)
		return DBC_ERROR;
	char *sql = dbc_printf(ctx, "DELETE FROM %srelations WHERE name = $1", ctx->host->book_prefix);
	dbc_value p = dbc_text(name);
	if (!sql || ctx->host->query(ctx, sql, 1, &p, NULL, NULL) != DBC_OK)
		return DBC_ERROR;
	*dropped = true;
	return DBC_OK;
}

int dbc_relation_as_constraint(dbc_ctx *ctx, const dbc_relation *r, dbc_constraint *out)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	out->name = r->name;
	out->kind = DBC_CON_FOREIGN_KEY;
	out->columns = r->child_columns;
	out->ref_schema = r->parent_schema;
	out->ref_table = r->parent_table;
	out->ref_columns = r->parent_columns;
	out->match = "simple";
	out->on_update = "no action";
	out->on_delete = "no action";
	out->validated = false;
	out->enforced = false;
	out->declared = true;
	return DBC_OK;
}
