/*
 * test_hardening.c — regression tests for what the sanitizers and fuzzers
 * found in core/: each case names the input or condition that once broke.
 */
#include "base/json.h"
#include "migrate/migrate_checksum.h"
#include "settings/settings.h"
#include "unit.h"

#include <stdint.h>

/* An allocator that, like sqlite3_malloc, only guarantees 8-byte alignment:
 * every pointer it returns is 8 modulo 16. */
static void *misaligned_alloc(size_t n)
{
	unsigned char *p = malloc(n + 24);
	if (!p)
		return NULL;
	unsigned char *q = (unsigned char *)(((uintptr_t)p + 15) & ~(uintptr_t)15) + 8;
	((void **)q)[-1] = p;
	return q;
}
static void misaligned_free(void *q)
{
	if (q)
		free(((void **)q)[-1]);
}

static void test_arena_alignment(void)
{
	dbc_host host = unit_host;
	host.alloc = misaligned_alloc;
	host.free = misaligned_free;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &host, NULL);
	bool aligned = true;
	for (size_t n = 1; n < 40000; n = n * 3 + 1) {
		void *p = dbc_alloc(&ctx, n);
		aligned = aligned && p && ((uintptr_t)p & 15) == 0;
	}
	CHECK(aligned, "arena is 16-byte aligned over an 8-byte-aligned host allocator");
	dbc_ctx_finish(&ctx);
}

static void test_arena_huge(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	CHECK(dbc_alloc(&ctx, SIZE_MAX) == NULL && ctx.failed, "SIZE_MAX allocation fails cleanly");
	dbc_error_clear(&ctx);
	CHECK(dbc_alloc(&ctx, SIZE_MAX - 8) == NULL && ctx.failed,
	      "near-SIZE_MAX allocation fails cleanly");
	dbc_ctx_finish(&ctx);
}

/* Found by fuzz_json_text: overlong forms, surrogates and code points above
 * U+10FFFF passed the old sanitiser, then jansson refused them, so a name
 * with such bytes made dbc_json_str return NULL (a snapshot failing). */
static void test_json_strict_utf8(dbc_ctx *ctx)
{
	static const char *bad[] = {
	    "\xc1\xa9",
	    "\xc0\xaf",
	    "\xe0\x80\xaf",
	    "\xed\xa0\x80",
	    "\xf4\x90\x80\x80",
	    "\xf8\x88\x80\x80\x80",
	    "B\x01\x9e\xff\xffv\x17\xc1\xa9"
	    "bad",
	};
	bool all = true;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *v = dbc_json_str(bad[i]);
		json_t *o = json_object();
		all = all && v && o && dbc_json_set(o, bad[i], json_incref(v));
		char *dump = o ? dbc_json_dump(ctx, o, DBC_JSON_CANONICAL) : NULL;
		all = all && dump;
		json_decref(v);
		json_decref(o);
	}
	CHECK(all, "every invalid UTF-8 form is replaced, never refused");
	json_t *ok = dbc_json_str("\xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf");
	CHECK_STR(ok ? json_string_value(ok) : NULL, "\xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf",
	          "valid edge code points are kept");
	json_decref(ok);
	json_t *r = dbc_json_str("a\xc0\xafz");
	CHECK_STR(r ? json_string_value(r) : NULL, "a??z", "an overlong slash becomes two '?'");
	json_decref(r);
}

/* A 10 MB or binary argument used to be echoed whole into the error message. */
static void test_excerpt(dbc_ctx *ctx)
{
	CHECK_STR(dbc_excerpt(ctx, "short", 80), "short", "short text unchanged");
	CHECK_STR(dbc_excerpt(ctx, "a\xff\xc0\xafz", 80), "a???z", "invalid UTF-8 shown as '?'");
	CHECK_STR(dbc_excerpt(ctx, "abcdefghij", 4), "abcd... (10 bytes)",
	          "long text cut with its size");
	CHECK_STR(dbc_excerpt(ctx, "ab\xc3\xa9\xc3\xa9", 3), "ab... (6 bytes)",
	          "cut at a character boundary");
	char *big = malloc(10000001);
	memset(big, 'x', 10000000);
	big[10000000] = '\0';
	char *e = dbc_excerpt(ctx, big, DBC_EXCERPT);
	CHECK(e && strlen(e) < 120 && strstr(e, "(10000000 bytes)"), "10 MB argument excerpted");
	free(big);
	dbc_setting_list cat;
	dbc_settings_catalog(ctx, &cat);
	char *norm;
	dbc_setting_normalise(ctx, dbc_settings_find(&cat, "migrate.out_of_order"), "\xff\xfe", &norm);
	CHECK(ctx->failed && strstr(ctx->message, "\"??\""),
	      "a setting error never carries invalid UTF-8");
	dbc_error_clear(ctx);
}

/* Found by fuzz_migrate_checksum: only one leading BOM was dropped, so a
 * script starting with two normalised to one starting with a BOM, and
 * normalising that again gave another text (and checksum). */
static void test_normalise_double_bom(dbc_ctx *ctx)
{
	const char *two = "\xEF\xBB\xBF\xEF\xBB\xBFSELECT 1;\r\n";
	char *once = dbc_script_normalise(ctx, two);
	CHECK_STR(once, "SELECT 1;", "every leading BOM dropped");
	CHECK_STR(dbc_script_normalise(ctx, once), once, "normalising is idempotent");
	CHECK_STR(dbc_script_normalise(ctx, "\xEF\xBB\xBF\xEF\xBB\xBF \r\n"), "",
	          "BOMs and blanks only: empty");
}

int main(void)
{
	dbc_ctx jctx;
	dbc_ctx_init(&jctx, &unit_host, NULL);
	test_json_strict_utf8(&jctx);
	test_excerpt(&jctx);
	test_normalise_double_bom(&jctx);
	dbc_ctx_finish(&jctx);
	test_arena_alignment();
	test_arena_huge();
	return unit_done();
}
