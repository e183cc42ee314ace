/*
 * test_hardening.c — regression tests for what the sanitizers and fuzzers
 * found in common/: each case names the input or condition that once broke.
 */
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
	CHECK(dbc_alloc(&ctx, SIZE_MAX - 8) == NULL && ctx.failed, "near-SIZE_MAX allocation fails cleanly");
	dbc_ctx_finish(&ctx);
}

int main(void)
{
	test_arena_alignment();
	test_arena_huge();
	return unit_done();
}
