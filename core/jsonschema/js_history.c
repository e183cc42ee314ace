/*
 * js_history.c — dbjson_history(name): who changed a registered schema,
 * when, from which fingerprint to which (json_schema_changes), oldest first.
 *
 * Who reads it (an engine with roles; the function is SECURITY DEFINER, so
 * this rule is the only gate): a superuser, a member of the dialect's
 * monitor_role, a role that may act as the schema's owner, and a role that
 * may act as the owner of a table one of whose CHECK constraints names the
 * schema as a literal (the constraint whose meaning the registry decides).
 * Anyone else is refused by name, and reads nothing. Without roles (SQLite) the file's
 * writers are one principal, who reads every change.
 */
#include "jsonschema/js_private.h"

#include <string.h>

static int take_change(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	return ncol == 4 ? dbc_rows_add(arg, c) : dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "bad row");
}

/* Whether role may act as the owner of a table with a CHECK naming name. */
static int owns_a_user(dbc_ctx *ctx, const char *role, const char *name, bool *ok)
{
	dbc_js_user *users;
	int n;
	*ok = false;
	if (dbc_js_schema_users(ctx, name, &users, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n && !*ok; i++) {
		char *owner = NULL;
		if (users[i].domain || !users[i].name || !users[i].schema)
			continue;
		dbc_value p[2] = {dbc_text(users[i].schema), dbc_text(users[i].name)};
		if (ctx->host->query(ctx, ctx->host->dialect->table_owner, 2, p, dbc_js_take_text,
		                     &owner) != DBC_OK ||
		    (owner && dbc_js_acts_as(ctx, role, owner, ok) != DBC_OK))
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int may_read(dbc_ctx *ctx, const char *name)
{
	char *role, *owner = NULL;
	bool ok;
	if (!ctx->host->dialect->role_acts_as)
		return DBC_OK; /* no roles: the file's writers are one principal */
	char *sql =
	    dbc_printf(ctx, "SELECT owner FROM %sjson_schemas WHERE name = $1", ctx->host->book_prefix);
	dbc_value key = dbc_text(name);
	if (!sql || dbc_js_session_role(ctx, &role) != DBC_OK ||
	    dbc_js_acts_as(ctx, role, ctx->host->dialect->monitor_role, &ok) != DBC_OK)
		return DBC_ERROR;
	if (!ok && ctx->host->query(ctx, sql, 1, &key, dbc_js_take_text, &owner) != DBC_OK)
		return DBC_ERROR;
	if (!ok && owner && dbc_js_acts_as(ctx, role, owner, &ok) != DBC_OK)
		return DBC_ERROR;
	if (!ok && owns_a_user(ctx, role, name, &ok) != DBC_OK)
		return DBC_ERROR;
	if (ok)
		return DBC_OK;
	dbc_error(ctx, "42501",
	          "role %s may not read the history of schema %s: only superusers, members of "
	          "%s, the schema's owner and the owners of tables whose CHECK constraints "
	          "name it may",
	          dbc_excerpt(ctx, role, DBC_EXCERPT), dbc_excerpt(ctx, name, DBC_EXCERPT),
	          ctx->host->dialect->monitor_role);
	dbc_error_hint(ctx, "ask a superuser to GRANT %s TO %s, or to read it for you",
	               ctx->host->dialect->monitor_role, dbc_excerpt(ctx, role, DBC_EXCERPT));
	return DBC_ERROR;
}

int dbc_js_history(dbc_ctx *ctx, const char *name, dbc_rows *out)
{
	bool present;
	dbc_rows_init(out, ctx, 4);
	if (dbc_js_registry_present(ctx, &present) != DBC_OK || !present)
		return ctx->failed ? DBC_ERROR : DBC_OK;
	if (may_read(ctx, name) != DBC_OK)
		return DBC_ERROR;
	const char *by = ctx->host->dialect->role_acts_as ? "changed_by" : "CAST(NULL AS text)";
	char *at = dbc_printf(ctx, ctx->host->dialect->time_iso, "changed_at");
	char *sql = at ? dbc_printf(ctx,
	                            "SELECT %s, %s, old_sha256, new_sha256 FROM %sjson_schema_changes"
	                            " WHERE name = $1 ORDER BY id",
	                            at, by, ctx->host->book_prefix)
	               : NULL;
	dbc_value key = dbc_text(name);
	return sql ? ctx->host->query(ctx, sql, 1, &key, take_change, out) : DBC_ERROR;
}
