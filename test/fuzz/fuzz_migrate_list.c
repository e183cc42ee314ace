/*
 * fuzz_migrate_list.c — dbmigrate_add_all's JSON list decoder
 * (dbc_migrate_list_parse, core/migrate/migrate_list.c), checked against
 * jansson, an independent JSON parser:
 * - text jansson refuses is refused as not valid JSON (or, holding the
 *   escape \u0000, for that), apart from what jansson refuses and the list
 *   may take: bytes that are not UTF-8 and numbers too large for a double;
 * - text jansson reads (members not given twice) gives exactly the items,
 *   or exactly the first shape error, that walking jansson's values in
 *   document order gives;
 * - every error is one of the decoder's messages, with a SQLSTATE.
 */
#include "fuzz.h"
#include "base/json.h"
#include "migrate/migrate.h"

static bool has_nul_escape(const char *s)
{
	for (const char *p = strstr(s, "\\u0000"); p; p = strstr(p + 1, "\\u0000")) {
		size_t run = 1;
		while ((size_t)(p - s) >= run && p[-(ptrdiff_t)run] == '\\')
			run++;
		if (run % 2 == 1)
			return true;
	}
	return false;
}

static bool known_message(const char *m)
{
	return strcmp(m, "migrations is not valid JSON") == 0 ||
	       strcmp(m, "migrations contains a NUL character (\\u0000)") == 0 ||
	       strcmp(m, "out of memory") == 0 ||
	       strncmp(m, "migrations must be a JSON array", 31) == 0 ||
	       strncmp(m, "migration ", 10) == 0 || strncmp(m, "\"", 1) == 0;
}

/* The expected outcome from jansson's values: NULL and the items, or the
 * first shape error in document order. */
static char *expect(dbc_ctx *ctx, json_t *root, dbc_migrate_item *items, int *n)
{
	*n = 0;
	if (!json_is_array(root))
		return "migrations must be a JSON array of objects with \"version\", \"name\", \"up\" and "
		       "\"down\"";
	for (size_t i = 0; i < json_array_size(root); i++) {
		json_t *el = json_array_get(root, i);
		int index = (int)i + 1;
		if (!json_is_object(el))
			return dbc_printf(ctx, "migration %d of the list is not a JSON object", index);
		dbc_migrate_item it = {0};
		const char *key;
		json_t *v;
		json_object_foreach(el, key, v)
		{
			const char **slot = strcmp(key, "version") == 0 ? &it.version
			                    : strcmp(key, "name") == 0  ? &it.name
			                    : strcmp(key, "up") == 0    ? &it.up
			                    : strcmp(key, "down") == 0  ? &it.down
			                    : strcmp(key, "file") == 0  ? &it.file
			                                                : NULL;
			if (!slot)
				return dbc_printf(ctx,
				                  "migration %d of the list has an unknown member \"%s\" (expected "
				                  "\"version\", \"name\", \"up\", \"down\")",
				                  index, key);
			if (json_is_string(v))
				*slot = json_string_value(v);
			else if (!json_is_null(v))
				return dbc_printf(ctx, "\"%s\" of migration %d of the list is not a string", key,
				                  index);
		}
		items[(*n)++] = it;
	}
	return NULL;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	dbc_migrate_item *items = NULL;
	int n = -1;
	int rc = dbc_migrate_list_parse(&ctx, text, &items, &n);
	const char *msg = rc == DBC_OK ? NULL : ctx.message;
	if (rc != DBC_OK) {
		FUZZ_ASSERT(msg && known_message(msg), "a refusal is one of the decoder's messages");
		FUZZ_ASSERT(ctx.sqlstate[0], "a refusal has a SQLSTATE");
		FUZZ_ASSERT(!items && n == 0, "a refusal hands out no items");
	}

	json_error_t err;
	json_t *root = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
	enum json_error_code code = json_error_code(&err);
	if (has_nul_escape(text)) {
		FUZZ_ASSERT(rc != DBC_OK &&
		                strcmp(msg, "migrations contains a NUL character (\\u0000)") == 0,
		            "the escape \\u0000 is refused for itself");
	} else if (!root && code != json_error_invalid_utf8 && code != json_error_numeric_overflow &&
	           code != json_error_duplicate_key) {
		FUZZ_ASSERT(rc != DBC_OK && strcmp(msg, "migrations is not valid JSON") == 0,
		            "what jansson refuses is not valid JSON");
	} else if (root) {
		dbc_migrate_item *want = dbc_zalloc(&ctx, sizeof(dbc_migrate_item) * (size + 1));
		int nwant = 0;
		char *shape = expect(&ctx, root, want, &nwant);
		if (shape) {
			FUZZ_ASSERT(rc != DBC_OK && strcmp(msg, shape) == 0,
			            "the first shape error is reported");
		} else {
			FUZZ_ASSERT(rc == DBC_OK, "a well-formed list is taken");
			FUZZ_ASSERT(n == nwant, "one item per element");
			for (int i = 0; i < n; i++)
				FUZZ_ASSERT(same(items[i].version, want[i].version) &&
				                same(items[i].name, want[i].name) &&
				                same(items[i].file, want[i].file) &&
				                same(items[i].up, want[i].up) && same(items[i].down, want[i].down),
				            "each item holds the element's strings");
		}
		json_decref(root);
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
