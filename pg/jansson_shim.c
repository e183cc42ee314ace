/*
 * pg/jansson_shim.c — jansson inside the postgres process. Its allocations go
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

/* ---------------------------------------------------------------- jsonb */

/* One value of the tree into the jsonb being built, as token tok (WJB_VALUE
 * or WJB_ELEM). Reals are printed alone with the report's flags and read as
 * numeric, so they keep exactly the digits the text would have had. */
static JsonbValue *push_tree(JsonbParseState **state, JsonbIteratorToken tok, const json_t *v)
{
	JsonbValue jv;
	check_stack_depth();
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *member;
		pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		json_object_foreach((json_t *)v, key, member) {
			JsonbValue k;
			k.type = jbvString;
			k.val.string.val = (char *)key;
			k.val.string.len = (int)strlen(key);
			pushJsonbValue(state, WJB_KEY, &k);
			push_tree(state, WJB_VALUE, member);
		}
		return pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *elem;
		pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
		json_array_foreach((json_t *)v, i, elem) push_tree(state, WJB_ELEM, elem);
		return pushJsonbValue(state, WJB_END_ARRAY, NULL);
	}
	case JSON_STRING:
		jv.type = jbvString;
		jv.val.string.val = (char *)json_string_value(v);
		jv.val.string.len = (int)json_string_length(v);
		if (memchr(jv.val.string.val, '\0', (size_t)jv.val.string.len))
			ereport(ERROR, (errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
			                errmsg("dbcare: a JSON string holds a NUL character, which jsonb cannot")));
		break;
	case JSON_INTEGER:
		jv.type = jbvNumeric;
		jv.val.numeric = int64_to_numeric(json_integer_value(v));
		break;
	case JSON_REAL: {
		char *text = json_dumps(v, JSON_ENCODE_ANY | DBC_JSON_REPORT);
		if (!text)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("dbcare: out of memory")));
		jv.type = jbvNumeric;
		jv.val.numeric = DatumGetNumeric(OidInputFunctionCall(F_NUMERIC_IN, text, InvalidOid, -1));
		break;
	}
	case JSON_TRUE:
	case JSON_FALSE:
		jv.type = jbvBool;
		jv.val.boolean = json_is_true(v);
		break;
	default:
		jv.type = jbvNull;
		break;
	}
	return pushJsonbValue(state, tok, &jv);
}

Datum pgdbc_jsonb_of_tree(const json_t *tree)
{
	JsonbParseState *state = NULL;
	if (!json_is_object(tree) && !json_is_array(tree))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
		                errmsg("dbcare: only a JSON object or array converts to jsonb directly")));
	return PointerGetDatum(JsonbValueToJsonb(push_tree(&state, WJB_VALUE, tree)));
}
