/*
 * migrate_pending.c — dbmigrate_pending(files): how many migrations are
 * pending, as `dbcare status`, readiness (/readyz) and the page count
 * them, decided here once and read only (nothing is registered, nothing
 * locked): the registry's own pending states (pending, out_of_order,
 * outdated), plus each file of a migration folder the registry lacks (a
 * version not registered, a repeatable not registered) or whose repeatable
 * is registered with another checksum (it runs again). files is the
 * folder as the caller read it: a JSON array of {"version": V} and
 * {"name": N, "checksum": C} (C: dbc_script_checksum of the file), NULL
 * for the registry alone.
 */
#include "migrate/migrate.h"

#include "base/json.h"

#include <string.h>

/* status columns (dbmigrate_status) */
enum { COL_VERSION = 0, COL_NAME = 1, COL_KIND = 2, COL_STATE = 3, COL_CHECKSUM = 4 };

static const char *cell(const dbc_rows *r, int row, int col)
{
	const dbc_value *v = &r->cells[row * r->ncol + col];
	return v->type == DBC_TEXT ? v->s : NULL;
}

static bool state_pending(const char *s)
{
	return s && (strcmp(s, "pending") == 0 || strcmp(s, "out_of_order") == 0 ||
	             strcmp(s, "outdated") == 0);
}

/* The registry's row of a versioned migration (by version) or of a
 * repeatable one (by name); -1 when it has none. */
static int row_of(const dbc_rows *status, bool repeatable, const char *key)
{
	for (int i = 0; i < status->nrows; i++) {
		const char *kind = cell(status, i, COL_KIND);
		const char *k = cell(status, i, repeatable ? COL_NAME : COL_VERSION);
		if (kind && k && (strcmp(kind, "repeatable") == 0) == repeatable && strcmp(k, key) == 0)
			return i;
	}
	return -1;
}

/* Whether the folder's file f adds a pending migration. */
static int file_pending(dbc_ctx *ctx, const dbc_rows *status, const json_t *f, bool *pending)
{
	const char *version = json_string_value(json_object_get(f, "version"));
	const char *name = json_string_value(json_object_get(f, "name"));
	const char *sum = json_string_value(json_object_get(f, "checksum"));
	if (!json_is_object(f) || (!version && (!name || !sum)))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "files: each file is {\"version\": V} or {\"name\": N, \"checksum\": C}");
	int row = row_of(status, !version, version ? version : name);
	/* a repeatable changed since it was registered runs again */
	*pending = row < 0 || (!version && !state_pending(cell(status, row, COL_STATE)) &&
	                       cell(status, row, COL_CHECKSUM) &&
	                       strcmp(sum, cell(status, row, COL_CHECKSUM)) != 0);
	return DBC_OK;
}

int dbc_migrate_pending(dbc_ctx *ctx, const char *files, int64_t *count)
{
	dbc_rows status;
	*count = 0;
	if (dbc_migrate_status(ctx, &status) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < status.nrows; i++)
		*count += state_pending(cell(&status, i, COL_STATE));
	if (!files)
		return DBC_OK;
	json_t *list = dbc_json_parse(ctx, files, "files");
	if (!list)
		return DBC_ERROR;
	int rc = json_is_array(list)
	             ? DBC_OK
	             : dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "files must be a JSON array");
	size_t i;
	json_t *f;
	json_array_foreach(list, i, f)
	{
		bool pending = false;
		if (rc == DBC_OK && (rc = file_pending(ctx, &status, f, &pending)) == DBC_OK)
			*count += pending;
	}
	json_decref(list);
	return rc;
}
