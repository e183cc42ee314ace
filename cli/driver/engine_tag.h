/*
 * engine_tag.h — the engine a driver drives, complete only for the drivers
 * (which hold the two, driver_pg.c and driver_sqlite.c) and for
 * cli/common/engine_name.c, the one reader of its name (driver.h:
 * cli_driver_engine). Nothing else includes it.
 */
#ifndef DBCARE_CLI_ENGINE_TAG_H
#define DBCARE_CLI_ENGINE_TAG_H

#include "driver.h"

struct cli_engine_tag {
	const char *name; /* "postgresql" or "sqlite" */
};

#endif
