/*
 * audit_target.c — what a table name given to the audit calls is on this
 * connection (sqldbc_audit_resolve): an ordinary table with its columns and
 * primary key, or a view, a virtual, temporary or internal table the audit
 * refuses. Used by the calls (fn_audit.c) and by the TEMP triggers of a
 * module connection (audit_direct.c).
 */
#include "audit_sql.h"

#include <string.h>

typedef struct found_rel {
	int n;
	char *type;
	char *name;
	bool is_virtual;
} found_rel;

static int collect_rel(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	found_rel *f = arg;
	(void)ncol;
	if (f->n++ > 0)
		return DBC_OK;
	f->type = dbc_strdup(ctx, c[0].s);
	f->name = dbc_strdup(ctx, c[1].s);
	f->is_virtual = c[2].type == DBC_INT && c[2].i != 0;
	return f->type && f->name ? DBC_OK : DBC_ERROR;
}

static int collect_column(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	dbc_audit_target *t = arg;
	return dbc_strlist_add(ctx, &t->columns, c[0].s);
}

static int collect_rowid(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	dbc_audit_target *t = arg;
	t->rowid_column = dbc_strdup(ctx, c[0].s);
	return t->rowid_column ? DBC_OK : DBC_ERROR;
}

static int collect_pk(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	dbc_audit_target *t = arg;
	return dbc_strlist_add(ctx, &t->primary_key, c[0].s);
}

int sqldbc_audit_resolve(dbc_ctx *ctx, const char *table, dbc_audit_target *out, bool *found)
{
	found_rel f = {0};
	dbc_value arg = dbc_text(table);
	*found = false;
	if (ctx->host->query(ctx,
	                     "SELECT type, name, sql LIKE 'CREATE VIRTUAL%' FROM main.sqlite_schema"
	                     " WHERE type IN ('table', 'view') AND name = $1 COLLATE NOCASE",
	                     1, &arg, collect_rel, &f) != DBC_OK)
		return DBC_ERROR;
	memset(out, 0, sizeof(*out));
	if (f.n == 0) {
		found_rel temp = {0};
		if (ctx->host->query(ctx,
		                     "SELECT type, name, 0 FROM temp.sqlite_schema"
		                     " WHERE type IN ('table', 'view') AND name = $1 COLLATE NOCASE",
		                     1, &arg, collect_rel, &temp) != DBC_OK)
			return DBC_ERROR;
		if (temp.n > 0) {
			out->name = temp.name;
			out->kind = DBC_AUDIT_TEMPORARY;
			*found = true;
		}
		return DBC_OK;
	}
	out->name = f.name;
	*found = true;
	out->kind = strcmp(f.type, "view") == 0 ? DBC_AUDIT_VIEW
	            : f.is_virtual              ? DBC_AUDIT_VIRTUAL
	            : strncmp(f.name, "dbcare_", 7) == 0 || strncmp(f.name, "sqlite_", 7) == 0
	                ? DBC_AUDIT_INTERNAL
	                : DBC_AUDIT_TABLE;
	if (out->kind != DBC_AUDIT_TABLE)
		return DBC_OK;
	arg = dbc_text(f.name);
	/* hidden 1: a virtual table's hidden column; generated ones (2, 3) are recorded */
	if (ctx->host->query(ctx,
	                     "SELECT name FROM pragma_table_xinfo($1, 'main') WHERE hidden <> 1"
	                     " ORDER BY cid",
	                     1, &arg, collect_column, out) != DBC_OK ||
	    ctx->host->query(ctx,
	                     "SELECT name FROM pragma_table_info($1, 'main') WHERE pk > 0 ORDER BY pk",
	                     1, &arg, collect_pk, out) != DBC_OK ||
	    /* the rowid's column: a lone INTEGER PRIMARY KEY with no index of
	     * its own (PRIMARY KEY DESC and WITHOUT ROWID tables have one) */
	    ctx->host->query(ctx,
	                     "SELECT name FROM pragma_table_info($1, 'main') WHERE pk = 1"
	                     " AND upper(type) = 'INTEGER' AND NOT EXISTS (SELECT 1 FROM"
	                     " pragma_table_info($1, 'main') WHERE pk > 1) AND NOT EXISTS"
	                     " (SELECT 1 FROM pragma_index_list($1, 'main') WHERE origin = 'pk')",
	                     1, &arg, collect_rowid, out) != DBC_OK)
		return DBC_ERROR;
	*found = true;
	return DBC_OK;
}
