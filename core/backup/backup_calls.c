/*
 * backup_calls.c — dbbackup_list, SQLite's dbbackup_create, dbbackup_verify
 * and dbbackup_prune, and PostgreSQL's dbbackup_record, dbbackup_verified and
 * dbbackup_entry, as the API table
 * calls them (core/api/functions.h, forms CORE_TABLE, CORE_SQLITE and
 * CORE_PG): the engine's
 * files and clock come through its dbc_backup_hooks (dbc_api_engine_of).
 */
#include "api/api.h"
#include "backup/backup.h"
#include "backup/backup_content.h"

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

int dbc_call_dbbackup_marks(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_backup_marks(ctx, env(ctx), out);
}

/* path: NULL is the newest backup; result: NULL runs the drill (SQLite);
 * url: the store's copy fetched to path, NULL: none */
int dbc_call_dbbackup_drill(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	int rc = dbc_backup_drill(ctx, env(ctx), args[0].type == DBC_TEXT ? args[0].s : NULL,
	                          args[1].type == DBC_TEXT ? args[1].s : NULL,
	                          args[2].type == DBC_TEXT ? args[2].s : NULL, &json);
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

/* keep_count, keep_days: NULL (not given, -1 to the core) or not negative;
 * copies: NULL (no store's copies deleted) */
int dbc_call_dbbackup_prune(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	int rc = dbc_backup_prune(ctx, env(ctx), args[0].type == DBC_INT ? args[0].i : -1,
	                          args[1].type == DBC_INT ? args[1].i : -1, args[2].i != 0,
	                          args[3].type == DBC_TEXT ? args[3].s : NULL, &json);
	*result = text_or_null(json);
	return rc;
}

static const char *text_arg(const dbc_value *v)
{
	return v->type == DBC_TEXT ? v->s : NULL;
}

/* bytes: NULL is unknown (-1); a negative size goes to the core as -2,
 * which it refuses with its own message (duration_ms likewise) */
int dbc_call_dbbackup_record(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int64_t id = 0;
	double ms = args[11].type == DBC_FLOAT ? args[11].f
	            : args[11].type == DBC_INT ? (double)args[11].i
	                                       : -1;
	dbc_backup_external x = {
	    .kind = args[0].s,
	    .location = args[1].s,
	    .bytes = args[2].type == DBC_INT ? (args[2].i < 0 ? -2 : args[2].i) : -1,
	    .fingerprint = text_arg(&args[3]),
	    .verified = args[4].i != 0,
	    .detail = text_arg(&args[5]),
	    .sha256 = text_arg(&args[6]),
	    .content = text_arg(&args[7]),
	    .label = text_arg(&args[8]),
	    .wal_start = text_arg(&args[9]),
	    .wal_stop = text_arg(&args[10]),
	    .duration_ms = ms < 0 && args[11].type != DBC_NULL ? -2 : ms,
	};
	int rc = dbc_backup_record(ctx, env(ctx), &x, &id);
	*result = dbc_int(id);
	return rc;
}

/* why: NULL marks the row verified */
int dbc_call_dbbackup_verified(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *status = NULL;
	int rc = dbc_backup_verified(ctx, env(ctx), args[0].i, text_arg(&args[1]), &status);
	*result = text_or_null(status);
	return rc;
}

int dbc_call_dbbackup_entry(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	int rc = dbc_backup_entry(ctx, env(ctx), args[0].type == DBC_INT ? args[0].i : 0,
	                          text_arg(&args[1]), text_arg(&args[2]), &json);
	*result = text_or_null(json);
	return rc;
}

int dbc_call_dbbackup_content(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	(void)args;
	char *json = NULL;
	int rc = dbc_backup_content(ctx, env(ctx), &json);
	*result = text_or_null(json);
	return rc;
}
