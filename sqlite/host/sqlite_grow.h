/*
 * sqlite_grow.h — the heap growth helper (core/base/heap_grow.h) for the
 * arrays and buffers the glue keeps in SQLite's allocator: what
 * sqlite3_free frees, or what must live past a call (a connection's
 * state, a VFS's file).
 */
#ifndef SQLDBC_SQLITE_GROW_H
#define SQLDBC_SQLITE_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* dbc_heap_reserve through sqlite3_realloc64: room for need items in
 * *items (*cap slots of size bytes), the new slots zeroed; false on out
 * of memory, the array and *cap then unchanged. */
bool sqldbc_reserve(void *items, size_t need, size_t *cap, size_t size, size_t first);

#endif
