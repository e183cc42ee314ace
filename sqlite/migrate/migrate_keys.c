/*
 * migrate_keys.c — SQLite's foreign keys around a migration run
 * (dbc_keys_hooks; the rule is core/migrate/migrate_keys.c). Enforcement
 * is switched with sqlite3_db_config(SQLITE_DBCONFIG_ENABLE_FKEY), the C
 * form of PRAGMA foreign_keys: it prepares no statement, so the caller's
 * setting comes back even under an interrupt, when nothing can be prepared
 * any more (txn_guard.c). It is switched off only where the pragma would
 * take effect: no transaction open.
 */
#include "sqlite/host/glue.h"
#include "migrate/migrate.h"

static sqlite3 *db_of(dbc_ctx *ctx)
{
	return ((sqldbc_call *)ctx->host_data)->db;
}

static int keys_suspend(dbc_ctx *ctx, bool *enforced, bool *suspended)
{
	sqlite3 *db = db_of(ctx);
	int on = 0;
	*enforced = *suspended = false;
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &on) != SQLITE_OK)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not read the foreign key setting");
	if (!on)
		return DBC_OK;
	if (!sqlite3_get_autocommit(db)) {
		*enforced = true;
		return DBC_OK;
	}
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 0, &on) != SQLITE_OK || on)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not turn foreign keys off");
	*suspended = true;
	return DBC_OK;
}

static void keys_restore(dbc_ctx *ctx)
{
	sqlite3_db_config(db_of(ctx), SQLITE_DBCONFIG_ENABLE_FKEY, 1, (int *)NULL);
}

typedef struct violations {
	int64_t n;
	char *first;
} violations;

/* PRAGMA foreign_key_check: table, rowid (NULL: WITHOUT ROWID), parent. */
static int take_violation(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	violations *v = arg;
	if (v->n++ || ncol < 3)
		return DBC_OK;
	const char *table = c[0].type == DBC_TEXT ? c[0].s : "?";
	const char *parent = c[2].type == DBC_TEXT ? c[2].s : "?";
	v->first =
	    c[1].type == DBC_INT
	        ? dbc_printf(ctx, "%s rowid %lld references %s, which has no such row", table,
	                     (long long)c[1].i, parent)
	        : dbc_printf(ctx, "a row of %s references %s, which has no such row", table, parent);
	return v->first ? DBC_OK : DBC_ERROR;
}

static int keys_violations(dbc_ctx *ctx, int64_t *n, char **first)
{
	violations v = {0, NULL};
	if (ctx->host->query(ctx, "PRAGMA main.foreign_key_check", 0, NULL, take_violation, &v) !=
	    DBC_OK)
		return DBC_ERROR;
	*n = v.n;
	*first = v.first;
	return DBC_OK;
}

typedef struct child {
	char *name, *action;
	struct child *next;
} child;

static int take_child(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	child **list = arg, *ch = dbc_alloc(ctx, sizeof(child));
	(void)ncol;
	if (!ch || !(ch->name = dbc_strdup(ctx, c[0].s)) || !(ch->action = dbc_strdup(ctx, c[1].s)))
		return DBC_ERROR;
	ch->next = *list;
	*list = ch;
	return DBC_OK;
}

static int take_int(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx, (void)ncol;
	*(int64_t *)arg = c[0].type == DBC_INT ? c[0].i : 0;
	return DBC_OK;
}

/* The children holding rows (a child without rows loses nothing); the
 * lint's fact too (migrate_lint.c). */
int sqldbc_keys_deleting_children(dbc_ctx *ctx, const char *schema, const char *table,
                                  char **children)
{
	child *list = NULL;
	*children = NULL;
	if (schema && sqlite3_stricmp(schema, "main") != 0)
		return DBC_OK; /* temp and attached tables: only main's keys are followed */
	dbc_value p = dbc_text(table);
	if (ctx->host->query(ctx,
	                     "SELECT DISTINCT m.name, upper(f.on_delete) FROM main.sqlite_schema m, "
	                     "pragma_foreign_key_list(m.name, 'main') f WHERE m.type = 'table' "
	                     "AND f.\"table\" = $1 COLLATE NOCASE AND m.name <> $1 COLLATE NOCASE "
	                     "AND upper(f.on_delete) IN ('CASCADE', 'SET NULL', 'SET DEFAULT') "
	                     "ORDER BY m.name DESC",
	                     1, &p, take_child, &list) != DBC_OK)
		return DBC_ERROR;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (child *ch = list; ch; ch = ch->next) {
		int64_t rows = 0;
		char *q = dbc_printf(ctx, "SELECT EXISTS (SELECT 1 FROM main.%s)",
		                     ctx->host->quote_ident(ctx, ch->name));
		if (!q || ctx->host->query(ctx, q, 0, NULL, take_int, &rows) != DBC_OK)
			return DBC_ERROR;
		if (rows)
			dbc_buf_appendf(&b, "%s%s (ON DELETE %s)", b.len ? ", " : "", ch->name, ch->action);
	}
	*children = b.len ? dbc_buf_finish(&b) : NULL;
	return DBC_OK;
}

const dbc_keys_hooks sqldbc_keys_hooks = {
    .suspend = keys_suspend,
    .restore = keys_restore,
    .violations = keys_violations,
    .deleting_children = sqldbc_keys_deleting_children,
};
