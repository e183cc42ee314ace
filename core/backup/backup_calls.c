/*
 * backup_calls.c — dbbackup_list, SQLite's dbbackup_create, dbbackup_verify
 * and dbbackup_prune, and PostgreSQL's dbbackup_record, as the API table
 * calls them (core/api/functions.h, forms CORE_TABLE, CORE_SQLITE and
 * CORE_PG): the engine's
 * files and clock come through its dbc_backup_hooks (dbc_api_engine_of).
 */
#include "api/api.h"
#include "backup/backup.h"

static const dbc_backup_hooks *env(dbc_ctx *ctx)
{
	return dbc_api_engine_of(ctx)->backup;
}

static dbc_value text_or_null(char *s)
{
	return s ? dbc_text(s) : dbc_null();
}

int dbc_call_dbbackup_list(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_backup_list(ctx, env(ctx), out);
}

int dbc_call_dbbackup_create(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	int64_t id = 0;
	int rc = dbc_backup_create_as(ctx, env(ctx), args[0].type == DBC_TEXT ? args[0].s : NULL,
	                              args[1].type == DBC_TEXT ? args[1].s : "full", &json, &id);
	*result = text_or_null(json);
	return rc;
}

int dbc_call_dbbackup_verify(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	const char *image = args[1].type == DBC_TEXT ? args[1].s : NULL;
	const char *dir = args[2].type == DBC_TEXT ? args[2].s : NULL;
	int rc = dir ? dbc_backup_verify_from(ctx, env(ctx), args[0].s, image, dir, &json)
	             : dbc_backup_verify(ctx, env(ctx), args[0].s, image, &json);
	*result = text_or_null(json);
	return rc;
}

/* path: NULL is the newest backup; result: NULL runs the drill (SQLite) */
int dbc_call_dbbackup_drill(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	int rc = dbc_backup_drill(ctx, env(ctx), args[0].type == DBC_TEXT ? args[0].s : NULL,
	                          args[1].type == DBC_TEXT ? args[1].s : NULL, &json);
	*result = text_or_null(json);
	return rc;
}

/* label: NULL is refused by the API table (no default); seal: NULL is none */
int dbc_call_dbbackup_mark(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	const dbc_api_hooks *api = dbc_api_engine_of(ctx);
	/* the log's pending entries hashed first: the heads the mark keeps
	 * are those of every change committed before it */
	if (api->audit_read && api->audit_read(ctx) != DBC_OK)
		return DBC_ERROR;
	int rc = dbc_backup_mark(ctx, env(ctx), api->audit, args[0].s,
	                         args[1].type == DBC_TEXT ? args[1].s : NULL, &json);
	*result = text_or_null(json);
	return rc;
}

/* keep_count, keep_days: NULL (not given, -1 to the core) or not negative */
int dbc_call_dbbackup_prune(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	int rc = dbc_backup_prune(ctx, env(ctx), args[0].type == DBC_INT ? args[0].i : -1,
	                          args[1].type == DBC_INT ? args[1].i : -1, args[2].i != 0, &json);
	*result = text_or_null(json);
	return rc;
}

/* bytes: NULL is unknown (-1); a negative size goes to the core as -2,
 * which it refuses with its own message */
int dbc_call_dbbackup_record(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int64_t id = 0;
	int64_t bytes = args[2].type == DBC_INT ? (args[2].i < 0 ? -2 : args[2].i) : -1;
	int rc = dbc_backup_record(ctx, env(ctx), args[0].s, args[1].s, bytes,
	                           args[3].type == DBC_TEXT ? args[3].s : NULL, args[4].i != 0,
	                           args[5].type == DBC_TEXT ? args[5].s : NULL, &id);
	*result = dbc_int(id);
	return rc;
}
