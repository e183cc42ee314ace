/*
 * audit_sql.c — the SQL of SQLite's audit triggers (docs/audit.md). Each
 * audited table gets three AFTER triggers (insert, update, delete) that
 * write dbcare_audit_log with SQLite's own JSON functions; the one thing
 * they call of dbcare is INNOCUOUS (dbaudit_txid(), dbaudit_actor()), so
 * they also run with trusted_schema = OFF. The triggers list the table's
 * columns: a column added later is not recorded until dbaudit_refresh
 * (the health check "audit" reports such tables).
 */
#include "audit_sql.h"

#include <string.h>

/* A column's value as JSON can hold it: a BLOB (which JSON cannot hold, and
 * json_object refuses, failing the application's write) as hex text. */
static char *value_of(dbc_ctx *ctx, const char *row, const char *qcol)
{
	return dbc_printf(ctx, "CASE WHEN typeof(%s.%s) = 'blob' THEN hex(%s.%s) ELSE %s.%s END", row,
	                  qcol, row, qcol, row, qcol);
}

/* json_object takes at most 63 pairs (SQLITE_MAX_FUNCTION_ARG 127); wider
 * rows are aggregated from one SELECT per column. */
#define OBJECT_MAX_PAIRS 60

/* The columns of cols (all of them, or with `other` only those whose value
 * differs from other's) as a JSON object of row's values. */
static char *object_of(dbc_ctx *ctx, const dbc_strlist *cols, const char *row, const char *other)
{
	const dbc_host *h = ctx->host;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (!other && cols->n <= OBJECT_MAX_PAIRS) {
		dbc_buf_append(&b, "json_object(");
		for (int i = 0; i < cols->n; i++) {
			char *name = h->quote_literal(ctx, cols->items[i]);
			char *q = h->quote_ident(ctx, cols->items[i]);
			char *v = q ? value_of(ctx, row, q) : NULL;
			if (!name || !v)
				return NULL;
			dbc_buf_appendf(&b, "%s%s, %s", i ? ", " : "", name, v);
		}
		dbc_buf_append(&b, ")");
		return dbc_buf_finish(&b);
	}
	dbc_buf_append(&b, "(SELECT json_group_object(c, json(v)) FROM (");
	for (int i = 0; i < cols->n; i++) {
		char *name = h->quote_literal(ctx, cols->items[i]);
		char *q = h->quote_ident(ctx, cols->items[i]);
		char *v = q ? value_of(ctx, row, q) : NULL;
		if (!name || !v)
			return NULL;
		dbc_buf_appendf(&b, "%sSELECT %s AS c, json_quote(%s) AS v", i ? " UNION ALL " : "", name,
		                v);
		if (other)
			dbc_buf_appendf(&b, " WHERE %s.%s IS NOT %s.%s", row, q, other, q);
	}
	if (cols->n == 0)
		dbc_buf_append(&b, "SELECT NULL AS c, NULL AS v WHERE 0");
	dbc_buf_append(&b, "))");
	return dbc_buf_finish(&b);
}

/* The recorded columns, in table order (full: with the key columns). */
static int recorded(dbc_ctx *ctx, const dbc_audit_target *t, const dbc_audit_options *o,
                    bool with_key, dbc_strlist *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < t->columns.n; i++) {
		const char *c = t->columns.items[i];
		if ((dbc_audit_records(o, c) || (with_key && dbc_strlist_find(&o->key, c) >= 0)) &&
		    dbc_strlist_add(ctx, out, c) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static char *insert_entry(dbc_ctx *ctx, const char *table_lit, const char *op, const char *key,
                          const char *old, const char *new)
{
	return dbc_printf(ctx,
	                  "INSERT INTO dbcare_audit_log (at, txid, actor, operation, table_name, key,"
	                  " old_values, new_values) VALUES (strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'),"
	                  " dbaudit_txid(), dbaudit_actor(), '%s', %s, %s, %s, %s)",
	                  op, table_lit, key, old ? old : "NULL", new ? new : "NULL");
}

char *sqldbc_audit_trigger_name(dbc_ctx *ctx, const char *table, const char *op)
{
	char *name = dbc_printf(ctx, "dbcare_audit_%s_%s", op, table);
	return name ? ctx->host->quote_ident(ctx, name) : NULL;
}

int sqldbc_audit_triggers_sql(dbc_ctx *ctx, const dbc_audit_target *t,
                              const dbc_audit_options *o, char **out)
{
	const dbc_host *h = ctx->host;
	dbc_strlist full, changed;
	if (recorded(ctx, t, o, true, &full) != DBC_OK || recorded(ctx, t, o, false, &changed) != DBC_OK)
		return DBC_ERROR;
	char *qtable = h->quote_ident(ctx, t->name);
	char *lit = h->quote_literal(ctx, t->name);
	char *key_new = object_of(ctx, &o->key, "NEW", NULL);
	char *key_old = object_of(ctx, &o->key, "OLD", NULL);
	char *row_new = object_of(ctx, &full, "NEW", NULL);
	char *row_old = object_of(ctx, &full, "OLD", NULL);
	char *ins = sqldbc_audit_trigger_name(ctx, t->name, "insert");
	char *upd = sqldbc_audit_trigger_name(ctx, t->name, "update");
	char *del = sqldbc_audit_trigger_name(ctx, t->name, "delete");
	if (!qtable || !lit || !key_new || !key_old || !row_new || !row_old || !ins || !upd || !del)
		return DBC_ERROR;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "CREATE TRIGGER main.%s AFTER INSERT ON %s BEGIN %s; END;", ins, qtable,
	                insert_entry(ctx, lit, "insert", key_new, NULL, row_new));
	if (o->full_updates) {
		dbc_buf_appendf(&b, "CREATE TRIGGER main.%s AFTER UPDATE ON %s BEGIN %s; END;", upd,
		                qtable, insert_entry(ctx, lit, "update", key_new, row_old, row_new));
	} else if (changed.n > 0) {
		/* only when a recorded column changed; only the changed ones */
		char *old_vals = object_of(ctx, &changed, "OLD", "NEW");
		char *new_vals = object_of(ctx, &changed, "NEW", "OLD");
		if (!old_vals || !new_vals)
			return DBC_ERROR;
		dbc_buf_appendf(&b, "CREATE TRIGGER main.%s AFTER UPDATE ON %s WHEN ", upd, qtable);
		for (int i = 0; i < changed.n; i++) {
			char *q = h->quote_ident(ctx, changed.items[i]);
			if (!q)
				return DBC_ERROR;
			dbc_buf_appendf(&b, "%sOLD.%s IS NOT NEW.%s", i ? " OR " : "", q, q);
		}
		dbc_buf_appendf(&b, " BEGIN %s; END;",
		                insert_entry(ctx, lit, "update", key_new, old_vals, new_vals));
	}
	dbc_buf_appendf(&b, "CREATE TRIGGER main.%s AFTER DELETE ON %s BEGIN %s; END;", del, qtable,
	                insert_entry(ctx, lit, "delete", key_old, row_old, NULL));
	*out = dbc_buf_finish(&b);
	return *out ? DBC_OK : DBC_ERROR;
}

int sqldbc_audit_baseline_sql(dbc_ctx *ctx, const dbc_audit_target *t,
                              const dbc_audit_options *o, char **out)
{
	dbc_strlist full;
	if (recorded(ctx, t, o, true, &full) != DBC_OK)
		return DBC_ERROR;
	char *qtable = ctx->host->quote_ident(ctx, t->name);
	char *lit = ctx->host->quote_literal(ctx, t->name);
	char *key = object_of(ctx, &o->key, "r", NULL);
	char *row = object_of(ctx, &full, "r", NULL);
	if (!qtable || !lit || !key || !row)
		return DBC_ERROR;
	*out = dbc_printf(ctx,
	                  "INSERT INTO main.dbcare_audit_log (at, txid, actor, operation, table_name,"
	                  " key, new_values) SELECT strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'),"
	                  " dbaudit_txid(), dbaudit_actor(), 'snapshot', %s, %s, %s FROM main.%s AS r",
	                  lit, key, row, qtable);
	return *out ? DBC_OK : DBC_ERROR;
}
