/*
 * test_jsonschema_suite.c — the JSON-Schema-Test-Suite (Debian's
 * json-schema-test-suite package) run through the core validator. Every
 * required test of drafts 4, 6 and 7 must pass; the optional ones (bignum,
 * ECMA-262 regexes, ...) and the format ones (run with format assertion on)
 * are counted and reported as "# ..." lines. Schemas that refer to
 * http://localhost:1234/ get the suite's remotes/ folder, mapped locally.
 *
 * DBC_JS_SUITE names another copy of the suite (same layout); with
 * DBC_JS_DRAFTS="draft2019-09 draft2020-12" it runs those drafts too and
 * reports their figures (docs/json.md records them), asserting only the
 * drafts of the Debian package.
 */
#include "jsonschema/jsonschema.h"
#include "base/json.h"
#include "js_walk.h"
#include "unit.h"

#include <dirent.h>
#include <unistd.h>

#define REMOTE_BASE "http://localhost:1234/"

static const char *suite_dir;
static bool verbose;

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *load_remote(void *arg, const char *uri)
{
	(void)arg;
	if (strncmp(uri, REMOTE_BASE, strlen(REMOTE_BASE)) != 0)
		return NULL;
	const char *rel = uri + strlen(REMOTE_BASE);
	if (strstr(rel, ".."))
		return NULL;
	char path[4096];
	snprintf(path, sizeof path, "%s/remotes/%s", suite_dir, rel);
	return read_file(path);
}

typedef struct tally {
	int pass, total;
} tally;

/* The compiled check against the evaluator, over every document of the
 * suite: decided (it said valid), and how often the evaluator disagreed;
 * the same for the check read in place through an accessor (js_walk.h,
 * as PostgreSQL reads a jsonb). */
static int compiled_decided, compiled_disagreed;
static int access_decided, access_disagreed; /* read in place (js_view_verdict) */

static void compare_walked(dbc_ctx *ctx, const dbc_js_schema *s, const char *schema_text,
                           const dbc_js_options *opts, const char *data, const char *path)
{
	json_t *doc = json_loads(data, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!doc)
		return;
	dbc_error_clear(ctx);
	dbc_js_cache *cache = dbc_js_cache_new();
	const dbc_js_schema *cached;
	/* the cache compiles with the suite's remotes, as the suite does */
	bool cached_ok = dbc_js_cache_get(ctx, cache, schema_text, opts, &cached) == DBC_OK;
	dbc_error_clear(ctx);
	int evaluated = js_walk_evaluated(ctx, s, doc);
	/* the value read in place through an accessor (js_access.h) */
	dbc_error_clear(ctx);
	int in_place =
	    !cached_ok ? -1 : js_view_verdict(ctx, cache, schema_text, opts->format_assertion, doc);
	dbc_error_clear(ctx);
	if (in_place == 1)
		access_decided++;
	if (in_place == 1 && evaluated != 1) {
		access_disagreed++;
		printf("# the check read in place says valid, the evaluator not: %s: %s\n", path, data);
	}
	dbc_js_cache_free(cache);
	json_decref(doc);
}

static void compare_compiled(dbc_ctx *ctx, const dbc_js_schema *s, const char *data,
                             const char *path)
{
	dbc_error_clear(ctx);
	int verdict = dbc_js_compiled_verdict(ctx, s, data);
	dbc_error_clear(ctx);
	bool valid = false;
	dbc_js_error *errors;
	int n;
	bool ok = dbc_js_validate(ctx, s, data, &valid, &errors, &n, 10) == DBC_OK;
	dbc_error_clear(ctx);
	if (verdict == 1)
		compiled_decided++;
	if (verdict == 1 && !(ok && valid)) {
		compiled_disagreed++;
		printf("# the compiled check says valid, the evaluator not: %s: %s\n", path, data);
	}
}

static void run_file(const char *path, const char *draft_uri, bool format, tally *t)
{
	json_error_t err;
	json_t *groups = json_load_file(path, JSON_ALLOW_NUL, &err);
	if (!groups) /* bignum.json: integers beyond 64 bits */
		groups = json_load_file(path, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
	if (!groups) {
		printf("# cannot read %s: %s\n", path, err.text);
		t->total++;
		return;
	}
	size_t gi;
	json_t *g;
	json_array_foreach(groups, gi, g)
	{
		json_t *schema = json_object_get(g, "schema");
		/* the suite's schemas without $schema are of the folder's draft */
		json_t *copy = json_deep_copy(schema);
		if (json_is_object(copy) && !json_object_get(copy, "$schema"))
			json_object_set_new(copy, "$schema", json_string(draft_uri));
		char *schema_text = json_dumps(copy, JSON_ENCODE_ANY);
		json_decref(copy);
		dbc_ctx ctx;
		dbc_ctx_init(&ctx, &unit_host, NULL);
		dbc_js_options opts = {.format_assertion = format, .load_remote = load_remote};
		dbc_js_schema *s = NULL;
		bool compiled = dbc_js_compile(&ctx, schema_text, &opts, &s) == DBC_OK;
		const char *compile_error = compiled ? NULL : strdup(ctx.message ? ctx.message : "?");
		size_t ti;
		json_t *test;
		json_array_foreach(json_object_get(g, "tests"), ti, test)
		{
			char *data = json_dumps(json_object_get(test, "data"), JSON_ENCODE_ANY);
			bool want = json_is_true(json_object_get(test, "valid"));
			bool got = false, ok = false;
			const char *why = compile_error;
			if (compiled) {
				compare_compiled(&ctx, s, data, path);
				compare_walked(&ctx, s, schema_text, &opts, data, path);
			}
			if (compiled) {
				dbc_error_clear(&ctx);
				ok = dbc_js_validate(&ctx, s, data, &got, NULL, NULL, 0) == DBC_OK;
				if (!ok)
					why = ctx.message;
			}
			t->total++;
			if (ok && got == want)
				t->pass++;
			else if (verbose)
				printf("# FAIL %s | %s | %s: want %s%s%s\n", path,
				       json_string_value(json_object_get(g, "description")),
				       json_string_value(json_object_get(test, "description")),
				       want ? "valid" : "invalid", why ? " — " : "", why ? why : "");
			free(data);
		}
		dbc_js_free(s);
		free((void *)compile_error);
		free(schema_text);
		dbc_ctx_finish(&ctx);
	}
	json_decref(groups);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json of dir but `skip`, in name order. */
static void run_dir(const char *dir, const char *draft_uri, bool format, tally *t, const char *skip)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char *names[512];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 512) {
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".json") && (!skip || strcmp(e->d_name, skip)))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(char *), cmp_names);
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		run_file(path, draft_uri, format, t);
		free(names[i]);
	}
}

static void run_draft(const char *draft, const char *draft_uri, bool required_all)
{
	char dir[4096];
	tally req = {0}, opt = {0}, fmt = {0};
	snprintf(dir, sizeof dir, "%s/tests/%s", suite_dir, draft);
	run_dir(dir, draft_uri, false, &req, NULL);
	/* optional tests may assert formats (format.json, ecmascript-regex.json) */
	snprintf(dir, sizeof dir, "%s/tests/%s/optional", suite_dir, draft);
	run_dir(dir, draft_uri, true, &opt, "format.json");
	/* formats: one file in older drafts, a folder in newer ones */
	snprintf(dir, sizeof dir, "%s/tests/%s/optional/format.json", suite_dir, draft);
	if (access(dir, R_OK) == 0)
		run_file(dir, draft_uri, true, &fmt);
	snprintf(dir, sizeof dir, "%s/tests/%s/optional/format", suite_dir, draft);
	run_dir(dir, draft_uri, true, &fmt, NULL);
	printf("# conformance %s: required %d/%d, optional %d/%d, format %d/%d\n", draft, req.pass,
	       req.total, opt.pass, opt.total, fmt.pass, fmt.total);
	if (required_all) {
		char name[128];
		snprintf(name, sizeof name, "%s: every required test passes", draft);
		CHECK(req.total > 0 && req.pass == req.total, name);
	}
}

int main(void)
{
	const char *env = getenv("DBC_JS_SUITE");
	suite_dir = env && *env ? env : "/usr/share/json-schema-test-suite";
	verbose = getenv("DBC_JS_VERBOSE") != NULL;
	char probe[4096];
	snprintf(probe, sizeof probe, "%s/tests/draft7", suite_dir);
	DIR *d = opendir(probe);
	CHECK(d != NULL, "the JSON-Schema-Test-Suite is installed (Debian json-schema-test-suite)");
	if (!d)
		return unit_done();
	closedir(d);
	run_draft("draft4", "http://json-schema.org/draft-04/schema#", true);
	run_draft("draft6", "http://json-schema.org/draft-06/schema#", true);
	run_draft("draft7", "http://json-schema.org/draft-07/schema#", true);
	printf("# the compiled check decided %d documents, the evaluator disagreed on %d\n",
	       compiled_decided, compiled_disagreed);
	CHECK(compiled_decided >= 300, "the compiled check decides hundreds of the suite's documents");
	CHECK(compiled_disagreed == 0,
	      "the compiled check never says valid where the evaluator does not");
	printf("# the check read in place decided %d documents, the evaluator disagreed on %d\n",
	       access_decided, access_disagreed);
	CHECK(access_decided >= 300,
	      "the check read in place decides hundreds of the suite's documents");
	CHECK(access_disagreed == 0,
	      "the check read in place never says valid where the evaluator does not");
	const char *more = getenv("DBC_JS_DRAFTS");
	if (more && strstr(more, "draft2019-09"))
		run_draft("draft2019-09", "https://json-schema.org/draft/2019-09/schema", false);
	if (more && strstr(more, "draft2020-12"))
		run_draft("draft2020-12", "https://json-schema.org/draft/2020-12/schema", false);
	return unit_done();
}
