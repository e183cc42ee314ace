/*
 * container_v1.c — the reader of format 1 (container_format.h), which
 * dbcare 0.3.x sealed: kept so that every file sealed then still
 * verifies and restores; nothing writes it any more. Its layout
 * (docs/backups.md has it too), integers little-endian:
 *
 *   header  "DBCSEAL1" | version 1 | flags | 0 (u16) | chunk_size (u32) |
 *           nonce (12) | key id (8) | origin length (u16) | 0 (u16) |
 *           origin | header tag (16)
 *   chunk i stored length (u32) | plain length (u32) | kind (u8) |
 *           payload | tag (16)
 *
 * With a key the payload is AES-256-GCM's with the nonce whose last 8
 * bytes are xored with i (the header's tag uses i = 2^64-1), and the tag
 * is GCM's over the additional data header tag | i (u64) | the chunk's 9
 * head bytes. Without one the tags are the first 16 bytes of SHA-256 over
 * the same bytes and the payload (damage, not forgery). libsodium has no
 * portable AES-GCM (only where the CPU has AES-NI), so OpenSSL decrypts.
 */
#include "container/container_format.h"

#include <openssl/evp.h>
#include <string.h>

#define AAD_LEN (DBC_SEAL_TAG_V1 + 8 + DBC_SEAL_HEAD)

static void nonce_for(const unsigned char base[12], uint64_t i, unsigned char out[12])
{
	memcpy(out, base, 12);
	for (int k = 0; k < 8; k++)
		out[4 + k] ^= (unsigned char)(i >> (8 * k));
}

/* AES-256-GCM's decryption of in (n bytes) into out, with aad: 0 when
 * tag matches. */
static int gcm_open(const dbc_container_key *key, const unsigned char nonce[12],
                    const unsigned char *aad, size_t aad_len, const unsigned char *in, size_t n,
                    unsigned char *out, const unsigned char tag[DBC_SEAL_TAG_V1])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char want[DBC_SEAL_TAG_V1], none[16]; /* GCM's final writes nothing */
	int len = 0, ok = c != NULL;
	memcpy(want, tag, sizeof want);
	ok = ok && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key->bytes, nonce) == 1;
	ok = ok && EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len) == 1;
	ok = ok && (n == 0 || EVP_DecryptUpdate(c, out, &len, in, (int)n) == 1);
	ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, DBC_SEAL_TAG_V1, want) == 1;
	ok = ok && EVP_DecryptFinal_ex(c, n ? out + len : none, &len) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* The keyless tag: SHA-256 of aad and data, first 16 bytes; 0 when tag
 * is it. */
static int plain_tag_check(const unsigned char *aad, size_t aad_len, const unsigned char *data,
                           size_t n, const unsigned char tag[DBC_SEAL_TAG_V1])
{
	unsigned char md[32];
	if (dbc_seal_sha256(aad, aad_len, data, n, md) != 0)
		return -1;
	return sodium_memcmp(md, tag, DBC_SEAL_TAG_V1);
}

int dbc_seal_v1_header(dbc_seal_reader *r, const unsigned char *header, size_t hlen,
                       const unsigned char tag[DBC_SEAL_TAG_V1])
{
	memcpy(r->v1_header_tag, tag, DBC_SEAL_TAG_V1);
	if (!(r->h->flags & DBC_CONTAINER_ENCRYPT))
		return plain_tag_check(header, hlen, NULL, 0, tag);
	unsigned char nonce[12];
	nonce_for(r->h->nonce, UINT64_MAX, nonce);
	return gcm_open(r->key, nonce, header, hlen, NULL, 0, NULL, tag);
}

int dbc_seal_v1_chunk(const dbc_seal_reader *r, uint64_t i, const unsigned char *head,
                      const unsigned char *payload, uint32_t stored, unsigned char *clear,
                      const unsigned char **body)
{
	unsigned char aad[AAD_LEN];
	memcpy(aad, r->v1_header_tag, DBC_SEAL_TAG_V1);
	for (int k = 0; k < 8; k++)
		aad[DBC_SEAL_TAG_V1 + k] = (unsigned char)(i >> (8 * k));
	memcpy(aad + DBC_SEAL_TAG_V1 + 8, head, DBC_SEAL_HEAD);
	const unsigned char *tag = payload + stored;
	*body = payload;
	if (!(r->h->flags & DBC_CONTAINER_ENCRYPT))
		return plain_tag_check(aad, sizeof aad, payload, stored, tag);
	unsigned char nonce[12];
	nonce_for(r->h->nonce, i, nonce);
	*body = clear;
	return gcm_open(r->key, nonce, aad, sizeof aad, payload, stored, clear, tag);
}
