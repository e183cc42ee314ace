/*
 * page_hashes.h — the page hashes of SQLite incremental backups and the
 * catalog column that keeps them (backup_page_hashes.c): version 1, 16
 * bytes of each page's SHA-256; version 2, a tag, a random key and each
 * page's SipHash-1-3-128 under it.
 */
#ifndef DBC_PAGE_HASHES_H
#define DBC_PAGE_HASHES_H

#include "base/dbc.h"
#include "base/sha256.h"
#include "base/siphash.h"

#define DBC_PAGE_HASH 16

typedef struct dbc_page_hasher {
	int version;
	unsigned char key[16]; /* version 2 */
	dbc_sha256 *sha;       /* version 1 */
} dbc_page_hasher;

/* A version 2 hasher with a new random key (a full backup's). */
int dbc_page_hasher_new(dbc_ctx *ctx, dbc_page_hasher *ph);
/* The hasher of a catalog column's bytes, and where its per-page hashes
 * start (*pages of them); DBC_ERROR, with the error set, for bytes in
 * neither form. */
int dbc_page_hasher_from(dbc_ctx *ctx, const unsigned char *blob, size_t len, dbc_page_hasher *ph,
                         const unsigned char **hashes, int64_t *pages);
int dbc_page_hash(dbc_ctx *ctx, dbc_page_hasher *ph, const unsigned char *page, size_t size,
                  unsigned char out[DBC_PAGE_HASH]);
/* Appends what the column holds before its per-page hashes. */
int dbc_page_hashes_begin(dbc_buf *out, const dbc_page_hasher *ph);
void dbc_page_hasher_end(dbc_page_hasher *ph);

#endif
