/*
 * nh_hash.c — NH in DBC_NH_PASSES passes and its key streams (see
 * nh_hash.h for the construction, the bound and why the key is secret).
 * Plain C the compiler vectorizes: a block's 8 pairs are 8 independent
 * lanes of 32-bit adds and 32x32->64-bit multiplies. On x86-64 with GCC the
 * block loop is also built for AVX2 and picked at load time when the CPU
 * has it (target_clones); integer arithmetic gives the same output either
 * way. Words are read little-endian whatever the machine's byte order.
 */
#include "base/nh_hash.h"
#include "base/siphash.h"

#include <string.h>

#define STREAM_WORDS (DBC_NH_MAX / 4) /* one pass's */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) &&       \
    defined(__has_attribute)
#if __has_attribute(target_clones)
#define NH_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef NH_CLONES
#define NH_CLONES
#endif

static inline uint32_t le32(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t w;
	memcpy(&w, p, 4);
	return w;
#else
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
#endif
}

void dbc_nh_key(const unsigned char key[16], uint32_t stream[DBC_NH_KEY_WORDS])
{
	unsigned char in[16] = "DBCNHKEY", d[16];
	for (uint64_t c = 0; c < DBC_NH_KEY_WORDS / 4; c++) {
		for (int i = 0; i < 8; i++)
			in[8 + i] = (unsigned char)(c >> (8 * i));
		dbc_siphash h;
		dbc_siphash_begin(&h, key);
		dbc_siphash_update(&h, in, sizeof in);
		dbc_siphash_finish(&h, d);
		for (int i = 0; i < 4; i++)
			stream[4 * c + (uint64_t)i] = le32(d + 4 * i);
	}
}

/* One pair of a block: j < 8, w the block's bytes, k its key words. */
#define PAIR(j)                                                                                    \
	((uint64_t)(uint32_t)(le32(w + 4 * (j)) + k[j]) *                                              \
	 (uint32_t)(le32(w + 32 + 4 * (j)) + k[(j) + 8]))

/* Adds each pass's NH of blocks whole blocks of m to out[]. The 8 pairs
 * are summed in 8 accumulators written out, which the compiler turns into
 * vector lanes (a loop over them would keep them in memory). */
NH_CLONES
static void nh_blocks(const uint32_t *stream, const unsigned char *m, size_t blocks,
                      uint64_t out[DBC_NH_PASSES])
{
	for (int p = 0; p < DBC_NH_PASSES; p++) {
		const uint32_t *k = stream + (size_t)p * STREAM_WORDS;
		const unsigned char *w = m;
		uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
		for (size_t b = 0; b < blocks; b++, w += 64, k += DBC_NH_WORDS) {
			a0 += PAIR(0);
			a1 += PAIR(1);
			a2 += PAIR(2);
			a3 += PAIR(3);
			a4 += PAIR(4);
			a5 += PAIR(5);
			a6 += PAIR(6);
			a7 += PAIR(7);
		}
		out[p] += a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
	}
}

void dbc_nh(const uint32_t stream[DBC_NH_KEY_WORDS], const unsigned char *msg, size_t len,
            uint64_t out[DBC_NH_PASSES])
{
	size_t whole = len / 64;
	for (int p = 0; p < DBC_NH_PASSES; p++)
		out[p] = 0;
	nh_blocks(stream, msg, whole, out);
	if (len % 64) {
		/* the last block, zero-padded; each pass's stream is offset as for a
		 * whole block (DBC_NH_MAX is a multiple of 64) */
		unsigned char last[64] = {0};
		memcpy(last, msg + 64 * whole, len % 64);
		nh_blocks(stream + DBC_NH_WORDS * whole, last, 1, out);
	}
}
