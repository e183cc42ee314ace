/*
 * heap_grow.c — the heap regime's growth helper (heap_grow.h).
 *
 * why (raw heap, the whole file): it is the one realloc of the arrays of
 * code that lives outside a call's arena; its callers free what it grows.
 */
#include "base/heap_grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool dbc_grown_capacity(size_t cap, size_t need, size_t size, size_t first, size_t *grown)
{
	size_t ncap = cap ? cap : first ? first : 1;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return false;
		ncap *= 2;
	}
	if (size && ncap > SIZE_MAX / size)
		return false;
	*grown = ncap;
	return true;
}

bool dbc_reserve_with(dbc_resize_fn resize, bool zero, void *items, size_t need, size_t *cap,
                      size_t size, size_t first)
{
	void **slot = items;
	size_t ncap;
	if (need <= *cap)
		return true;
	if (!dbc_grown_capacity(*cap, need, size, first, &ncap))
		return false;
	void *grown = resize(*slot, ncap * size);
	if (!grown)
		return false;
	if (zero)
		memset((char *)grown + *cap * size, 0, (ncap - *cap) * size);
	*slot = grown;
	*cap = ncap;
	return true;
}

bool dbc_heap_reserve(void *items, size_t need, size_t *cap, size_t size, size_t first)
{
	return dbc_reserve_with(realloc, true, items, need, cap, size, first);
}

bool dbc_heap_text_append(dbc_heap_text *t, const char *s, size_t n)
{
	if (t->oom || n > SIZE_MAX - t->len - 1 ||
	    !dbc_reserve_with(realloc, false, &t->data, t->len + n + 1, &t->cap, 1, 64)) {
		t->oom = true;
		return false;
	}
	if (n)
		memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
	return true;
}
