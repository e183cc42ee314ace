/*
 * migrate_batch.c — dbmigrate_add_all: many migrations registered in one
 * call, each by exactly dbmigrate_add's rules (the same checks,
 * normalisation and checksums: migrate_register.c's dbc_migrate_check_*), all or
 * nothing. One call instead of one per migration lets the engine prepare
 * the registry's statements once (a registry INSERT compiles the summary
 * triggers into its program) and check the bookkeeping once; the
 * command-line client registers a folder's files this way on SQLite.
 */
#include "migrate/migrate.h"
#include "migrate/migrate_store.h"

#include <string.h>

const char **dbc_migrate_item_slot(dbc_migrate_item *item, const char *key)
{
	return strcmp(key, "version") == 0 ? &item->version
	       : strcmp(key, "name") == 0  ? &item->name
	       : strcmp(key, "up") == 0    ? &item->up
	       : strcmp(key, "down") == 0  ? &item->down
	       : strcmp(key, "file") == 0  ? &item->file
	                                   : NULL;
}

/* Item i checked by dbmigrate_add's (version given) or
 * dbmigrate_add_repeatable's rules (no version); an item naming its "file"
 * comes from a migration folder, whose empty or comment-only file is a
 * no-op migration, as dbmigrate_load registers it. */
static int check_item(dbc_ctx *ctx, const dbc_migrate_item *item, int i, dbc_migrate_checked *out)
{
	if (!item->name || !item->up)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "migration %d of the list has no \"%s\"",
		                 i + 1, item->name ? "up" : "name");
	if (item->version)
		return dbc_migrate_check_versioned(ctx, item->version, item->name, item->up, item->down,
		                                   item->file != NULL, out);
	if (item->down)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "migration %d of the list has a \"down\" but no \"version\" (a "
		                 "repeatable migration has no down script)",
		                 i + 1);
	return dbc_migrate_check_repeatable(ctx, item->name, item->up, item->file != NULL, out);
}

int dbc_migrate_add_many(dbc_ctx *ctx, const dbc_migrate_item *items, int n, int64_t *count)
{
	*count = 0;
	dbc_migrate_checked *checked =
	    dbc_zalloc(ctx, sizeof(dbc_migrate_checked) * (size_t)(n > 0 ? n : 1));
	if (!checked)
		return DBC_ERROR;
	/* every item checked before anything is written */
	for (int i = 0; i < n; i++)
		if (check_item(ctx, &items[i], i, &checked[i]) != DBC_OK)
			return DBC_ERROR;
	dbc_migrate_frame fr;
	int rc = dbc_migrate_frame_begin(ctx, NULL, &fr, false);
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = dbc_migrate_register_checked(ctx, &checked[i]);
	rc = dbc_migrate_frame_end(ctx, &fr, rc);
	if (rc == DBC_OK)
		*count = n;
	return rc;
}
