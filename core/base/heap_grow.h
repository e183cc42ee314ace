/*
 * heap_grow.h — the heap regime's one growth helper (docs/ARCHITECTURE.md,
 * "Two memory regimes"): code whose memory is malloc'd (the command, and
 * the core files that say why in their opening comment) grows its arrays
 * here, as code in a call's arena grows them with dbc_grow. Memory of
 * another allocator (SQLite's, freed with sqlite3_free) grows through the
 * same rule with that allocator's resize (sqlite/host/sqlite_grow.h).
 */
#ifndef DBCARE_BASE_HEAP_GROW_H
#define DBCARE_BASE_HEAP_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* The growth rule: the capacity that holds `need` items of size bytes,
 * grown from cap slots (or `first`, or 1, when cap is 0) by doubling.
 * false when it would pass SIZE_MAX bytes. */
bool dbc_grown_capacity(size_t cap, size_t need, size_t size, size_t first, size_t *grown);

/* An allocator's resize, with realloc's contract: the block moved to
 * `bytes` bytes, its contents kept; NULL on failure, the block untouched. */
typedef void *(*dbc_resize_fn)(void *block, size_t bytes);

/* Room for `need` items in the array *items (*cap slots of size bytes) of
 * the allocator whose resize is given: grown by dbc_grown_capacity, the
 * new slots zeroed when zero says so. false on out of memory (or a size
 * past SIZE_MAX), the array and *cap then unchanged. */
bool dbc_reserve_with(dbc_resize_fn resize, bool zero, void *items, size_t need, size_t *cap,
                      size_t size, size_t first);

/* dbc_reserve_with for the malloc'd array *items, the new slots zeroed. */
bool dbc_heap_reserve(void *items, size_t need, size_t *cap, size_t size, size_t first);

/* A malloc'd text built an append at a time, its room grown by the rule
 * (a realloc to the new length at each append would copy the text again
 * each time: quadratic). Zeroed, it is empty, data NULL until the first
 * append; data stays NUL-terminated; the caller frees it. Once an append
 * fails (out of memory, oom set) the text is incomplete and later appends
 * do nothing. */
typedef struct dbc_heap_text {
	char *data;
	size_t len, cap;
	bool oom;
} dbc_heap_text;

/* Appends the n bytes at s; false on out of memory (or after one). */
bool dbc_heap_text_append(dbc_heap_text *t, const char *s, size_t n);

#endif
