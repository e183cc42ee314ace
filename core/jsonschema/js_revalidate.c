/*
 * js_revalidate.c — dbjson_revalidate(name): after a registered schema
 * changed, how many stored rows each CHECK constraint naming it no longer
 * accepts, as VALIDATE CONSTRAINT would find. The constraints are checked
 * by the constraint checker (core/check), so each expression runs as its
 * table's checks always do (PostgreSQL: with the table owner's rights, in
 * a scope that only reads).
 */
#include "jsonschema/js_private.h"

#include "check/check.h"
#include "schema/schema.h"

#include <string.h>

/* Appends the findings of table t's CHECK constraints that name the schema. */
static int check_table(dbc_ctx *ctx, const dbc_schema *s, const dbc_js_user *users, int n,
                       const char *table, dbc_rows *out)
{
	dbc_check_options opt = {.table = table, .kinds = DBC_CHECK_KIND(DBC_CON_CHECK)};
	dbc_check_findings found = {0};
	if (dbc_check_constraint_findings(ctx, s, &opt, &found) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < found.n; i++) {
		const dbc_check_finding *f = &found.items[i];
		bool named = false;
		for (int u = 0; u < n && !named; u++)
			named = strcmp(users[u].table, table) == 0 && strcmp(users[u].constraint, f->name) == 0;
		if (!named)
			continue;
		dbc_value row[4] = {dbc_text(table), dbc_text(f->name),
		                    f->checked ? dbc_int(f->count) : dbc_null(),
		                    f->checked ? dbc_null() : dbc_text(f->sample)};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_js_revalidate(dbc_ctx *ctx, const char *name, dbc_rows *out)
{
	dbc_js_user *users;
	int n;
	dbc_schema s;
	char *text, *uri;
	dbc_rows_init(out, ctx, 4);
	/* an unknown name is an error, not "no rows" */
	if (dbc_js_registry_text(ctx, name, &text, &uri, NULL) != DBC_OK ||
	    dbc_js_schema_users(ctx, name, &users, &n) != DBC_OK)
		return DBC_ERROR;
	dbc_schema_init(&s, ctx);
	if (n > 0 && ctx->host->read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		if (users[i].domain) {
			/* a domain's columns are many tables'; not counted here */
			dbc_value row[4] = {dbc_text(users[i].table), dbc_text(users[i].constraint), dbc_null(),
			                    dbc_text("a domain's CHECK: dbjson_revalidate counts table "
			                             "constraints; use dbcheck_json on its columns")};
			if (dbc_rows_add(out, row) != DBC_OK)
				return DBC_ERROR;
			continue;
		}
		bool seen = false; /* each table once, with all its constraints */
		for (int j = 0; j < i && !seen; j++)
			seen = strcmp(users[j].table, users[i].table) == 0 && !users[j].domain;
		if (!seen && check_table(ctx, &s, users, n, users[i].table, out) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
