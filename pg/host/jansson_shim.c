/*
 * pg/host/jansson_shim.c — jansson inside the postgres process. Its allocations go
 * through palloc in the running call's context, so an ERROR's longjmp (which
 * skips the core's json_decref) cannot leak JSON values past the query. And
 * json_object() is reached through the library's own handle: the postgres
 * executable exports a json_object() of its own (the SQL function), which
 * would otherwise win the dynamic symbol lookup. A core's JSON tree becomes
 * jsonb here directly, without being printed and parsed again.
 */
#include "glue.h"

#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include <dlfcn.h>
#include <string.h>

#include "base/json.h"

typedef json_t *(*json_object_fn)(void);

static json_object_fn jansson_json_object;

/* The Makefile renames json_object to this in the PostgreSQL build. */
json_t *dbc_pg_json_object(void)
{
	return jansson_json_object ? jansson_json_object() : NULL;
}

void pgdbc_init_json_alloc(void)
{
	Dl_info info;
	void *lib;

	json_set_alloc_funcs(pgdbc_alloc, pgdbc_free);
	/* json_array is jansson's alone, so it tells which file is libjansson */
	if (dladdr((void *)json_array, &info) && info.dli_fname &&
	    (lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD)) != NULL) {
		jansson_json_object = (json_object_fn)dlsym(lib, "json_object");
		dlclose(lib); /* RTLD_NOLOAD took a reference; the library stays loaded */
	}
	if (!jansson_json_object)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
		                errmsg("dbcare: cannot find json_object() in libjansson")));
}
