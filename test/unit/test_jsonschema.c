/*
 * test_jsonschema.c — the validator's behaviour beyond the conformance
 * suite: error records (instance path, schema path, keyword, message), the
 * message of dbjson_assert, format assertion on and off, the meta-schema
 * check, the cache, and hostile input (deep nesting, huge numbers, invalid
 * UTF-8, catastrophic regexes, $ref loops, remote references).
 */
#include "jsonschema/jsonschema.h"
#include "unit.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static bool valid(dbc_ctx *ctx, const char *doc, const char *schema)
{
	bool ok = false;
	dbc_error_clear(ctx);
	if (dbc_js_valid(ctx, NULL, doc, schema, false, &ok) != DBC_OK)
		return false;
	return ok;
}

/* The ctx error message of validating doc, or NULL when there was none. */
static const char *failure(dbc_ctx *ctx, const char *doc, const char *schema)
{
	bool ok;
	dbc_error_clear(ctx);
	if (dbc_js_valid(ctx, NULL, doc, schema, false, &ok) == DBC_OK)
		return NULL;
	return ctx->message;
}

/* The errors' first row, "instance|keyword|message", or NULL. */
static const char *first_error(dbc_ctx *ctx, const char *doc, const char *schema)
{
	dbc_rows rows;
	dbc_error_clear(ctx);
	if (dbc_js_errors(ctx, NULL, doc, schema, false, &rows) != DBC_OK || rows.nrows < 1)
		return NULL;
	return dbc_printf(ctx, "%s|%s|%s", rows.cells[0].s, rows.cells[2].s, rows.cells[3].s);
}

static void test_errors(dbc_ctx *ctx)
{
	const char *schema = "{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
	                     "\"items\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	                     "\"properties\":{\"price\":{\"type\":\"number\",\"minimum\":0}}}}}}";
	dbc_error_clear(ctx);
	CHECK(dbc_js_assert(ctx, NULL,
	                    "{\"id\":1,\"items\":[{\"price\":1},{\"price\":2},{\"price\":-1}]}", schema,
	                    false) == DBC_ERROR,
	      "assert fails on an invalid document");
	CHECK_STR(ctx->message,
	          "/items/2/price: -1 is less than the minimum 0 (minimum at "
	          "#/properties/items/items/properties/price/minimum)",
	          "assert names instance path, reason, keyword and schema path");
	CHECK_STR(ctx->sqlstate, "23514", "assert fails as a check violation");
	dbc_error_clear(ctx);
	CHECK(dbc_js_assert(ctx, NULL, "{\"id\":1}", schema, false) == DBC_OK,
	      "assert passes a valid document");

	dbc_rows rows;
	dbc_error_clear(ctx);
	CHECK(dbc_js_errors(ctx, NULL, "{\"items\":[{\"price\":\"x\"},{\"price\":-3}]}", schema, false,
	                    &rows) == DBC_OK &&
	          rows.nrows == 3,
	      "errors lists every error (required, type, minimum)");
	if (rows.nrows == 3) {
		CHECK_STR(rows.cells[0].s, "", "required: at the document");
		CHECK_STR(rows.cells[1].s, "#/required", "required: schema path");
		CHECK_STR(rows.cells[2].s, "required", "required: keyword");
		CHECK_STR(rows.cells[3].s, "the required property \"id\" is missing", "required: message");
		CHECK_STR(rows.cells[4].s, "/items/0/price", "type: instance path");
		CHECK_STR(rows.cells[6].s, "type", "type: keyword");
		CHECK_STR(rows.cells[8].s, "/items/1/price", "minimum: instance path");
	}
	/* a $ref is part of the schema path, as the keyword location is */
	dbc_error_clear(ctx);
	dbc_js_assert(ctx, NULL, "[\"a\"]",
	              "{\"$defs\":{\"n\":{\"type\":\"integer\"}},\"items\":{\"$ref\":\"#/$defs/n\"}}",
	              false);
	CHECK_STR(ctx->message, "/0: \"a\" is not of type integer (type at #/items/$ref/type)",
	          "schema path goes through $ref");
	dbc_error_clear(ctx);
	dbc_js_assert(ctx, NULL, "{\"a\":1,\"b/~\":2}",
	              "{\"properties\":{\"a\":true},\"additionalProperties\":false}", false);
	CHECK_STR(ctx->message,
	          "/b~1~0: the property \"b/~\" is not allowed (additionalProperties at "
	          "#/additionalProperties)",
	          "additionalProperties names the property; pointers escape / and ~");
	dbc_error_clear(ctx);
	dbc_js_assert(ctx, NULL, "5", "{\"anyOf\":[{\"type\":\"string\"},{\"maximum\":4}]}", false);
	CHECK_STR(ctx->message, "(document): 5 matches none of the schemas of anyOf (anyOf at #/anyOf)",
	          "anyOf reports itself, at the document");
}

static void test_drafts_and_formats(dbc_ctx *ctx)
{
	CHECK(valid(ctx, "[1,\"x\"]",
	            "{\"prefixItems\":[{\"type\":\"integer\"}],\"items\":{\"type\":\"string\"}}"),
	      "2020-12 is the default (prefixItems)");
	CHECK(!valid(ctx, "[1,2]",
	             "{\"prefixItems\":[{\"type\":\"integer\"}],\"items\":{\"type\":\"string\"}}"),
	      "2020-12 items applies after prefixItems");
	CHECK(valid(ctx, "[1,2]",
	            "{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	            "\"items\":[{\"type\":\"integer\"}],\"additionalItems\":{\"type\":\"integer\"}}"),
	      "draft 7 by $schema: items as an array");
	CHECK(valid(ctx, "1.0",
	            "{\"$schema\":\"http://json-schema.org/draft-06/schema#\",\"type\":\"integer\"}"),
	      "draft 6: 1.0 is an integer");
	CHECK(!valid(ctx, "1.0",
	             "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"type\":\"integer\"}"),
	      "draft 4: 1.0 is not an integer");
	CHECK(failure(ctx, "1", "{\"$schema\":\"http://example.com/custom\"}") &&
	          strstr(ctx->message, "names no supported draft"),
	      "an unknown $schema is an error");
	const char *email = "{\"format\":\"email\"}";
	CHECK(valid(ctx, "\"not an email\"", email), "format is an annotation by default");
	bool ok = true;
	dbc_error_clear(ctx);
	CHECK(dbc_js_valid(ctx, NULL, "\"not an email\"", email, true, &ok) == DBC_OK && !ok,
	      "format asserts when asked");
	dbc_js_valid(ctx, NULL, "\"a@example.com\"", email, true, &ok);
	CHECK(ok, "a valid email passes");
	const char *formats[][3] = {
	    {"date-time", "\"2024-02-29T12:30:00Z\"", "\"2023-02-29T12:30:00Z\""},
	    {"date", "\"2024-01-31\"", "\"2024-01-32\""},
	    {"time", "\"23:59:60Z\"", "\"12:00:00\""},
	    {"uuid", "\"123e4567-e89b-12d3-a456-426614174000\"",
	     "\"123e4567e89b12d3a456426614174000\""},
	    {"ipv4", "\"192.168.0.1\"", "\"192.168.0.256\""},
	    {"ipv6", "\"::1\"", "\"::1::\""},
	    {"uri", "\"https://example.com/a?b#c\"", "\"/relative\""},
	    {"hostname", "\"db-1.example.com\"", "\"-db.example.com\""},
	    {"regex", "\"^a+$\"", "\"^(a\""},
	};
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		char *schema = dbc_printf(ctx, "{\"format\":\"%s\"}", formats[i][0]);
		bool good = false, bad = true;
		dbc_js_valid(ctx, NULL, formats[i][1], schema, true, &good);
		dbc_js_valid(ctx, NULL, formats[i][2], schema, true, &bad);
		CHECK(good && !bad, dbc_printf(ctx, "format %s asserted", formats[i][0]));
	}
}

static void test_meta(dbc_ctx *ctx)
{
	bool ok;
	char *why;
	CHECK(dbc_js_check(ctx, "{\"type\":\"string\",\"minLength\":1}", &ok, &why) == DBC_OK && ok,
	      "a schema valid by the 2020-12 meta-schema");
	CHECK(dbc_js_check(ctx, "{\"minLength\":-1}", &ok, &why) == DBC_OK && !ok && why &&
	          strstr(why, "/minLength"),
	      "minLength -1 is refused, naming the keyword");
	CHECK(dbc_js_check(ctx, "{\"type\":\"strnig\"}", &ok, &why) == DBC_OK && !ok,
	      "a misspelt type is refused");
	CHECK(dbc_js_check(ctx,
	                   "{\"$schema\":\"http://json-schema.org/draft-04/schema#\","
	                   "\"exclusiveMinimum\":true}",
	                   &ok, &why) == DBC_OK &&
	          !ok,
	      "draft 4: exclusiveMinimum needs minimum");
	CHECK(dbc_js_check(ctx, "{\"pattern\":\"(\"}", &ok, &why) == DBC_OK && !ok,
	      "an invalid pattern is refused");
	CHECK(dbc_js_check(ctx, "{\"$ref\":\"#/nowhere\"}", &ok, &why) == DBC_OK && !ok && why &&
	          strstr(why, "points to nothing"),
	      "a dangling $ref is refused");
	dbc_error_clear(ctx);
	CHECK(dbc_js_check(ctx, "{", &ok, &why) == DBC_ERROR, "text that is not JSON is an error");
	dbc_error_clear(ctx);
	CHECK(valid(ctx, "{\"minLength\":1}",
	            "{\"$ref\":\"https://json-schema.org/draft/2020-12/schema\"}") &&
	          !valid(ctx, "{\"minLength\":-1}",
	                 "{\"$ref\":\"https://json-schema.org/draft/2020-12/schema\"}"),
	      "$ref to a draft's meta-schema works offline");
}

static void test_hostile(dbc_ctx *ctx)
{
	const char *m = failure(ctx, "1", "{\"$ref\":\"https://example.com/s.json\"}");
	CHECK(m && strstr(m, "cannot be resolved") && strstr(m, "dbjson_register(name, schema, uri)") &&
	          strstr(m, "never fetched"),
	      "a remote $ref is a clear error");
	m = failure(ctx, "1", "{\"$ref\":\"#\"}");
	CHECK(m && strstr(m, "reference cycle"), "a $ref loop is refused when compiled");
	m = failure(ctx, "[[1]]", "{\"type\":\"array\",\"items\":{\"$ref\":\"#\"},\"maxItems\":0}");
	CHECK(m == NULL || !strstr(m, "reference cycle"), "a recursion through items is no cycle");
	m = failure(ctx, "{}",
	            "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},"
	            "\"$ref\":\"#/$defs/a\"}");
	CHECK(m && strstr(m, "reference cycle") && strstr(m, "#/$defs/"),
	      "a two-step $ref loop is refused when compiled, naming its references");
	/* documents nest as deep as jsonb holds them; a recursive schema over
	 * one evaluates as deep as its stack budget allows, then errs */
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < 10000; i++)
		dbc_buf_appendc(&b, '[');
	for (int i = 0; i < 10000; i++)
		dbc_buf_appendc(&b, ']');
	char *deep = dbc_buf_finish(&b);
	CHECK(valid(ctx, deep, "{\"type\":\"array\",\"minItems\":1}"),
	      "10,000 levels of arrays are a document");
	m = failure(ctx, deep, "{\"items\":{\"$ref\":\"#\"}}");
	CHECK(m && strstr(m, "evaluation nests too deep"),
	      "recursion past the stack budget is an error, not a crash");
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < 500; i++)
		dbc_buf_append(&b, "{\"a\":[");
	dbc_buf_append(&b, "1");
	for (int i = 0; i < 500; i++)
		dbc_buf_append(&b, "]}");
	char *nested = dbc_buf_finish(&b);
	const char *recursive =
	    "{\"$defs\":{\"o\":{\"type\":\"object\",\"properties\":{\"a\":"
	    "{\"items\":{\"anyOf\":[{\"$ref\":\"#/$defs/o\"},{\"type\":\"integer\"}]}}}}},"
	    "\"$ref\":\"#/$defs/o\"}";
	CHECK(valid(ctx, nested, recursive), "1,000 levels through properties and items recursion");
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < 500; i++)
		dbc_buf_append(&b, "{\"a\":[");
	dbc_buf_append(&b, "\"x\"");
	for (int i = 0; i < 500; i++)
		dbc_buf_append(&b, "]}");
	CHECK(!valid(ctx, dbc_buf_finish(&b), recursive), "and the innermost value is checked");
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < DBC_JS_MAX_DEPTH + 2; i++)
		dbc_buf_appendc(&b, '[');
	for (int i = 0; i < DBC_JS_MAX_DEPTH + 2; i++)
		dbc_buf_appendc(&b, ']');
	m = failure(ctx, dbc_buf_finish(&b), "true");
	CHECK(m && strstr(m, "the document nests deeper than 100000 levels"),
	      "past DBC_JS_MAX_DEPTH the document is refused, the limit named");
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < 300; i++)
		dbc_buf_appendc(&b, '[');
	for (int i = 0; i < 300; i++)
		dbc_buf_appendc(&b, ']');
	deep = dbc_buf_finish(&b);
	m = failure(ctx, "[1]", deep);
	CHECK(m && strstr(m, "the schema nests deeper than 256"), "a deep schema is refused");
	CHECK(valid(ctx, "123456789012345678901234567890", "{\"type\":\"integer\",\"minimum\":1}"),
	      "an integer beyond 64 bits is a number");
	CHECK(!valid(ctx, "1e308", "{\"multipleOf\":0.123456789}"), "a huge real is not a multiple");
	CHECK(!valid(ctx, "0.01", "{\"multipleOf\":1e308}") &&
	          !valid(ctx, "1", "{\"multipleOf\":1e308}") &&
	          !valid(ctx, "0.3", "{\"multipleOf\":18446744073709551616}") &&
	          valid(ctx, "0", "{\"multipleOf\":1e308}"),
	      "a number smaller than multipleOf is no multiple of it (0 is)");
	CHECK(!valid(ctx, "1e308", "{\"multipleOf\":123456789}") &&
	          !valid(ctx, "9223372036854775808", "{\"multipleOf\":3}") &&
	          valid(ctx, "18446744073709551616", "{\"multipleOf\":4}") &&
	          valid(ctx, "1e308", "{\"type\":\"integer\",\"multipleOf\":0.5}"),
	      "multipleOf on numbers beyond 2^53 is exact");
	CHECK(valid(ctx, "9223372036854775808", "{\"exclusiveMinimum\":9223372036854775807}") &&
	          !valid(ctx, "9223372036854775808", "{\"maximum\":9223372036854775807}") &&
	          !valid(ctx, "9007199254740992.0", "{\"minimum\":9007199254740993}") &&
	          valid(ctx, "-9223372036854775808.0", "{\"const\":-9223372036854775808}"),
	      "an integer and a real compare exactly, also where a double cannot hold the integer");
	CHECK_STR(first_error(ctx, "0.30000000000000004", "{\"maximum\":0.3}"),
	          "|maximum|0.30000000000000004 is greater than the maximum 0.3",
	          "a message shows a real with the digits that tell it from its neighbours");
	CHECK_STR(first_error(ctx, "[1e+300,2.5,1.7976931348623157e308]", "{\"const\":1}"),
	          "|const|[1e+300,2.5,1.7976931348623157e+308] is not the constant 1",
	          "reals keep their short form where 15 digits tell them apart, 17 where not");
	CHECK(valid(ctx, "0.3", "{\"multipleOf\":0.1}") && valid(ctx, "2", "{\"multipleOf\":1e-05}") &&
	          !valid(ctx, "0.35", "{\"multipleOf\":0.1}") &&
	          valid(ctx, "1e16", "{\"multipleOf\":0.1}"),
	      "multipleOf reads decimal fractions as written");
	/* an integer beyond 64 bits is read as a real on its own: the other
	 * integers of the document (or schema) stay integers */
	CHECK(valid(ctx, "[1,18446744073709551616]",
	            "{\"$schema\":\"http://json-schema.org/draft-04/"
	            "schema#\",\"items\":{\"type\":\"integer\"}}"),
	      "draft 4: 1 next to an integer beyond 64 bits is still an integer");
	CHECK(valid(ctx, "[]",
	            "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"maxItems\":1,"
	            "\"maximum\":18446744073709551616}"),
	      "draft 4: a schema with an integer beyond 64 bits keeps its other integers integers");
	CHECK(!valid(ctx, "{\"a\":1.0,\"b\":18446744073709551616}",
	             "{\"$schema\":\"http://json-schema.org/draft-04/"
	             "schema#\",\"properties\":{\"a\":{\"type\":\"integer\"}}}"),
	      "draft 4: 1.0 next to an integer beyond 64 bits is still no integer");
	CHECK(valid(ctx, "[\"18446744073709551616\",-18446744073709551616,1]",
	            "{\"prefixItems\":[{\"const\":\"18446744073709551616\"},{\"maximum\":-1e19}],"
	            "\"items\":{\"type\":\"integer\"}}"),
	      "a big integer in a string stays a string; a negative one is a number");
	m = failure(ctx, "1e999", "{}");
	CHECK(m && strstr(m, "not valid JSON"), "a real beyond double range is refused, not a crash");
	m = failure(ctx, "\"\xff\xfe\"", "{}");
	CHECK(m && strstr(m, "not valid JSON"), "invalid UTF-8 is refused");
	m = failure(ctx, "\"x\"", "{\"pattern\":\"\xc3\"}");
	CHECK(m && strstr(m, "not valid JSON"), "invalid UTF-8 in a schema is refused");
	char *evil = dbc_printf(ctx, "\"%s!\"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	m = failure(ctx, evil, "{\"pattern\":\"^(a+)+$\"}");
	CHECK(m && strstr(m, "too many steps"), "a catastrophic regex stops at the match limit");
	m = failure(ctx, "1", "[1]");
	CHECK(m && strstr(m, "not a valid JSON Schema"), "a schema must be an object");
	dbc_js_schema *raw;
	dbc_error_clear(ctx);
	CHECK(dbc_js_compile(ctx, "[1]", NULL, &raw) == DBC_ERROR &&
	          strstr(ctx->message, "must be a JSON object or a boolean"),
	      "the compiler alone refuses a schema that is no object too");
	m = failure(ctx, "\"abc\"", "{\"maxLength\":-1}");
	CHECK_STR(m, "the schema is not a valid JSON Schema: /maxLength: -1 is less than the minimum 0",
	          "the SQL functions refuse a schema its meta-schema refuses");
	m = failure(ctx, "{", "{}");
	CHECK(m && strstr(m, "the document is not valid JSON"), "an invalid document names itself");
	CHECK(valid(ctx, "\"a\\u0000b\"", "{\"maxLength\":3}") &&
	          !valid(ctx, "\"a\\u0000b\"", "{\"maxLength\":2}"),
	      "a NUL inside a string counts as a character");
	CHECK(valid(ctx, "\"\xf0\x9f\x98\x80\"", "{\"maxLength\":1}"), "length counts code points");
	CHECK(!valid(ctx, "{\"a\":1}", "{\"required\":[\"a\\u0000b\"]}") &&
	          !valid(ctx, "{\"a\":1}", "{\"dependentRequired\":{\"a\":[\"a\\u0000\"]}}"),
	      "a required name with a NUL is not the name before the NUL");
	/* a document's names and strings as its parse reads them: plain ones
	 * straight from its text, escaped ones decoded (only those can hold
	 * a NUL, which a member name may not) */
	m = failure(ctx, "{\"ok\":1,\"a\\u0000b\":1}", "{}");
	CHECK(m && strstr(m, "NUL byte in object key"),
	      "a document's member name with a NUL is refused");
	CHECK(
	    !valid(ctx, "{\"a\\u0062\":\"x\"}", "{\"properties\":{\"ab\":{\"type\":\"integer\"}}}") &&
	        valid(
	            ctx, "{\"a\\u0062\":1,\"c\":\"d\\u00e9\"}",
	            "{\"properties\":{\"ab\":{\"type\":\"integer\"},\"c\":{\"const\":\"d\xc3\xa9\"}}}"),
	    "an escaped member name is the name it spells");
	CHECK(
	    valid(ctx, "[\"0123456789abcdef\\\"\xc3\xa9 tail of a longer run\", \"\x7f\"]",
	          "{\"prefixItems\":[{\"const\":\"0123456789abcdef\\\"\xc3\xa9 tail of a longer run\"},"
	          "{\"maxLength\":1}],\"items\":false}"),
	    "a long plain run, an escape, UTF-8 and DEL read as their characters");
}

/* uniqueItems over long arrays: the same pair reported as by comparing
 * every pair, in time that grows as n log n, not n^2. */
static void test_unique_items(dbc_ctx *ctx)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendc(&b, '[');
	for (int i = 0; i < 60; i++)
		dbc_buf_appendf(&b, "%s{\"k\":%d,\"v\":[%d,\"s\"]}", i ? "," : "", i % 50, i / 50);
	dbc_buf_append(&b, ",true,1,null,\"1\",[1],{\"v\":[0,\"s\"],\"k\":7.0}]");
	const char *doc = dbc_buf_finish(&b);
	CHECK_STR(first_error(ctx, doc, "{\"uniqueItems\":true}"),
	          "|uniqueItems|items 7 and 65 are equal: {\"k\":7,\"v\":[0,\"s\"]}",
	          "uniqueItems on a long array: the first item that recurs, and where (1 = 1.0, key "
	          "order aside)");
	CHECK(valid(ctx,
	            "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,"
	            "30,31,32,33,true,false,null,\"0\",[0],{\"0\":0},1.5,-0.5,[],{}]",
	            "{\"uniqueItems\":true}"),
	      "uniqueItems: values of different kinds are different");
	/* 200,000 distinct items, then the one before again: comparing every
	 * pair took minutes; the child gets 20 s of CPU time */
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit cpu = {.rlim_cur = 20, .rlim_max = 20};
		setrlimit(RLIMIT_CPU, &cpu);
		dbc_buf big;
		dbc_buf_init(&big, ctx);
		dbc_buf_appendc(&big, '[');
		for (int i = 0; i < 200000; i++)
			dbc_buf_appendf(&big, "%d,", i * 7 % 200000);
		dbc_buf_append(&big, "199993]"); /* 199999 * 7 % 200000 */
		const char *m = first_error(ctx, dbc_buf_finish(&big), "{\"uniqueItems\":true}");
		_exit(m && strcmp(m, "|uniqueItems|items 199999 and 200000 are equal: 199993") == 0 ? 0
		                                                                                    : 1);
	}
	int status = 0;
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 0,
	      "uniqueItems on 200,000 items ends well within 20 s of CPU time");
}

/* Branches that all recurse into the same values: each level doubles the
 * work, so a document 40 levels deep would take days. The evaluation ends
 * in an error after a bounded number of steps (the child has 20 s of CPU
 * time, and its exit status says what it saw). */
static void test_exponential(dbc_ctx *ctx)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit cpu = {.rlim_cur = 20, .rlim_max = 20};
		setrlimit(RLIMIT_CPU, &cpu);
		dbc_buf b;
		dbc_buf_init(&b, ctx);
		for (int i = 0; i < 40; i++)
			dbc_buf_appendc(&b, '[');
		dbc_buf_append(&b, "\"x\"");
		for (int i = 0; i < 40; i++)
			dbc_buf_appendc(&b, ']');
		const char *m = failure(ctx, dbc_buf_finish(&b),
		                        "{\"type\":\"array\",\"anyOf\":[{\"items\":{\"$ref\":\"#\"}},"
		                        "{\"items\":{\"$ref\":\"#\"}}]}");
		_exit(m && strstr(m, "too many steps") ? 0 : 1);
	}
	int status = 0;
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 0,
	      "an evaluation that grows exponentially ends in an error, not a hang");
	/* the bound grows with the document: a long array is no problem */
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendc(&b, '[');
	for (int i = 0; i < 100000; i++)
		dbc_buf_append(&b, i ? ",{\"a\":[1,2]}" : "{\"a\":[1,2]}");
	dbc_buf_appendc(&b, ']');
	CHECK(valid(ctx, dbc_buf_finish(&b),
	            "{\"items\":{\"allOf\":[{\"properties\":{\"a\":{\"items\":{\"anyOf\":[{\"type\":"
	            "\"string\"},"
	            "{\"minimum\":0}]}}}},{\"required\":[\"a\"]},{\"type\":\"object\"}]}}"),
	      "a large document with many subschemas a value is not refused for its size");
}

/* ECMA-262 patterns where PCRE2's defaults read them otherwise. */
static void test_regex(dbc_ctx *ctx)
{
	CHECK(valid(ctx, "\"ab\"", "{\"pattern\":\"^a[^]$\"}") &&
	          valid(ctx, "\"a\\nb\"", "{\"pattern\":\"^a[^]b$\"}"),
	      "[^] is any character, newline included");
	CHECK(!valid(ctx, "\"a\"", "{\"pattern\":\"[]\"}") &&
	          valid(ctx, "\"a\"", "{\"pattern\":\"a|[]\"}"),
	      "[] is a class that matches nothing");
	CHECK(!valid(ctx, "\"\\r\"", "{\"pattern\":\"^.$\"}") &&
	          !valid(ctx, "\"\\u2028\"", "{\"pattern\":\"^.$\"}") &&
	          !valid(ctx, "\"\\u2029\"", "{\"pattern\":\"^.$\"}") &&
	          !valid(ctx, "\"\\n\"", "{\"pattern\":\"^.$\"}"),
	      ". matches no ECMA-262 line terminator (\\n, \\r, U+2028, U+2029)");
	CHECK(valid(ctx, "\"\\u000b\"", "{\"pattern\":\"^.$\"}") &&
	          valid(ctx, "\"\\u0085\"", "{\"pattern\":\"^.$\"}") &&
	          valid(ctx, "\".\"", "{\"pattern\":\"^[.]$\"}") &&
	          !valid(ctx, "\"x\"", "{\"pattern\":\"^[.]$\"}") &&
	          valid(ctx, "\".\"", "{\"pattern\":\"^\\\\.$\"}") &&
	          !valid(ctx, "\"x\"", "{\"pattern\":\"^\\\\.$\"}"),
	      ". matches other characters; [.] and \\. stay a dot");
}

/* Patterns of plain text between optional anchors ("^_", "\\.js$") are
 * matched by comparing bytes, not by PCRE2: each gives what the same
 * pattern gives through PCRE2 (its text in a group, which PCRE2 alone
 * reads) and what ECMA-262 says. */
static void test_regex_plain_text(dbc_ctx *ctx)
{
	static const struct {
		const char *start, *text, *end; /* JSON string contents */
		const char *subject;            /* JSON text */
		bool match;
	} cases[] = {
	    {"^", "_", "", "\"_id\"", true},
	    {"^", "_", "", "\"id_\"", false},
	    {"^", "_", "", "\"\"", false},
	    {"^", "x-", "", "\"X-a\"", false},
	    {"", "\\\\.js", "$", "\"a.js\"", true},
	    {"", "\\\\.js", "$", "\"ajs\"", false},
	    {"", "\\\\.js", "$", "\"a.jsx\"", false},
	    {"^", "a\\\\.b", "$", "\"a.b\"", true},
	    {"^", "a\\\\.b", "$", "\"a.bc\"", false},
	    {"^", "a\\\\.b", "$", "\"axb\"", false},
	    {"", "abc", "", "\"xxabcxx\"", true},
	    {"", "abc", "", "\"ab\"", false},
	    {"^", "", "$", "\"\"", true},
	    {"^", "", "$", "\"a\"", false},
	    {"^", "", "", "\"a\"", true},
	    {"", "", "$", "\"a\"", true},
	    {"", "caf\u00e9", "", "\"un café\"", true},
	    {"^", "\\\\/api", "", "\"/api/v1\"", true},
	    {"", "a\\\\$", "", "\"a$\"", true},
	    {"", "a\\\\$", "", "\"a\"", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *plain = dbc_printf(ctx, "{\"pattern\":\"%s%s%s\"}", cases[i].start,
		                               cases[i].text, cases[i].end);
		const char *pcre = dbc_printf(ctx, "{\"pattern\":\"%s(?:%s)%s\"}", cases[i].start,
		                              cases[i].text, cases[i].end);
		bool by_bytes = valid(ctx, cases[i].subject, plain);
		bool by_pcre = valid(ctx, cases[i].subject, pcre);
		CHECK(by_bytes == cases[i].match && by_pcre == cases[i].match,
		      dbc_printf(ctx, "%s against %s: %s (as text %d, through PCRE2 %d)", cases[i].subject,
		                 plain, cases[i].match ? "matches" : "does not match", by_bytes, by_pcre));
	}
}

static void test_cache(dbc_ctx *ctx)
{
	dbc_js_cache *cache = dbc_js_cache_new();
	bool ok;
	dbc_error_clear(ctx);
	CHECK(dbc_js_valid(ctx, cache, "1", "{\"type\":\"integer\"}", false, &ok) == DBC_OK && ok,
	      "valid through the cache");
	dbc_js_valid(ctx, cache, "2", "{\"type\":\"integer\"}", false, &ok);
	CHECK(dbc_js_cache_size(cache) == 1, "the same text compiles once");
	dbc_js_valid(ctx, cache, "2", "{\"type\":\"integer\"}", true, &ok);
	CHECK(dbc_js_cache_size(cache) == 2, "format assertion is part of the key");
	for (int i = 0; i < 200; i++) {
		char *s = dbc_printf(ctx, "{\"maximum\":%d}", i);
		dbc_js_valid(ctx, cache, "5", s, false, &ok);
		if (ok != (5 <= i))
			break;
	}
	CHECK(dbc_js_cache_size(cache) == DBC_JS_CACHE_ENTRIES, "the cache stays bounded");
	dbc_error_clear(ctx);
	CHECK(dbc_js_valid(ctx, cache, "1", "{\"$ref\":\"#/x\"}", false, &ok) == DBC_ERROR,
	      "a schema that does not compile is an error");
	CHECK(dbc_js_cache_size(cache) == DBC_JS_CACHE_ENTRIES, "and is not kept");
	dbc_js_cache_free(cache);
}

/* The evaluation's shortcuts (js_validate.c): a quiet branch (anyOf, oneOf,
 * not, if) whose "type" excludes the value fails without its evaluation,
 * and draft 4-7 $ref-only hops are taken without a call each when nothing
 * is reported. Each must give the whole evaluation's answer and messages. */
static void test_shortcuts(dbc_ctx *ctx)
{
#define D7 "\"$schema\":\"http://json-schema.org/draft-07/schema#\","
#define D4 "\"$schema\":\"http://json-schema.org/draft-04/schema#\","
	const char *one7 = "{" D7 "\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}";
	const char *one4 = "{" D4 "\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}";
	CHECK(valid(ctx, "1.0", one7) && !valid(ctx, "1.0", one4) && valid(ctx, "1", one4) &&
	          !valid(ctx, "1.5", one7) && valid(ctx, "\"x\"", one7) && !valid(ctx, "true", one7),
	      "an integer branch admits a real 1.0 in draft 7, not in draft 4");
	CHECK(valid(ctx, "\"x\"", "{\"not\":{\"type\":\"integer\"}}") &&
	          !valid(ctx, "2", "{\"not\":{\"type\":\"integer\"}}"),
	      "not of a schema whose type excludes the value holds");
	const char *cond = "{\"if\":{\"type\":\"integer\"},\"then\":true,\"else\":{\"minLength\":2}}";
	CHECK(!valid(ctx, "\"x\"", cond) && valid(ctx, "\"xy\"", cond) && valid(ctx, "1", cond),
	      "if of a type that excludes the value takes else");
	CHECK(valid(ctx, "1", "{\"anyOf\":[false,{\"type\":[\"string\",\"number\"]}]}") &&
	          !valid(ctx, "1", "{\"anyOf\":[false,{\"type\":[\"string\",\"null\"]}]}") &&
	          valid(ctx, "1", "{\"not\":false}"),
	      "a false branch, and a type of several names");
	const char *chain =
	    "{" D7 "\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},"
	    "\"b\":{\"$ref\":\"#/definitions/c\"},\"c\":{\"$ref\":\"#/definitions/d\"},"
	    "\"d\":{\"$ref\":\"#/definitions/e\"},\"e\":{\"$ref\":\"#/definitions/f\"},"
	    "\"f\":{\"type\":\"object\",\"required\":[\"x\"]}},"
	    "\"properties\":{\"p\":{\"oneOf\":[{\"$ref\":\"#/definitions/a\"},{\"type\":\"string\"}]},"
	    "\"q\":{\"$ref\":\"#/definitions/a\"}}}";
	CHECK(valid(ctx, "{\"p\":{\"x\":1},\"q\":{\"x\":1}}", chain) &&
	          valid(ctx, "{\"p\":\"s\"}", chain) && !valid(ctx, "{\"p\":{}}", chain) &&
	          !valid(ctx, "{\"q\":{}}", chain) && !valid(ctx, "{\"p\":1}", chain) &&
	          !valid(ctx, "{\"q\":[]}", chain),
	      "six $ref-only hops, beyond the four taken at once, in a branch and a property");
	dbc_rows rows;
	dbc_error_clear(ctx);
	CHECK(dbc_js_errors(ctx, NULL, "{\"q\":{}}", chain, false, &rows) == DBC_OK && rows.nrows == 1,
	      "one error through the hops");
	CHECK_STR(rows.nrows == 1 ? rows.cells[1].s : NULL,
	          "#/properties/q/$ref/$ref/$ref/$ref/$ref/$ref/required",
	          "its schema path names every hop");
	const char *m = failure(ctx, "1",
	                        "{" D7 "\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},"
	                        "\"b\":{\"$ref\":\"#/definitions/a\"}},\"$ref\":\"#/definitions/a\"}");
	CHECK(m && strstr(m, "reference cycle"),
	      "a loop of $ref-only hops (draft 7) is refused when compiled");
#undef D7
#undef D4
}

/* A node's keywords are read only for the kinds of instance they speak of
 * (js_node.assert_kinds, apply_kinds): every other kind goes past them
 * without a call. Each kind still meets each keyword of its own, a type
 * that may refuse it, enum and const, and format only when asserted. */
static void test_kinds_read(dbc_ctx *ctx)
{
	const char *mixed = "{\"maxLength\":2,\"minimum\":3,\"maxItems\":1,\"required\":[\"a\"]}";
	CHECK(!valid(ctx, "\"abc\"", mixed) && valid(ctx, "\"ab\"", mixed) && !valid(ctx, "2", mixed) &&
	          !valid(ctx, "2.5", mixed) && valid(ctx, "3", mixed) && !valid(ctx, "[1,2]", mixed) &&
	          valid(ctx, "[1]", mixed) && !valid(ctx, "{}", mixed) &&
	          valid(ctx, "{\"a\":1}", mixed) && valid(ctx, "null", mixed) &&
	          valid(ctx, "true", mixed),
	      "each kind meets its own keywords and no other's");
	const char *integer = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
	                      "\"type\":\"integer\"}";
	CHECK(valid(ctx, "2.0", integer) && !valid(ctx, "2.5", integer) &&
	          !valid(ctx, "\"2\"", integer),
	      "a real meets a type of integer, which does not surely admit it");
	CHECK(!valid(ctx, "{}", "{\"enum\":[1,\"a\"]}") &&
	          valid(ctx, "\"a\"", "{\"enum\":[1,\"a\"]}") && !valid(ctx, "[]", "{\"const\":{}}") &&
	          valid(ctx, "{}", "{\"const\":{}}"),
	      "enum and const meet every kind");
	bool asserted = true, annotated = false;
	dbc_error_clear(ctx);
	dbc_js_valid(ctx, NULL, "\"x\"", "{\"format\":\"email\"}", true, &asserted);
	dbc_js_valid(ctx, NULL, "\"x\"", "{\"format\":\"email\"}", false, &annotated);
	CHECK(!asserted && annotated, "format is read only when formats are asserted");
	const char *apply = "{\"properties\":{\"a\":{\"type\":\"string\"}},"
	                    "\"items\":{\"type\":\"string\"}}";
	CHECK(valid(ctx, "{\"a\":\"x\"}", apply) && !valid(ctx, "{\"a\":1}", apply) &&
	          valid(ctx, "[\"x\"]", apply) && !valid(ctx, "[1]", apply) && valid(ctx, "1", apply),
	      "properties apply to objects, items to arrays, neither to a number");
	CHECK_STR(first_error(ctx, "{\"a\":{\"b\":[\"x\",2]}}",
	                      "{\"properties\":{\"a\":{\"properties\":{\"b\":{\"items\":"
	                      "{\"type\":\"string\"}}}}}}"),
	          "/a/b/1|type|2 is not of type string", "an error below still names its path");
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	test_errors(&ctx);
	test_drafts_and_formats(&ctx);
	test_meta(&ctx);
	test_hostile(&ctx);
	test_regex(&ctx);
	test_regex_plain_text(&ctx);
	test_unique_items(&ctx);
	test_exponential(&ctx);
	test_cache(&ctx);
	test_shortcuts(&ctx);
	test_kinds_read(&ctx);
	dbc_ctx_finish(&ctx);
	return unit_done();
}
