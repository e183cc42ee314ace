/*
 * sqlite_grow.c — dbc_reserve_with over SQLite's allocator (sqlite_grow.h).
 */
#include "base/heap_grow.h"
#include "glue.h"
#include "sqlite_grow.h"

static void *sqlite_resize(void *block, size_t bytes)
{
	return sqlite3_realloc64(block, (sqlite3_uint64)bytes);
}

bool sqldbc_reserve(void *items, size_t need, size_t *cap, size_t size, size_t first)
{
	return dbc_reserve_with(sqlite_resize, true, items, need, cap, size, first);
}
