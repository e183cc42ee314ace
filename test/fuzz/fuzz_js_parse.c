/*
 * fuzz_js_parse.c — the JSON Schema document reader (core/jsonschema/
 * js_parse.c) against jansson on arbitrary text. The reader promises to
 * accept exactly what jansson accepts with the flags dbcare has always
 * used (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL), bar
 * jansson's fixed depth limit and integers beyond 64 bits (read as reals):
 * so it accepts a text only if jansson does, and refuses one only if
 * jansson does too, or the text nests deeper than jansson can go.
 */
#include "fuzz.h"
#include "jsonschema/js_private.h"

#include <jansson.h>

/* jansson's own depth limit (JSON_PARSER_MAX_DEPTH); deeper texts are
 * the reader's alone to judge */
#define JANSSON_DEPTH 2048

static int depth_of(const char *s)
{
	int depth = 0, most = 0;
	bool in_string = false;
	for (; *s; s++) {
		if (in_string) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				in_string = false;
		} else if (*s == '"') {
			in_string = true;
		} else if (*s == '[' || *s == '{') {
			if (++depth > most)
				most = depth;
		} else if (*s == ']' || *s == '}') {
			depth--;
		}
	}
	return most;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	js_alloc a = {.ctx = &ctx};
	js_val *v = NULL;
	bool ours = dbc_js_parse(&ctx, &a, text, "document", DBC_JS_MAX_DEPTH, &v) == DBC_OK;
	FUZZ_ASSERT(ours == (v != NULL), "a value exactly when the reader accepts");
	FUZZ_ASSERT(ours || (ctx.failed && ctx.message &&
	                     strncmp(ctx.message, "document is not valid JSON", 26) == 0),
	            "a refusal says the document is not valid JSON");
	if (depth_of(text) < JANSSON_DEPTH) {
		json_error_t err;
		json_t *j =
		    json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		bool theirs = j != NULL || strstr(err.text, "too big") != NULL;
		if (j)
			json_decref(j);
		if (!ours && !j && strstr(err.text, "too big"))
			theirs = false; /* a big integer beside a real fault: both refuse */
		FUZZ_ASSERT(!ours || theirs, "the reader accepts only what jansson accepts");
		FUZZ_ASSERT(ours || !j, "the reader refuses only what jansson refuses");
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
