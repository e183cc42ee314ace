/*
 * test_heap_grow.c — core/base/heap_grow.c, the one growth rule: the
 * capacity starts at `first` (1 when none) and doubles until it holds what
 * is needed, refused past SIZE_MAX; dbc_reserve_with grows through the
 * resize it is given, zeroes the new slots only when asked, and leaves the
 * array and its capacity as they were when the resize fails; the arena's
 * dbc_grow and dbc_buf grow by the same rule, and so does dbc_heap_text.
 */
#include "base/heap_grow.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int resizes;
static bool refuse;

/* realloc, counted, that fails when refuse says so */
static void *counted_resize(void *block, size_t bytes)
{
	resizes++;
	return refuse ? NULL : realloc(block, bytes);
}

static void test_capacity(void)
{
	size_t c = 0;
	CHECK(dbc_grown_capacity(0, 1, 8, 16, &c) && c == 16, "an empty array starts at first");
	CHECK(dbc_grown_capacity(0, 40, 8, 16, &c) && c == 64, "first doubled until it holds need");
	CHECK(dbc_grown_capacity(0, 3, 8, 0, &c) && c == 4, "no first: from one slot");
	CHECK(dbc_grown_capacity(16, 17, 8, 4, &c) && c == 32, "a full array doubles");
	CHECK(dbc_grown_capacity(16, 16, 8, 4, &c) && c == 16, "room enough: the same capacity");
	c = 7;
	CHECK(!dbc_grown_capacity(16, SIZE_MAX, 1, 4, &c) && c == 7,
	      "a count past SIZE_MAX is refused, nothing written");
	CHECK(!dbc_grown_capacity(16, SIZE_MAX / 8 + 1, 8, 4, &c) && c == 7,
	      "bytes past SIZE_MAX are refused");
}

static void test_reserve(void)
{
	int *a = NULL;
	size_t cap = 0;
	resizes = 0;
	refuse = false;
	CHECK(dbc_reserve_with(counted_resize, true, &a, 3, &cap, sizeof *a, 4) && cap == 4 && a,
	      "room for 3 from nothing: first slots");
	CHECK(a[0] == 0 && a[3] == 0, "zero: the new slots are zeroed");
	for (int i = 0; i < 4; i++)
		a[i] = i + 1;
	CHECK(dbc_reserve_with(counted_resize, true, &a, 4, &cap, sizeof *a, 4) && resizes == 1,
	      "room already there: no resize");
	CHECK(dbc_reserve_with(counted_resize, false, &a, 5, &cap, sizeof *a, 4) && cap == 8 &&
	          resizes == 2,
	      "one more: doubled, one resize");
	CHECK(a[0] == 1 && a[3] == 4, "the items kept");
	int *before = a;
	refuse = true;
	CHECK(!dbc_reserve_with(counted_resize, true, &a, 100, &cap, sizeof *a, 4) && a == before &&
	          cap == 8 && a[3] == 4,
	      "a failed resize leaves the array and its capacity");
	refuse = false;
	free(a);

	char *h = NULL;
	cap = 0;
	CHECK(dbc_heap_reserve(&h, 10, &cap, 1, 0) && cap == 16 && h, "the heap's: realloc");
	bool zero = true;
	for (size_t i = 0; i < cap; i++)
		zero = zero && h[i] == 0;
	CHECK(zero, "the heap's zeroes its new slots");
	free(h);
}

static void test_arena(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	int *a = NULL, cap = 0, n = 0;
	bool ok = true;
	for (; ok && n < 100; n++) {
		ok = dbc_grow(&ctx, &a, n, &cap, sizeof *a, 8) == DBC_OK;
		if (ok)
			a[n] = n;
	}
	CHECK(ok && cap == 128 && a[99] == 99 && a[0] == 0, "dbc_grow: 8 doubled to 128 for 100");
	dbc_buf b;
	dbc_buf_init(&b, &ctx);
	for (int i = 0; i < 300; i++)
		dbc_buf_append(&b, "x");
	char *s = dbc_buf_finish(&b);
	CHECK(s && strlen(s) == 300, "dbc_buf grows past its first 256 bytes");
	dbc_ctx_finish(&ctx);
}

/* A text built an append at a time: its room doubles (not a realloc per
 * append), it stays NUL-terminated, and a zero-byte append makes "". */
static void test_heap_text(void)
{
	dbc_heap_text t = {0};
	CHECK(dbc_heap_text_append(&t, "", 0) && t.data && t.data[0] == '\0' && t.len == 0 &&
	          t.cap == 64,
	      "dbc_heap_text: an empty append makes an empty text");
	bool ok = true;
	for (int i = 0; ok && i < 1000; i++)
		ok = dbc_heap_text_append(&t, "abc", 3);
	CHECK(ok && t.len == 3000 && strlen(t.data) == 3000 && t.cap == 4096 && !t.oom,
	      "dbc_heap_text: 1000 appends, the room doubled from 64");
	CHECK(dbc_heap_text_append(&t, "xyz", 2) && strcmp(t.data + 2998, "bcxy") == 0,
	      "dbc_heap_text: n bytes of s, NUL-terminated");
	CHECK(!dbc_heap_text_append(&t, "x", SIZE_MAX) && t.oom && t.len == 3002 &&
	          !dbc_heap_text_append(&t, "x", 1) && t.len == 3002,
	      "dbc_heap_text: a failed append marks the text, later ones do nothing");
	free(t.data);
}

int main(void)
{
	test_capacity();
	test_reserve();
	test_arena();
	test_heap_text();
	return unit_done();
}
