/*
 * fn_core.c — dbcare_version and dbcare_settings: the settings store every
 * feature reads (dbcare_get and dbcare_set have the generic glue of pg/api.c).
 * The logic is in core/settings/settings.c.
 */
#include "glue.h"

#include "settings/settings.h"

#include "utils/builtins.h"

Datum dbcare_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(dbc_version()));
}

Datum dbcare_settings(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = dbc_settings_rows(&call.ctx, &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}
