/*
 * check_plan.c — one set-based statement per constraint: an anti-join for
 * foreign keys (MATCH SIMPLE / FULL), a predicate scan for CHECK and NOT NULL,
 * a grouping for UNIQUE and PRIMARY KEY. Every name goes through quote_ident.
 */
#include "check/check.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const dbc_dialect *dialect(const dbc_ctx *ctx)
{
	return ctx->host->dialect;
}

static bool is_partitioned(const dbc_table *t)
{
	return t->kind && strcmp(t->kind, "partitioned table") == 0;
}

/* The table as SQL text. An unqualified table is named in its schema so a
 * temp table of the same name cannot shadow it (SQLite's main); where tables
 * inherit, ONLY the table itself is read (its inheritance children carry
 * their own copies of the constraints), except for partitioned tables whose
 * rows all live in partitions. */
static char *table_ref(dbc_ctx *ctx, const dbc_table *t)
{
	char *qn = dbc_quoted_name(ctx, t->schema ? t->schema : dialect(ctx)->default_schema, t->name);
	if (!qn)
		return NULL;
	if (dialect(ctx)->table_inheritance && !is_partitioned(t))
		return dbc_printf(ctx, "ONLY %s", qn);
	return qn;
}

const char *dbc_check_rowid_name(const dbc_ctx *ctx, const dbc_table *t)
{
	if (!dialect(ctx)->rowid)
		return NULL;
	if (t->kind && strcmp(t->kind, "table") != 0)
		return NULL;
	if (t->options && strstr(t->options, "without rowid"))
		return NULL;
	static const char *const names[] = {"rowid", "_rowid_", "oid"};
	for (int i = 0; i < 3; i++) {
		bool shadowed = false;
		for (int c = 0; c < t->ncolumns; c++)
			if (strcasecmp(t->columns[c].name, names[i]) == 0)
				shadowed = true;
		if (!shadowed)
			return names[i];
	}
	return NULL;
}

static const dbc_constraint *primary_key_of(const dbc_table *t)
{
	for (int i = 0; i < t->nconstraints; i++)
		if (t->constraints[i].kind == DBC_CON_PRIMARY_KEY)
			return &t->constraints[i];
	return NULL;
}

/* "<alias>"<col>" for each column. */
static int add_columns(dbc_ctx *ctx, const char *alias, const dbc_strlist *cols, dbc_strlist *out)
{
	for (int i = 0; i < cols->n; i++) {
		char *q = ctx->host->quote_ident(ctx, cols->items[i]);
		if (!q || dbc_strlist_add(ctx, out, dbc_printf(ctx, "%s%s", alias, q)) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The key a sample shows for an offending row: the rowid, else the primary
 * key, else (PostgreSQL) the foreign key's own columns or the ctid (with the
 * partition for a partitioned table, where a ctid alone names a row of each
 * partition). */
static int row_key(dbc_ctx *ctx, const dbc_table *t, const dbc_constraint *con, const char *alias,
                   dbc_strlist *out)
{
	const char *rowid = dbc_check_rowid_name(ctx, t);
	if (rowid)
		return dbc_strlist_add(ctx, out, dbc_printf(ctx, "%s%s", alias, rowid));
	const dbc_constraint *pk = primary_key_of(t);
	if (pk && pk->columns.n > 0)
		return add_columns(ctx, alias, &pk->columns, out);
	if (con->kind == DBC_CON_FOREIGN_KEY && con->columns.n > 0)
		return add_columns(ctx, alias, &con->columns, out);
	if (dialect(ctx)->partition_row_locator && is_partitioned(t))
		return dbc_strlist_add(ctx, out,
		                       dbc_printf(ctx, dialect(ctx)->partition_row_locator, alias, alias));
	if (dialect(ctx)->row_locator)
		return dbc_strlist_add(ctx, out, dbc_printf(ctx, "%s%s", alias, dialect(ctx)->row_locator));
	/* A table whose every rowid spelling is a column and that has no
	 * primary key: all its columns identify the row as well as anything can. */
	for (int i = 0; i < t->ncolumns; i++) {
		char *q = ctx->host->quote_ident(ctx, t->columns[i].name);
		if (!q || dbc_strlist_add(ctx, out, dbc_printf(ctx, "%s%s", alias, q)) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* "<expr> IS [NOT] NULL" as the engine must evaluate it on stored rows: the
 * dialect's form where the engine folds the plain one (dbc.h). */
static char *null_test(dbc_ctx *ctx, const char *expr, bool is_null)
{
	if (dialect(ctx)->null_test)
		return dialect(ctx)->null_test(ctx, expr, is_null);
	return dbc_printf(ctx, "%s IS %sNULL", expr, is_null ? "" : "NOT ");
}

/* Joins null_test of each item, separated by sep. */
static char *join_null_tests(dbc_ctx *ctx, const dbc_strlist *l, bool is_null, const char *sep)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < l->n; i++) {
		char *t = null_test(ctx, l->items[i], is_null);
		if (!t)
			return NULL;
		if (i)
			dbc_buf_append(&b, sep);
		dbc_buf_append(&b, t);
	}
	return dbc_buf_finish(&b);
}

/* The parent table, its name compared as the engine compares names. */
static const dbc_table *find_parent(const dbc_ctx *ctx, const dbc_schema *s,
                                    const dbc_constraint *con)
{
	const dbc_table *p = dbc_schema_find_table(s, con->ref_schema, con->ref_table);
	if (p || !dialect(ctx)->names_fold_case)
		return p;
	for (int i = 0; i < s->ntables; i++)
		if (!s->tables[i].schema && strcasecmp(s->tables[i].name, con->ref_table) == 0)
			return &s->tables[i];
	return NULL;
}

char *dbc_check_body(dbc_ctx *ctx, const char *expr)
{
	const char *b = expr;
	while (isspace((unsigned char)*b))
		b++;
	if (strncasecmp(b, "CHECK", 5) == 0 && (isspace((unsigned char)b[5]) || b[5] == '(')) {
		b += 5;
		while (isspace((unsigned char)*b))
			b++;
	}
	size_t n = strlen(b);
	static const char *const tails[] = {"NOT VALID", "NO INHERIT"};
	for (bool again = true; again;) {
		again = false;
		while (n && isspace((unsigned char)b[n - 1]))
			n--;
		for (int i = 0; i < 2; i++) {
			size_t tl = strlen(tails[i]);
			if (n > tl && strncasecmp(b + n - tl, tails[i], tl) == 0 &&
			    isspace((unsigned char)b[n - tl - 1])) {
				n -= tl;
				again = true;
			}
		}
	}
	return dbc_strndup(ctx, b, n);
}

/* A SQLite rowid table whose one-column PRIMARY KEY is declared INTEGER and
 * has no index of its own: the column is an alias of the rowid. */
static bool is_rowid_alias(const dbc_schema *s, const dbc_table *t, const dbc_constraint *pk)
{
	if (pk->columns.n != 1)
		return false;
	const dbc_column *col = NULL;
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, pk->columns.items[0]) == 0)
			col = &t->columns[i];
	if (!col || !col->type || strcasecmp(col->type, "INTEGER") != 0)
		return false;
	/* SQLite's main tables carry no schema in the model; PostgreSQL's do */
	if (t->schema || (t->kind && strcmp(t->kind, "table") != 0) ||
	    (t->options && strstr(t->options, "without rowid")))
		return false;
	for (int i = 0; i < s->nindexes; i++)
		if (s->indexes[i].primary && s->indexes[i].table &&
		    strcmp(s->indexes[i].table, t->name) == 0)
			return false;
	return true;
}

/* The collation of each key of a SQLite index, in key order, from its
 * key_detail ("<key> <desc> <collation>" per key, comma separated; names may
 * hold commas, so each part is matched by its known key). *out stays NULL
 * when the detail is missing (a key is an expression) or unreadable. */
static int index_key_collations(dbc_ctx *ctx, const dbc_index *ix, const char ***out)
{
	*out = NULL;
	if (!ix->key_detail || ix->keys.n == 0)
		return DBC_OK;
	const char **colls = dbc_zalloc(ctx, sizeof(char *) * (size_t)ix->keys.n);
	if (!colls)
		return DBC_ERROR;
	const char *d = ix->key_detail;
	for (int k = 0; k < ix->keys.n; k++) {
		size_t kl = strlen(ix->keys.items[k]);
		if (strncmp(d, ix->keys.items[k], kl) != 0 || d[kl] != ' ')
			return DBC_OK;
		d += kl + 1;
		while (isdigit((unsigned char)*d))
			d++;
		if (*d++ != ' ')
			return DBC_OK;
		const char *end = d + strlen(d);
		if (k + 1 < ix->keys.n) {
			char *next = dbc_printf(ctx, ",%s ", ix->keys.items[k + 1]);
			if (!next)
				return DBC_ERROR;
			end = strstr(d, next);
			if (!end)
				return DBC_OK;
		}
		if (end == d || !(colls[k] = dbc_strndup(ctx, d, (size_t)(end - d))))
			return end == d ? DBC_OK : DBC_ERROR;
		d = *end ? end + 1 : end;
	}
	*out = colls;
	return DBC_OK;
}

/* The collation of each parent key column as SQLite's foreign key check
 * compares it: *out gets one name per column (NULL: none needed, the key is
 * the rowid), or stays NULL when it cannot be told from the model. SQLite
 * looks the key up in the rowid or in a unique, non-partial index over
 * exactly the key columns whose collations are the columns' own; the model
 * has index collations but not column ones, so several candidate indexes
 * that disagree leave it unknown. */
static int parent_collations(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *parent,
                             const dbc_strlist *refcols, const char ***out)
{
	*out = NULL;
	if (parent->schema)
		return DBC_OK;
	const dbc_constraint *ppk = primary_key_of(parent);
	if (refcols->n == 1 && ppk && is_rowid_alias(s, parent, ppk) &&
	    strcasecmp(ppk->columns.items[0], refcols->items[0]) == 0) {
		*out = dbc_zalloc(ctx, sizeof(char *));
		return *out ? DBC_OK : DBC_ERROR;
	}
	const char **found = NULL;
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		if (ix->schema || !ix->unique || ix->partial || !ix->key_detail || !ix->table ||
		    strcasecmp(ix->table, parent->name) != 0 || ix->keys.n != refcols->n)
			continue;
		const char **keyc = NULL;
		if (index_key_collations(ctx, ix, &keyc) != DBC_OK)
			return DBC_ERROR;
		if (!keyc)
			continue;
		/* in the order of the foreign key's columns */
		const char **colls = dbc_zalloc(ctx, sizeof(char *) * (size_t)refcols->n);
		if (!colls)
			return DBC_ERROR;
		bool ok = true;
		for (int k = 0; k < ix->keys.n && ok; k++) {
			int pos = -1;
			for (int r = 0; r < refcols->n; r++)
				if (strcasecmp(refcols->items[r], ix->keys.items[k]) == 0)
					pos = r;
			if (pos < 0 || colls[pos])
				ok = false;
			else
				colls[pos] = keyc[k];
		}
		if (!ok)
			continue;
		if (found) {
			for (int r = 0; r < refcols->n; r++)
				if (strcasecmp(found[r], colls[r]) != 0)
					return DBC_OK;
		} else {
			found = colls;
		}
	}
	*out = found;
	return DBC_OK;
}

typedef struct plan_parts {
	char *from; /* table reference, with alias when the predicate uses one */
	/* The same reading the table's rows only (dialect table_rows_only), or
	 * NULL: the confirming statement's (dbc_check_plan.confirm). */
	char *rows_only_from;
	char *where; /* violation predicate */
	dbc_strlist keys;
	/* grouped plans (UNIQUE / PRIMARY KEY) */
	bool grouped;
	char *group_cols;
	char *nulls_where; /* PRIMARY KEY: rows with a NULL key part, else NULL */
	/* DELETE cannot join: its own form when from/where use a join */
	char *del_from;
	char *del_where;
	char *skip; /* set: the constraint cannot be checked, and why */
} plan_parts;

/* A unique index that no constraint owns (SQLite's CREATE UNIQUE INDEX),
 * checked as a UNIQUE constraint: its keys are compared by the index's own
 * collations, and a partial index only covers the rows of its WHERE. That
 * WHERE is schema code like a CHECK expression, so the host decides whether
 * it may be evaluated (dbc_host.schema_expr_allowed). pp already holds the
 * plain UNIQUE plan over the key columns. */
static int unique_index_parts(dbc_ctx *ctx, const dbc_table *t, const dbc_index *ix, plan_parts *pp)
{
	for (int k = 0; k < ix->keys.n; k++)
		if (!dbc_table_find_column(t, ix->keys.items[k])) {
			pp->skip = dbc_printf(ctx, "key %s of the index is not a column of %s",
			                      ix->keys.items[k], t->name);
			return pp->skip ? DBC_OK : DBC_ERROR;
		}
	if (ix->partial && !ix->predicate) {
		pp->skip = dbc_strdup(ctx, "the WHERE of this partial index could not be read");
		return pp->skip ? DBC_OK : DBC_ERROR;
	}
	const char **colls = NULL;
	if (index_key_collations(ctx, ix, &colls) != DBC_OK)
		return DBC_ERROR;
	if (colls) {
		dbc_strlist grouped = {0};
		for (int k = 0; k < pp->keys.n; k++) {
			char *qc = ctx->host->quote_ident(ctx, colls[k]);
			if (!qc ||
			    dbc_strlist_add(ctx, &grouped,
			                    dbc_printf(ctx, "%s COLLATE %s", pp->keys.items[k], qc)) != DBC_OK)
				return DBC_ERROR;
		}
		pp->group_cols = dbc_strlist_join(ctx, &grouped, ", ");
		if (!pp->group_cols)
			return DBC_ERROR;
	}
	if (ix->predicate) {
		if (ctx->host->schema_expr_allowed) {
			if (ctx->host->schema_expr_allowed(ctx, ix->predicate, &pp->skip) != DBC_OK)
				return DBC_ERROR;
			if (pp->skip)
				return DBC_OK;
		}
		pp->where = dbc_printf(ctx, "%s AND (%s)", pp->where, ix->predicate);
		if (!pp->where)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The same columns in any order, without regard to ASCII case (SQLite's
 * rule for matching a parent key to an index). */
static bool same_column_set(const dbc_strlist *a, const dbc_strlist *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++) {
		bool in = false;
		for (int k = 0; k < b->n && !in; k++)
			in = strcasecmp(a->items[i], b->items[k]) == 0;
		if (!in)
			return false;
	}
	return true;
}

/* SQLite's "foreign key mismatch": the parent key of con is neither the
 * parent's PRIMARY KEY nor the columns of a non-partial unique index of it
 * (or names a column the parent lacks). The declaration itself is broken:
 * with PRAGMA foreign_keys = ON SQLite refuses every write to the child
 * table, and PRAGMA foreign_key_check refuses to run. Returns why, or NULL
 * when the parent key is sound (or the parent is missing: every key is then
 * an orphan, as in the engine). Declared relations are logical keys and
 * need no unique parent. */
const char *dbc_check_fk_mismatch(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                                  const dbc_constraint *con)
{
	if (!dialect(ctx)->fk_parent_unchecked || con->declared || con->kind != DBC_CON_FOREIGN_KEY)
		return NULL;
	const dbc_table *parent = find_parent(ctx, s, con);
	if (!parent)
		return NULL;
	const dbc_constraint *ppk = primary_key_of(parent);
	const dbc_strlist *refcols = con->ref_columns.n ? &con->ref_columns
	                             : ppk              ? &ppk->columns
	                                                : NULL;
	if (!refcols || refcols->n != con->columns.n)
		return NULL; /* the planner reports these itself */
	char *pkey = dbc_strlist_join(ctx, refcols, ", ");
	for (int i = 0; i < refcols->n; i++) {
		bool found = false;
		for (int c = 0; c < parent->ncolumns; c++)
			if (strcasecmp(parent->columns[c].name, refcols->items[i]) == 0)
				found = true;
		if (!found)
			return dbc_printf(ctx,
			                  "foreign key mismatch: table %s has no column %s; SQLite refuses "
			                  "every write to %s while foreign keys are on",
			                  parent->name, refcols->items[i], t->name);
	}
	/* set equality without regard to ASCII case, as SQLite matches them */
	if (ppk && same_column_set(&ppk->columns, refcols))
		return NULL;
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		if (!ix->schema && ix->unique && !ix->partial && ix->table &&
		    strcasecmp(ix->table, parent->name) == 0 && same_column_set(&ix->keys, refcols))
			return NULL;
	}
	return dbc_printf(
	    ctx,
	    "foreign key mismatch: %s (%s) is neither the primary key of %s nor covered "
	    "by a unique index on exactly those columns; SQLite refuses every write to %s "
	    "while foreign keys are on",
	    parent->name, pkey ? pkey : "?", parent->name, t->name);
}

/* The child's key equal to the parent's, column by column: p.<parent
 * column> = <plus><child term>; NULL when out of memory. */
static char *key_equality(dbc_ctx *ctx, const dbc_strlist *child, const dbc_strlist *refcols,
                          const char *plus)
{
	dbc_buf m;
	dbc_buf_init(&m, ctx);
	for (int i = 0; i < child->n; i++) {
		char *pc = ctx->host->quote_ident(ctx, refcols->items[i]);
		if (!pc)
			return NULL;
		dbc_buf_appendf(&m, "%sp.%s = %s%s", i ? " AND " : "", pc, plus, child->items[i]);
	}
	return dbc_buf_finish(&m);
}

/* The child key's IN test against the parent's key (fk_parts says why):
 * (+c.x COLLATE <parent's>, ...) IN (SELECT p.k, ... FROM <parent> AS p)
 * IS NOT TRUE; NULL when out of memory. */
static char *in_probe(dbc_ctx *ctx, const dbc_strlist *child, const char **colls,
                      const dbc_strlist *refcols, const char *pref)
{
	dbc_buf in;
	dbc_buf_init(&in, ctx);
	dbc_buf_append(&in, "(");
	for (int i = 0; i < child->n; i++) {
		dbc_buf_appendf(&in, "%s+%s", i ? ", " : "", child->items[i]);
		if (colls[i]) {
			char *qc = ctx->host->quote_ident(ctx, colls[i]);
			if (!qc)
				return NULL;
			dbc_buf_appendf(&in, " COLLATE %s", qc);
		}
	}
	dbc_buf_append(&in, " IN (SELECT ");
	for (int i = 0; i < child->n; i++) {
		char *pc = ctx->host->quote_ident(ctx, refcols->items[i]);
		if (!pc)
			return NULL;
		dbc_buf_appendf(&in, "%sp.%s", i ? ", " : "", pc);
	}
	dbc_buf_appendf(&in, " FROM %s AS p)) IS NOT TRUE", pref);
	return dbc_buf_finish(&in);
}

/* SQLite (the dialect's check_stream): the orphans' test in the plan
 * SQLite runs fastest, in place of the correlated NOT EXISTS in pp. */
static int stream_plan(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *parent,
                       const dbc_strlist *refcols, const dbc_strlist *child, const char *tref,
                       const char *pref, const char *match, const char *all_set, plan_parts *pp)
{
	/* SQLite runs a correlated NOT EXISTS as a subprogram per row, 4x
	 * slower than PRAGMA foreign_key_check. SQLite keys are MATCH
	 * SIMPLE: only rows with every key column set are looked up. */
	/* Single-column keys only: SQLite 3.40 answers a row-value IN
	 * wrongly when it probes an index whose columns are in another
	 * order, e.g. (a, b) IN (SELECT a, b ...) over UNIQUE (b, a). */
	const char **colls = NULL;
	if (child->n == 1 && parent_collations(ctx, s, parent, refcols, &colls) != DBC_OK)
		return DBC_ERROR;
	if (colls) {
		/* The parent's key collations are known: an IN test probes
		 * the parent's key index (or rowid) per child row, the
		 * pragma's own plan. COLLATE names
		 * the parent's collation and +c.x leaves the parent's
		 * affinity to apply. IS NOT TRUE: a parent key with a NULL
		 * part makes IN unknown instead of false, and an empty
		 * parent makes it false, both a violation as in the engine. */
		char *test = in_probe(ctx, child, colls, refcols, pref);
		if (!test)
			return DBC_ERROR;
		/* The probe first: SQLite evaluates the terms in order, and
		 * for the many rows that have a parent the NULL test is then
		 * never reached (a second column read per row otherwise;
		 * docs/benchmarks.md, "Figures behind code comments"). */
		pp->where = dbc_printf(ctx, "%s AND %s", test, all_set);
	} else {
		/* Collations unknown (no unique index over the key: the
		 * engine itself reports a mismatch): a LEFT JOIN anti-join
		 * takes the parent column's collation from the join term.
		 * A found parent has a non-NULL first key column, so its
		 * absence tells the orphans (duplicate parents multiply
		 * only rows the WHERE drops). DELETE cannot join. */
		char *p0 = ctx->host->quote_ident(ctx, refcols->items[0]);
		pp->del_from = pp->from;
		pp->del_where = pp->where;
		pp->from = dbc_printf(ctx, "%s AS c LEFT JOIN %s AS p ON %s", tref, pref, match);
		pp->where = p0 ? dbc_printf(ctx, "%s AND p.%s IS NULL", all_set, p0) : NULL;
		if (!pp->from)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int fk_parts(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                    const dbc_constraint *con, bool full, plan_parts *pp)
{
	char *tname = dbc_qualified_name(ctx, t->schema, t->name);
	if (con->columns.n == 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "foreign key %s of table %s has no columns",
		                 con->name, tname);
	const dbc_table *parent = find_parent(ctx, s, con);
	const dbc_strlist *refcols = &con->ref_columns;
	if (parent && refcols->n == 0) {
		const dbc_constraint *ppk = primary_key_of(parent);
		if (!ppk || ppk->columns.n == 0) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			          "foreign key %s of table %s names no parent columns and table %s has no "
			          "primary key",
			          con->name, tname, parent->name);
			dbc_error_hint(ctx, "Name the referenced columns in the foreign key.");
			return DBC_ERROR;
		}
		refcols = &ppk->columns;
	}
	if (parent && refcols->n != con->columns.n)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "foreign key %s of table %s has %d columns but references %d", con->name,
		                 tname, con->columns.n, refcols->n);

	const char *mismatch = dbc_check_fk_mismatch(ctx, s, t, con);
	if (mismatch) {
		pp->skip = (char *)mismatch;
		return DBC_OK;
	}
	if (ctx->failed)
		return DBC_ERROR;

	dbc_strlist child = {0};
	if (add_columns(ctx, "c.", &con->columns, &child) != DBC_OK)
		return DBC_ERROR;
	char *tref = table_ref(ctx, t);
	if (!tref)
		return DBC_ERROR;
	pp->from = dbc_printf(ctx, "%s AS c", tref);

	char *all_set = join_null_tests(ctx, &child, false, " AND ");
	char *any_set = join_null_tests(ctx, &child, false, " OR ");
	char *any_null = join_null_tests(ctx, &child, true, " OR ");
	if (!pp->from || !all_set || !any_set || !any_null)
		return DBC_ERROR;

	if (!parent) {
		/* No parent table: no key can have a parent. */
		pp->where = full ? any_set : all_set;
	} else {
		/* The parent column on the left: its collation decides; the child
		 * side carries the dialect's prefix (SQLite: +c.x, an expression
		 * without affinity, so the parent column's affinity applies). */
		const char *plus = dialect(ctx)->key_child_prefix ? dialect(ctx)->key_child_prefix : "";
		char *match = NULL;
		if (ctx->host->key_match) {
			/* The engine's own comparison of the constraint, written out by
			 * the host: an operator or cast found by resolution could be
			 * anyone's (casts are global, no search_path protects them). */
			if (ctx->host->key_match(
			        ctx, t->schema, t->name, con->name, con->declared, parent->schema, parent->name,
			        (const char *const *)con->columns.items, (const char *const *)refcols->items,
			        child.n, &match, &pp->skip) != DBC_OK)
				return DBC_ERROR;
			if (pp->skip)
				return DBC_OK;
		} else {
			match = key_equality(ctx, &child, refcols, plus);
		}
		char *pref = table_ref(ctx, parent);
		if (!match || !pref)
			return DBC_ERROR;
		char *missing = dbc_printf(ctx, "NOT EXISTS (SELECT 1 FROM %s AS p WHERE %s)", pref, match);
		if (full && child.n > 1)
			pp->where = dbc_printf(ctx, "(%s) AND (%s OR %s)", any_set, any_null, missing);
		else
			pp->where = dbc_printf(ctx, "%s AND %s", all_set, missing);
		if (dialect(ctx)->check_stream && pp->where &&
		    stream_plan(ctx, s, parent, refcols, &child, tref, pref, match, all_set, pp) != DBC_OK)
			return DBC_ERROR;
	}
	if (!pp->where)
		return DBC_ERROR;
	return row_key(ctx, t, con, "c.", &pp->keys);
}

/* The FROM of a check over one table: the table, and the same reading its
 * own rows only where the engine can say so (dialect table_rows_only). */
static int table_from(dbc_ctx *ctx, const dbc_table *t, plan_parts *pp)
{
	const char *rows_only = dialect(ctx)->table_rows_only;
	pp->from = table_ref(ctx, t);
	if (!pp->from)
		return DBC_ERROR;
	if (rows_only && !(pp->rows_only_from = dbc_printf(ctx, "%s %s", pp->from, rows_only)))
		return DBC_ERROR;
	return DBC_OK;
}

static int plan_parts_of(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                         const dbc_constraint *con, bool orphans, plan_parts *pp)
{
	memset(pp, 0, sizeof(*pp));
	char *tname = dbc_qualified_name(ctx, t->schema, t->name);
	if (!tname)
		return DBC_ERROR;

	if (con->kind == DBC_CON_FOREIGN_KEY) {
		/* SQLite parses MATCH FULL but enforces every foreign key as MATCH
		 * SIMPLE; the check follows the engine's rule. */
		bool full = !orphans && dialect(ctx)->fk_match_full && con->match &&
		            strcmp(con->match, "full") == 0;
		return fk_parts(ctx, s, t, con, full, pp);
	}
	if (orphans)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "constraint %s is not a foreign key",
		                 con->name);

	if (table_from(ctx, t, pp) != DBC_OK)
		return DBC_ERROR;

	switch (con->kind) {
	case DBC_CON_CHECK: {
		if (!con->expr || !*con->expr)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			                 "CHECK constraint %s of table %s has no expression", con->name, tname);
		char *body = dbc_check_body(ctx, con->expr);
		if (!body)
			return DBC_ERROR;
		/* The expression is someone else's code. Where the host has no
		 * roles (SQLite) it decides, from the very text pasted below,
		 * whether the engine would trust it; where it has roles
		 * (PostgreSQL) the statement runs in the host's check scope, with
		 * the table owner's rights only (check_run.c). */
		if (ctx->host->schema_expr_allowed) {
			if (ctx->host->schema_expr_allowed(ctx, body, &pp->skip) != DBC_OK)
				return DBC_ERROR;
			if (pp->skip)
				return DBC_OK;
		}
		/* NOT (NULL) is NULL, so rows the engine lets through with an unknown
		 * result are not violations here either. */
		pp->where = body ? dbc_printf(ctx, "NOT (%s)", body) : NULL;
		if (!pp->where)
			return DBC_ERROR;
		return row_key(ctx, t, con, "", &pp->keys);
	}
	case DBC_CON_NOT_NULL: {
		if (con->columns.n != 1)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			                 "NOT NULL constraint %s of table %s must name one column", con->name,
			                 tname);
		char *q = ctx->host->quote_ident(ctx, con->columns.items[0]);
		pp->where = q ? null_test(ctx, q, true) : NULL;
		if (!pp->where)
			return DBC_ERROR;
		return row_key(ctx, t, con, "", &pp->keys);
	}
	case DBC_CON_UNIQUE:
	case DBC_CON_PRIMARY_KEY: {
		if (con->columns.n == 0)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			                 "constraint %s of table %s has no columns", con->name, tname);
		/* The key shown is the duplicated value itself: it names every row
		 * involved at once, and needs no second pass to find their rowids. */
		if (add_columns(ctx, "", &con->columns, &pp->keys) != DBC_OK)
			return DBC_ERROR;
		pp->grouped = true;
		pp->group_cols = dbc_strlist_join(ctx, &pp->keys, ", ");
		pp->where = join_null_tests(ctx, &pp->keys, false, " AND ");
		/* a NULL part of a primary key: SQLite's legacy rule lets one in;
		 * where the engine binds every row (PostgreSQL: its key columns
		 * are attnotnull, proven) no pass looks for one */
		if (con->kind == DBC_CON_PRIMARY_KEY && !dialect(ctx)->enforced_binds_rows)
			pp->nulls_where = join_null_tests(ctx, &pp->keys, true, " OR ");
		if (con->from_index && unique_index_parts(ctx, t, con->from_index, pp) != DBC_OK)
			return DBC_ERROR;
		if (pp->skip)
			return DBC_OK;
		if (!pp->group_cols || !pp->where ||
		    (con->kind == DBC_CON_PRIMARY_KEY && !pp->nulls_where &&
		     !dialect(ctx)->enforced_binds_rows))
			return DBC_ERROR;
		if (con->kind == DBC_CON_PRIMARY_KEY && is_rowid_alias(s, t, con)) {
			/* The key is the rowid itself: unique and never NULL by
			 * construction. A constant-false query keeps the row shape while
			 * SQLite skips the full GROUP BY pass over the table. */
			pp->where = "0";
			pp->nulls_where = "0";
		}
		return DBC_OK;
	}
	default:
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "constraint %s of kind %s cannot be checked",
		                 con->name, dbc_constraint_kind_name(con->kind));
	}
}

/* The streamed form: rows (w, k1, ..., kn). */
static char *stream_sql(dbc_ctx *ctx, const plan_parts *pp)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (pp->grouped && pp->nulls_where && dialect(ctx)->check_stream &&
	    strcmp(pp->nulls_where, "0") != 0 && strcmp(pp->where, "0") == 0) {
		/* Duplicates proven absent (dbc_check_plan_proven_key): the groups
		 * the one pass below would find are those with a NULL part, each
		 * of the same weight; only rows with a NULL part are grouped. */
		dbc_buf_append(&b, "SELECT count(*) AS w");
		for (int i = 0; i < pp->keys.n; i++)
			dbc_buf_appendf(&b, ", %s AS k%d", pp->keys.items[i], i + 1);
		dbc_buf_appendf(&b, " FROM %s WHERE %s GROUP BY %s", pp->from, pp->nulls_where,
		                pp->group_cols);
	} else if (pp->grouped && pp->nulls_where && dialect(ctx)->check_stream &&
	           strcmp(pp->nulls_where, "0") != 0) {
		/* A SQLite PRIMARY KEY may hold NULL parts (a rowid table's legacy
		 * rule): one pass over the key's index finds both its duplicates and
		 * its NULL keys. GROUP BY puts NULLs together, so a group with a
		 * NULL part weighs its row count, as many as rows with that key. */
		dbc_buf_append(&b, "SELECT count(*) AS w");
		for (int i = 0; i < pp->keys.n; i++)
			dbc_buf_appendf(&b, ", %s AS k%d", pp->keys.items[i], i + 1);
		dbc_buf_appendf(&b, " FROM %s GROUP BY %s HAVING count(*) > 1 OR %s", pp->from,
		                pp->group_cols, pp->nulls_where);
	} else if (pp->grouped) {
		dbc_buf_append(&b, "SELECT count(*) AS w");
		for (int i = 0; i < pp->keys.n; i++)
			dbc_buf_appendf(&b, ", %s AS k%d", pp->keys.items[i], i + 1);
		dbc_buf_appendf(&b, " FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1", pp->from,
		                pp->where, pp->group_cols);
		if (pp->nulls_where)
			dbc_buf_appendf(&b, " UNION ALL SELECT 1, %s FROM %s WHERE %s", pp->group_cols,
			                pp->from, pp->nulls_where);
	} else {
		dbc_buf_append(&b, "SELECT 1 AS w");
		for (int i = 0; i < pp->keys.n; i++)
			dbc_buf_appendf(&b, ", %s AS k%d", pp->keys.items[i], i + 1);
		dbc_buf_appendf(&b, " FROM %s WHERE %s", pp->from, pp->where);
	}
	return dbc_buf_finish(&b);
}

/* The aggregate form: one row (violations, sample). row_number() over the
 * streamed rows keeps the sample to five keys without holding the rest. */
static char *aggregate_sql(dbc_ctx *ctx, const plan_parts *pp)
{
	char *inner = stream_sql(ctx, pp);
	if (!inner)
		return NULL;
	dbc_buf k;
	dbc_buf_init(&k, ctx);
	if (pp->keys.n == 1) {
		dbc_buf_append(&k, "v.k1");
	} else {
		dbc_buf_append(&k, "jsonb_build_array(");
		for (int i = 0; i < pp->keys.n; i++)
			dbc_buf_appendf(&k, "%sv.k%d", i ? ", " : "", i + 1);
		dbc_buf_append(&k, ")");
	}
	char *key = dbc_buf_finish(&k);
	if (!key)
		return NULL;
	return dbc_printf(ctx,
	                  "SELECT coalesce(sum(v.w), 0)::bigint, coalesce(jsonb_agg(%s) FILTER (WHERE "
	                  "v.r <= %d), '[]'::jsonb)::text FROM (SELECT d.*, row_number() OVER () AS r "
	                  "FROM (%s) AS d) AS v",
	                  key, DBC_SAMPLE_MAX, inner);
}

/* SQLite's UNIQUE and PRIMARY KEY: the keys counted over the key's index in
 * order, against the rows. Equal means no key is duplicated (and, for a
 * primary key, whose count takes every row, none has a NULL part). The keys
 * are counted by GROUP BY, not DISTINCT: SQLite drops a DISTINCT over NOT
 * NULL columns that a unique index covers as redundant, and then counts the
 * rows twice -- equal even when a damaged index ("non-unique entry in
 * index") let duplicates in. The GROUP BY without HAVING still compares
 * neighbours in the index; the full query's HAVING per group costs more. */
static char *precheck_sql(dbc_ctx *ctx, const plan_parts *pp)
{
	return dbc_printf(ctx,
	                  "SELECT (SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s GROUP BY %s)) = "
	                  "(SELECT count(*) FROM %s%s%s)",
	                  pp->from, pp->where, pp->group_cols, pp->from,
	                  pp->nulls_where ? "" : " WHERE ", pp->nulls_where ? "" : pp->where);
}

static int finish_plan(dbc_ctx *ctx, const plan_parts *pp, dbc_check_plan *out)
{
	memset(out, 0, sizeof(*out));
	if (pp->skip) {
		out->skip = pp->skip;
		return DBC_OK;
	}
	out->nkeys = pp->keys.n;
	/* the same statement over the table's own rows, to confirm what sql
	 * finds (a GROUP BY or a WHERE may read an index instead) */
	plan_parts rows_only = *pp;
	rows_only.from = pp->rows_only_from;
	if (dialect(ctx)->check_stream) {
		out->shape = DBC_PLAN_STREAM;
		out->sql = stream_sql(ctx, pp);
		if (pp->grouped && strcmp(pp->where, "0") != 0 && !(out->precheck = precheck_sql(ctx, pp)))
			return DBC_ERROR;
		if (rows_only.from && !(out->confirm = stream_sql(ctx, &rows_only)))
			return DBC_ERROR;
	} else {
		out->shape = DBC_PLAN_AGGREGATE;
		out->sql = aggregate_sql(ctx, pp);
		if (rows_only.from && !(out->confirm = aggregate_sql(ctx, &rows_only)))
			return DBC_ERROR;
	}
	return out->sql ? DBC_OK : DBC_ERROR;
}

int dbc_check_plan_constraint(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                              const dbc_constraint *con, dbc_check_plan *out)
{
	plan_parts pp;
	if (plan_parts_of(ctx, s, t, con, false, &pp) != DBC_OK)
		return DBC_ERROR;
	return finish_plan(ctx, &pp, out);
}

/* A UNIQUE or PRIMARY KEY constraint of a rowid table of main whose
 * unique index PRAGMA integrity_check has just verified (keys_proven in
 * dbc_check_options): that pragma reads every row's entry in every index
 * and reports a key equal to the next entry's ("non-unique entry in
 * index"), so the key has no duplicate and only a primary key's NULL parts
 * (which the index lets in as distinct) are left to look for. A WITHOUT
 * ROWID table's primary key is the table's own b-tree, which the pragma
 * does not compare so: planned as by dbc_check_plan_constraint. */
int dbc_check_plan_proven_key(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                              const dbc_constraint *con, dbc_check_plan *out)
{
	plan_parts pp;
	bool rowid_table = !t->schema && (!t->kind || strcmp(t->kind, "table") == 0) &&
	                   !(t->options && strstr(t->options, "without rowid"));
	if (plan_parts_of(ctx, s, t, con, false, &pp) != DBC_OK)
		return DBC_ERROR;
	if (!pp.skip && pp.grouped && rowid_table && !dialect(ctx)->enforced_binds_rows)
		pp.where = "0";
	return finish_plan(ctx, &pp, out);
}

/* The row-local constraints of a table in one scan. Each constraint keeps
 * its own predicate (the very text its own plan evaluates, after the same
 * host hooks) and the table's row key is the same for all of them, so one
 * pass yields every count and sample its own plan would: the rows that
 * violate any predicate, each with one flag per constraint. A flag is
 * "predicate IS TRUE", as a WHERE keeps only rows whose predicate is true. */
int dbc_check_plan_row_local(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                             const dbc_constraint *const *cons, int n, dbc_check_plan *out)
{
	memset(out, 0, sizeof(*out));
	plan_parts *pp = dbc_zalloc(ctx, sizeof(plan_parts) * (size_t)(n > 0 ? n : 1));
	if (!pp)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		if (cons[i]->kind != DBC_CON_CHECK && cons[i]->kind != DBC_CON_NOT_NULL)
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "constraint %s is not row-local",
			                 cons[i]->name);
		if (plan_parts_of(ctx, s, t, cons[i], false, &pp[i]) != DBC_OK)
			return DBC_ERROR;
		if (pp[i].skip || pp[i].keys.n != pp[0].keys.n)
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "constraint %s cannot join one scan",
			                 cons[i]->name);
	}
	if (n < 1)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no constraint to check");
	const dbc_strlist *keys = &pp[0].keys;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_append(&b, "SELECT ");
	for (int i = 0; i < n; i++) {
		if (!dialect(ctx)->check_stream)
			dbc_buf_appendf(&b, "%s(%s) IS TRUE AS f%d", i ? ", " : "", pp[i].where, i + 1);
		else
			dbc_buf_appendf(&b, "%sCASE WHEN %s THEN 1 ELSE 0 END AS f%d", i ? ", " : "",
			                pp[i].where, i + 1);
	}
	for (int k = 0; k < keys->n; k++)
		dbc_buf_appendf(&b, ", %s AS k%d", keys->items[k], k + 1);
	dbc_buf_appendf(&b, " FROM %s WHERE ", pp[0].from);
	for (int i = 0; i < n; i++)
		dbc_buf_appendf(&b, "%s(%s)", i ? " OR " : "", pp[i].where);
	char *inner = dbc_buf_finish(&b);
	if (!inner)
		return DBC_ERROR;
	out->nkeys = keys->n;
	if (dialect(ctx)->check_stream) {
		out->shape = DBC_PLAN_STREAM;
		out->sql = inner;
		return DBC_OK;
	}
	/* As aggregate_sql, with a running count per constraint over the
	 * violating rows in place of row_number(): the first five rows that
	 * violate constraint i make its sample. */
	dbc_buf k;
	dbc_buf_init(&k, ctx);
	if (keys->n == 1) {
		dbc_buf_append(&k, "v.k1");
	} else {
		dbc_buf_append(&k, "jsonb_build_array(");
		for (int i = 0; i < keys->n; i++)
			dbc_buf_appendf(&k, "%sv.k%d", i ? ", " : "", i + 1);
		dbc_buf_append(&k, ")");
	}
	char *key = dbc_buf_finish(&k);
	if (!key)
		return DBC_ERROR;
	dbc_buf a;
	dbc_buf_init(&a, ctx);
	dbc_buf_append(&a, "SELECT ");
	for (int i = 0; i < n; i++)
		dbc_buf_appendf(&a,
		                "%scount(*) FILTER (WHERE v.f%d)::bigint, coalesce(jsonb_agg(%s) FILTER "
		                "(WHERE v.f%d AND v.r%d <= %d), '[]'::jsonb)::text",
		                i ? ", " : "", i + 1, key, i + 1, i + 1, DBC_SAMPLE_MAX);
	dbc_buf_append(&a, " FROM (SELECT d.*");
	for (int i = 0; i < n; i++)
		dbc_buf_appendf(&a,
		                ", count(*) FILTER (WHERE d.f%d) OVER (ROWS UNBOUNDED PRECEDING) AS r%d",
		                i + 1, i + 1);
	dbc_buf_appendf(&a, " FROM (%s) AS d) AS v", inner);
	out->shape = DBC_PLAN_AGGREGATE;
	out->sql = dbc_buf_finish(&a);
	return out->sql ? DBC_OK : DBC_ERROR;
}

int dbc_check_plan_orphans(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                           const dbc_constraint *con, dbc_check_plan *out)
{
	plan_parts pp;
	if (plan_parts_of(ctx, s, t, con, true, &pp) != DBC_OK)
		return DBC_ERROR;
	return finish_plan(ctx, &pp, out);
}

int dbc_check_plan_delete(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t,
                          const dbc_constraint *con, char **sql_out)
{
	plan_parts pp;
	if (plan_parts_of(ctx, s, t, con, true, &pp) != DBC_OK)
		return DBC_ERROR;
	if (pp.skip) {
		char *tname = dbc_qualified_name(ctx, t->schema, t->name);
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "cannot compare the keys of %s of table %s",
		          con->name, tname ? tname : t->name);
		dbc_error_detail(ctx, "%s", pp.skip);
		return DBC_ERROR;
	}
	if (dialect(ctx)->changes_query)
		*sql_out = dbc_printf(ctx, "DELETE FROM %s WHERE %s", pp.del_from ? pp.del_from : pp.from,
		                      pp.del_where ? pp.del_where : pp.where);
	else
		*sql_out = dbc_printf(
		    ctx, "WITH d AS (DELETE FROM %s WHERE %s RETURNING 1) SELECT count(*) FROM d", pp.from,
		    pp.where);
	return *sql_out ? DBC_OK : DBC_ERROR;
}
