/*
 * schema_model.c — building the schema model: growable arrays in the ctx arena
 * and the lookups the planners need. Catalog readers call only these.
 */
#include "schema/schema.h"

#include "base/name_map.h"

#include <stdio.h>
#include <string.h>

int dbc_strlist_add(dbc_ctx *ctx, dbc_strlist *l, const char *s)
{
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(char *), 8) != DBC_OK)
		return DBC_ERROR;
	l->items[l->n] = dbc_strdup(ctx, s ? s : "");
	if (!l->items[l->n])
		return DBC_ERROR;
	l->n++;
	return DBC_OK;
}

int dbc_strlist_split(dbc_ctx *ctx, dbc_strlist *l, const char *csv)
{
	const char *p = csv;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *b = p, *e = p + n;
		while (b < e && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
			e--;
		char *item = dbc_strndup(ctx, b, (size_t)(e - b));
		if (!item || dbc_strlist_add(ctx, l, item) != DBC_OK)
			return DBC_ERROR;
		if (!end)
			return DBC_OK;
		p = end + 1;
	}
}

int dbc_strlist_find(const dbc_strlist *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return i;
	return -1;
}

char *dbc_strlist_join(dbc_ctx *ctx, const dbc_strlist *l, const char *sep)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < l->n; i++) {
		if (i)
			dbc_buf_append(&b, sep);
		dbc_buf_append(&b, l->items[i]);
	}
	return dbc_buf_finish(&b);
}

const char *dbc_constraint_kind_name(dbc_constraint_kind kind)
{
	switch (kind) {
	case DBC_CON_PRIMARY_KEY:
		return "primary_key";
	case DBC_CON_UNIQUE:
		return "unique";
	case DBC_CON_FOREIGN_KEY:
		return "foreign_key";
	case DBC_CON_CHECK:
		return "check";
	case DBC_CON_NOT_NULL:
		return "not_null";
	case DBC_CON_EXCLUDE:
		return "exclude";
	}
	return "unknown";
}

void dbc_schema_init(dbc_schema *s, dbc_ctx *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->engine = ctx->host->dialect->name;
}

dbc_table *dbc_schema_add_table(dbc_schema *s, const char *schema, const char *name)
{
	if (dbc_grow(s->ctx, &s->tables, s->ntables, &s->captables, sizeof(dbc_table), 8) != DBC_OK)
		return NULL;
	dbc_table *t = &s->tables[s->ntables];
	memset(t, 0, sizeof(*t));
	t->schema = dbc_strdup(s->ctx, schema);
	t->name = dbc_strdup(s->ctx, name);
	t->kind = "table";
	if (!t->name)
		return NULL;
	s->ntables++;
	return t;
}

dbc_column *dbc_table_add_column(dbc_ctx *ctx, dbc_table *t, const char *name)
{
	if (dbc_grow(ctx, &t->columns, t->ncolumns, &t->capcolumns, sizeof(dbc_column), 8) != DBC_OK)
		return NULL;
	dbc_column *c = &t->columns[t->ncolumns];
	memset(c, 0, sizeof(*c));
	c->name = dbc_strdup(ctx, name);
	if (!c->name)
		return NULL;
	t->ncolumns++;
	return c;
}

dbc_constraint *dbc_table_add_constraint(dbc_ctx *ctx, dbc_table *t, dbc_constraint_kind kind,
                                         const char *name)
{
	if (dbc_grow(ctx, &t->constraints, t->nconstraints, &t->capconstraints, sizeof(dbc_constraint),
	             8) != DBC_OK)
		return NULL;
	dbc_constraint *c = &t->constraints[t->nconstraints];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->name = dbc_strdup(ctx, name);
	c->validated = true;
	c->enforced = true;
	if (!c->name)
		return NULL;
	t->nconstraints++;
	return c;
}

dbc_index *dbc_schema_add_index(dbc_schema *s, const char *schema, const char *name)
{
	if (dbc_grow(s->ctx, &s->indexes, s->nindexes, &s->capindexes, sizeof(dbc_index), 8) != DBC_OK)
		return NULL;
	dbc_index *ix = &s->indexes[s->nindexes];
	memset(ix, 0, sizeof(*ix));
	ix->schema = dbc_strdup(s->ctx, schema);
	ix->name = dbc_strdup(s->ctx, name);
	ix->valid = true;
	if (!ix->name)
		return NULL;
	s->nindexes++;
	return ix;
}

dbc_object *dbc_schema_add_object(dbc_schema *s, const char *type, const char *schema,
                                  const char *name)
{
	if (dbc_grow(s->ctx, &s->objects, s->nobjects, &s->capobjects, sizeof(dbc_object), 8) != DBC_OK)
		return NULL;
	dbc_object *o = &s->objects[s->nobjects];
	memset(o, 0, sizeof(*o));
	o->type = dbc_strdup(s->ctx, type);
	o->schema = dbc_strdup(s->ctx, schema);
	o->name = dbc_strdup(s->ctx, name);
	o->enabled = true;
	if (!o->type || !o->name)
		return NULL;
	s->nobjects++;
	return o;
}

static bool same_schema(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

struct dbc_table_map {
	const dbc_table *tables; /* the array mapped, and its length then */
	int ntables;
	dbc_name_map names; /* table_key -> the first table of that name */
};

/* Models of fewer tables are scanned: a scan of them costs no more than a
 * key and a probe. */
#define TABLE_MAP_FROM 32

int dbc_schema_name_key(char *buf, size_t cap, const char *schema, const char *name)
{
	return schema ? snprintf(buf, cap, "%zu:%s.%s", strlen(schema), schema, name)
	              : snprintf(buf, cap, "-.%s", name);
}

/* dbc_schema_name_key into buf; false when it does not fit. */
static bool table_key(char *buf, size_t cap, const char *schema, const char *name)
{
	int n = dbc_schema_name_key(buf, cap, schema, name);
	return n >= 0 && (size_t)n < cap;
}

int dbc_schema_index_tables(dbc_schema *s)
{
	s->table_map = NULL;
	if (s->ntables < TABLE_MAP_FROM)
		return DBC_OK;
	struct dbc_table_map *m = dbc_zalloc(s->ctx, sizeof(*m));
	if (!m)
		return DBC_ERROR;
	m->tables = s->tables;
	m->ntables = s->ntables;
	char key[512];
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		if (!table_key(key, sizeof(key), t->schema, t->name))
			return DBC_OK; /* a name too long for a key: the model is scanned */
		if (dbc_name_map_get(&m->names, key) >= 0)
			continue;
		char *k = dbc_strdup(s->ctx, key);
		if (!k || dbc_name_map_put(s->ctx, &m->names, k, i) != DBC_OK)
			return DBC_ERROR;
	}
	s->table_map = m;
	return DBC_OK;
}

dbc_table *dbc_schema_find_table(const dbc_schema *s, const char *schema, const char *name)
{
	const struct dbc_table_map *m = s->table_map;
	char key[512];
	if (m && m->tables == s->tables && m->ntables == s->ntables &&
	    table_key(key, sizeof(key), schema, name)) {
		int i = dbc_name_map_get(&m->names, key);
		if (i >= 0 && i < s->ntables && same_schema(s->tables[i].schema, schema) &&
		    strcmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	}
	for (int i = 0; i < s->ntables; i++)
		if (same_schema(s->tables[i].schema, schema) && strcmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	return NULL;
}

dbc_column *dbc_table_find_column(const dbc_table *t, const char *name)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

bool dbc_table_has_option(const dbc_table *t, const char *option)
{
	size_t n = strlen(option);
	for (const char *p = t->options; p && *p;) {
		const char *end = strstr(p, "; ");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, option, n) == 0)
			return true;
		p = end ? end + 2 : p + len;
	}
	return false;
}

char *dbc_qualified_name(dbc_ctx *ctx, const char *schema, const char *name)
{
	return schema ? dbc_printf(ctx, "%s.%s", schema, name) : dbc_strdup(ctx, name);
}

char *dbc_quoted_name(dbc_ctx *ctx, const char *schema, const char *name)
{
	char *qn = ctx->host->quote_ident(ctx, name);
	if (!qn || !schema)
		return qn;
	char *qs = ctx->host->quote_ident(ctx, schema);
	return qs ? dbc_printf(ctx, "%s.%s", qs, qn) : NULL;
}

/* ------------------------------------------------------------------ copy */

/* Strings are copied one by one: a cache keeps the copy after the arena the
 * model was read into is gone. A NULL stays NULL; a copy that fails sets bad. */
typedef struct copier {
	dbc_ctx *to;
	bool bad;
} copier;

static char *cp_str(copier *c, const char *s)
{
	char *d;
	if (!s)
		return NULL;
	d = dbc_strdup(c->to, s);
	if (!d)
		c->bad = true;
	return d;
}

/* A copy of n elem-sized items (capacity n: the copy is not grown further). */
static void *cp_array(copier *c, const void *items, int n, size_t elem)
{
	void *d;
	if (n <= 0 || !items)
		return NULL;
	d = dbc_alloc(c->to, elem * (size_t)n);
	if (!d) {
		c->bad = true;
		return NULL;
	}
	memcpy(d, items, elem * (size_t)n);
	return d;
}

static void cp_strlist(copier *c, dbc_strlist *l)
{
	l->items = cp_array(c, l->items, l->n, sizeof(char *));
	l->cap = l->items ? l->n : 0;
	if (!l->items)
		l->n = 0;
	for (int i = 0; i < l->n; i++)
		l->items[i] = cp_str(c, l->items[i]);
}

static void cp_table(copier *c, dbc_table *t)
{
	t->schema = cp_str(c, t->schema);
	t->name = cp_str(c, t->name);
	t->kind = cp_str(c, t->kind);
	t->partition_of = cp_str(c, t->partition_of);
	t->options = cp_str(c, t->options);
	t->columns = cp_array(c, t->columns, t->ncolumns, sizeof(dbc_column));
	t->ncolumns = t->capcolumns = t->columns ? t->ncolumns : 0;
	for (int i = 0; i < t->ncolumns; i++) {
		dbc_column *col = &t->columns[i];
		col->name = cp_str(c, col->name);
		col->type = cp_str(c, col->type);
		col->default_expr = cp_str(c, col->default_expr);
		col->generated = cp_str(c, col->generated);
		col->collation = cp_str(c, col->collation);
		col->not_null_on_conflict = cp_str(c, col->not_null_on_conflict);
	}
	t->constraints = cp_array(c, t->constraints, t->nconstraints, sizeof(dbc_constraint));
	t->nconstraints = t->capconstraints = t->constraints ? t->nconstraints : 0;
	for (int i = 0; i < t->nconstraints; i++) {
		dbc_constraint *k = &t->constraints[i];
		k->name = cp_str(c, k->name);
		cp_strlist(c, &k->columns);
		k->ref_schema = cp_str(c, k->ref_schema);
		k->ref_table = cp_str(c, k->ref_table);
		cp_strlist(c, &k->ref_columns);
		k->match = cp_str(c, k->match);
		k->on_update = cp_str(c, k->on_update);
		k->on_delete = cp_str(c, k->on_delete);
		k->expr = cp_str(c, k->expr);
		k->on_conflict = cp_str(c, k->on_conflict);
	}
}

int dbc_schema_copy(dbc_ctx *to, const dbc_schema *from, dbc_schema *out)
{
	copier c = {to, false};
	*out = *from;
	out->ctx = to;
	out->memo = NULL;
	out->table_map = NULL; /* the copy's tables are another array */
	out->tables = cp_array(&c, from->tables, from->ntables, sizeof(dbc_table));
	out->ntables = out->captables = out->tables ? from->ntables : 0;
	for (int i = 0; i < out->ntables; i++)
		cp_table(&c, &out->tables[i]);
	out->indexes = cp_array(&c, from->indexes, from->nindexes, sizeof(dbc_index));
	out->nindexes = out->capindexes = out->indexes ? from->nindexes : 0;
	for (int i = 0; i < out->nindexes; i++) {
		dbc_index *ix = &out->indexes[i];
		ix->schema = cp_str(&c, ix->schema);
		ix->name = cp_str(&c, ix->name);
		ix->table = cp_str(&c, ix->table);
		ix->method = cp_str(&c, ix->method);
		cp_strlist(&c, &ix->keys);
		ix->predicate = cp_str(&c, ix->predicate);
		ix->key_detail = cp_str(&c, ix->key_detail);
		ix->definition = cp_str(&c, ix->definition);
	}
	out->objects = cp_array(&c, from->objects, from->nobjects, sizeof(dbc_object));
	out->nobjects = out->capobjects = out->objects ? from->nobjects : 0;
	for (int i = 0; i < out->nobjects; i++) {
		dbc_object *o = &out->objects[i];
		o->type = cp_str(&c, o->type);
		o->schema = cp_str(&c, o->schema);
		o->name = cp_str(&c, o->name);
		o->table = cp_str(&c, o->table);
		o->definition = cp_str(&c, o->definition);
	}
	if (c.bad) {
		if (!to->failed)
			dbc_error(to, DBC_SQLSTATE_OUT_OF_MEMORY,
			          "out of memory while copying the schema model");
		return DBC_ERROR;
	}
	return DBC_OK;
}
