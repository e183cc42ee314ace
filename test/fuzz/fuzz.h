/*
 * fuzz.h — shared scaffolding of the libFuzzer targets: a ctx over the unit
 * tests' engine-free host, the input as a NUL-terminated string, and an
 * invariant check that aborts (so libFuzzer saves the input) with a reason.
 */
#ifndef DBC_FUZZ_H
#define DBC_FUZZ_H

#include "unit.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input up to its first NUL (SQL text arrives NUL-terminated from both
 * engines, so an embedded NUL is not an input the core can see). */
static inline char *fuzz_cstr(dbc_ctx *ctx, const uint8_t *data, size_t size)
{
	return dbc_strndup(ctx, (const char *)data, size);
}

#define FUZZ_ASSERT(cond, what)                                                                    \
	do {                                                                                           \
		if (!(cond)) {                                                                             \
			fprintf(stderr, "fuzz invariant broken: %s (%s) at %s:%d\n", what, #cond, __FILE__,    \
			        __LINE__);                                                                     \
			abort();                                                                               \
		}                                                                                          \
	} while (0)

#endif
