/*
 * audit_read.c — reading the log: one row's history, the entries since a
 * time, and a row as it was at a time, folded from its entries. Entries are
 * ordered by id: the order their changes were made in (a trigger writes an
 * entry in the statement that made the change).
 */
#include "audit/audit.h"

#include "base/json.h"

#include <string.h>

#define ENTRY_COLUMNS "id, at, txid, db_user, actor, operation"

/* given's values of the key columns cols (the table's stored "key"
 * option), in that order, as a new object in *keyed (the caller releases
 * it); an error when a key column has no value or given names another. */
static int key_in_order(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *name,
                        const json_t *cols, const json_t *given, json_t **keyed)
{
	if (!(*keyed = json_object()))
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	size_t i;
	const json_t *col;
	json_array_foreach(cols, i, col)
	{
		const char *c = json_string_value(col);
		json_t *v = c ? json_object_get(given, c) : NULL;
		if (!v)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "argument \"key\" has no value for key column \"%s\"",
			                 c ? dbc_excerpt(ctx, c, DBC_EXCERPT) : "?");
		if (json_object_set(*keyed, c, v) != 0)
			return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	if (json_object_size(given) != json_object_size(*keyed))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"key\" names columns that are not the key of %s",
		                 e->display(ctx, name));
	return DBC_OK;
}

/* The key a caller gave, written as the triggers write keys: the key columns
 * in the stored order, compact (SQLite compares keys as text). */
static int canonical_key(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *name, const char *key,
                         char **out, bool *audited)
{
	if (!key)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"key\" must not be NULL");
	json_t *given = dbc_json_parse(ctx, key, "argument \"key\"");
	if (!given)
		return DBC_ERROR;
	if (!json_is_object(given)) {
		json_decref(given);
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"key\" must be a JSON object of the key columns");
	}
	dbc_audit_table *rows;
	int n;
	json_t *keyed = NULL;
	json_t *stored = NULL;
	int rc = dbc_audit_load_tables(ctx, e, name, &rows, &n);
	*audited = rc == DBC_OK && n > 0;
	if (rc == DBC_OK && n > 0 && (stored = json_loads(rows[0].options, 0, NULL)) != NULL)
		rc = key_in_order(ctx, e, name, json_object_get(stored, "key"), given, &keyed);
	if (rc == DBC_OK) {
		*out = dbc_json_dump(ctx, keyed ? keyed : given, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = *out ? DBC_OK : DBC_ERROR;
	}
	json_decref(given);
	json_decref(keyed);
	json_decref(stored);
	return rc;
}

static int add_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	(void)ctx;
	(void)ncol;
	return dbc_rows_add(arg, cols);
}

/* The engine's hashed range of one row's entries ($1 the table, key_sql its
 * key, "NULL" for the table's entries without one), "" where it has none. */
static char *row_range(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *key_sql)
{
	return e->row_range ? e->row_range(ctx, "$1", key_sql) : dbc_strdup(ctx, "");
}

/* A table asked about that is not audited now must have entries in the
 * log (it was audited once): else a typo or a table never audited would
 * read as a row without history. The log read (exists). */
static int refuse_unknown_table(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *name,
                                bool audited, bool exists)
{
	if (audited)
		return DBC_OK;
	char *any = NULL;
	/* the engine's indexed range of the table's entries; NULL: none */
	char *range = exists && e->table_range ? e->table_range(ctx, "$1") : NULL;
	if (!range && ctx->failed)
		return DBC_ERROR;
	char *sql = dbc_printf(ctx, "SELECT 'x' FROM %saudit_log WHERE %stable_name = $1 LIMIT 1",
	                       ctx->host->book_prefix, range ? range : "");
	dbc_value arg = dbc_text(name);
	if (exists && (!sql || dbc_query_text(ctx, sql, 1, &arg, &any, NULL) != DBC_OK))
		return DBC_ERROR;
	if (any)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s is not audited and has no entries in the log",
	          e->display(ctx, name));
	dbc_error_hint(ctx, "SELECT * FROM dbaudit_tables() lists the audited tables; "
	                    "dbaudit_enable(table) starts recording one.");
	return DBC_ERROR;
}

/* Whether the log can be read, after the engine's entries not yet written
 * are (e->complete): no reader shows a stale log as complete. */
static bool log_exists(dbc_ctx *ctx, const dbc_audit_hooks *e, int *rc)
{
	bool exists;
	*rc = dbc_audit_readable(ctx, e, &exists);
	if (*rc == DBC_OK && exists && e->complete)
		*rc = e->complete(ctx);
	return *rc == DBC_OK && exists;
}

int dbc_audit_history(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, const char *key,
                      dbc_rows *out)
{
	char *name, *k;
	int rc;
	bool audited;
	if (dbc_audit_stored_name(ctx, e, table, &name) != DBC_OK ||
	    canonical_key(ctx, e, name, key, &k, &audited) != DBC_OK)
		return DBC_ERROR;
	bool exists = log_exists(ctx, e, &rc);
	if (rc != DBC_OK || refuse_unknown_table(ctx, e, name, audited, exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	char *p2 = dbc_printf(ctx, ctx->host->dialect->json_param, 2);
	char *range = p2 ? row_range(ctx, e, p2) : NULL;
	char *sql = range ? dbc_printf(ctx,
	                               "SELECT " ENTRY_COLUMNS ", old_values, new_values"
	                               " FROM %saudit_log WHERE %stable_name = $1 AND key = %s"
	                               " ORDER BY id",
	                               ctx->host->book_prefix, range, p2)
	                  : NULL;
	dbc_value args[2] = {dbc_text(name), dbc_text(k)};
	return sql ? ctx->host->query(ctx, sql, 2, args, add_row, out) : DBC_ERROR;
}

int dbc_audit_log(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, const char *since,
                  dbc_rows *out)
{
	char *name = NULL;
	int rc;
	if (table && dbc_audit_stored_name(ctx, e, table, &name) != DBC_OK)
		return DBC_ERROR;
	if (!log_exists(ctx, e, &rc))
		return rc;
	dbc_value args[2];
	int n = 0;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b,
	                "SELECT " ENTRY_COLUMNS ", table_name, key, old_values, new_values"
	                " FROM %saudit_log WHERE true",
	                ctx->host->book_prefix);
	if (name) {
		args[n++] = dbc_text(name);
		char *param = dbc_printf(ctx, "$%d", n);
		dbc_buf_append(&b, " AND ");
		char *range = e->table_range && param ? e->table_range(ctx, param) : NULL;
		if (range) /* NULL: no index, or out of memory (the ctx has the error) */
			dbc_buf_append(&b, range);
		dbc_buf_appendf(&b, "table_name = $%d", n);
	}
	if (since) {
		args[n++] = dbc_text(since);
		dbc_buf_append(&b, " AND at >= ");
		dbc_buf_appendf(&b, ctx->host->dialect->time_param, n);
	}
	dbc_buf_append(&b, " ORDER BY id");
	char *sql = dbc_buf_finish(&b);
	return sql ? ctx->host->query(ctx, sql, n, args, add_row, out) : DBC_ERROR;
}

/* ---------------------------------------------------------------- row_at */

typedef struct fold {
	json_t *row;  /* the row so far; NULL while it does not exist */
	bool known;   /* an insert or a snapshot was seen: the row is known */
	bool unknown; /* an update or delete came first: the log does not reach back */
} fold;

static int fold_entry(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	fold *f = arg;
	(void)ncol;
	/* a chained entry must match its hash: a forged one is never folded
	 * into the row silently (an unchained entry cannot be checked) */
	if (c[3].type != DBC_NULL) {
		bool intact;
		if (dbc_audit_entry_intact(ctx, &c[3], &intact) != DBC_OK)
			return DBC_ERROR;
		if (!intact) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			          "entry %lld of this row's history does not match its hash: it was changed",
			          (long long)c[2].i);
			dbc_error_hint(ctx, "SELECT * FROM dbaudit_verify() lists every changed entry.");
			return DBC_ERROR;
		}
	}
	const char *op = c[0].s;
	const char *newv = c[1].type == DBC_TEXT ? c[1].s : NULL;
	/* a value that held a NUL byte is logged as \u0000 and carried whole
	 * (dbc_json_parse_with_nul) into the row dumped back as JSON */
	if (strcmp(op, "insert") == 0 || strcmp(op, "snapshot") == 0) {
		json_decref(f->row);
		f->row = newv ? dbc_json_parse_with_nul(ctx, newv, "a logged row") : NULL;
		if (!f->row)
			return DBC_ERROR;
		f->known = true;
		f->unknown = false;
	} else if (strcmp(op, "delete") == 0 || strcmp(op, "truncate") == 0) {
		json_decref(f->row);
		f->row = NULL;
		f->known = true;
		f->unknown = false;
	} else if (strcmp(op, "update") == 0) {
		if (!f->known || !f->row) {
			f->unknown = true;
			return DBC_OK;
		}
		json_t *changes = newv ? dbc_json_parse_with_nul(ctx, newv, "a logged row") : NULL;
		if (!changes)
			return DBC_ERROR;
		int rc = json_object_update(f->row, changes);
		json_decref(changes);
		if (rc != 0)
			return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	return DBC_OK;
}

int dbc_audit_row_at(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, const char *key,
                     const char *at, char **json_out)
{
	char *name, *k;
	int rc;
	*json_out = NULL;
	if (!at)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"at\" must not be NULL");
	bool audited;
	if (dbc_audit_stored_name(ctx, e, table, &name) != DBC_OK ||
	    canonical_key(ctx, e, name, key, &k, &audited) != DBC_OK)
		return DBC_ERROR;
	bool exists = log_exists(ctx, e, &rc);
	if (rc != DBC_OK || refuse_unknown_table(ctx, e, name, audited, exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	char *p2 = dbc_printf(ctx, ctx->host->dialect->json_param, 2);
	char *p3 = dbc_printf(ctx, ctx->host->dialect->time_param, 3);
	char *keyed = p2 ? row_range(ctx, e, p2) : NULL;
	char *unkeyed = row_range(ctx, e, "NULL");
	char *sql = p2 && p3 && keyed && unkeyed
	                ? dbc_printf(ctx,
	                             "SELECT operation, new_values, id, %s FROM %saudit_log"
	                             " WHERE table_name = $1 AND (%skey = %s OR"
	                             " (%skey IS NULL AND operation = 'truncate')) AND at <= %s"
	                             " ORDER BY id",
	                             ctx->host->dialect->audit_link_columns, ctx->host->book_prefix,
	                             keyed, p2, unkeyed, p3)
	                : NULL;
	dbc_value args[3] = {dbc_text(name), dbc_text(k), dbc_text(at)};
	fold f = {0};
	rc = sql ? ctx->host->query(ctx, sql, 3, args, fold_entry, &f) : DBC_ERROR;
	if (rc == DBC_OK && f.unknown) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "the log of %s does not reach back to this row's insert", e->display(ctx, name));
		dbc_error_hint(ctx, "Rows that existed before auditing began are known from their "
		                    "snapshot: dbaudit_enable(table, '{\"baseline\": true}').");
		rc = DBC_ERROR;
	}
	if (rc == DBC_OK && f.row)
		*json_out = dbc_json_dump(ctx, f.row, DBC_JSON_REPORT | JSON_PRESERVE_ORDER);
	if (rc == DBC_OK && f.row && !*json_out)
		rc = DBC_ERROR;
	json_decref(f.row);
	return rc;
}
