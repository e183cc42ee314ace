/*
 * version_info.c — dbcare_version(): the version the build read from META.json.
 */
#include "base/dbc.h"

const char *dbc_version(void)
{
	return DBC_VERSION;
}
