/*
 * engine_name.c — a driver's engine's name, for output only (driver.h:
 * cli_driver_engine). The name is no field a command could read or
 * compare: the engine is opaque outside cli/driver/ and this file.
 */
#include "cli/driver/engine_tag.h"

const char *cli_driver_engine(const cli_driver *drv)
{
	return drv->engine->name;
}
