/*
 * check_engine_fks.c — a table's foreign keys checked by the engine's own
 * foreign key check (dbc_dialect.fk_check_function: SQLite's
 * pragma_foreign_key_check) instead of one statement per key. The engine
 * reads the table once for all its keys, with its own affinity, collation
 * and MATCH rules, which are the very definition of a violation the per-key
 * plans of check_plan.c reproduce in SQL, and at less cost than they reach
 * reading the table (docs/benchmarks.md, check). A key's own statement can
 * read an index holding its columns instead, which is smaller: a table whose
 * every key has one keeps them. The runner (check_run.c) falls back to the
 * per-key plans whenever this statement fails, so a table the engine
 * refuses to check is reported as before.
 */
#include "check/check.h"

#include <string.h>
#include <strings.h>

static const dbc_dialect *dialect(const dbc_ctx *ctx)
{
	return ctx->host->dialect;
}

/* A key the engine would refuse to check (making its check of the whole
 * table fail): a parent key no unique index covers, or an implicit parent
 * key of a parent that has no primary key. */
static bool broken_key(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                       const dbc_constraint *fk)
{
	if (dbc_check_fk_mismatch(ctx, s, t, fk) || ctx->failed)
		return true;
	if (fk->ref_columns.n)
		return false;
	const dbc_table *parent = dbc_schema_find_table(s, fk->ref_schema, fk->ref_table);
	if (!parent)
		return false; /* every set key is an orphan, for both checks */
	for (int i = 0; i < parent->nconstraints; i++)
		if (parent->constraints[i].kind == DBC_CON_PRIMARY_KEY)
			return parent->constraints[i].columns.n != fk->columns.n;
	return true;
}

/* An index of t holding every column of fk: a key statement of its own
 * reads that index, which is smaller than the table the engine reads. */
static bool own_index(const dbc_schema *s, const dbc_table *t, const dbc_constraint *fk)
{
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		if (ix->schema || ix->partial || !ix->table || strcmp(ix->table, t->name) != 0)
			continue;
		bool all = true;
		for (int c = 0; all && c < fk->columns.n; c++) {
			bool in = false;
			for (int k = 0; !in && k < ix->keys.n; k++)
				in = strcasecmp(ix->keys.items[k], fk->columns.items[c]) == 0;
			all = in;
		}
		if (all)
			return true;
	}
	return false;
}

bool dbc_check_engine_fks_serve(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t)
{
	if (!dialect(ctx)->fk_check_function || t->schema || !dbc_check_rowid_name(ctx, t))
		return false;
	bool gains = false;
	for (int i = 0; i < t->nconstraints; i++) {
		const dbc_constraint *k = &t->constraints[i];
		if (k->kind != DBC_CON_FOREIGN_KEY || k->declared)
			continue;
		if (broken_key(ctx, s, t, k))
			return false;
		gains = gains || !own_index(s, t, k);
	}
	return gains;
}

bool dbc_check_engine_fk(const dbc_constraint *con)
{
	return con->kind == DBC_CON_FOREIGN_KEY && !con->declared && con->engine_fk_known;
}

int dbc_check_plan_engine_fks(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                              const dbc_constraint *const *cons, int n, dbc_check_plan *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 1)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no constraint to check");
	(void)s;
	for (int i = 0; i < n; i++)
		if (!dbc_check_engine_fk(cons[i]))
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL,
			                 "foreign key %s cannot be checked by the engine", cons[i]->name);
	if (!dialect(ctx)->fk_check_function || t->schema || !dbc_check_rowid_name(ctx, t))
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "table %s cannot be checked by the engine",
		                 t->name);
	char *name = ctx->host->quote_literal(ctx, t->name);
	char *schema = ctx->host->quote_literal(ctx, dialect(ctx)->default_schema);
	char *table = dbc_quoted_name(ctx, dialect(ctx)->default_schema, t->name);
	if (!name || !schema || !table)
		return DBC_ERROR;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_append(&b, "SELECT ");
	for (int i = 0; i < n; i++)
		dbc_buf_appendf(&b, "CASE WHEN f.fkid = %d THEN 1 ELSE 0 END AS f%d, ",
		                cons[i]->engine_fk_id, i + 1);
	/* The engine's rows first (CROSS JOIN keeps them outside): each of its
	 * few violations finds its row by rowid, in the order the engine found
	 * them, which is the table's rowid order for each key. */
	const char *rowid = dbc_check_rowid_name(ctx, t);
	dbc_buf_appendf(&b, "c.%s AS k1 FROM %s(%s, %s) AS f CROSS JOIN %s AS c ON c.%s = f.\"rowid\"",
	                rowid, dialect(ctx)->fk_check_function, name, schema, table, rowid);
	dbc_buf_append(&b, " WHERE f.fkid IN (");
	for (int i = 0; i < n; i++)
		dbc_buf_appendf(&b, "%s%d", i ? ", " : "", cons[i]->engine_fk_id);
	dbc_buf_append(&b, ")");
	out->sql = dbc_buf_finish(&b);
	out->shape = DBC_PLAN_STREAM;
	out->nkeys = 1;
	return out->sql ? DBC_OK : DBC_ERROR;
}
