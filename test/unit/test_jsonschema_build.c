/*
 * test_jsonschema_build.c — documents built value by value (dbc_js_build_*,
 * what PostgreSQL does with a jsonb) validate as their text does: key order,
 * integers and reals, an integer beyond 64 bits (a real, the others staying
 * integers, as the text parser reads them), a number beyond a double, the depth limit,
 * a builder used out of order, and keys and strings borrowed from the
 * host's bytes, which end with no NUL (quoted in messages by their length).
 */
#include "jsonschema/jsonschema.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* Validity of doc against schema, or -1 on an error. */
static int by_tree(dbc_ctx *ctx, const dbc_js_doc *doc, const char *schema)
{
	bool ok = false;
	dbc_error_clear(ctx);
	if (dbc_js_valid_any(ctx, NULL, NULL, doc, schema, false, &ok) != DBC_OK)
		return -1;
	return ok;
}

static int by_text(dbc_ctx *ctx, const char *doc, const char *schema)
{
	bool ok = false;
	dbc_error_clear(ctx);
	if (dbc_js_valid(ctx, NULL, doc, schema, false, &ok) != DBC_OK)
		return -1;
	return ok;
}

#define DRAFT4 "\"$schema\":\"http://json-schema.org/draft-04/schema#\","

/* {"b": [1, 2.5, <big>], "a": "é"} built in that order; 1 and 2.5 as
 * their texts, or, by_value, as their values (dbc_js_build_int, _real). */
static const dbc_js_doc *sample(dbc_ctx *ctx, const char *big, bool by_value)
{
	const dbc_js_doc *doc = NULL;
	dbc_js_builder *b = dbc_js_build_new(ctx);
	dbc_error_clear(ctx);
	if (!b || dbc_js_build_open(b, true, 2) || dbc_js_build_key(b, "b", 1) ||
	    dbc_js_build_open(b, false, 3) ||
	    (by_value ? dbc_js_build_int(b, 1) : dbc_js_build_number(b, "1")) ||
	    (by_value ? dbc_js_build_real(b, 2.5) : dbc_js_build_number(b, "2.5")) ||
	    dbc_js_build_number(b, big) || dbc_js_build_close(b) || dbc_js_build_key(b, "a", 1) ||
	    dbc_js_build_string(b, "\xc3\xa9", 2) || dbc_js_build_close(b) ||
	    dbc_js_build_finish(b, &doc))
		return NULL;
	return doc;
}

static void test_same_as_text(dbc_ctx *ctx)
{
	const char *schemas[] = {
	    "{\"required\":[\"a\",\"b\"],\"properties\":{\"a\":{\"const\":\"\xc3\xa9\",\"maxLength\":1}"
	    "}}",
	    "{\"properties\":{\"b\":{\"items\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}}}",
	    "{" DRAFT4 "\"properties\":{\"b\":{\"items\":[{\"type\":\"integer\"}]}}}",
	    "{\"properties\":{\"b\":{\"items\":[{\"const\":1.0},{\"multipleOf\":0.5}]}}}",
	    "{\"properties\":{\"b\":{\"uniqueItems\":true,\"maxItems\":2}}}",
	};
	const char *bigs[] = {"3",
	                      "9223372036854775807",
	                      "9223372036854775808",
	                      "-9223372036854775809",
	                      "12345678901234567890123",
	                      "1e300"};
	for (size_t i = 0; i < sizeof(bigs) / sizeof(*bigs); i++) {
		char text[160];
		snprintf(text, sizeof(text), "{\"b\":[1,2.5,%s],\"a\":\"\xc3\xa9\"}", bigs[i]);
		for (size_t j = 0; j < 2 * sizeof(schemas) / sizeof(*schemas); j++) {
			bool by_value = j % 2;
			const char *schema = schemas[j / 2];
			const dbc_js_doc *doc = sample(ctx, bigs[i], by_value);
			CHECK(doc != NULL, "a document builds");
			int tree = doc ? by_tree(ctx, doc, schema) : -2;
			int txt = by_text(ctx, text, schema);
			if (tree != txt)
				fprintf(stderr, "  %s against %s (numbers by %s): tree %d, text %d\n", text, schema,
				        by_value ? "value" : "text", tree, txt);
			CHECK(tree == txt, "the built document validates as its text");
		}
	}
	/* draft 4: a big integer is a real on its own, 1 stays an integer */
	const dbc_js_doc *doc = sample(ctx, "9223372036854775808", false);
	CHECK(doc && by_tree(ctx, doc, schemas[2]) == 1,
	      "draft 4: 1 next to an integer beyond 64 bits is still an integer, as in text");
	doc = sample(ctx, "3", true);
	CHECK(doc && by_tree(ctx, doc, schemas[2]) == 1, "draft 4: 1 is an integer otherwise");
}

static void test_refusals(dbc_ctx *ctx)
{
	const dbc_js_doc *doc;
	dbc_js_builder *b = dbc_js_build_new(ctx);
	dbc_error_clear(ctx);
	CHECK(dbc_js_build_number(b, "1e400") == DBC_ERROR, "a number beyond a double is refused");
	CHECK_STR(ctx->message, "the document is not valid JSON: real number overflow",
	          "as the text parser words it");
	CHECK(dbc_js_build_finish(b, &doc) == DBC_ERROR && !doc, "and the builder is done");

	b = dbc_js_build_new(ctx);
	dbc_error_clear(ctx);
	int rc = DBC_OK, level;
	for (level = 0; rc == DBC_OK && level < DBC_JS_MAX_DEPTH + 10; level++)
		rc = dbc_js_build_open(b, false, 1);
	CHECK(rc == DBC_ERROR && level == DBC_JS_MAX_DEPTH + 2, "nesting stops past the limit");
	CHECK_STR(ctx->message, "the document nests deeper than 100000 levels",
	          "with the text path's message");
	char *deep = malloc(2 * (DBC_JS_MAX_DEPTH + 1) + 2);
	CHECK(deep != NULL, "memory for a deep text");
	if (!deep)
		return;
	memset(deep, '[', DBC_JS_MAX_DEPTH + 1);
	deep[DBC_JS_MAX_DEPTH + 1] = '1';
	memset(deep + DBC_JS_MAX_DEPTH + 2, ']', DBC_JS_MAX_DEPTH + 1);
	deep[2 * (DBC_JS_MAX_DEPTH + 1) + 1] = 0;
	CHECK(by_text(ctx, deep, "true") == -1, "the text path refuses the same depth");
	CHECK_STR(ctx->message, "the document nests deeper than 100000 levels", "with that message");
	deep[DBC_JS_MAX_DEPTH] = '1'; /* one level less: accepted by both */
	memset(deep + DBC_JS_MAX_DEPTH + 1, ']', DBC_JS_MAX_DEPTH + 1);
	deep[2 * DBC_JS_MAX_DEPTH + 1] = 0;
	CHECK(by_text(ctx, deep, "true") == 1, "the deepest document the limit allows is read");
	free(deep);

	b = dbc_js_build_new(ctx);
	dbc_error_clear(ctx);
	CHECK(dbc_js_build_close(b) == DBC_ERROR && strcmp(ctx->sqlstate, "XX000") == 0,
	      "closing what was never opened is an internal error");
	b = dbc_js_build_new(ctx);
	dbc_error_clear(ctx);
	CHECK(dbc_js_build_open(b, true, 1) == DBC_OK && dbc_js_build_null(b) == DBC_ERROR,
	      "an object member without a key is an internal error");
	b = dbc_js_build_new(ctx);
	dbc_error_clear(ctx);
	CHECK(dbc_js_build_open(b, false, 2) == DBC_OK && dbc_js_build_null(b) == DBC_OK &&
	          dbc_js_build_close(b) == DBC_ERROR,
	      "an array closed short of its items is an internal error");
}

/* The message of dbjson_assert on doc, or "" when it passes. */
static const char *assert_message(dbc_ctx *ctx, const dbc_js_doc *doc, const char *schema)
{
	dbc_error_clear(ctx);
	if (dbc_js_assert_any(ctx, NULL, NULL, doc, schema, false) == DBC_OK)
		return "";
	return ctx->message ? ctx->message : "";
}

/* {"x": "abc", "yz": "abc"} whose keys and strings point into six bytes
 * "xyzabc" with nothing after them (a memory-checked build sees a read past). */
static void test_borrowed(dbc_ctx *ctx)
{
	char *bytes = malloc(6);
	CHECK(bytes != NULL, "memory for the host's bytes");
	if (!bytes)
		return;
	memcpy(bytes, "xyzabc", 6);
	const dbc_js_doc *doc = NULL;
	dbc_js_builder *b = dbc_js_build_new(ctx);
	dbc_error_clear(ctx);
	if (b)
		dbc_js_build_borrow(b);
	CHECK(b && dbc_js_build_open(b, true, 2) == DBC_OK && dbc_js_build_key(b, bytes, 1) == DBC_OK &&
	          dbc_js_build_string(b, bytes + 3, 3) == DBC_OK &&
	          dbc_js_build_key(b, bytes + 1, 2) == DBC_OK &&
	          dbc_js_build_string(b, bytes + 3, 3) == DBC_OK && dbc_js_build_close(b) == DBC_OK &&
	          dbc_js_build_finish(b, &doc) == DBC_OK && doc,
	      "a document borrowing its bytes builds");
	if (!doc) {
		free(bytes);
		return;
	}
	CHECK(strstr(assert_message(ctx, doc, "{\"additionalProperties\": false}"),
	             "/x: the property \"x\" is not allowed") != NULL,
	      "additionalProperties quotes a borrowed key by its length");
	CHECK(strstr(assert_message(
	                 ctx, doc, "{\"properties\": {\"x\": true}, \"unevaluatedProperties\": false}"),
	             "/yz: the property \"yz\" is not allowed") != NULL,
	      "unevaluatedProperties quotes a borrowed key by its length");
	CHECK(strstr(assert_message(ctx, doc, "{\"propertyNames\": {\"maxLength\": 1}}"), "\"yz\"") !=
	          NULL,
	      "propertyNames quotes a borrowed key by its length");
	CHECK(strstr(assert_message(ctx, doc, "{\"additionalProperties\": {\"maxLength\": 2}}"),
	             "\"abc\"") != NULL,
	      "a borrowed string is quoted by its length");
	CHECK(by_tree(ctx, doc,
	              "{\"required\": [\"x\", \"yz\"], \"additionalProperties\": "
	              "{\"pattern\": \"^abc$\", \"enum\": [\"abc\"]}}") == 1,
	      "borrowed keys and strings compare by their bytes");
	free(bytes);
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	test_same_as_text(&ctx);
	test_refusals(&ctx);
	test_borrowed(&ctx);
	dbc_ctx_finish(&ctx);
	return unit_done();
}
