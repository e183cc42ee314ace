/*
 * catalog_rows.c — the rows of the SQLite catalog reader (catalog.h): a
 * table found by name in the model being read, the options of a table, and
 * each column and index key row, from the pragmas (catalog.c) or from the
 * CREATE texts (catalog_text.c). Below both: it names neither.
 */
#include "catalog.h"

#include <string.h>

int sqldbc_reader_table(sqldbc_reader *r, const char *name)
{
	dbc_schema *s = r->s;
	if (r->last >= 0 && r->last < s->ntables && strcmp(s->tables[r->last].name, name) == 0)
		return r->last;
	int lo = 0, hi = s->ntables - 1;
	while (lo <= hi) { /* tables were read in name order */
		int mid = (lo + hi) / 2;
		int c = strcmp(name, s->tables[mid].name);
		if (c == 0)
			return r->last = mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

const char *sqldbc_table_options(bool without_rowid, bool strict)
{
	if (without_rowid && strict)
		return "without rowid, strict";
	return without_rowid ? "without rowid" : strict ? "strict" : NULL;
}

/* Rows: table, cid, name, type, notnull, dflt_value, pk, hidden. */
int sqldbc_reader_column(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	sqldbc_reader *r = arg;
	int i = sqldbc_reader_table(r, sqldbc_text_or(&c[0], ""));
	if (i < 0)
		return DBC_OK;
	dbc_table *t = &r->s->tables[i];
	dbc_column *col = dbc_table_add_column(ctx, t, sqldbc_text_or(&c[2], ""));
	if (!col)
		return DBC_ERROR;
	col->type = dbc_strdup(ctx, sqldbc_text_or(&c[3], ""));
	col->not_null = c[4].i != 0;
	col->default_expr = c[5].type == DBC_NULL ? NULL : dbc_strdup(ctx, sqldbc_text_or(&c[5], ""));
	col->hidden = c[7].i == 1;
	if (c[7].i == 2 || c[7].i == 3)
		col->generated = c[7].i == 2 ? "virtual" : "stored";
	if (c[6].i > 0) { /* part of the primary key, at position pk */
		dbc_constraint *pk = NULL;
		for (int k = 0; k < t->nconstraints; k++)
			if (t->constraints[k].kind == DBC_CON_PRIMARY_KEY)
				pk = &t->constraints[k];
		if (!pk) {
			const char *name = NULL;
			for (int k = 0; k < r->ddl[i].n; k++)
				if (r->ddl[i].items[k].kind == DBC_CON_PRIMARY_KEY && r->ddl[i].items[k].name)
					name = r->ddl[i].items[k].name;
			pk = dbc_table_add_constraint(ctx, t, DBC_CON_PRIMARY_KEY,
			                              name ? name : dbc_printf(ctx, "%s_pkey", t->name));
			if (!pk)
				return DBC_ERROR;
			pk->generated_name = name == NULL;
		}
		/* pk numbers give the key order; columns arrive in cid order */
		while (pk->columns.n < c[6].i)
			if (dbc_strlist_add(ctx, &pk->columns, "") != DBC_OK)
				return DBC_ERROR;
		pk->columns.items[c[6].i - 1] = col->name;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* Rows: table, index, unique, origin, partial, seqno, cid, column, sql, desc, coll. */
int sqldbc_reader_index(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	sqldbc_reader *r = arg;
	int i = sqldbc_reader_table(r, sqldbc_text_or(&c[0], ""));
	if (i < 0)
		return DBC_OK;
	dbc_schema *s = r->s;
	const char *name = sqldbc_text_or(&c[1], "");
	dbc_index *ix = s->nindexes ? &s->indexes[s->nindexes - 1] : NULL;
	if (!ix || strcmp(ix->name, name) != 0 || strcmp(ix->table, s->tables[i].name) != 0) {
		ix = dbc_schema_add_index(s, NULL, name);
		if (!ix)
			return DBC_ERROR;
		const char *origin = sqldbc_text_or(&c[3], "c");
		ix->table = s->tables[i].name;
		ix->unique = c[2].i != 0;
		ix->primary = strcmp(origin, "pk") == 0;
		ix->constraint = strcmp(origin, "c") != 0;
		ix->method = "btree";
		ix->partial = c[4].i != 0;
		if (c[8].type == DBC_TEXT) {
			ix->definition = dbc_sql_normalise(ctx, c[8].s);
			if (c[4].i)
				ix->predicate = dbc_ddl_index_predicate(ctx, c[8].s);
		}
	}
	const char *key = c[6].i == -2   ? "(expression)"
	                  : c[6].i == -1 ? "rowid"
	                                 : sqldbc_text_or(&c[7], "");
	/* the duplicate-index check compares keys with direction and collation */
	if (ix->keys.n == 0)
		r->ix_expr = false;
	if (c[6].i < 0)
		r->ix_expr = true;
	ix->key_detail =
	    r->ix_expr
	        ? NULL
	        : dbc_printf(ctx, "%s%s%s %lld %s", ix->key_detail ? ix->key_detail : "",
	                     ix->keys.n ? "," : "", key, (long long)c[9].i, sqldbc_text_or(&c[10], ""));
	if (!r->ix_expr && !ix->key_detail)
		return DBC_ERROR;
	return dbc_strlist_add(ctx, &ix->keys, key);
}
