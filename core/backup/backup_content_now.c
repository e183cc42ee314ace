/*
 * backup_content_now.c — dbbackup_content(): what a backup's logical
 * verification compares, read now, in the one format (backup_content.h).
 * The engine reads (its dbc_backup_hooks.read_content: SQLite's module in
 * C, PostgreSQL's module by its dialect's content_query, whose keyed answer
 * is turned here as the command's own reading of a database without the
 * function is); the text is written once, by backup_content.c.
 */
#include "backup/backup_private.h"

#include "base/json.h"

int dbc_backup_content(dbc_ctx *ctx, const dbc_backup_hooks *env, char **json)
{
	*json = NULL;
	if (!env || !env->read_content)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL,
		                 "dbbackup_content is not available on this engine");
	dbc_backup_image img = {0};
	if (env->read_content(ctx, &img) != DBC_OK)
		return DBC_ERROR;
	/* no table at all is an empty list, not no record */
	if (!img.table && !(img.table = dbc_zalloc(ctx, sizeof *img.table)))
		return DBC_ERROR;
	*json = dbc_backup_content_text(ctx, &img);
	return *json ? DBC_OK : DBC_ERROR;
}

char *dbc_backup_content_from_keyed(dbc_ctx *ctx, const char *keyed)
{
	dbc_backup_image img = {0};
	json_t *doc = keyed ? json_loads(keyed, 0, NULL) : NULL;
	bool ok = json_is_object(doc) && !json_object_get(doc, "version") &&
	          dbc_backup_content_read_keyed(ctx, doc, &img.table, &img.tables);
	json_decref(doc);
	if (!ok) {
		if (!ctx->failed)
			dbc_error(ctx, DBC_SQLSTATE_INTERNAL,
			          "the server's reading of the tables' content did not parse");
		return NULL;
	}
	img.content_version = DBC_BACKUP_CONTENT_PG_TEXT;
	/* no table at all is an empty list, not no record */
	if (!img.table && !(img.table = dbc_zalloc(ctx, sizeof *img.table)))
		return NULL;
	return dbc_backup_content_text(ctx, &img);
}
