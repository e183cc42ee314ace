/*
 * fuzz_jsonschema.c — the schema compiler and the validator on arbitrary
 * bytes: the input is split at its first form feed into a schema and a
 * document. Whatever they hold, compiling, validating (first failure only,
 * and every error) and the meta-schema check end in a result or a
 * "dbcare: ..." error, and the two validations agree.
 */
#include "fuzz.h"
#include "jsonschema/jsonschema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	char *split = strchr(text, '\f');
	const char *schema = text, *doc = "null";
	if (split) {
		*split = '\0';
		doc = split + 1;
	}
	for (int fa = 0; fa < 2; fa++) {
		dbc_js_options opts = {.format_assertion = fa};
		dbc_js_schema *s = NULL;
		dbc_error_clear(&ctx);
		if (dbc_js_compile(&ctx, schema, &opts, &s) != DBC_OK) {
			FUZZ_ASSERT(ctx.failed && ctx.message && !s, "a failed compile sets an error");
			break;
		}
		bool first = false, all = false;
		dbc_js_error *errors = NULL;
		int n = 0;
		int rc1 = dbc_js_validate(&ctx, s, doc, &first, NULL, NULL, 0);
		dbc_error_clear(&ctx);
		int rc2 = dbc_js_validate(&ctx, s, doc, &all, &errors, &n, DBC_JS_MAX_ERRORS);
		if (rc1 == DBC_OK && rc2 == DBC_OK) {
			FUZZ_ASSERT(first == all, "both modes agree");
			FUZZ_ASSERT(all == (n == 0), "invalid exactly when an error is recorded");
			for (int i = 0; i < n; i++)
				FUZZ_ASSERT(errors[i].instance_path && errors[i].schema_path[0] == '#' &&
				                errors[i].keyword && errors[i].message,
				            "error records are complete");
		}
		dbc_js_free(s);
	}
	bool ok;
	char *why;
	dbc_error_clear(&ctx);
	dbc_js_check(&ctx, schema, &ok, &why);
	dbc_ctx_finish(&ctx);
	return 0;
}
