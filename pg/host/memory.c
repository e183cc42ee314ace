/*
 * pg/host/memory.c — the arena of the innermost running dbcare call: where the
 * host's alloc (and jansson's allocator) put memory; and pgdbc_room, the
 * glue's growth helper for arrays in a memory context of its choosing. The
 * lowest layer of the glue: it names nothing else of it.
 */
#include "glue.h"
#include "base/heap_grow.h"
#include "call_private.h"

#include "utils/memutils.h"

#include <limits.h>

/*
 * The arena context of the innermost running dbcare call. dbc_host.alloc has no
 * ctx argument, and dbcare functions can nest (a migration's SQL may call
 * dbcare_set), so calls save and restore it; an error caught by an outer call
 * resets it to that call's context.
 */
static MemoryContext pgdbc_arena_cxt = NULL;

MemoryContext pgdbc_arena_get(void)
{
	return pgdbc_arena_cxt;
}

void pgdbc_arena_set(MemoryContext cxt)
{
	pgdbc_arena_cxt = cxt;
}

static MemoryContext arena_cxt(void)
{
	return pgdbc_arena_cxt ? pgdbc_arena_cxt : CurrentMemoryContext;
}

void *pgdbc_alloc(size_t size)
{
	return MemoryContextAllocExtended(arena_cxt(), size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

void pgdbc_free(void *ptr)
{
	if (ptr)
		pfree(ptr);
}

void *pgdbc_room(MemoryContext home, void *items, int n, int *cap, size_t size)
{
	size_t ncap;
	if (n < *cap)
		return items;
	if (!dbc_grown_capacity((size_t)*cap, (size_t)n + 1, size, 64, &ncap) || ncap > INT_MAX)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("dbcare: out of memory")));
	void *grown = items ? repalloc(items, size * ncap) : MemoryContextAlloc(home, size * ncap);
	*cap = (int)ncap;
	return grown;
}
