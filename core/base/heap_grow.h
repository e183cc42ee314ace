/*
 * heap_grow.h — the heap regime's one growth helper (docs/ARCHITECTURE.md,
 * "Two memory regimes"): code whose memory is malloc'd (the command, and
 * the core files that say why in their opening comment) grows its arrays
 * here, as code in a call's arena grows them with dbc_grow.
 */
#ifndef DBCARE_BASE_HEAP_GROW_H
#define DBCARE_BASE_HEAP_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* Room for `need` items in the malloc'd array *items (*cap slots of size
 * bytes): doubled until it holds them, starting at `first` slots, the new
 * slots zeroed. false on out of memory (or a size past SIZE_MAX), the
 * array then unchanged. */
bool dbc_heap_reserve(void *items, size_t need, size_t *cap, size_t size, size_t first);

#endif
