/*
 * test_nh_hash.c — core/base/nh_hash.c and the page hashes of version 3
 * (core/backup/backup_page_hashes.c): NH as the vectorized code computes
 * it against the definition written out word by word, for every length
 * up to a few blocks and the largest SQLite page; the key streams as
 * nh_hash.h specifies them; fixed answers of version 3 page hashes under a
 * fixed key (a chain written today must compare equal years later); a
 * changed byte anywhere in a 4096-byte page moves its hash, and so do a
 * length one more or one less (zeros added included); version 3 columns
 * read back through dbc_page_hasher_from with their key, and versions 1
 * and 2 hash as before.
 */
#include "backup/backup.h"
#include "base/nh_hash.h"
#include "base/siphash.h"
#include "unit.h"

#include <openssl/evp.h>

static uint64_t stream[DBC_NH_KEY_WORDS];
static unsigned char big[DBC_NH_MAX + 100];

/* NH from the definition: byte by byte, a word past the end is zero; the
 * 128-bit sum as two 64-bit halves, each product from 32-bit pieces (no
 * use of the compiler's 128-bit integer the code under test may use). */
static void nh_by_definition(const uint64_t *k, const unsigned char *m, size_t len, uint64_t out[2])
{
	size_t words = (len + 63) / 64 * 8;
	uint64_t lo = 0, hi = 0;
	for (size_t i = 0; i < words; i += 8)
		for (size_t j = 0; j < 4; j++) {
			uint64_t w[2];
			for (int h = 0; h < 2; h++) {
				size_t at = 8 * (i + j + 4 * (size_t)h);
				w[h] = 0;
				for (int b = 0; b < 8; b++)
					if (at + (size_t)b < len)
						w[h] |= (uint64_t)m[at + (size_t)b] << (8 * b);
			}
			uint64_t a = w[0] + k[i + j], c = w[1] + k[i + j + 4];
			uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, c0 = c & 0xffffffffu, c1 = c >> 32;
			uint64_t p00 = a0 * c0, p01 = a0 * c1, p10 = a1 * c0, p11 = a1 * c1;
			uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
			uint64_t plo = (mid << 32) | (p00 & 0xffffffffu);
			uint64_t phi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
			lo += plo;
			hi += phi + (lo < plo);
		}
	out[0] = lo;
	out[1] = hi;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void fill(unsigned char *m, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		m[i] = (unsigned char)(x >> 16);
	}
}

static void test_key_stream(void)
{
	static const unsigned char key[16] = "dbcare pages v3.";
	dbc_nh_key(key, stream);
	int differ = 0;
	static const uint64_t counters[] = {0, 1, 2047, DBC_NH_KEY_WORDS / 2 - 1};
	for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++) {
		unsigned char in[16] = "DBCNHKEY", d[16];
		for (int i = 0; i < 8; i++)
			in[8 + i] = (unsigned char)(counters[c] >> (8 * i));
		dbc_siphash h;
		dbc_siphash_begin(&h, key);
		dbc_siphash_update(&h, in, 16);
		dbc_siphash_finish(&h, d);
		for (int i = 0; i < 2; i++) {
			uint64_t w = 0;
			for (int b = 7; b >= 0; b--)
				w = (w << 8) | d[8 * i + b];
			differ += stream[2 * counters[c] + (uint64_t)i] != w;
		}
	}
	CHECK(differ == 0, "the key stream is SipHash of DBCNHKEY and a counter, little-endian");
}

static void test_against_definition(void)
{
	fill(big, sizeof big, 1);
	int lengths = 0, differ = 0;
	for (size_t n = 0; n <= 300; n++, lengths++) {
		uint64_t out[2], want[2];
		dbc_nh(stream, big + 1, n, out); /* unaligned on purpose */
		nh_by_definition(stream, big + 1, n, want);
		differ += out[0] != want[0] || out[1] != want[1];
	}
	static const size_t sizes[] = {512, 4096, 4100, 65535, DBC_NH_MAX};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++, lengths++) {
		uint64_t out[2], want[2];
		dbc_nh(stream, big, sizes[s], out);
		nh_by_definition(stream, big, sizes[s], want);
		differ += out[0] != want[0] || out[1] != want[1];
	}
	CHECK(lengths == 306 && differ == 0,
	      "NH is its definition, all 128 bits, lengths 0..300 and up to 65536 bytes");
}

static void le64(dbc_siphash *h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	dbc_siphash_update(h, b, 8);
}

/* A version 3 page hash from the definitions (nh_hash.h and
 * backup_page_hashes.c), the key streams expanded here. */
static void by_definition(const unsigned char key[16], const unsigned char *m, size_t len,
                          unsigned char out[DBC_PAGE_HASH])
{
	static uint64_t k[DBC_NH_KEY_WORDS];
	dbc_nh_key(key, k);
	dbc_siphash h;
	dbc_siphash_begin(&h, key);
	dbc_siphash_update(&h, "DBCNHSUM", 8);
	size_t off = 0;
	do {
		size_t n = len - off < DBC_NH_MAX ? len - off : DBC_NH_MAX;
		uint64_t v[2];
		nh_by_definition(k, m + off, n, v);
		le64(&h, v[0]);
		le64(&h, v[1]);
		off += n;
	} while (off < len);
	le64(&h, len);
	dbc_siphash_finish(&h, out);
}

/* A version 3 hasher under a fixed key, read from a column as a backup
 * would read its base's. */
static bool v3_hasher(dbc_ctx *ctx, const unsigned char key[16], dbc_page_hasher *ph)
{
	unsigned char blob[24 + DBC_PAGE_HASH];
	memcpy(blob, "DBCPH3\0\0", 8);
	memcpy(blob + 8, key, 16);
	memset(blob + 24, 0, DBC_PAGE_HASH);
	const unsigned char *hashes = NULL;
	int64_t pages = -1;
	return dbc_page_hasher_from(ctx, blob, sizeof blob, ph, &hashes, &pages) == DBC_OK &&
	       ph->version == 3 && pages == 1 && hashes == blob + 24;
}

static void test_fixed_answers(void)
{
	static const unsigned char key[16] = "dbcare pages v3.";
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_page_hasher ph;
	CHECK(v3_hasher(&ctx, key, &ph), "a version 3 column reads as version 3");
	unsigned char page[4096], d[DBC_PAGE_HASH];
	char h[2 * DBC_PAGE_HASH + 1];
	for (int i = 0; i < 4096; i++)
		page[i] = (unsigned char)(i * 7 + 3);
	static const struct {
		size_t size;
		const char *want;
	} cases[] = {
	    {0, "a447c302f10387b10bbd59a02311f39f"},
	    {3, "ad68ccf9c82d57b637c9c1721ad6ce41"},
	    {4096, "0c6289adc7a3ce8459ad2f969611f9c4"},
	    {4097, "5f9c9c7646c500eea54e5a66956f79e4"},
	    {65536, "19b84934ec72b5ef3bf8d0d1ad9336f4"},
	    {65536 + 100, "a295b2ea040191ef4dfdade6355ef4d0"},
	};
	fill(big, sizeof big, 2);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		const unsigned char *m = cases[c].size <= sizeof page ? page : big;
		CHECK(dbc_page_hash(&ctx, &ph, m, cases[c].size, d) == DBC_OK, "a page hashes");
		hex(d, sizeof d, h);
		char name[64];
		snprintf(name, sizeof name, "the fixed hash of a %zu-byte page", cases[c].size);
		CHECK_STR(h, cases[c].want, name);
		unsigned char w[DBC_PAGE_HASH];
		by_definition(key, m, cases[c].size, w);
		snprintf(name, sizeof name, "a %zu-byte page's hash as defined", cases[c].size);
		CHECK(memcmp(d, w, sizeof w) == 0, name);
	}
	dbc_page_hasher_end(&ph);
	dbc_ctx_finish(&ctx);
}

static void test_changes_move_the_hash(void)
{
	static const unsigned char key[16] = "dbcare pages v3.";
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_page_hasher ph;
	CHECK(v3_hasher(&ctx, key, &ph), "a version 3 hasher");
	unsigned char page[4097], base[DBC_PAGE_HASH], d[DBC_PAGE_HASH];
	fill(page, sizeof page, 3);
	dbc_page_hash(&ctx, &ph, page, 4096, base);
	int same = 0;
	for (int i = 0; i < 4096; i++) {
		unsigned char was = page[i];
		page[i] = (unsigned char)(was + 1 + (unsigned)i % 255);
		dbc_page_hash(&ctx, &ph, page, 4096, d);
		same += memcmp(d, base, 8) == 0 || memcmp(d + 8, base + 8, 8) == 0;
		page[i] = was;
	}
	CHECK(same == 0, "a changed byte anywhere in a 4096-byte page moves both halves of its hash");
	page[4096] = 0;
	int lengths_same = 0;
	static const size_t other[] = {4095, 4097, 4088, 4000};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		dbc_page_hash(&ctx, &ph, page, other[i], d);
		lengths_same += memcmp(d, base, sizeof d) == 0;
	}
	CHECK(lengths_same == 0, "other lengths (a zero byte more included) hash otherwise");
	unsigned char zeros[64] = {0}, z[DBC_PAGE_HASH];
	dbc_page_hash(&ctx, &ph, zeros, 63, d);
	dbc_page_hash(&ctx, &ph, zeros, 64, z);
	CHECK(memcmp(d, z, sizeof d) != 0, "63 and 64 zero bytes hash otherwise (one padded block)");
	dbc_page_hasher_end(&ph);
	CHECK(v3_hasher(&ctx, (const unsigned char *)"another key 16b.", &ph), "another key");
	dbc_page_hash(&ctx, &ph, page, 4096, d);
	CHECK(memcmp(d, base, sizeof d) != 0, "under another key a page hashes otherwise");
	dbc_page_hasher_end(&ph);
	dbc_ctx_finish(&ctx);
}

static void test_round_trip(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_page_hasher ph, back;
	CHECK(dbc_page_hasher_new(&ctx, &ph) == DBC_OK && ph.version == 3 && ph.nh_key,
	      "a full backup starts a version 3 chain");
	unsigned char pages[3][4096];
	dbc_buf col;
	dbc_buf_init(&col, &ctx);
	CHECK(dbc_page_hashes_begin(&col, &ph) == DBC_OK && col.len == 24 &&
	          memcmp(col.data, "DBCPH3\0\0", 8) == 0 && memcmp(col.data + 8, ph.key, 16) == 0,
	      "its column begins with the tag DBCPH3 and the key");
	for (int i = 0; i < 3; i++) {
		unsigned char d[DBC_PAGE_HASH];
		fill(pages[i], sizeof pages[i], 10 + (unsigned)i);
		dbc_page_hash(&ctx, &ph, pages[i], sizeof pages[i], d);
		dbc_buf_appendn(&col, (const char *)d, sizeof d);
	}
	const unsigned char *hashes = NULL;
	int64_t n = -1;
	CHECK(dbc_page_hasher_from(&ctx, (const unsigned char *)col.data, col.len, &back, &hashes,
	                           &n) == DBC_OK &&
	          back.version == 3 && n == 3 && memcmp(back.key, ph.key, 16) == 0,
	      "the column reads back as version 3 with its key and 3 pages");
	int differ = 0;
	for (int i = 0; i < 3 && hashes; i++) {
		unsigned char d[DBC_PAGE_HASH];
		dbc_page_hash(&ctx, &back, pages[i], sizeof pages[i], d);
		differ += memcmp(d, hashes + DBC_PAGE_HASH * i, DBC_PAGE_HASH) != 0;
	}
	CHECK(differ == 0, "the hasher read back hashes each page as the column keeps it");
	dbc_page_hasher_end(&ph);
	dbc_page_hasher_end(&back);
	dbc_ctx_finish(&ctx);
}

static void test_older_versions(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	unsigned char page[1024], d[DBC_PAGE_HASH], want[32];
	fill(page, sizeof page, 20);
	unsigned char blob[24 + DBC_PAGE_HASH] = "DBCPH2\0\0dbcare pages v2.";
	dbc_page_hasher ph;
	const unsigned char *hashes;
	int64_t n;
	CHECK(dbc_page_hasher_from(&ctx, blob, sizeof blob, &ph, &hashes, &n) == DBC_OK &&
	          ph.version == 2,
	      "a version 2 column reads as version 2");
	dbc_page_hash(&ctx, &ph, page, sizeof page, d);
	dbc_siphash h;
	dbc_siphash_begin(&h, blob + 8);
	dbc_siphash_update(&h, page, sizeof page);
	dbc_siphash_finish(&h, want);
	CHECK(memcmp(d, want, DBC_PAGE_HASH) == 0, "version 2 hashes a page with SipHash as before");
	dbc_page_hasher_end(&ph);
	CHECK(dbc_page_hasher_from(&ctx, blob + 24, DBC_PAGE_HASH, &ph, &hashes, &n) == DBC_OK &&
	          ph.version == 1,
	      "16 bytes read as version 1");
	dbc_page_hash(&ctx, &ph, page, sizeof page, d);
	unsigned int len = 0;
	EVP_Digest(page, sizeof page, want, &len, EVP_sha256(), NULL);
	CHECK(memcmp(d, want, DBC_PAGE_HASH) == 0, "version 1 hashes a page with SHA-256 as before");
	dbc_page_hasher_end(&ph);
	memcpy(blob, "DBCPH4\0\0", 8);
	CHECK(dbc_page_hasher_from(&ctx, blob, sizeof blob, &ph, &hashes, &n) == DBC_ERROR &&
	          ctx.failed,
	      "an unknown tag fails");
	dbc_ctx_finish(&ctx);
}

int main(void)
{
	test_key_stream();
	test_against_definition();
	test_fixed_answers();
	test_changes_move_the_hash();
	test_round_trip();
	test_older_versions();
	return unit_done();
}
