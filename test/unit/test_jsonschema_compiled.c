/*
 * test_jsonschema_compiled.c — the compiled check (core/jsonschema/
 * js_fast.c) against the evaluator on random documents: valid ones and
 * their mutations (a byte changed, dropped or a span repeated), over
 * schemas of the keywords it covers and of some it leaves to the
 * evaluator. Whenever it says valid the evaluator must too, and of the
 * documents the evaluator finds valid it must decide most (so a check that
 * decides nothing fails). Each document JSON is also read in place
 * through an accessor (js_access.h, as PostgreSQL reads a jsonb:
 * test/unit/js_walk.h, core/jsonschema/js_walk.c), against the evaluator
 * on the tree the same accessor builds. The same seed runs every time; DBC_JS_SEED
 * another.
 */
#include "jsonschema/jsonschema.h"
#include "js_walk.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static const char *const schemas[] = {
    /* the benchmark's order (test/bench/bench_json.py) */
    "{\"type\": \"object\", \"required\": [\"id\", \"customer\", \"status\", \"items\"],"
    " \"properties\": {\"id\": {\"type\": \"integer\", \"minimum\": 1},"
    " \"customer\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 80},"
    " \"email\": {\"type\": \"string\", \"pattern\": \"^[^@ ]+@[^@ ]+$\"},"
    " \"status\": {\"enum\": [\"new\", \"paid\", \"shipped\", \"cancelled\"]},"
    " \"total\": {\"type\": \"number\", \"minimum\": 0},"
    " \"currency\": {\"type\": \"string\", \"pattern\": \"^[A-Z]{3}$\"},"
    " \"gift\": {\"type\": \"boolean\"}, \"note\": {\"type\": [\"string\", \"null\"]},"
    " \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"uniqueItems\": true},"
    " \"items\": {\"type\": \"array\", \"minItems\": 1, \"items\": {\"type\": \"object\","
    " \"required\": [\"sku\", \"qty\", \"price\"], \"properties\": {\"sku\": {\"type\": \"string\","
    " \"pattern\": \"^[A-Z]{3}-[0-9]+$\"}, \"qty\": {\"type\": \"integer\", \"minimum\": 1},"
    " \"price\": {\"type\": \"number\", \"minimum\": 0}}}}}}",
    /* closed objects, bounds, $ref (draft 7), a oneOf left to the evaluator */
    "{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"definitions\": {\"n\":"
    " {\"type\": \"number\", \"multipleOf\": 0.5, \"maximum\": 100}}, \"type\": \"object\","
    " \"additionalProperties\": false, \"minProperties\": 1, \"maxProperties\": 4,"
    " \"required\": [\"a\"], \"properties\": {\"a\": {\"$ref\": \"#/definitions/n\"},"
    " \"b\": {\"type\": \"array\", \"maxItems\": 3, \"uniqueItems\": true},"
    " \"c\": {\"oneOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]},"
    " \"d\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"integer\"}}}}",
    /* patternProperties beside properties, and an anyOf of member names
     * alone (SchemaStore's package.json has both at its root), draft 4 */
    "{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"type\": \"object\","
    " \"patternProperties\": {\"^_\": {\"type\": \"string\"}, \"^x\": {\"minLength\": 2}},"
    " \"properties\": {\"xa\": {\"type\": \"string\"}, \"n\": {\"type\": \"integer\"}},"
    " \"additionalProperties\": {\"type\": [\"integer\", \"string\"]},"
    " \"anyOf\": [{\"type\": \"object\", \"not\": {\"required\": [\"a\", \"b\"]}},"
    " {\"required\": [\"a\"], \"not\": {\"required\": [\"b\"]}}]}",
    /* allOf / anyOf / oneOf / not on containers, each branch run over the
     * value's text (SchemaStore's exports, funding, workspaces), draft 7 */
    "{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"definitions\": {\"pos\":"
    " {\"type\": \"object\", \"required\": [\"x\"], \"properties\": {\"x\": {\"type\":"
    " \"integer\"}}, \"additionalProperties\": false}, \"named\": {\"type\": \"object\","
    " \"required\": [\"name\"], \"properties\": {\"name\": {\"type\": \"string\"}}}},"
    " \"type\": \"object\", \"properties\": {"
    " \"one\": {\"oneOf\": [{\"$ref\": \"#/definitions/pos\"}, {\"$ref\":"
    " \"#/definitions/named\"}, {\"type\": \"string\"}]},"
    " \"any\": {\"anyOf\": [{\"type\": \"array\", \"items\": {\"type\": \"integer\"}},"
    " {\"type\": \"array\", \"maxItems\": 2}, {\"type\": \"object\", \"properties\":"
    " {\"k\": {\"type\": \"boolean\"}}}]},"
    " \"all\": {\"type\": \"object\", \"allOf\": [{\"required\": [\"a\"]}, {\"properties\":"
    " {\"a\": {\"minimum\": 0}}}], \"not\": {\"required\": [\"z\"]}},"
    " \"nest\": {\"oneOf\": [{\"type\": \"object\", \"additionalProperties\": {\"$ref\":"
    " \"#/properties/nest\"}}, {\"type\": \"integer\"}]},"
    " \"arr\": {\"type\": \"array\", \"items\": {\"oneOf\": [{\"type\": \"object\","
    " \"required\": [\"a\"]}, {\"type\": \"object\", \"required\": [\"b\"]}]},"
    " \"not\": {\"maxItems\": 0}}}}",
    /* names-only allOf / anyOf / oneOf / not whose required names are all
     * properties: judged from the slots an object has (js_plan.c:
     * dbc_js_plan_names_verdict), types that admit an object, surely or
     * not at all, draft 4 */
    "{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"type\": \"object\","
    " \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\": \"integer\"},"
    " \"c\": {\"type\": \"string\"}, \"d\": {}},"
    " \"anyOf\": [{\"type\": \"object\", \"not\": {\"required\": [\"a\", \"b\"]}},"
    " {\"required\": [\"c\"]}],"
    " \"oneOf\": [{\"required\": [\"a\"]}, {\"required\": [\"b\"]}, {\"type\": \"array\"}],"
    " \"allOf\": [{\"type\": [\"object\", \"null\"]}, {\"anyOf\": [{\"required\": [\"a\"]},"
    " {\"required\": [\"b\"]}]}], \"not\": {\"required\": [\"d\"]}}",
    /* the same reading seven names, more than js_plan.c tables (its
     * verdict then worked out per object) */
    "{\"$schema\": \"http://json-schema.org/draft-04/schema#\", \"type\": \"object\","
    " \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\": \"integer\"},"
    " \"c\": {\"type\": \"string\"}, \"d\": {}, \"e\": {}, \"f\": {}, \"g\": {}},"
    " \"anyOf\": [{\"type\": \"object\", \"not\": {\"required\": [\"a\", \"b\"]}},"
    " {\"required\": [\"c\"]}, {\"required\": [\"e\", \"f\", \"g\"]}],"
    " \"oneOf\": [{\"required\": [\"a\"]}, {\"required\": [\"b\"]}, {\"type\": \"array\"}],"
    " \"not\": {\"required\": [\"d\"]}}",
};

static const char *const documents[] = {
    "{\"id\": 7, \"customer\": \"customer 7\", \"email\": \"c7@example.com\", \"status\": \"paid\","
    " \"total\": 17.5, \"currency\": \"EUR\", \"gift\": false, \"note\": null, \"tags\": [\"a\","
    " \"b\"], \"items\": [{\"sku\": \"ABC-7\", \"qty\": 2, \"price\": 3.5}, {\"sku\": \"XYZ-2\","
    " \"qty\": 2, \"price\": 1.25}]}",
    "{\"id\":1,\"customer\":\"x\",\"status\":\"new\",\"items\":[{\"sku\":\"AAA-0\",\"qty\":1,"
    "\"price\":0}],\"note\":\"leave \\\"here\\\"\",\"tags\":[]}",
    "{\"a\": 2.5, \"b\": [1, \"1\", 1.5, true], \"c\": \"s\", \"d\": {\"x\": 1, \"y\": -2}}",
    "{\"a\": -0.0, \"d\": {}, \"b\": [null, false]}",
    "{\"a\": 12345678901234.5, \"c\": 3}",
    "{\"_p\": \"s\", \"xa\": \"yy\", \"n\": 3, \"a\": 1}",
    "{\"a\": 1, \"b\": 2, \"_q\": \"r\"}",
    "{\"xb\": \"zz\", \"n\": 1, \"b\": \"x\"}",
    "{\"one\": {\"x\": 1}, \"any\": [1, 2, 3], \"all\": {\"a\": 1}, \"nest\": {\"p\":"
    " {\"q\": 3}}, \"arr\": [{\"a\": 1}, {\"b\": 2}]}",
    "{\"one\": {\"x\": 1, \"name\": \"n\"}, \"any\": {\"k\": true}, \"all\": {\"a\": 2,"
    " \"b\": 1}, \"arr\": [{\"a\": 1, \"b\": 2}]}",
    "{\"one\": \"s\", \"any\": [true, \"x\"], \"all\": {\"a\": 0, \"z\": 0}, \"nest\": 4}",
    "{\"one\": {\"name\": \"n\", \"x\": \"1\"}, \"all\": {\"a\": -1}, \"arr\": [],"
    " \"nest\": {\"a\": {\"b\": {\"c\": 1}}}}",
    "{\"a\": 1}",
    "{\"b\": 2, \"c\": \"x\"}",
    "{\"a\": 1, \"b\": 2, \"c\": \"y\"}",
    "{\"a\": 1, \"d\": 0}",
};

static uint64_t rng;

static unsigned next(unsigned below)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rng >> 33) % below);
}

/* A mutation of doc (malloc'd). */
static char *mutate(const char *doc)
{
	static const char bytes[] = "\"1-.0 9{}[],:ae\\E5+";
	size_t n = strlen(doc);
	char *out = malloc(2 * n + 2);
	memcpy(out, doc, n + 1);
	int edits = 1 + (int)next(3);
	for (int e = 0; e < edits && n > 1; e++) {
		size_t at = next((unsigned)n);
		switch (next(3)) {
		case 0:
			out[at] = bytes[next(sizeof bytes - 1)];
			break;
		case 1:
			memmove(out + at, out + at + 1, n - at);
			n--;
			break;
		default: {
			size_t len = 1 + next(8);
			if (at + len > n || n + len > 2 * strlen(doc))
				break;
			memmove(out + at + len, out + at, n - at + 1);
			n += len;
		}
		}
	}
	return out;
}

/* Strings with escapes under nodes that pass any string are read by the
 * compiled check without the parser (js_fast.c: skipped_string): it
 * decides a document of them, and never passes one whose escape the
 * parser refuses (a surrogate alone, an unknown escape, a short \u). */
static void escaped_strings(void)
{
	static const char *const refused[] = {"\\ud800", "\\udc00x", "\\x", "\\u12", "\\ud83dx"};
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_js_options opts = {.check_meta = true};
	dbc_js_schema *s = NULL;
	CHECK(dbc_js_compile(&ctx, schemas[0], &opts, &s) == DBC_OK, "the order schema compiles");
	if (!s)
		return;
	const char *doc = "{\"id\": 1, \"customer\": \"c \\\"q\\\"\", \"status\": \"new\","
	                  " \"note\": \"a\\\\b\\n\\u00e9\\ud83d\\ude00\", \"tags\": [\"x\"],"
	                  " \"items\": [{\"sku\": \"AAA-1\", \"qty\": 1, \"price\": 1}]}";
	CHECK(dbc_js_compiled_verdict(&ctx, s, doc) == 1,
	      "the compiled check decides escaped strings a leaf passes");
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		char bad[256];
		snprintf(bad, sizeof bad,
		         "{\"id\": 1, \"customer\": \"c\", \"status\": \"new\","
		         " \"note\": \"a%sb\", \"items\": [{\"sku\": \"AAA-1\", \"qty\": 1,"
		         " \"price\": 1}]}",
		         refused[i]);
		dbc_error_clear(&ctx);
		CHECK(dbc_js_compiled_verdict(&ctx, s, bad) != 1,
		      "an escape the parser refuses is not passed");
		dbc_error_clear(&ctx);
		bool valid = true;
		CHECK(dbc_js_validate(&ctx, s, bad, &valid, NULL, NULL, 0) != DBC_OK && !valid,
		      "the parser refuses the escape");
	}
	dbc_js_free(s);
	dbc_ctx_finish(&ctx);
}

/* The compiled check's budget (js_fast.c, js_validate.c): every
 * CHECK_EVERY steps (JS_STEPS_BETWEEN_CHECKS) the evaluator looks at the
 * budget, and at the first look past FREE_STEPS (JS_STEPS_FREE) the check's
 * budget of 1 ends it, undecided. Each string a leaf passes is a step, the
 * array holding them none: an array of LIMIT strings is the first to
 * reach that look. */
#define CHECK_EVERY 4096
#define FREE_STEPS  1000000
#define LIMIT       ((FREE_STEPS + CHECK_EVERY - 1) / CHECK_EVERY * CHECK_EVERY)

/* An array of n strings, each plain or with an escape (malloc'd). */
static char *strings_array(int n, bool escaped)
{
	const char *item = escaped ? "\"\\n\"" : "\"a\"";
	size_t len = strlen(item) + 1;
	char *doc = malloc(2 + (size_t)n * len);
	if (!doc)
		return NULL;
	char *p = doc;
	*p++ = '[';
	for (int i = 0; i < n; i++) {
		memcpy(p, item, len - 1);
		p += len - 1;
		*p++ = i + 1 < n ? ',' : ']';
	}
	*p = '\0';
	return doc;
}

/* An escaped string a leaf passes spends its step as a plain one does,
 * and stops at the budget's look as a plain one does: one string short of
 * the limit both arrays pass; at the limit and past it, both are
 * undecided (the evaluator, with the budget the document earns, finds
 * them valid). */
static void escaped_strings_at_the_step_limit(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_js_options opts = {.check_meta = true};
	dbc_js_schema *s = NULL;
	CHECK(dbc_js_compile(&ctx, "{\"type\": \"array\", \"items\": {\"type\": \"string\"}}", &opts,
	                     &s) == DBC_OK,
	      "the array of strings schema compiles");
	if (!s)
		return;
	for (int n = LIMIT - 1; n <= LIMIT + 1; n++) {
		for (int escaped = 0; escaped <= 1; escaped++) {
			char *doc = strings_array(n, escaped);
			if (!doc)
				break;
			dbc_error_clear(&ctx);
			int verdict = dbc_js_compiled_verdict(&ctx, s, doc);
			printf("# %d %s strings: compiled verdict %d\n", n, escaped ? "escaped" : "plain",
			       verdict);
			CHECK(verdict == (n < LIMIT), "the compiled check stops at its budget's limit");
			if (n == LIMIT && escaped) {
				dbc_error_clear(&ctx);
				bool valid = false;
				CHECK(dbc_js_validate(&ctx, s, doc, &valid, NULL, NULL, 0) == DBC_OK && valid,
				      "the evaluator finds the array at the limit valid");
			}
			free(doc);
		}
	}
	dbc_js_free(s);
	dbc_ctx_finish(&ctx);
}

/* Strings up to 64 bytes (js_memo.c: JS_MEMO_BYTES) under a oneOf keep
 * their settled answer in the memo: the one asked a second time, and one
 * differing from it in a single byte, its middle or its last, each get
 * the evaluator's verdict (a path's letters pass, a digit among them
 * does not; 64 bytes are kept, 65 are not). */
static void long_strings_kept(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_js_options opts = {.check_meta = true};
	dbc_js_schema *s = NULL;
	CHECK(dbc_js_compile(&ctx,
	                     "{\"properties\": {\"p\": {\"oneOf\": [{\"type\": \"string\","
	                     " \"pattern\": \"^\\\\./[a-z]+$\"}, {\"type\": \"object\"}]}}}",
	                     &opts, &s) == DBC_OK,
	      "the oneOf of a string schema compiles");
	if (!s)
		return;
	for (int len = 30; len <= 65; len++) {
		for (int at = -1; at < 2; at++) {
			char doc[96], str[70];
			memset(str, 'a', (size_t)len);
			str[0] = '.';
			str[1] = '/';
			str[len] = '\0';
			if (at >= 0)
				str[at ? len - 1 : len / 2] = '7';
			snprintf(doc, sizeof doc, "{\"p\": \"%s\"}", str);
			for (int ask = 0; ask < 2; ask++) {
				dbc_error_clear(&ctx);
				int verdict = dbc_js_compiled_verdict(&ctx, s, doc);
				dbc_error_clear(&ctx);
				bool valid = false;
				CHECK(dbc_js_validate(&ctx, s, doc, &valid, NULL, NULL, 0) == DBC_OK,
				      "the evaluator judges the string");
				CHECK(valid == (at < 0), "a digit fails the pattern");
				CHECK(verdict == (valid ? 1 : 0), "the compiled check agrees with the evaluator");
			}
		}
	}
	dbc_js_free(s);
	dbc_ctx_finish(&ctx);
}

/* Whitespace before each token as pretty-printed JSON puts it (a line
 * break and an indentation of spaces, js_private.h: dbc_js_skip_ws's
 * 8-byte look) and as it does not (tabs, carriage returns, blank lines,
 * indentations past eight, the text's end within eight bytes): the
 * compiled check and the evaluator agree on each, and a control character
 * among the spaces is JSON to neither. */
static void line_breaks(void)
{
	static const char schema[] = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": "
	                             "\"integer\"}, \"b\": {\"type\": \"array\", \"items\": "
	                             "{\"type\": \"string\"}}}}";
	static const char *const gaps[] = {"",
	                                   "\n",
	                                   "\n ",
	                                   "\n  ",
	                                   "\n   \t",
	                                   "\n\t",
	                                   "\n\n  ",
	                                   "\r\n    ",
	                                   "\n       ",
	                                   "\n        ",
	                                   "\n                 ",
	                                   " \n  ",
	                                   "\n \x01 "};
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_js_options opts = {.check_meta = true};
	dbc_js_schema *s = NULL;
	CHECK(dbc_js_compile(&ctx, schema, &opts, &s) == DBC_OK, "the schema compiles");
	for (size_t i = 0; s && i < sizeof gaps / sizeof *gaps; i++) {
		const char *g = gaps[i];
		char doc[512];
		snprintf(doc, sizeof doc, "%s{%s\"a\"%s:%s1%s,%s\"b\"%s:%s[%s\"x\"%s,%s\"y\"%s]%s}%s", g, g,
		         g, g, g, g, g, g, g, g, g, g, g, g);
		bool json = !strchr(g, '\x01');
		dbc_error_clear(&ctx);
		int verdict = dbc_js_compiled_verdict(&ctx, s, doc);
		dbc_error_clear(&ctx);
		bool valid = false;
		int rc = dbc_js_validate(&ctx, s, doc, &valid, NULL, NULL, 0);
		CHECK(verdict == json, "the compiled check passes the whitespace JSON allows, only it");
		CHECK((rc == DBC_OK && valid) == json, "the evaluator reads the same whitespace");
	}
	dbc_js_free(s);
	dbc_ctx_finish(&ctx);
}

/* Member names the compiled check reads as the parser does: a name with
 * escapes decoded (its slot found by the decoded bytes, a duplicate seen
 * through an escape), and an object of more names no slot knows than fit
 * its first array (npm's dependencies), a duplicate among them found. */
static void escaped_and_many_names(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_js_options opts = {.check_meta = true};
	dbc_js_schema *s = NULL;
	CHECK(dbc_js_compile(&ctx, schemas[1], &opts, &s) == DBC_OK, "the closed schema compiles");
	if (!s)
		return;
	static const struct {
		const char *doc;
		bool valid;
	} cases[] = {
	    {"{\"\\u0061\": 1, \"d\": {\"x\\u0079\": 1, \"q\\\"\\\\\": 2}}", true},
	    {"{\"a\": 1, \"d\": {\"xy\": 1, \"x\\u0079\": 2}}", false},
	    {"{\"a\": 1, \"\\u0061\": 2}", false},
	    {"{\"a\": 1, \"d\": {\"\\x\": 1}}", false},
	    {"{\"a\": 1, \"d\": {\"\\ud800\": 1}}", false},
	    {"{\"a\": 1, \"d\": {\"x\\u0000\": 1}}", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		dbc_error_clear(&ctx);
		int verdict = dbc_js_compiled_verdict(&ctx, s, cases[i].doc);
		CHECK(cases[i].valid ? verdict == 1 : verdict != 1,
		      "an escaped member name is read as the parser reads it");
		dbc_error_clear(&ctx);
		bool valid = !cases[i].valid;
		dbc_js_validate(&ctx, s, cases[i].doc, &valid, NULL, NULL, 0);
		CHECK(valid == cases[i].valid, "the evaluator agrees on an escaped member name");
	}
	for (int dup = 0; dup < 2; dup++) {
		char doc[8192];
		int n = snprintf(doc, sizeof doc, "{\"a\": 1, \"d\": {");
		for (int i = 0; i < 300; i++)
			n += snprintf(doc + n, sizeof doc - (size_t)n, "%s\"k%d\": %d", i ? ", " : "", i, i);
		snprintf(doc + n, sizeof doc - (size_t)n, "%s}}", dup ? ", \"k7\": 1" : "");
		dbc_error_clear(&ctx);
		int verdict = dbc_js_compiled_verdict(&ctx, s, doc);
		CHECK(dup ? verdict != 1 : verdict == 1,
		      "an object of 300 names no slot knows is decided, a duplicate among them not passed");
		dbc_error_clear(&ctx);
		bool valid = !dup;
		dbc_js_validate(&ctx, s, doc, &valid, NULL, NULL, 0);
		CHECK(valid == !dup, "the evaluator agrees on 300 names");
	}
	dbc_js_free(s);
	dbc_ctx_finish(&ctx);
}

/* A document read in place nested deep, up to past the check's depth
 * limit (js_walk.c: JS_WALK_DEPTH, 64): valid when its leaf is within
 * it, never passed when its leaf is not valid. */
static void deep_walks(void)
{
	static const char schema[] = "{\"type\": \"object\", \"properties\": "
	                             "{\"n\": {\"$ref\": \"#\"}, \"v\": {\"type\": \"integer\"}}}";
	static const struct {
		int depth;
		const char *leaf;
		int verdict;
	} cases[] = {{7, "1", 1},      {9, "1", 1},  {20, "1", 1},
	             {20, "\"x\"", 0}, {70, "1", 1}, {70, "\"x\"", 0}};
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char doc[2048];
		int n = 0;
		for (int d = 0; d < cases[i].depth; d++)
			n += snprintf(doc + n, sizeof doc - (size_t)n, "{\"n\": ");
		n += snprintf(doc + n, sizeof doc - (size_t)n, "{\"v\": %s}", cases[i].leaf);
		for (int d = 0; d < cases[i].depth; d++)
			n += snprintf(doc + n, sizeof doc - (size_t)n, "}");
		json_t *j = json_loads(doc, 0, NULL);
		CHECK(j != NULL, "the deep document is JSON");
		dbc_error_clear(&ctx);
		int in_place = j ? js_view_verdict(&ctx, NULL, schema, false, j) : -1;
		CHECK(in_place >= 0, "a deep document is read in place without an error");
		CHECK(in_place == cases[i].verdict,
		      "a deep document is passed in place when its leaf is valid, and only then");
		json_decref(j);
	}
	dbc_ctx_finish(&ctx);
}

int main(void)
{
	const char *seed = getenv("DBC_JS_SEED");
	rng = seed ? strtoull(seed, NULL, 10) : 63;
	int decided = 0, evaluator_valid = 0, disagreed = 0, runs = 0;
	int walked = 0, walk_valid = 0;
	int access_decided = 0, access_failed = 0;
	int pretty_valid = 0, pretty_decided = 0;
	for (size_t si = 0; si < sizeof schemas / sizeof *schemas; si++) {
		dbc_ctx ctx;
		dbc_ctx_init(&ctx, &unit_host, NULL);
		dbc_js_options opts = {.check_meta = true};
		dbc_js_schema *s = NULL;
		CHECK(dbc_js_compile(&ctx, schemas[si], &opts, &s) == DBC_OK, "the schema compiles");
		if (!s)
			return unit_done();
		for (int round = 0; round < 4000; round++) {
			const char *base = documents[next(sizeof documents / sizeof *documents)];
			char *doc = round % 4 == 0 ? strdup(base) : mutate(base);
			dbc_error_clear(&ctx);
			int verdict = dbc_js_compiled_verdict(&ctx, s, doc);
			dbc_error_clear(&ctx);
			bool valid = false;
			dbc_js_error *errors;
			int n;
			bool ok = dbc_js_validate(&ctx, s, doc, &valid, &errors, &n, 10) == DBC_OK;
			runs++;
			evaluator_valid += ok && valid;
			decided += verdict == 1;
			if (verdict == 1 && !(ok && valid)) {
				disagreed++;
				printf("# schema %zu: the compiled check says valid, the evaluator not: %s\n", si,
				       doc);
			}
			json_t *j = json_loads(doc, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
			if (j) {
				dbc_error_clear(&ctx);
				int evaluated = js_walk_evaluated(&ctx, s, j);
				dbc_error_clear(&ctx);
				walked++;
				walk_valid += evaluated == 1;
				/* the same value read in place through an accessor */
				dbc_error_clear(&ctx);
				int in_place = js_view_verdict(&ctx, NULL, schemas[si], false, j);
				dbc_error_clear(&ctx);
				access_failed += in_place < 0;
				access_decided += in_place == 1;
				if (in_place == 1 && evaluated != 1) {
					disagreed++;
					printf("# schema %zu: the check read in place says valid, the evaluator "
					       "not: %s\n",
					       si, doc);
				}
				/* the same document pretty-printed (a line break and an
				 * indentation before each member and item) */
				char *pretty =
				    round % 4 == 1 ? json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY) : NULL;
				if (pretty) {
					dbc_error_clear(&ctx);
					int pv = dbc_js_compiled_verdict(&ctx, s, pretty);
					dbc_error_clear(&ctx);
					bool pvalid = false;
					bool pok = dbc_js_validate(&ctx, s, pretty, &pvalid, NULL, NULL, 0) == DBC_OK;
					pretty_valid += pok && pvalid;
					pretty_decided += pv == 1;
					if (pv == 1 && !(pok && pvalid)) {
						disagreed++;
						printf("# schema %zu: the compiled check says valid, the evaluator "
						       "not: %s\n",
						       si, pretty);
					}
					free(pretty);
				}
				json_decref(j);
			}
			free(doc);
		}
		dbc_js_free(s);
		dbc_ctx_finish(&ctx);
	}
	escaped_strings();
	escaped_strings_at_the_step_limit();
	escaped_and_many_names();
	line_breaks();
	deep_walks();
	long_strings_kept();
	printf("# %d documents: the evaluator found %d valid, the compiled check decided %d\n", runs,
	       evaluator_valid, decided);
	printf("# %d documents read in place: the evaluator found %d valid on their tree\n", walked,
	       walk_valid);
	printf("# %d of them pretty-printed valid, the compiled check decided %d\n", pretty_valid,
	       pretty_decided);
	CHECK(pretty_valid > 0 && pretty_decided * 10 >= pretty_valid * 7,
	      "the compiled check decides most valid pretty-printed documents");
	printf("# of the documents walked, the check read in place decided %d\n", access_decided);
	CHECK(access_failed == 0, "the check read in place ends without an error");
	CHECK(walk_valid > 0 && access_decided * 10 >= walk_valid * 7,
	      "the check read in place decides most valid documents");
	CHECK(disagreed == 0, "the compiled check never says valid where the evaluator does not");
	CHECK(evaluator_valid > 0 && decided * 10 >= evaluator_valid * 7,
	      "the compiled check decides most valid documents");
	return unit_done();
}
