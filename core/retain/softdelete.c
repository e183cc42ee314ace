/*
 * softdelete.c — dbsoftdelete_*: a DELETE of a row of an enabled table sets
 * its soft-delete column instead (the engine's trigger, dbc_retain_hooks);
 * restore clears it, purge deletes for real. Enabled tables are recorded in
 * the bookkeeping table <prefix>softdelete.
 */
#include "base/json.h"
#include "retain/retain.h"
#include "retain/retain_policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BOOK "softdelete"

/* Whether the enabled tables can be read (see dbc_retain_book_readable). */
static int book_readable(dbc_ctx *ctx, bool *readable)
{
	return dbc_retain_book_readable(ctx, "dbcare_" BOOK, "column_name", readable);
}

static int take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	*(char **)arg = c[0].type == DBC_TEXT ? dbc_strdup(ctx, c[0].s) : NULL;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_softdelete_column(dbc_ctx *ctx, const dbc_table *t, char **column)
{
	*column = NULL;
	bool readable;
	if (book_readable(ctx, &readable) != DBC_OK)
		return DBC_ERROR;
	if (!readable)
		return DBC_OK;
	char *display = dbc_qualified_name(ctx, t->schema, t->name);
	char *sql = dbc_printf(ctx, "SELECT column_name FROM %s" BOOK " WHERE table_name = $1",
	                       ctx->host->book_prefix);
	if (!display || !sql)
		return DBC_ERROR;
	dbc_value p = dbc_text(display);
	return ctx->host->query(ctx, sql, 1, &p, take_text, column);
}

static int read_model(dbc_ctx *ctx, const char *table, dbc_schema *s, const dbc_table **t)
{
	dbc_schema_init(s, ctx);
	if (ctx->host->read_schema(ctx, s) != DBC_OK)
		return DBC_ERROR;
	return dbc_retain_find_table(ctx, s, table, "table", t);
}

/* The enabled table's soft-delete column, or an error saying it is not. */
static int enabled_column(dbc_ctx *ctx, const dbc_table *t, char **column)
{
	if (dbc_softdelete_column(ctx, t, column) != DBC_OK)
		return DBC_ERROR;
	if (*column)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "table %s is not soft-delete enabled",
	          dbc_qualified_name(ctx, t->schema, t->name));
	dbc_error_hint(ctx, "SELECT dbsoftdelete_enable('%s') enables it.",
	               dbc_qualified_name(ctx, t->schema, t->name));
	return DBC_ERROR;
}

/* Runs a write and counts the rows it touched directly (not those of
 * triggers or foreign-key actions). */
static int run_counted(dbc_ctx *ctx, const char *dml, int nparam, const dbc_value *params,
                       int64_t *n)
{
	*n = 0;
	const char *changes = ctx->host->dialect->changes_query;
	char *found = NULL;
	bool any = false;
	if (changes) {
		if (ctx->host->query(ctx, dml, nparam, params, NULL, NULL) != DBC_OK ||
		    dbc_query_text(ctx, changes, 0, NULL, &found, &any) != DBC_OK)
			return DBC_ERROR;
	} else {
		char *sql = dbc_printf(ctx, "WITH w AS (%s RETURNING 1) SELECT count(*) FROM w", dml);
		if (!sql || dbc_query_text(ctx, sql, nparam, params, &found, &any) != DBC_OK)
			return DBC_ERROR;
	}
	*n = found ? strtoll(found, NULL, 10) : 0;
	return DBC_OK;
}

/* ------------------------------------------------------------------ enable */

static bool has_key(const dbc_index *ix, const char *column)
{
	for (int k = 0; k < ix->keys.n; k++)
		if (strcmp(ix->keys.items[k], column) == 0)
			return true;
	return false;
}

/* The key list of an index for a new index: columns quoted, expressions as
 * the engine wrote them. */
static char *key_list(dbc_ctx *ctx, const dbc_table *t, const dbc_index *ix)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int k = 0; k < ix->keys.n; k++) {
		const char *key = ix->keys.items[k];
		dbc_buf_append(&b, k ? ", " : "");
		dbc_buf_append(&b, dbc_table_find_column(t, key) ? ctx->host->quote_ident(ctx, key) : key);
	}
	return dbc_buf_finish(&b);
}

/* One unique key a soft-deleted row keeps taking: its entry of the report
 * (with the statements that make it partial) and a warning. */
static int add_blocker(dbc_ctx *ctx, const dbc_table *t, const char *column, const dbc_index *ix,
                       json_t *list)
{
	const dbc_host *h = ctx->host;
	char *qt = dbc_quoted_name(ctx, t->schema, t->name);
	char *keys = key_list(ctx, t, ix);
	char *key_names = dbc_strlist_join(ctx, &ix->keys, "_");
	char *live_name = key_names ? dbc_printf(ctx, "%s_%s_live", t->name, key_names) : NULL;
	if (!qt || !keys || !live_name)
		return DBC_ERROR;
	char *create = dbc_printf(ctx, "CREATE UNIQUE INDEX %s%s ON %s (%s) WHERE %s IS NULL;",
	                          dbc_retain_concurrently(ctx), h->quote_ident(ctx, live_name), qt,
	                          keys, h->quote_ident(ctx, column));
	char *drop;
	if (!ix->constraint)
		drop = dbc_printf(ctx, "DROP INDEX %s%s;", dbc_retain_concurrently(ctx),
		                  dbc_quoted_name(ctx, ix->schema, ix->name));
	else if (ctx->host->dialect->drops_constraints)
		drop = dbc_printf(ctx, "ALTER TABLE %s DROP CONSTRAINT %s;", qt,
		                  h->quote_ident(ctx, ix->name));
	else
		drop = dbc_printf(ctx, "-- then rebuild %s without its UNIQUE clause on (%s)",
		                  dbc_comment_text(ctx, qt), dbc_comment_text(ctx, keys));
	char *fix = create && drop ? dbc_printf(ctx, "%s %s", create, drop) : NULL;
	if (!fix)
		return DBC_ERROR;
	json_t *item = json_object(), *cols = json_array();
	if (!item || !cols) {
		json_decref(item), json_decref(cols);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	for (int k = 0; k < ix->keys.n; k++)
		json_array_append_new(cols, dbc_json_str(ix->keys.items[k]));
	dbc_json_set(item, "name", dbc_json_str(ix->name));
	dbc_json_set(item, "kind", dbc_json_str(ix->constraint ? "unique constraint" : "unique index"));
	dbc_json_set(item, "columns", cols);
	dbc_json_set(item, "fix", dbc_json_str(fix));
	json_array_append_new(list, item);
	dbc_warning(ctx, fix,
	            "%s \"%s\" of table %s on (%s) also holds the keys of soft-deleted rows: a new "
	            "row cannot reuse them",
	            ix->constraint ? "unique constraint" : "unique index", ix->name,
	            dbc_qualified_name(ctx, t->schema, t->name), keys);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int by_index_name(const void *a, const void *b)
{
	const char *x = (*(const dbc_index *const *)a)->name, *y = (*(const dbc_index *const *)b)->name;
	return strcmp(x ? x : "", y ? y : "");
}

/* The blockers in the order of their names: the catalog's order is the
 * engine's physical one and differs between equal databases. */
static int blockers(dbc_ctx *ctx, const dbc_schema *s, const dbc_table *t, const char *column,
                    json_t *list)
{
	const dbc_index **found =
	    s->nindexes ? dbc_alloc(ctx, sizeof *found * (size_t)s->nindexes) : NULL;
	int n = 0;
	if (s->nindexes && !found)
		return DBC_ERROR;
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		bool same_schema = (!ix->schema && !t->schema) ||
		                   (ix->schema && t->schema && strcmp(ix->schema, t->schema) == 0);
		if (!same_schema || strcmp(ix->table, t->name) != 0 || !ix->unique || ix->primary ||
		    ix->partial || ix->predicate || has_key(ix, column))
			continue;
		found[n++] = ix;
	}
	if (n > 1)
		qsort(found, (size_t)n, sizeof *found, by_index_name);
	for (int i = 0; i < n; i++)
		if (add_blocker(ctx, t, column, found[i], list) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

/* The column to use: existing ones must be nullable points in time; a
 * missing one is added. */
static int prepare_column(dbc_ctx *ctx, const dbc_table *t, const char *column, const char **name,
                          bool *added)
{
	*added = false;
	const dbc_column *c = dbc_retain_find_column(ctx, t, column);
	const char *display = dbc_qualified_name(ctx, t->schema, t->name);
	if (c) {
		*name = c->name;
		if (!dbc_retain_temporal(ctx->host->dialect->temporal_words, c->type))
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "column \"%s\" of table %s has type %s, not a date or timestamp",
			                 c->name, display, c->type ? c->type : "(none)");
		if (c->not_null)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "column \"%s\" of table %s is NOT NULL: a live row has it NULL",
			                 c->name, display);
		return DBC_OK;
	}
	*name = column;
	*added = true;
	char *sql =
	    dbc_printf(ctx, "ALTER TABLE %s ADD COLUMN %s %s", dbc_quoted_name(ctx, t->schema, t->name),
	               ctx->host->quote_ident(ctx, column), ctx->host->dialect->timestamp_type);
	return sql ? ctx->host->exec(ctx, sql) : DBC_ERROR;
}

static int record(dbc_ctx *ctx, const dbc_table *t, const char *column)
{
	char *display = dbc_qualified_name(ctx, t->schema, t->name);
	char *sql = dbc_printf(ctx,
	                       "INSERT INTO %s" BOOK " (table_name, table_schema, relation_name, "
	                       "column_name) VALUES ($1, $2, $3, $4)",
	                       ctx->host->book_prefix);
	if (!display || !sql)
		return DBC_ERROR;
	dbc_value p[4] = {dbc_text(display), t->schema ? dbc_text(t->schema) : dbc_null(),
	                  dbc_text(t->name), dbc_text(column)};
	return ctx->host->query(ctx, sql, 4, p, NULL, NULL);
}

static int enable_body(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                       const char *column, char **report)
{
	*report = NULL;
	if (!column || !*column)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"column\" must name a column");
	dbc_schema s;
	const dbc_table *t;
	char *old;
	if (read_model(ctx, table, &s, &t) != DBC_OK || dbc_softdelete_column(ctx, t, &old) != DBC_OK)
		return DBC_ERROR;
	const char *name;
	bool added;
	if (old) {
		const dbc_column *c = dbc_retain_find_column(ctx, t, column);
		if (!c || strcmp(c->name, old) != 0) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			          "table %s is already soft-delete enabled with column \"%s\"",
			          dbc_qualified_name(ctx, t->schema, t->name), old);
			dbc_error_hint(ctx, "dbsoftdelete_disable it first to change the column.");
			return DBC_ERROR;
		}
	}
	if (dbc_book_ensure_part(ctx, "softdelete") != DBC_OK ||
	    prepare_column(ctx, t, column, &name, &added) != DBC_OK)
		return DBC_ERROR;
	char *ddl = eng->trigger_create(ctx, t, name);
	if (!ddl || ctx->host->exec(ctx, ddl) != DBC_OK)
		return DBC_ERROR;
	if (!old && record(ctx, t, name) != DBC_OK)
		return DBC_ERROR;

	json_t *doc = json_object(), *list = json_array();
	if (!doc || !list) {
		json_decref(doc), json_decref(list);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	int rc = blockers(ctx, &s, t, name, list);
	dbc_json_set(doc, "table", dbc_json_str(dbc_qualified_name(ctx, t->schema, t->name)));
	dbc_json_set(doc, "column", dbc_json_str(name));
	dbc_json_set(doc, "column_added", json_boolean(added));
	dbc_json_set(doc, "unique_blockers", list);
	if (rc == DBC_OK)
		*report = dbc_json_dump(ctx, doc, DBC_JSON_REPORT);
	json_decref(doc);
	return rc == DBC_OK && *report ? DBC_OK : DBC_ERROR;
}

/* ----------------------------------------------------------------- disable */

static int disable_body(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table, bool *was)
{
	*was = false;
	dbc_schema s;
	const dbc_table *t;
	char *old;
	if (read_model(ctx, table, &s, &t) != DBC_OK || dbc_softdelete_column(ctx, t, &old) != DBC_OK)
		return DBC_ERROR;
	if (!old)
		return DBC_OK;
	if (dbc_book_ensure_part(ctx, "softdelete") != DBC_OK)
		return DBC_ERROR;
	char *ddl = eng->trigger_drop(ctx, t);
	if (!ddl || ctx->host->exec(ctx, ddl) != DBC_OK)
		return DBC_ERROR;
	char *sql =
	    dbc_printf(ctx, "DELETE FROM %s" BOOK " WHERE table_name = $1", ctx->host->book_prefix);
	dbc_value p = dbc_text(dbc_qualified_name(ctx, t->schema, t->name));
	if (!sql || ctx->host->query(ctx, sql, 1, &p, NULL, NULL) != DBC_OK)
		return DBC_ERROR;
	*was = true;
	return DBC_OK;
}

/* ----------------------------------------------------------------- restore */

/* The primary key's columns, or the rowid where the engine has one (by a
 * name no column hides: the key then names it so). */
static int key_columns(dbc_ctx *ctx, const dbc_table *t, dbc_strlist *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < t->nconstraints; i++)
		if (t->constraints[i].kind == DBC_CON_PRIMARY_KEY) {
			*out = t->constraints[i].columns;
			return DBC_OK;
		}
	bool without_rowid = t->options && strstr(t->options, "without rowid");
	const char *row_id;
	if (ctx->host->dialect->rowid && !without_rowid)
		return dbc_retain_row_id(ctx, t, &row_id) == DBC_OK ? dbc_strlist_add(ctx, out, row_id)
		                                                    : DBC_ERROR;
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "table %s has no primary key to name rows by",
	                 dbc_qualified_name(ctx, t->schema, t->name));
}

static const char *column_type(const dbc_table *t, const char *name)
{
	const dbc_column *c = dbc_table_find_column(t, name);
	return c && c->type ? c->type : "";
}

static int json_param(dbc_ctx *ctx, const json_t *v, const char *column, dbc_value *out)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*out = dbc_int(json_integer_value(v));
		return DBC_OK;
	case JSON_REAL:
		*out = dbc_float(json_real_value(v));
		return DBC_OK;
	case JSON_STRING:
		*out = dbc_text(dbc_strdup(ctx, json_string_value(v)));
		return DBC_OK;
	case JSON_TRUE:
	case JSON_FALSE:
		*out = dbc_bool(json_is_true(v));
		return DBC_OK;
	default:
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"key\": the value of \"%s\" must be a number, string or "
		                 "boolean",
		                 column);
	}
}

/* "a.k1 = <$n> AND ..." for the key columns, parameters from first. */
static char *key_match(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_table *t,
                       const dbc_strlist *keys, const char *alias, int first)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int k = 0; k < keys->n; k++)
		dbc_buf_appendf(&b, "%s%s.%s = %s", k ? " AND " : "", alias,
		                ctx->host->quote_ident(ctx, keys->items[k]),
		                eng->param_as(ctx, first + k, column_type(t, keys->items[k])));
	return dbc_buf_finish(&b);
}

/* The parameters of one key object: every key column, nothing else. */
static int key_params(dbc_ctx *ctx, const dbc_table *t, const dbc_strlist *keys, const json_t *obj,
                      dbc_value *params)
{
	if (!json_is_object(obj))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"key\" must be a JSON object of the primary key's columns "
		                 "(or an array of them)");
	bool exact = (int)json_object_size(obj) == keys->n;
	for (int k = 0; exact && k < keys->n; k++) {
		const json_t *v = json_object_get(obj, keys->items[k]);
		exact = v != NULL;
		if (v && json_param(ctx, v, keys->items[k], &params[k]) != DBC_OK)
			return DBC_ERROR;
	}
	if (exact)
		return DBC_OK;
	char *names = dbc_strlist_join(ctx, keys, ", ");
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	                 "argument \"key\" must name exactly the key columns of table %s: %s",
	                 dbc_qualified_name(ctx, t->schema, t->name), names ? names : "");
}

/* A partial unique index a restored row would enter again: one whose
 * predicate names the soft-delete column and whose keys are columns. */
static bool restore_guard(const dbc_table *t, const dbc_index *ix, const char *column)
{
	if (!ix->unique || !ix->predicate || !strstr(ix->predicate, column))
		return false;
	for (int k = 0; k < ix->keys.n; k++)
		if (!dbc_table_find_column(t, ix->keys.items[k]))
			return false;
	return true;
}

static int found_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx, (void)ncol, (void)c;
	*(bool *)arg = true;
	return DBC_OK;
}

/* " AND <the restored row r enters partial index ix>": its predicate over
 * r's columns with column cleared (a NULL of the column's own type). The
 * predicate names the table's columns unqualified: in the derived row x
 * they are r's, in the probe's l the live row's. */
static char *restored_enters(dbc_ctx *ctx, const dbc_table *t, const dbc_index *ix,
                             const char *column)
{
	dbc_buf cols;
	dbc_buf_init(&cols, ctx);
	for (int i = 0; i < t->ncolumns; i++) {
		char *q = ctx->host->quote_ident(ctx, t->columns[i].name);
		if (strcmp(t->columns[i].name, column) == 0)
			dbc_buf_appendf(&cols, "%sCASE WHEN 1 = 0 THEN r.%s END AS %s", i ? ", " : "", q, q);
		else
			dbc_buf_appendf(&cols, "%sr.%s AS %s", i ? ", " : "", q, q);
	}
	char *list = dbc_buf_finish(&cols);
	return list ? dbc_printf(ctx, " AND EXISTS (SELECT 1 FROM (SELECT %s) AS x WHERE %s)", list,
	                         ix->predicate)
	            : NULL;
}

/* Refuses, naming the index, a restore that would give a live row's
 * unique key to a second live row: both rows in the index (its predicate
 * holds for the live row, and for the restored one once restored), with
 * the same keys. */
static int probe_unique(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                        const dbc_table *t, const char *column, const dbc_strlist *keys,
                        const dbc_value *params, const char *key_text)
{
	const dbc_host *h = ctx->host;
	char *qt = dbc_quoted_name(ctx, t->schema, t->name);
	char *match = key_match(ctx, eng, t, keys, "r", 1);
	if (!qt || !match)
		return DBC_ERROR;
	for (int i = 0; i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		/* the restored table's own indexes: names repeat across schemas */
		if (!dbc_retain_same_name(ctx, ix->schema, t->schema) ||
		    !dbc_retain_same_name(ctx, ix->table, t->name) || !restore_guard(t, ix, column))
			continue;
		dbc_buf same;
		dbc_buf_init(&same, ctx);
		for (int k = 0; k < ix->keys.n; k++) {
			char *q = h->quote_ident(ctx, ix->keys.items[k]);
			dbc_buf_appendf(&same, " AND l.%s = r.%s", q, q);
		}
		dbc_buf other;
		dbc_buf_init(&other, ctx);
		for (int k = 0; k < keys->n; k++) {
			char *q = h->quote_ident(ctx, keys->items[k]);
			dbc_buf_appendf(&other, "%sl.%s = r.%s", k ? " AND " : "", q, q);
		}
		char *enters = restored_enters(ctx, t, ix, column);
		char *sql = !enters
		                ? NULL
		                : dbc_printf(ctx,
		                             "SELECT 1 FROM %s AS r WHERE %s AND r.%s IS NOT NULL%s AND "
		                             "EXISTS (SELECT 1 FROM %s AS l WHERE l.%s IS NULL%s AND "
		                             "NOT (%s) AND (%s))",
		                             qt, match, h->quote_ident(ctx, column), enters, qt,
		                             h->quote_ident(ctx, column), dbc_buf_finish(&same),
		                             dbc_buf_finish(&other), ix->predicate);
		bool hit = false;
		if (!sql || h->query(ctx, sql, keys->n, params, found_row, &hit) != DBC_OK)
			return DBC_ERROR;
		if (hit) {
			dbc_error(ctx, "23505",
			          "restoring %s in table %s would violate unique index \"%s\" (%s): a live "
			          "row has the same key",
			          key_text, dbc_qualified_name(ctx, t->schema, t->name), ix->name,
			          dbc_strlist_join(ctx, &ix->keys, ", "));
			dbc_error_hint(ctx, "Change or delete the live row first; nothing was restored.");
			return DBC_ERROR;
		}
	}
	return DBC_OK;
}

static int restore_body(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                        const char *key, int64_t *restored)
{
	*restored = 0;
	dbc_schema s;
	const dbc_table *t;
	char *column;
	dbc_strlist keys;
	if (read_model(ctx, table, &s, &t) != DBC_OK || enabled_column(ctx, t, &column) != DBC_OK ||
	    key_columns(ctx, t, &keys) != DBC_OK)
		return DBC_ERROR;
	/* the UPDATE fires t's triggers and rules, and evaluates its row
	 * security, CHECKs, domains and index expressions, with the caller's
	 * rights: refused as a purge's DELETE is */
	if (dbc_retain_owner_code(ctx, eng, t->schema, t->name, "UPDATE", "dbsoftdelete_restore") !=
	    DBC_OK)
		return DBC_ERROR;
	json_t *doc = dbc_json_parse(ctx, key, "argument \"key\"");
	if (!doc)
		return DBC_ERROR;
	size_t n = json_is_array(doc) ? json_array_size(doc) : 1;
	char *qt = dbc_quoted_name(ctx, t->schema, t->name);
	char *qc = ctx->host->quote_ident(ctx, column);
	char *match = key_match(ctx, eng, t, &keys, "r", 1);
	char *sql = qt && qc && match ? dbc_printf(ctx,
	                                           "UPDATE %s AS r SET %s = NULL WHERE %s AND "
	                                           "r.%s IS NOT NULL",
	                                           qt, qc, match, qc)
	                              : NULL;
	dbc_value *params = dbc_zalloc(ctx, sizeof(dbc_value) * (size_t)keys.n);
	int rc = sql && params ? DBC_OK : DBC_ERROR;
	for (size_t i = 0; i < n && rc == DBC_OK; i++) {
		const json_t *obj = json_is_array(doc) ? json_array_get(doc, i) : doc;
		rc = key_params(ctx, t, &keys, obj, params);
		char *text = rc == DBC_OK ? dbc_json_dump(ctx, obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (rc == DBC_OK)
			rc = text ? probe_unique(ctx, eng, &s, t, column, &keys, params, text) : DBC_ERROR;
		int64_t one = 0;
		if (rc == DBC_OK)
			rc = run_counted(ctx, sql, keys.n, params, &one);
		*restored += one;
	}
	json_decref(doc);
	if (rc != DBC_OK)
		*restored = 0;
	return rc;
}

/* ------------------------------------------------------------------- purge */

/* Whether a foreign key of child deletes child's rows with parent's. */
static bool cascades_from(const dbc_ctx *ctx, const dbc_table *child, const dbc_table *parent)
{
	for (int k = 0; k < child->nconstraints; k++) {
		const dbc_constraint *c = &child->constraints[k];
		if (c->kind == DBC_CON_FOREIGN_KEY && c->on_delete &&
		    strcasecmp(c->on_delete, "cascade") == 0 &&
		    dbc_retain_same_name(ctx, c->ref_table, parent->name) &&
		    dbc_retain_same_name(ctx, c->ref_schema ? c->ref_schema : child->schema,
		                         parent->schema))
			return true;
	}
	return false;
}

static bool listed(const dbc_ctx *ctx, const dbc_table *const *tables, int n, const dbc_table *t)
{
	for (int i = 0; i < n; i++)
		if (dbc_retain_same_name(ctx, tables[i]->schema, t->schema) &&
		    dbc_retain_same_name(ctx, tables[i]->name, t->name))
			return true;
	return false;
}

int dbc_softdelete_bypass(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                          const dbc_table *t, char **drop, char **create)
{
	*drop = *create = NULL;
	/* t, then every table an ON DELETE CASCADE reaches from one listed,
	 * breadth first; each table once (foreign keys may form cycles) */
	const dbc_table **reach = dbc_zalloc(ctx, sizeof(*reach) * (size_t)(s->ntables + 1));
	if (!reach)
		return DBC_ERROR;
	int n = 0;
	reach[n++] = t;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < s->ntables; k++) {
			const dbc_table *child = &s->tables[k];
			if (!listed(ctx, reach, n, child) && cascades_from(ctx, child, reach[i]))
				reach[n++] = child;
		}
	dbc_buf d, c;
	dbc_buf_init(&d, ctx);
	dbc_buf_init(&c, ctx);
	for (int i = 0; i < n; i++) {
		char *column;
		if (dbc_softdelete_column(ctx, reach[i], &column) != DBC_OK)
			return DBC_ERROR;
		if (!column)
			continue;
		char *off = eng->trigger_drop(ctx, reach[i]);
		char *on = eng->trigger_create(ctx, reach[i], column);
		if (!off || !on)
			return DBC_ERROR;
		dbc_buf_appendf(&d, "%s; ", off);
		dbc_buf_appendf(&c, "%s; ", on);
	}
	*drop = dbc_buf_finish(&d);
	*create = dbc_buf_finish(&c);
	return *drop && *create ? DBC_OK : DBC_ERROR;
}

/* An engine enforcing its keys refuses a delete of a row a key without an
 * ON DELETE action still references. Where it does not enforce such a key
 * now (SQLite's foreign_keys off, a PostgreSQL key whose triggers are
 * disabled) the purge refuses the same way, naming the key and how many of
 * its rows are kept, instead of leaving children pointing at nothing;
 * purged: the condition of the rows purged, over alias s, and leaving the
 * same over alias c (a row of t referencing a purged row is purged with it
 * and keeps nothing: the engine checks such a key at the end of the
 * statement). */
static int note_unenforced(dbc_ctx *ctx, void *arg, const dbc_table *child, const dbc_constraint *c)
{
	(void)ctx;
	(void)child;
	if (!c->enforced)
		*(bool *)arg = true;
	return DBC_OK;
}

static int refuse_referenced(dbc_ctx *ctx, const dbc_retain_hooks *eng, const dbc_schema *s,
                             const dbc_table *t, const char *purged, const char *leaving)
{
	char *unblocked, *blocked;
	dbc_blocker_key *keys;
	int n;
	bool any = false;
	if (dbc_retain_blocking_fks(ctx, s, t, note_unenforced, &any) != DBC_OK)
		return DBC_ERROR;
	if (!any)
		return DBC_OK; /* every such key is the engine's to enforce */
	if (dbc_retain_blockers_leaving(ctx, eng, s, t, leaving, &unblocked, &blocked, &keys, &n) !=
	    DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		if (keys[i].fk->enforced)
			continue; /* the engine refuses the DELETE itself */
		char *sql =
		    dbc_printf(ctx, "SELECT count(*) FROM %s%s AS s WHERE %s AND %s", dbc_retain_only(ctx),
		               dbc_quoted_name(ctx, t->schema, t->name), purged, keys[i].exists);
		char *text = NULL;
		if (!sql || dbc_query_text(ctx, sql, 0, NULL, &text, NULL) != DBC_OK)
			return DBC_ERROR;
		long long kept = text ? strtoll(text, NULL, 10) : 0;
		if (kept == 0)
			continue;
		const dbc_table *child = NULL;
		for (int k = 0; k < s->ntables && !child; k++)
			for (int j = 0; j < s->tables[k].nconstraints; j++)
				if (&s->tables[k].constraints[j] == keys[i].fk)
					child = &s->tables[k];
		char *cols = dbc_strlist_join(ctx, &keys[i].fk->columns, ", ");
		dbc_error(ctx, "23503",
		          "dbsoftdelete_purge: %lld soft-deleted row(s) of table %s are still "
		          "referenced by table %s (%s) through foreign key %s, which has no ON DELETE "
		          "action: nothing was purged",
		          kept, dbc_qualified_name(ctx, t->schema, t->name),
		          child ? dbc_qualified_name(ctx, child->schema, child->name) : "?",
		          cols ? cols : "", keys[i].fk->name ? keys[i].fk->name : "");
		dbc_error_hint(ctx, "Delete or re-point the referencing rows first (the engine would "
		                    "refuse this delete with the key enforced).");
		return DBC_ERROR;
	}
	return DBC_OK;
}

static int purge_body(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                      const char *older_than, int64_t *purged)
{
	*purged = 0;
	dbc_schema s;
	const dbc_table *t;
	char *column;
	dbc_interval iv;
	if (read_model(ctx, table, &s, &t) != DBC_OK || enabled_column(ctx, t, &column) != DBC_OK)
		return DBC_ERROR;
	if (older_than && dbc_interval_parse(ctx, older_than, "older_than", &iv) != DBC_OK)
		return DBC_ERROR;
	/* the DELETE fires t's triggers with the caller's rights */
	if (dbc_retain_owner_code(ctx, eng, t->schema, t->name, "DELETE", "dbsoftdelete_purge") !=
	    DBC_OK)
		return DBC_ERROR;
	char *qc = ctx->host->quote_ident(ctx, column);
	char *sql = dbc_printf(ctx, "DELETE FROM %s WHERE %s IS NOT NULL",
	                       dbc_quoted_name(ctx, t->schema, t->name), qc);
	char *sqc = dbc_printf(ctx, "s.%s", qc);
	char *cqc = dbc_printf(ctx, "c.%s", qc);
	char *purged_rows = dbc_printf(ctx, "%s IS NOT NULL", sqc);
	char *leaving = dbc_printf(ctx, "%s IS NOT NULL", cqc);
	if (sql && older_than) {
		char *cutoff = eng->cutoff_sql(ctx, &iv, NULL);
		sql = dbc_printf(ctx, "%s AND %s", sql, dbc_retain_before(ctx, eng, qc, cutoff));
		purged_rows =
		    dbc_printf(ctx, "%s AND %s", purged_rows, dbc_retain_before(ctx, eng, sqc, cutoff));
		leaving = dbc_printf(ctx, "%s AND %s", leaving, dbc_retain_before(ctx, eng, cqc, cutoff));
	}
	if (!sql || !purged_rows || !leaving)
		return DBC_ERROR;
	if (dbc_retain_refuse_unenforced(ctx, &s, t, "dbsoftdelete_purge") != DBC_OK ||
	    refuse_referenced(ctx, eng, &s, t, purged_rows, leaving) != DBC_OK)
		return DBC_ERROR;
	if (eng->purge_through) {
		int mark;
		if (eng->purge_through(ctx, t, &mark) != DBC_OK)
			return DBC_ERROR;
		int rc = run_counted(ctx, sql, 0, NULL, purged);
		eng->purge_end(mark);
		return rc;
	}
	/* No way to tell the triggers: they stand aside for this delete, in
	 * the call's transaction (a failure puts them back with everything
	 * else) — t's own and those its cascades reach. */
	char *drop, *create;
	if (dbc_softdelete_bypass(ctx, eng, &s, t, &drop, &create) != DBC_OK ||
	    ctx->host->exec(ctx, drop) != DBC_OK || run_counted(ctx, sql, 0, NULL, purged) != DBC_OK ||
	    ctx->host->exec(ctx, create) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

/* ------------------------------------------------- all or nothing, each */

/* Each changing call runs in a savepoint of its own: a failure part way
 * (the second key of a restore, the trigger after a column was added)
 * leaves nothing of it behind, inside the caller's transaction too, and
 * the rows it counted (count, when it counts) are 0. */
static int settle(dbc_ctx *ctx, int level, int rc, int64_t *count)
{
	if (rc == DBC_OK)
		return ctx->host->release(ctx, level);
	ctx->host->rollback(ctx, level);
	if (count)
		*count = 0;
	return DBC_ERROR;
}

int dbc_softdelete_enable(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                          const char *column, char **report)
{
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	return settle(ctx, level, enable_body(ctx, eng, table, column, report), NULL);
}

int dbc_softdelete_disable(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table, bool *was)
{
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	return settle(ctx, level, disable_body(ctx, eng, table, was), NULL);
}

int dbc_softdelete_restore(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                           const char *key, int64_t *restored)
{
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	return settle(ctx, level, restore_body(ctx, eng, table, key, restored), restored);
}

int dbc_softdelete_purge(dbc_ctx *ctx, const dbc_retain_hooks *eng, const char *table,
                         const char *older_than, int64_t *purged)
{
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	return settle(ctx, level, purge_body(ctx, eng, table, older_than, purged), purged);
}

/* ------------------------------------------------------------------- table */

typedef struct sd_row {
	char *table, *schema, *relation, *column, *enabled_at;
} sd_row;

typedef struct sd_list {
	sd_row *items;
	int n, cap;
} sd_list;

static int take_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	sd_list *l = arg;
	(void)ncol;
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(*l->items), 8) != DBC_OK)
		return DBC_ERROR;
	sd_row *r = &l->items[l->n++];
	char **f[5] = {&r->table, &r->schema, &r->relation, &r->column, &r->enabled_at};
	for (int i = 0; i < 5; i++)
		*f[i] = c[i].type == DBC_TEXT ? dbc_strdup(ctx, c[i].s) : NULL;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_softdelete_rows(dbc_ctx *ctx, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_SOFTDELETE_NCOLS);
	bool readable;
	if (book_readable(ctx, &readable) != DBC_OK)
		return DBC_ERROR;
	if (!readable)
		return DBC_OK;
	sd_list l = {0};
	char *sql = dbc_printf(ctx,
	                       "SELECT table_name, table_schema, relation_name, column_name, "
	                       "CAST(enabled_at AS text) FROM %s" BOOK " ORDER BY table_name",
	                       ctx->host->book_prefix);
	if (!sql || ctx->host->query(ctx, sql, 0, NULL, take_row, &l) != DBC_OK)
		return DBC_ERROR;
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (l.n && ctx->host->read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < l.n; i++) {
		sd_row *r = &l.items[i];
		dbc_value row[DBC_SOFTDELETE_NCOLS] = {dbc_text(r->table), dbc_text(r->column),
		                                       r->enabled_at ? dbc_text(r->enabled_at) : dbc_null(),
		                                       dbc_null()};
		const dbc_table *t = dbc_schema_find_table(&s, r->schema, r->relation);
		if (t && dbc_table_find_column(t, r->column)) {
			char *count = NULL;
			bool any;
			char *q = dbc_printf(ctx, "SELECT count(*) FROM %s WHERE %s IS NOT NULL",
			                     dbc_quoted_name(ctx, t->schema, t->name),
			                     ctx->host->quote_ident(ctx, r->column));
			if (!q || dbc_query_text(ctx, q, 0, NULL, &count, &any) != DBC_OK)
				return DBC_ERROR;
			row[3] = count ? dbc_int(strtoll(count, NULL, 10)) : dbc_null();
		}
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
