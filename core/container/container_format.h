/*
 * container_format.h — what the two formats of the sealed file share
 * (private to core/container): a chunk's head, the checks of a key, and
 * the reader of format 1, which dbcare 0.3.x sealed with AES-256-GCM
 * (container_v1.c: read only, never written again; format 2, on
 * libsodium's secretstream, is container.c's).
 *
 * Invariant: a chunk's body reaches the caller only once its tag
 * authenticated it, bound to the header and to its place in the file.
 */
#ifndef DBC_CONTAINER_FORMAT_H
#define DBC_CONTAINER_FORMAT_H

#include "container/container.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#define DBC_SEAL_HEAD      9 /* a chunk's stored length, plain length, kind */
#define DBC_SEAL_END_LEN   40
#define DBC_SEAL_KIND_RAW  0
#define DBC_SEAL_KIND_ZSTD 1
#define DBC_SEAL_KIND_END  2
#define DBC_SEAL_TAG_V1    16 /* AES-GCM's tag, or SHA-256's first bytes */
#define DBC_SEAL_TAG_V2    crypto_secretstream_xchacha20poly1305_ABYTES

/* What opens the chunks of one file, once its header authenticated. */
typedef struct dbc_seal_reader {
	const dbc_container_header *h;
	const dbc_container_key *key;    /* the file's (format 2 unencrypted: the public one) */
	unsigned char v1_header_tag[16]; /* format 1: what each chunk is bound to */
	crypto_secretstream_xchacha20poly1305_state v2; /* format 2: the stream's state */
} dbc_seal_reader;

/* The SHA-256 of a's then b's bytes into md (OpenSSL's: libsodium's
 * portable one is several times slower); 0, or -1 (md zeroed). */
static inline int dbc_seal_sha256(const void *a, size_t an, const void *b, size_t bn,
                                  unsigned char md[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(m, a, an) == 1 && EVP_DigestUpdate(m, b, bn) == 1 &&
	         EVP_DigestFinal_ex(m, md, NULL) == 1;
	EVP_MD_CTX_free(m);
	if (!ok)
		memset(md, 0, 32);
	return ok ? 0 : -1;
}

/* Format 1's header tag (header: its hlen bytes before the tag) checked,
 * r->v1_header_tag set: 0, or -1 when it does not match. */
int dbc_seal_v1_header(dbc_seal_reader *r, const unsigned char *header, size_t hlen,
                       const unsigned char tag[DBC_SEAL_TAG_V1]);
/* Format 1's chunk i (head, then payload: stored bytes and the tag)
 * authenticated; *body its clear bytes (clear, or payload itself when not
 * encrypted). 0, or -1 when the tag does not match. */
int dbc_seal_v1_chunk(const dbc_seal_reader *r, uint64_t i, const unsigned char *head,
                      const unsigned char *payload, uint32_t stored, unsigned char *clear,
                      const unsigned char **body);

#endif
