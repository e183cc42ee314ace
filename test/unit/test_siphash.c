/*
 * test_siphash.c — core/base/siphash.c, the backups' row digest: the same
 * digests as libcrypto's SipHash with one compression and three
 * finalization rounds and a 16-byte output, for every length up to a few
 * words and whatever way the message is split into pieces; fixed answers
 * under the backups' key (a record written today must compare equal
 * years later); and every single-bit change of a message moves the digest.
 */
#include "base/siphash.h"
#include "unit.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static bool libcrypto_siphash(const unsigned char key[16], const unsigned char *m, size_t n,
                              unsigned char out[16])
{
	unsigned int c = 1, d = 3;
	size_t size = 16, got = 0;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
	                       OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_C_ROUNDS, &c),
	                       OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_D_ROUNDS, &d),
	                       OSSL_PARAM_construct_end()};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *x = mac ? EVP_MAC_CTX_new(mac) : NULL;
	bool ok = x && EVP_MAC_init(x, key, 16, params) == 1 && EVP_MAC_update(x, m, n) == 1 &&
	          EVP_MAC_final(x, out, &got, 16) == 1 && got == 16;
	EVP_MAC_CTX_free(x);
	EVP_MAC_free(mac);
	return ok;
}

static void digest(const unsigned char key[16], const unsigned char *m, size_t n, size_t piece,
                   unsigned char out[16])
{
	dbc_siphash h;
	dbc_siphash_begin(&h, key);
	for (size_t i = 0; i < n; i += piece)
		dbc_siphash_update(&h, m + i, n - i < piece ? n - i : piece);
	dbc_siphash_finish(&h, out);
}

static void hex(const unsigned char d[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_against_libcrypto(void)
{
	unsigned char key[16], m[200], want[16], got[16];
	for (int i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (int i = 0; i < 200; i++)
		m[i] = (unsigned char)(i * 7 + 3);
	static const size_t pieces[] = {1, 3, 7, 8, 9, 200};
	int lengths = 0, splits = 0, differ = 0;
	for (size_t n = 0; n <= 130; n++) {
		if (!libcrypto_siphash(key, m, n, want))
			break;
		lengths++;
		for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
			digest(key, m, n, pieces[p], got);
			splits++;
			differ += memcmp(got, want, 16) != 0;
		}
	}
	CHECK(lengths == 131, "libcrypto computes SipHash-1-3-128 for lengths 0..130");
	CHECK(splits == 131 * 6 && differ == 0,
	      "every length and every split gives libcrypto's SipHash-1-3-128 digest");
}

static void test_fixed_answers(void)
{
	static const unsigned char key[16] = "dbcare content 2";
	unsigned char d[16];
	char h[33];
	digest(key, (const unsigned char *)"", 0, 1, d);
	hex(d, h);
	CHECK_STR(h, "b38c8b4f4f65937811b7580567c0e8ac", "empty message under the backups' key");
	digest(key, (const unsigned char *)"\x03\x00\x00\x00\x05hello", 10, 4, d);
	hex(d, h);
	CHECK_STR(h, "5894355f0f01d301e9f3f3e80e528005",
	          "a text column's encoding (as libcrypto computes it)");
}

static void test_bit_flips(void)
{
	static const unsigned char key[16] = "dbcare content 2";
	unsigned char m[64], base[16], d[16];
	memset(m, 'x', sizeof m);
	digest(key, m, sizeof m, 64, base);
	int same = 0;
	for (int bit = 0; bit < 64 * 8; bit++) {
		m[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		digest(key, m, sizeof m, 5, d);
		same += memcmp(d, base, 8) == 0 || memcmp(d + 8, base + 8, 8) == 0;
		m[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	CHECK(same == 0, "every one-bit change moves both 64-bit halves of the digest");
	digest(key, m, 63, 64, d);
	CHECK(memcmp(d, base, 16) != 0, "a message one byte shorter has another digest");
}

int main(void)
{
	test_against_libcrypto();
	test_fixed_answers();
	test_bit_flips();
	return unit_done();
}
