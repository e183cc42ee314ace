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
#include "migrate/migrate_flow.h"
#include "migrate/migrate_model.h"
#include "migrate/migrate_version.h"

#include "base/json.h"

#include <string.h>

static bool state_pending(dbc_migrate_state s)
{
	return s == DBC_MS_PENDING || s == DBC_MS_OUT_OF_ORDER || s == DBC_MS_OUTDATED;
}

/* The registry's row of a versioned migration (by version: a file's as
 * written, "001", is the registry's canonical "1") or of a repeatable one
 * (by name); NULL when it has none. */
static const dbc_migrate_row *row_of(const dbc_migrate_derived *st, bool repeatable,
                                     const char *key)
{
	for (int i = 0; i < st->nrows; i++) {
		const dbc_migrate_row *r = &st->rows[i];
		const char *k = repeatable ? dbc_migrate_row_name(r) : dbc_migrate_row_version(r);
		if ((strcmp(dbc_migrate_row_kind(r), "repeatable") == 0) == repeatable && k &&
		    (repeatable ? strcmp(k, key) == 0 : dbc_version_cmp(k, key) == 0))
			return r;
	}
	return NULL;
}

/* Whether the folder's file f adds a pending migration. */
static int file_pending(dbc_ctx *ctx, const dbc_migrate_derived *st, const json_t *f, bool *pending)
{
	const char *version = json_string_value(json_object_get(f, "version"));
	const char *name = json_string_value(json_object_get(f, "name"));
	const char *sum = json_string_value(json_object_get(f, "checksum"));
	if (!json_is_object(f) || (!version && (!name || !sum)))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "files: each file is {\"version\": V} or {\"name\": N, \"checksum\": C}");
	if (version && !dbc_version_valid(version))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "files: \"%s\" is not a version", version);
	const dbc_migrate_row *r = row_of(st, !version, version ? version : name);
	const char *registered = r && r->mig ? r->mig->checksum : r ? r->applied->checksum : NULL;
	/* a repeatable changed since it was registered runs again */
	*pending =
	    !r || (!version && !state_pending(r->state) && registered && strcmp(sum, registered) != 0);
	return DBC_OK;
}

int dbc_migrate_pending(dbc_ctx *ctx, const char *files, int64_t *count)
{
	dbc_migrate_set set;
	dbc_migrate_derived st;
	*count = 0;
	if (dbc_migrate_read_status(ctx, DBC_LOAD_META, &set, &st) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < st.nrows; i++)
		*count += state_pending(st.rows[i].state);
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
		if (rc == DBC_OK && (rc = file_pending(ctx, &st, f, &pending)) == DBC_OK)
			*count += pending;
	}
	json_decref(list);
	return rc;
}
