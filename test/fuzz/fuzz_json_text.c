/*
 * fuzz_json_text.c — JSON escaping (dbc_json_str, dbc_json_set, dbc_json_dump)
 * of arbitrary bytes, as names from a hostile database reach it: the input is
 * split at its first form feed into a key and a value. The dump must always be
 * valid JSON that reads back to one object with one member.
 */
#include "fuzz.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	char *split = strchr(text, '\f');
	const char *key = text, *val = text;
	if (split) {
		*split = '\0';
		val = split + 1;
	}
	json_t *obj = json_object();
	FUZZ_ASSERT(obj, "object allocated");
	FUZZ_ASSERT(dbc_json_set(obj, key, dbc_json_str(val)), "any key and value can be set");
	FUZZ_ASSERT(dbc_json_set(obj, "null", dbc_json_str(NULL)), "NULL becomes JSON null");
	char *dump = dbc_json_dump(&ctx, obj, DBC_JSON_CANONICAL);
	json_decref(obj);
	FUZZ_ASSERT(dump, "the object serialises");
	json_t *back = dbc_json_parse(&ctx, dump, "dump");
	FUZZ_ASSERT(back && json_is_object(back), "the dump parses back");
	size_t members = json_object_size(back);
	FUZZ_ASSERT(members == 1 || members == 2, "members kept");
	const char *k;
	json_t *v;
	json_object_foreach(back, k, v)
	{
		(void)k;
		FUZZ_ASSERT(json_is_string(v) || json_is_null(v), "values stay strings or null");
	}
	json_decref(back);
	dbc_ctx_finish(&ctx);
	return 0;
}
