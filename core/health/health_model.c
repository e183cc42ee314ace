/*
 * health_model.c — the catalog health checks decided from the schema model
 * the report reads once (tables without a primary key, unindexed foreign
 * keys, duplicate indexes, tables declaring foreign keys or having indexes),
 * instead of one catalog query per check repeating the reader's work.
 */
#include "health/health.h"
#include "retain/retain.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Ordinary tables only: views and virtual tables have no keys of their own. */
static bool plain_table(const dbc_table *t)
{
	return strcmp(t->kind, "table") == 0 || strcmp(t->kind, "partitioned table") == 0;
}

static const dbc_constraint *primary_key(const dbc_table *t)
{
	for (int k = 0; k < t->nconstraints; k++)
		if (t->constraints[k].kind == DBC_CON_PRIMARY_KEY)
			return &t->constraints[k];
	return NULL;
}

/* A partition takes its key from its parent: only the top of the tree counts
 * (SQLite has no partitions). The tables in archives (qualified names; NULL:
 * none) are dbcare's retention archives, rows copied out of another table,
 * not a table of the user's missing its key. */
int dbc_health_model_no_pk(dbc_ctx *ctx, const dbc_schema *s, const dbc_strlist *archives,
                           dbc_health_fact *fact)
{
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		if (!plain_table(t) || t->partition_of || primary_key(t))
			continue;
		if (archives && archives->n > 0) {
			char *qn = dbc_qualified_name(ctx, t->schema, t->name);
			if (!qn)
				return DBC_ERROR;
			if (dbc_strlist_find(archives, qn) >= 0)
				continue;
		}
		if (dbc_health_add_object(ctx, fact, t->schema, t->name, t->name, 0, NULL) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The retention archives (dbc_retain_archive_tables), read only when some
 * table has no key. */
static int archives_if_keyless(dbc_ctx *ctx, const dbc_schema *s, dbc_strlist *out)
{
	bool keyless = false;
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < s->ntables && !keyless; i++)
		keyless =
		    plain_table(&s->tables[i]) && !s->tables[i].partition_of && !primary_key(&s->tables[i]);
	return keyless ? dbc_retain_archive_tables(ctx, out) : DBC_OK;
}

/* Both engines' gatherer of tables_without_primary_key (in their gatherer
 * tables): from the model the report reads anyway (on PostgreSQL cached per
 * backend, where a catalog query of its own, with the extension-member
 * anti-join, cost 0.2-0.3 ms of a small report). Its tables are this
 * check's -- ordinary and partitioned tables in the user's schemas,
 * extension members left out, in (schema, name) order -- and its primary
 * keys are the catalog's (pg_constraint contype 'p' on PostgreSQL). */
int dbc_health_gather_no_pk(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                            dbc_health_fact *fact)
{
	dbc_schema *s;
	dbc_strlist archives;
	(void)mode;
	if (dbc_health_schema(ctx, eng, &s) != DBC_OK ||
	    archives_if_keyless(ctx, s, &archives) != DBC_OK)
		return DBC_ERROR;
	return dbc_health_model_no_pk(ctx, s, &archives, fact);
}

static bool same_table(const dbc_index *ix, const dbc_table *t)
{
	bool same_schema =
	    ix->schema && t->schema ? strcmp(ix->schema, t->schema) == 0 : ix->schema == t->schema;
	return same_schema && strcmp(ix->table, t->name) == 0;
}

/* Pairs (foreign key column, index key among the first n) with equal names:
 * n of them means the index leads with exactly the key's columns. */
static bool index_supports(const dbc_index *ix, const dbc_strlist *cols)
{
	int n = cols->n, pairs = 0;
	if (ix->partial || ix->keys.n == 0)
		return false;
	for (int c = 0; c < n; c++)
		for (int k = 0; k < n && k < ix->keys.n; k++)
			if (strcmp(cols->items[c], ix->keys.items[k]) == 0)
				pairs++;
	return pairs == n;
}

/* A single-column key on the INTEGER PRIMARY KEY is the rowid itself. */
static bool rowid_key(const dbc_table *t, const dbc_strlist *cols)
{
	const dbc_constraint *pk = primary_key(t);
	if (cols->n != 1 || !pk || pk->columns.n != 1 ||
	    strcmp(pk->columns.items[0], cols->items[0]) != 0)
		return false;
	const dbc_column *c = dbc_table_find_column(t, cols->items[0]);
	return c && c->type && strcasecmp(c->type, "INTEGER") == 0;
}

/* The table number of each index (-1: none). Readers list indexes grouped
 * by table in table order, so a forward walk finds them in linear time; a
 * full search covers readers that do not. */
static int *index_tables(dbc_ctx *ctx, const dbc_schema *s)
{
	int *map = dbc_alloc(ctx, sizeof(int) * (size_t)(s->nindexes + 1));
	if (!map)
		return NULL;
	int j = 0;
	for (int k = 0; k < s->nindexes; k++) {
		int found = -1;
		for (int t = j; t < s->ntables && found < 0; t++)
			if (same_table(&s->indexes[k], &s->tables[t]))
				found = t;
		for (int t = 0; t < j && found < 0; t++)
			if (same_table(&s->indexes[k], &s->tables[t]))
				found = t;
		map[k] = found;
		if (found >= 0)
			j = found;
	}
	return map;
}

int dbc_health_model_unindexed_fk(dbc_ctx *ctx, const dbc_schema *s, bool rowid_keys,
                                  dbc_health_fact *fact)
{
	int *map = index_tables(ctx, s);
	/* indexes of table t: order[start[t] .. start[t + 1]) */
	int *start = dbc_zalloc(ctx, sizeof(int) * (size_t)(s->ntables + 2));
	int *order = dbc_alloc(ctx, sizeof(int) * (size_t)(s->nindexes + 1));
	if (!map || !start || !order)
		return DBC_ERROR;
	for (int k = 0; k < s->nindexes; k++)
		if (map[k] >= 0)
			start[map[k] + 2]++;
	for (int t = 0; t < s->ntables; t++)
		start[t + 2] += start[t + 1];
	for (int k = 0; k < s->nindexes; k++)
		if (map[k] >= 0)
			order[start[map[k] + 1]++] = k;
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		if (!plain_table(t))
			continue;
		for (int c = 0; c < t->nconstraints; c++) {
			const dbc_constraint *fk = &t->constraints[c];
			if (fk->kind != DBC_CON_FOREIGN_KEY)
				continue;
			bool ok = rowid_keys && rowid_key(t, &fk->columns);
			for (int k = start[i]; !ok && k < start[i + 1]; k++)
				ok = index_supports(&s->indexes[order[k]], &fk->columns);
			if (ok)
				continue;
			char *cols = dbc_strlist_join(ctx, &fk->columns, ", ");
			char *name = cols ? dbc_printf(ctx, "%s(%s)", t->name, cols) : NULL;
			char *detail = dbc_printf(ctx, "references %s",
			                          dbc_qualified_name(ctx, fk->ref_schema, fk->ref_table));
			if (!name || !detail ||
			    dbc_health_add_object(ctx, fact, t->schema, name, t->name, 0, detail) != DBC_OK)
				return DBC_ERROR;
			fact->objects[fact->nobjects - 1].columns = fk->columns; /* the index to create */
		}
	}
	return DBC_OK;
}

/* Unique before plain, constraint-owned before created, then by name. */
static int keep_order(const void *a, const void *b)
{
	const dbc_index *x = *(const dbc_index *const *)a, *y = *(const dbc_index *const *)b;
	bool xs = x->schema != NULL, ys = y->schema != NULL;
	int c = xs != ys ? (xs ? 1 : -1) : xs ? strcmp(x->schema, y->schema) : 0;
	if (c == 0)
		c = strcmp(x->table, y->table);
	if (c == 0)
		c = strcmp(x->key_detail, y->key_detail);
	if (c == 0 && x->unique != y->unique)
		c = x->unique ? -1 : 1;
	if (c == 0 && x->constraint != y->constraint)
		c = x->constraint ? -1 : 1;
	return c ? c : strcmp(x->name, y->name);
}

static int by_table_and_name(const void *a, const void *b)
{
	const dbc_health_object *x = a, *y = b;
	int c = strcmp(x->table, y->table);
	return c ? c : strcmp(x->name, y->name);
}

int dbc_health_model_duplicate_indexes(dbc_ctx *ctx, const dbc_schema *s, dbc_health_fact *fact)
{
	const dbc_index **ixs = dbc_alloc(ctx, sizeof(*ixs) * (size_t)(s->nindexes + 1));
	int n = 0;
	if (!ixs)
		return DBC_ERROR;
	for (int k = 0; k < s->nindexes; k++)
		if (!s->indexes[k].partial && s->indexes[k].key_detail)
			ixs[n++] = &s->indexes[k];
	if (n > 1)
		qsort(ixs, (size_t)n, sizeof(*ixs), keep_order);
	int from = fact->nobjects;
	for (int k = 1; k < n; k++) {
		int g = k;
		const dbc_index *x = ixs[k];
		while (g > 0 && strcmp(ixs[g - 1]->table, x->table) == 0 &&
		       strcmp(ixs[g - 1]->key_detail, x->key_detail) == 0 &&
		       (ixs[g - 1]->schema ? x->schema && strcmp(ixs[g - 1]->schema, x->schema) == 0
		                           : !x->schema))
			g--;
		if (g == k)
			continue; /* first of its group: the one to keep */
		char *detail = dbc_printf(ctx, "same as %s", ixs[g]->name);
		if (!detail ||
		    dbc_health_add_object(ctx, fact, x->schema, x->name, x->table, 0, detail) != DBC_OK)
			return DBC_ERROR;
	}
	if (fact->nobjects - from > 1)
		qsort(fact->objects + from, (size_t)(fact->nobjects - from), sizeof(*fact->objects),
		      by_table_and_name);
	return DBC_OK;
}

int dbc_health_model_fks(dbc_ctx *ctx, const dbc_schema *s, dbc_health_fact *fact, bool *enforced)
{
	*enforced = true;
	for (int i = 0; i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		for (int k = 0; k < t->nconstraints; k++) {
			const dbc_constraint *fk = &t->constraints[k];
			if (fk->kind != DBC_CON_FOREIGN_KEY)
				continue;
			*enforced = *enforced && fk->enforced;
			char *cols = dbc_strlist_join(ctx, &fk->columns, ", ");
			char *name = cols ? dbc_printf(ctx, "%s(%s)", t->name, cols) : NULL;
			char *detail = dbc_printf(ctx, "references %s",
			                          dbc_qualified_name(ctx, fk->ref_schema, fk->ref_table));
			if (!name || !detail ||
			    dbc_health_add_object(ctx, fact, t->schema, name, t->name, 0, detail) != DBC_OK)
				return DBC_ERROR;
		}
	}
	return DBC_OK;
}

bool *dbc_health_model_indexed(dbc_ctx *ctx, const dbc_schema *s)
{
	int *map = index_tables(ctx, s);
	bool *has = dbc_zalloc(ctx, sizeof(bool) * (size_t)(s->ntables + 1));
	if (!map || !has)
		return NULL;
	for (int k = 0; k < s->nindexes; k++)
		if (map[k] >= 0)
			has[map[k]] = true;
	return has;
}
