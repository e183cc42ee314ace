/*
 * migrate_list_json.c — dbmigrate_add_all's argument, a JSON array of
 * objects {"version", "name", "up", "down"}, decoded from its text by
 * jansson, for an engine whose glue does not decode it itself (PostgreSQL's
 * jsonb and text signatures; SQLite decodes it with its own json_tree,
 * sqlite/migrate_list.c). The refusals and their messages are that
 * decoder's, so the same call fails alike on both engines; what the fields
 * must hold is dbmigrate_add's rules (migrate_batch.c).
 */
#include "base/json.h"
#include "migrate/migrate.h"

#include <string.h>

static const char *const shape_error = "migrations must be a JSON array of objects with "
                                       "\"version\", \"name\", \"up\" and \"down\"";

/* Element i (0-based) of the array into *item: its members in document
 * order; a null member counts as left out. A string holding NUL is refused
 * (it would cut a script short, and dbmigrate_add refuses NUL too). */
static int take_element(dbc_ctx *ctx, const json_t *element, int i, dbc_migrate_item *item)
{
	const char *key;
	json_t *value;
	if (!json_is_object(element))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "migration %d of the list is not a JSON object", i + 1);
	json_object_foreach((json_t *)element, key, value)
	{
		const char **slot = dbc_migrate_item_slot(item, key);
		if (!slot)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "migration %d of the list has an unknown member \"%s\" (expected "
			                 "\"version\", \"name\", \"up\", \"down\")",
			                 i + 1, key);
		if (json_is_null(value)) {
			*slot = NULL;
			continue;
		}
		if (!json_is_string(value))
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "\"%s\" of migration %d of the list is not a string", key, i + 1);
		const char *s = json_string_value(value);
		if (strlen(s) != json_string_length(value))
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "migrations contains a NUL character (\\u0000)");
		if (!(*slot = dbc_strdup(ctx, s)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int take_list(dbc_ctx *ctx, const json_t *list, dbc_migrate_item **items, int *n)
{
	if (!json_is_array(list))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s", shape_error);
	size_t count = json_array_size(list); /* below INT_MAX: the text is under 1 GB */
	*items = dbc_zalloc(ctx, sizeof(dbc_migrate_item) * (count ? count : 1));
	if (!*items)
		return DBC_ERROR;
	for (size_t i = 0; i < count; i++)
		if (take_element(ctx, json_array_get(list, i), (int)i, &(*items)[i]) != DBC_OK)
			return DBC_ERROR;
	*n = (int)count;
	return DBC_OK;
}

int dbc_migrate_add_all_json(dbc_ctx *ctx, const char *json, int64_t *count)
{
	dbc_migrate_item *items = NULL;
	int n = 0;
	json_error_t err;
	*count = 0;
	/* any value at the top (a string or an object is refused as the wrong
	 * shape, not as bad JSON); NUL is let through to be refused by name */
	json_t *list = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!list) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "migrations is not valid JSON");
		dbc_error_detail(ctx, "%s (line %d, column %d)", err.text, err.line, err.column);
		return DBC_ERROR;
	}
	int rc = take_list(ctx, list, &items, &n);
	json_decref(list);
	if (rc != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_add_many(ctx, items, n, count);
}
