/*
 * fn_core.c — dbcare_version for PostgreSQL, without a call context. The
 * settings functions (dbcare_get, dbcare_set, dbcare_settings) have the
 * generic glue of pg/api/api.c; their logic is in core/settings/.
 */
#include "pg/host/glue.h"

#include "utils/builtins.h"

Datum dbcare_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(dbc_version()));
}
