/*
 * migrate_batch.c — dbmigrate_add_all(migrations): many migrations
 * registered in one call, each by exactly dbmigrate_add's rules (the same
 * checks, normalisation and checksums: migrate.c's dbc_mig_check_*), all or
 * nothing. One call instead of one per migration lets the engine prepare
 * the registry's statements once (a registry INSERT compiles the summary
 * triggers into its program) and check the bookkeeping once; the
 * command-line client registers a folder's files this way on SQLite.
 */
#include "migrate/migrate.h"
#include "base/json.h"
#include "migrate/migrate_store.h"

#include <string.h>

/* Member key of item i as text; absent or JSON null is NULL, and so
 * allowed only when optional. */
static int member_text(dbc_ctx *ctx, json_t *item, size_t i, const char *key, bool optional,
                       const char **out)
{
	json_t *v = json_object_get(item, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (optional)
			return DBC_OK;
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "migration %zu of the list has no \"%s\"", i + 1, key);
	}
	if (!json_is_string(v))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "\"%s\" of migration %zu of the list is not a string", key, i + 1);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "\"%s\" of migration %zu of the list contains a NUL character", key,
		                 i + 1);
	return DBC_OK;
}

/* Item i checked by dbmigrate_add's (version given) or
 * dbmigrate_add_repeatable's rules (no version). */
static int check_item(dbc_ctx *ctx, json_t *item, size_t i, dbc_mig_checked *out)
{
	const char *version, *name, *up, *down;
	if (!json_is_object(item))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "migration %zu of the list is not a JSON object", i + 1);
	if (member_text(ctx, item, i, "version", true, &version) != DBC_OK ||
	    member_text(ctx, item, i, "name", false, &name) != DBC_OK ||
	    member_text(ctx, item, i, "up", false, &up) != DBC_OK ||
	    member_text(ctx, item, i, "down", true, &down) != DBC_OK)
		return DBC_ERROR;
	if (version)
		return dbc_mig_check_versioned(ctx, version, name, up, down, out);
	if (down)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "migration %zu of the list has a \"down\" but no \"version\" (a "
		                 "repeatable migration has no down script)",
		                 i + 1);
	return dbc_mig_check_repeatable(ctx, name, up, out);
}

static int add_checked(dbc_ctx *ctx, json_t *list, int64_t *count)
{
	size_t n = json_array_size(list);
	dbc_mig_checked *items = dbc_zalloc(ctx, sizeof(dbc_mig_checked) * (n ? n : 1));
	if (!items)
		return DBC_ERROR;
	/* every item checked before anything is written */
	for (size_t i = 0; i < n; i++)
		if (check_item(ctx, json_array_get(list, i), i, &items[i]) != DBC_OK)
			return DBC_ERROR;
	dbc_mig_frame fr;
	int rc = dbc_mig_frame_begin(ctx, NULL, &fr, false);
	for (size_t i = 0; rc == DBC_OK && i < n; i++)
		rc = dbc_mig_register_checked(ctx, &items[i]);
	rc = dbc_mig_frame_end(ctx, &fr, rc);
	if (rc == DBC_OK)
		*count = (int64_t)n;
	return rc;
}

int dbc_migrate_add_all(dbc_ctx *ctx, const char *migrations, int64_t *count)
{
	*count = 0;
	json_t *list = dbc_json_parse(ctx, migrations, "migrations");
	if (!list)
		return DBC_ERROR;
	int rc = json_is_array(list)
	             ? add_checked(ctx, list, count)
	             : dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	                         "migrations must be a JSON array of objects with \"version\", "
	                         "\"name\", \"up\" and \"down\"");
	json_decref(list);
	return rc;
}
