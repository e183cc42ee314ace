/*
 * siphash.h — SipHash-1-3 with a 128-bit output (Aumasson and Bernstein's
 * keyed hash, one compression round per 8-byte word and three finalization
 * rounds), fed in pieces without a buffer of the whole message. The
 * backups' per-row content digest (docs/backups.md, "Logical
 * verification"): about a third of the instructions a libcrypto SHA-256
 * call costs per row, and no allocation.
 */
#ifndef DBC_SIPHASH_H
#define DBC_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct dbc_siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;   /* the bytes of a word not yet full, little-endian */
	uint64_t length; /* bytes fed so far */
} dbc_siphash;

/* Starts a message under the 16-byte key. */
void dbc_siphash_begin(dbc_siphash *h, const unsigned char key[16]);
/* Adds n bytes (any split gives the same digest). */
void dbc_siphash_update(dbc_siphash *h, const void *data, size_t n);
/* Adds n 64-bit words, each as its 8 little-endian bytes: the same digest
 * as dbc_siphash_update of those bytes, without its byte handling. h must
 * have been fed a whole number of words so far. */
void dbc_siphash_words(dbc_siphash *h, const uint64_t *w, size_t n);
/* Writes the 16-byte digest (as the reference implementation orders its
 * bytes); h is spent. */
void dbc_siphash_finish(dbc_siphash *h, unsigned char out[16]);

#endif
