/*
 * siphash.c — SipHash-1-3-128 (see siphash.h). Words are read
 * little-endian byte by byte: the digest does not depend on the machine's
 * byte order or alignment. The unit test checks it against libcrypto's
 * SipHash with the same rounds.
 */
#include "base/siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void round1(dbc_siphash *h)
{
	h->v0 += h->v1;
	h->v1 = ROTL(h->v1, 13);
	h->v1 ^= h->v0;
	h->v0 = ROTL(h->v0, 32);
	h->v2 += h->v3;
	h->v3 = ROTL(h->v3, 16);
	h->v3 ^= h->v2;
	h->v0 += h->v3;
	h->v3 = ROTL(h->v3, 21);
	h->v3 ^= h->v0;
	h->v2 += h->v1;
	h->v1 = ROTL(h->v1, 17);
	h->v1 ^= h->v2;
	h->v2 = ROTL(h->v2, 32);
}

static inline uint64_t load_le(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

static inline void compress(dbc_siphash *h, uint64_t m)
{
	h->v3 ^= m;
	round1(h);
	h->v0 ^= m;
}

void dbc_siphash_begin(dbc_siphash *h, const unsigned char key[16])
{
	uint64_t k0 = load_le(key), k1 = load_le(key + 8);
	h->v0 = k0 ^ 0x736f6d6570736575ULL;
	h->v1 = k1 ^ 0x646f72616e646f6dULL ^ 0xee; /* 0xee: the 128-bit output */
	h->v2 = k0 ^ 0x6c7967656e657261ULL;
	h->v3 = k1 ^ 0x7465646279746573ULL;
	h->tail = 0;
	h->length = 0;
}

void dbc_siphash_update(dbc_siphash *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	unsigned fill = (unsigned)(h->length & 7);
	h->length += n;
	/* complete the pending word first */
	if (fill) {
		while (n && fill < 8) {
			h->tail |= (uint64_t)*p++ << (8 * fill++);
			n--;
		}
		if (fill < 8)
			return;
		compress(h, h->tail);
		h->tail = 0;
	}
	for (; n >= 8; p += 8, n -= 8)
		compress(h, load_le(p));
	for (unsigned i = 0; i < n; i++)
		h->tail |= (uint64_t)p[i] << (8 * i);
}

void dbc_siphash_words(dbc_siphash *h, const uint64_t *w, size_t n)
{
	h->length += 8 * n;
	for (size_t i = 0; i < n; i++)
		compress(h, w[i]);
}

void dbc_siphash_finish(dbc_siphash *h, unsigned char out[16])
{
	compress(h, h->tail | h->length << 56);
	h->v2 ^= 0xee;
	round1(h), round1(h), round1(h);
	uint64_t a = h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
	h->v1 ^= 0xdd;
	round1(h), round1(h), round1(h);
	uint64_t b = h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
	for (int i = 0; i < 8; i++) {
		out[i] = (unsigned char)(a >> (8 * i));
		out[8 + i] = (unsigned char)(b >> (8 * i));
	}
}
