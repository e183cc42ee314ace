/*
 * migrate_generate.c — the generator's scratch places on PostgreSQL
 * (dbc_migrate_hooks.desired_schema and .scratch): a subtransaction of the
 * call that is always rolled back, so nothing the desired schema or the
 * proof does outlives it and other sessions never see it (catalog changes
 * are transactional). The desired schema must be read where the live
 * objects are not in its way: the user schemas are renamed aside and made
 * again empty under their names first, and whatever lands in the renamed
 * ones is left out of the model read.
 */
#include "glue.h"

#include "migrate/migrate.h"

#include <string.h>

#define ASIDE "dbcare_generate_aside_"

typedef struct aside {
	dbc_ctx *ctx;
	dbc_strlist names;
} aside;

static int take_name(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	aside *a = arg;
	(void)ncol;
	return dbc_strlist_add(ctx, &a->names, c[0].s);
}

/* The user schemas (not the system's, not dbcare's, not an extension's),
 * renamed aside and made again empty. */
static int set_aside(dbc_ctx *ctx, aside *a)
{
	if (ctx->host->query(
	        ctx,
	        "SELECT n.nspname::text FROM pg_catalog.pg_namespace n "
	        "WHERE n.nspname NOT IN ('information_schema', 'dbcare') AND n.nspname !~ '^pg_' "
	        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
	        "'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objid = n.oid AND d.deptype = "
	        "'e') ORDER BY 1",
	        0, NULL, take_name, a) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < a->names.n; i++) {
		char *q = ctx->host->quote_ident(ctx, a->names.items[i]);
		char *sql =
		    dbc_printf(ctx, "ALTER SCHEMA %s RENAME TO " ASIDE "%d; CREATE SCHEMA %s", q, i + 1, q);
		if (!sql || ctx->host->exec(ctx, sql) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static bool aside_name(const char *schema)
{
	return schema && strncmp(schema, ASIDE, strlen(ASIDE)) == 0;
}

/* The model without what is in the renamed schemas. */
static void leave_out_aside(dbc_schema *s)
{
	int n = 0;
	for (int i = 0; i < s->ntables; i++)
		if (!aside_name(s->tables[i].schema))
			s->tables[n++] = s->tables[i];
	s->ntables = n;
	n = 0;
	for (int i = 0; i < s->nindexes; i++)
		if (!aside_name(s->indexes[i].schema))
			s->indexes[n++] = s->indexes[i];
	s->nindexes = n;
	n = 0;
	for (int i = 0; i < s->nobjects; i++) {
		const dbc_object *o = &s->objects[i];
		if (!aside_name(o->schema) && !(strcmp(o->type, "schema") == 0 && aside_name(o->name)))
			s->objects[n++] = *o;
	}
	s->nobjects = n;
}

int pgdbc_desired_schema(dbc_ctx *ctx, const char *sql, dbc_schema *out)
{
	aside a = {.ctx = ctx};
	dbc_schema read;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	int rc = set_aside(ctx, &a);
	if (rc == DBC_OK && ctx->host->exec(ctx, sql) != DBC_OK) {
		char *why = dbc_strdup(ctx, ctx->message ? ctx->message : "unknown error");
		int line = ctx->error_line;
		dbc_error_clear(ctx);
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the desired schema does not apply%s%s: %s",
		          line ? " at line " : "", line ? dbc_printf(ctx, "%d", line) : "", why);
		rc = DBC_ERROR;
	}
	if (rc == DBC_OK) {
		dbc_schema_init(&read, ctx);
		rc = ctx->host->read_schema(ctx, &read);
	}
	if (rc == DBC_OK) {
		rc = dbc_schema_copy(ctx, &read, out);
		if (rc == DBC_OK)
			leave_out_aside(out);
	}
	ctx->host->rollback(ctx, level);
	return rc == DBC_OK && !ctx->failed ? DBC_OK : DBC_ERROR;
}

int pgdbc_scratch(dbc_ctx *ctx, int (*fn)(dbc_ctx *sctx, void *arg), void *arg)
{
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	int rc = fn(ctx, arg);
	ctx->host->rollback(ctx, level);
	return rc == DBC_OK && !ctx->failed ? DBC_OK : DBC_ERROR;
}
