/*
 * store_names.c — the growing array of names a listing fills (each kind's
 * list, then store.c's filter), under every other file of the part.
 */
#include "store_private.h"

#include "base/heap_grow.h"

#include <stdlib.h>
#include <string.h>

bool store_names_add(char ***names, size_t *count, size_t *cap, const char *name, size_t len)
{
	if (!dbc_heap_reserve(names, *count + 1, cap, sizeof **names, 16))
		return false;
	if (!((*names)[*count] = strndup(name, len)))
		return false;
	(*count)++;
	return true;
}
