/*
 * nh_hash.c — NH on 64-bit words and its key stream (see nh_hash.h for the
 * construction, the bound and why the key is secret). The 128-bit sum is
 * kept in four accumulators, one per pair of a block, so four products are
 * in flight; where the compiler has no 128-bit integer the product is
 * built from four 32-bit ones (the same value). Words are read
 * little-endian whatever the machine's byte order.
 */
#include "base/nh_hash.h"
#include "base/siphash.h"

#include <string.h>

static inline uint64_t le64(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
#else
	uint64_t w = 0;
	for (int i = 7; i >= 0; i--)
		w = (w << 8) | p[i];
	return w;
#endif
}

void dbc_nh_key(const unsigned char key[16], uint64_t stream[DBC_NH_KEY_WORDS])
{
	unsigned char in[16] = "DBCNHKEY", d[16];
	for (uint64_t c = 0; c < DBC_NH_KEY_WORDS / 2; c++) {
		for (int i = 0; i < 8; i++)
			in[8 + i] = (unsigned char)(c >> (8 * i));
		dbc_siphash h;
		dbc_siphash_begin(&h, key);
		dbc_siphash_update(&h, in, sizeof in);
		dbc_siphash_finish(&h, d);
		stream[2 * c] = le64(d);
		stream[2 * c + 1] = le64(d + 8);
	}
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;
#define ADD_PRODUCT(acc, a, b) ((acc) += (u128)(a) * (b))
#else
/* a 128-bit accumulator as two halves, and the product from 32-bit ones */
typedef struct u128 {
	uint64_t lo, hi;
} u128;
static inline void add_product(u128 *acc, uint64_t a, uint64_t b)
{
	uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
	uint64_t lo = (mid << 32) | (uint32_t)p00;
	uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
	acc->lo += lo;
	acc->hi += hi + (acc->lo < lo);
}
#define ADD_PRODUCT(acc, a, b) add_product(&(acc), (a), (b))
#endif

/* The 4 pairs of one 64-byte block w under its key words k. */
#define BLOCK(w, k)                                                                                \
	do {                                                                                           \
		ADD_PRODUCT(a0, le64((w) + 0) + (k)[0], le64((w) + 32) + (k)[4]);                          \
		ADD_PRODUCT(a1, le64((w) + 8) + (k)[1], le64((w) + 40) + (k)[5]);                          \
		ADD_PRODUCT(a2, le64((w) + 16) + (k)[2], le64((w) + 48) + (k)[6]);                         \
		ADD_PRODUCT(a3, le64((w) + 24) + (k)[3], le64((w) + 56) + (k)[7]);                         \
	} while (0)

void dbc_nh(const uint64_t stream[DBC_NH_KEY_WORDS], const unsigned char *msg, size_t len,
            uint64_t out[2])
{
	u128 a0, a1, a2, a3;
	memset(&a0, 0, sizeof a0), memset(&a1, 0, sizeof a1);
	memset(&a2, 0, sizeof a2), memset(&a3, 0, sizeof a3);
	const uint64_t *k = stream;
	size_t whole = len / 64;
	for (size_t b = 0; b < whole; b++, k += DBC_NH_WORDS)
		BLOCK(msg + 64 * b, k);
	if (len % 64) {
		/* the last block, zero-padded */
		unsigned char last[64] = {0};
		memcpy(last, msg + 64 * whole, len % 64);
		BLOCK(last, k);
	}
#ifdef __SIZEOF_INT128__
	u128 s = a0 + a1 + a2 + a3;
	out[0] = (uint64_t)s;
	out[1] = (uint64_t)(s >> 64);
#else
	uint64_t lo = a0.lo, hi = a0.hi;
	const u128 *rest[3] = {&a1, &a2, &a3};
	for (int i = 0; i < 3; i++) {
		lo += rest[i]->lo;
		hi += rest[i]->hi + (lo < rest[i]->lo);
	}
	out[0] = lo;
	out[1] = hi;
#endif
}
