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

bool dbc_heap_reserve(void *items, size_t need, size_t *cap, size_t size, size_t first)
{
	void **slot = items;
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap : first ? first : 1;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return false;
		ncap *= 2;
	}
	if (size && ncap > SIZE_MAX / size)
		return false;
	void *grown = realloc(*slot, ncap * size);
	if (!grown)
		return false;
	memset((char *)grown + *cap * size, 0, (ncap - *cap) * size);
	*slot = grown;
	*cap = ncap;
	return true;
}
