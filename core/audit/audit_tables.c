/*
 * audit_tables.c — dbaudit_enable, dbaudit_disable, dbaudit_refresh and
 * dbaudit_tables: the bookkeeping table <prefix>audit_tables, one row per
 * audited table (its stored name, when, the options, and the columns the
 * triggers were made for), kept in step with the engine's triggers inside
 * one savepoint.
 */
#include "audit/audit.h"

#include "base/json.h"

#include <string.h>

char *dbc_audit_columns_json(dbc_ctx *ctx, const dbc_strlist *l)
{
	json_t *a = json_array();
	for (int i = 0; a && i < l->n; i++)
		if (json_array_append_new(a, dbc_json_str(l->items[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	char *s = a ? dbc_json_dump(ctx, a, DBC_JSON_CANONICAL) : NULL;
	json_decref(a);
	if (!s && !ctx->failed)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return s;
}

int dbc_audit_resolve(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table,
                      dbc_audit_target *out, bool *found)
{
	if (e->resolve(ctx, table, out, found) != DBC_OK)
		return DBC_ERROR;
	if (*found && !(out->display = e->display(ctx, out->name)))
		return DBC_ERROR;
	if (!*found || out->kind == DBC_AUDIT_TABLE)
		return DBC_OK;
	if (out->kind == DBC_AUDIT_TEMPORARY)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "%s is temporary: only permanent tables can be audited", out->display);
	if (out->kind == DBC_AUDIT_INTERNAL)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "%s is a table of dbcare or of the database engine: it cannot be audited",
		                 out->display);
	const char *what = out->kind == DBC_AUDIT_VIEW      ? "a view"
	                   : out->kind == DBC_AUDIT_MATVIEW ? "a materialized view"
	                   : out->kind == DBC_AUDIT_FOREIGN ? "a foreign table"
	                   : out->kind == DBC_AUDIT_VIRTUAL ? "a virtual table"
	                                                    : "not a table";
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s is %s: only tables can be audited",
	                 out->display, what);
}

int dbc_audit_stored_name(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, char **out)
{
	dbc_audit_target t = {0};
	bool found = false;
	if (!table)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"table\" must not be NULL");
	if (dbc_audit_resolve(ctx, e, table, &t, &found) != DBC_OK)
		return DBC_ERROR;
	*out = found ? (char *)t.name : dbc_strdup(ctx, table);
	return *out ? DBC_OK : DBC_ERROR;
}

typedef struct table_list {
	dbc_audit_table *items;
	int n;
	int cap;
} table_list;

static char *dup_or_null(dbc_ctx *ctx, const dbc_value *v)
{
	return v->type == DBC_NULL ? NULL : dbc_strdup(ctx, v->s);
}

static int collect_table(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	table_list *l = arg;
	(void)ncol;
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(dbc_audit_table), 8) != DBC_OK)
		return DBC_ERROR;
	dbc_audit_table *t = &l->items[l->n++];
	t->name = dup_or_null(ctx, &c[0]);
	t->enabled_at = dup_or_null(ctx, &c[1]);
	t->options = dup_or_null(ctx, &c[2]);
	t->columns = dup_or_null(ctx, &c[3]);
	t->entries = c[4].type == DBC_INT ? c[4].i : 0;
	return DBC_OK;
}

int dbc_audit_readable(dbc_ctx *ctx, const dbc_audit_hooks *e, bool *readable)
{
	*readable = true;
	if (ctx->host->book_exists && ctx->host->book_exists(ctx, readable) != DBC_OK)
		return DBC_ERROR;
	if (*readable && e->tables_exist)
		return e->tables_exist(ctx, readable);
	return DBC_OK;
}

static int load(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *only, bool counted,
                dbc_audit_table **out, int *n)
{
	table_list l = {0};
	bool exists;
	*out = NULL;
	*n = 0;
	if (dbc_audit_readable(ctx, e, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	const char *p = ctx->host->book_prefix;
	char *range =
	    !counted || !e->table_range ? dbc_strdup(ctx, "") : e->table_range(ctx, "t.table_name");
	char *count = !counted ? dbc_strdup(ctx, "0")
	              : range  ? dbc_printf(ctx,
	                                    "(SELECT count(*) FROM %saudit_log l"
	                                     " WHERE %sl.table_name = t.table_name)",
	                                    p, range)
	                       : NULL;
	char *sql = count ? dbc_printf(ctx,
	                               "SELECT t.table_name, t.enabled_at, t.options, t.columns, %s"
	                               " FROM %saudit_tables t%s ORDER BY t.table_name",
	                               count, p, only ? " WHERE t.table_name = $1" : "")
	                  : NULL;
	dbc_value arg = dbc_text(only ? only : "");
	if (!sql || ctx->host->query(ctx, sql, only ? 1 : 0, &arg, collect_table, &l) != DBC_OK)
		return DBC_ERROR;
	*out = l.items;
	*n = l.n;
	return DBC_OK;
}

int dbc_audit_load_tables(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *only,
                          dbc_audit_table **out, int *n)
{
	return load(ctx, e, only, false, out, n);
}

int dbc_audit_load_counted(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_audit_table **out, int *n)
{
	return load(ctx, e, NULL, true, out, n);
}

static int store_row(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                     bool insert)
{
	char *opts = dbc_audit_options_json(ctx, o);
	char *cols = dbc_audit_columns_json(ctx, &t->columns);
	char *p2 = dbc_printf(ctx, ctx->host->dialect->json_param, 2);
	char *p3 = dbc_printf(ctx, ctx->host->dialect->json_param, 3);
	if (!opts || !cols || !p2 || !p3)
		return DBC_ERROR;
	const char *p = ctx->host->book_prefix;
	char *sql = insert ? dbc_printf(ctx,
	                                "INSERT INTO %saudit_tables (table_name, options, columns)"
	                                " VALUES ($1, %s, %s)",
	                                p, p2, p3)
	                   : dbc_printf(ctx,
	                                "UPDATE %saudit_tables SET options = %s, columns = %s"
	                                " WHERE table_name = $1",
	                                p, p2, p3);
	dbc_value args[3] = {dbc_text(t->name), dbc_text(opts), dbc_text(cols)};
	return sql ? ctx->host->query(ctx, sql, 3, args, NULL, NULL) : DBC_ERROR;
}

/* Runs the body between a savepoint and its release; rolls back on failure,
 * so the triggers and the bookkeeping row change together or not at all. */
static int in_savepoint(dbc_ctx *ctx, int rc_body_level, int rc)
{
	if (rc == DBC_OK)
		return ctx->host->release(ctx, rc_body_level);
	ctx->host->rollback(ctx, rc_body_level);
	return DBC_ERROR;
}

/* Whether a table recorded as audited has no audit trigger left at all: it
 * was dropped and made again under its name (dropping a table drops its
 * triggers), or every trigger was dropped. Enabling it then audits it
 * anew, with the options given now; its log stays. */
static int audit_triggerless(dbc_ctx *ctx, const dbc_audit_hooks *e, const dbc_audit_table *row,
                             bool *none)
{
	dbc_audit_recording r;
	memset(&r, 0, sizeof(r));
	*none = false;
	if (e->recording(ctx, row, &r) != DBC_OK)
		return DBC_ERROR;
	*none = r.exists && !r.renamed_to && r.operations > 0 && r.missing.n == r.operations;
	return DBC_OK;
}

int dbc_audit_enable(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, const char *options,
                     char **name_out)
{
	dbc_audit_target t = {0};
	dbc_audit_options o;
	bool found = false;
	if (!table)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"table\" must not be NULL");
	if (dbc_audit_resolve(ctx, e, table, &t, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "table \"%s\" does not exist",
		                 dbc_excerpt(ctx, table, DBC_EXCERPT));
	if (dbc_audit_parse_options(ctx, &t, options, &o) != DBC_OK)
		return DBC_ERROR;
	if (o.wal && !e->wal_mode) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "mode \"wal\" is PostgreSQL's");
		dbc_error_hint(ctx, "Audit the table in mode \"trigger\" (the default).");
		return DBC_ERROR;
	}
	if (dbc_book_ensure_part(ctx, "audit") != DBC_OK)
		return DBC_ERROR;
	dbc_audit_table *old;
	int nold;
	if (dbc_audit_load_tables(ctx, e, t.name, &old, &nold) != DBC_OK)
		return DBC_ERROR;
	bool again = false;
	if (nold > 0 && audit_triggerless(ctx, e, &old[0], &again) != DBC_OK)
		return DBC_ERROR;
	if (nold > 0 && !again) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "table %s is already audited", t.display);
		dbc_error_hint(ctx, "dbaudit_disable it first to change its options.");
		return DBC_ERROR;
	}
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	int rc = store_row(ctx, &t, &o, !again);
	if (rc == DBC_OK)
		rc = e->install(ctx, &t, &o);
	if (rc == DBC_OK && o.baseline)
		rc = e->baseline(ctx, &t, &o);
	if (in_savepoint(ctx, level, rc) != DBC_OK)
		return DBC_ERROR;
	*name_out = (char *)t.name;
	return DBC_OK;
}

int dbc_audit_disable(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table)
{
	char *name;
	dbc_audit_table *old;
	int nold;
	if (dbc_audit_stored_name(ctx, e, table, &name) != DBC_OK ||
	    dbc_audit_load_tables(ctx, e, name, &old, &nold) != DBC_OK)
		return DBC_ERROR;
	if (nold == 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "table %s is not audited",
		                 dbc_excerpt(ctx, e->display(ctx, name), DBC_EXCERPT));
	if (dbc_book_ensure_part(ctx, "audit") != DBC_OK)
		return DBC_ERROR;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	char *sql =
	    dbc_printf(ctx, "DELETE FROM %saudit_tables WHERE table_name = $1", ctx->host->book_prefix);
	dbc_value arg = dbc_text(name);
	int rc = sql ? e->uninstall(ctx, name) : DBC_ERROR;
	if (rc == DBC_OK)
		rc = ctx->host->query(ctx, sql, 1, &arg, NULL, NULL);
	return in_savepoint(ctx, level, rc);
}

/* Remakes one table's triggers from its stored options; a table that is
 * gone is left alone (the health check reports it). */
static int refresh_one(dbc_ctx *ctx, const dbc_audit_hooks *e, const dbc_audit_table *row,
                       int *count)
{
	dbc_audit_target t = {0};
	dbc_audit_options o;
	bool found = false;
	if (dbc_audit_resolve(ctx, e, row->name, &t, &found) != DBC_OK)
		return DBC_ERROR;
	if (!found)
		return DBC_OK;
	if (dbc_audit_parse_options(ctx, &t, row->options, &o) != DBC_OK) {
		/* the stored options name a column that is gone: renamed while no
		 * trigger of the table kept its number (its triggers dropped, or
		 * made by an earlier build), so it cannot be followed any more */
		dbc_error_hint(ctx, "If a column the options name was renamed, dbaudit_disable the table "
		                    "and dbaudit_enable it with options naming its columns as they are "
		                    "now.");
		return DBC_ERROR;
	}
	o.baseline = false;
	if (e->uninstall(ctx, t.name) != DBC_OK || e->install(ctx, &t, &o) != DBC_OK ||
	    store_row(ctx, &t, &o, false) != DBC_OK)
		return DBC_ERROR;
	(*count)++;
	return DBC_OK;
}

int dbc_audit_refresh(dbc_ctx *ctx, const dbc_audit_hooks *e, const char *table, int *count)
{
	char *name = NULL;
	dbc_audit_table *rows;
	int n;
	*count = 0;
	if (table && dbc_audit_stored_name(ctx, e, table, &name) != DBC_OK)
		return DBC_ERROR;
	if (dbc_audit_load_tables(ctx, e, name, &rows, &n) != DBC_OK)
		return DBC_ERROR;
	if (table && n == 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "table %s is not audited",
		                 dbc_excerpt(ctx, e->display(ctx, name), DBC_EXCERPT));
	if (n == 0)
		return DBC_OK;
	if (dbc_book_ensure_part(ctx, "audit") != DBC_OK)
		return DBC_ERROR;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	int rc = DBC_OK;
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = refresh_one(ctx, e, &rows[i], count);
	return in_savepoint(ctx, level, rc);
}

int dbc_audit_tables(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_rows *out)
{
	dbc_audit_table *rows;
	int n;
	if (dbc_audit_load_counted(ctx, e, &rows, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		char *problem;
		if (dbc_audit_problem(ctx, e, &rows[i], &problem) != DBC_OK)
			return DBC_ERROR;
		dbc_value row[DBC_AUDIT_TABLES_NCOLS] = {
		    dbc_text(rows[i].name),
		    rows[i].enabled_at ? dbc_text(rows[i].enabled_at) : dbc_null(),
		    dbc_text(rows[i].options),
		    dbc_int(rows[i].entries),
		    dbc_bool(problem == NULL),
		    problem ? dbc_text(problem) : dbc_null()};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
