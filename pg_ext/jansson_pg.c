/*
 * jansson_pg.c — routes jansson's allocations through palloc in the running
 * call's memory context, so an ERROR's longjmp (which skips the core's
 * json_decref) cannot leak JSON values past the query.
 */
#include "pgdbc.h"

#include <jansson.h>

void pgdbc_init_json_alloc(void)
{
	json_set_alloc_funcs(pgdbc_alloc, pgdbc_free);
}
