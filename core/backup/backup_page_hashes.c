/*
 * backup_page_hashes.c — the page hashes an incremental backup finds the
 * changed pages by (column page_hashes of dbcare_backups on SQLite), and
 * the two forms that column takes (declared in backup.h):
 *
 *   version 1 (0.3.6): the first DBC_PAGE_HASH bytes of each page's
 *     SHA-256, one after the other; its length is a multiple of
 *     DBC_PAGE_HASH.
 *   version 2: the 8 bytes PAGE_HASHES_V2, a 16-byte key drawn at random
 *     for each full backup (and kept by the incrementals built on it),
 *     then each page's SipHash-1-3-128 under that key; its length is
 *     8 more than a multiple of DBC_PAGE_HASH, never a version 1
 *     length.
 *
 * The column is a row of the database: anyone who may write it may have
 * edited it, so dbc_page_hasher_from reads any bytes (test/fuzz/
 * fuzz_page_hashes.c).
 *
 * Invariant: an incremental backup hashes the snapshot's pages as its base
 * did (same version, same key) and records its own hashes that way, so a
 * chain keeps one form; a new full backup starts a version 2 one. Why a
 * random key: SipHash is a pseudo-random function under a key nobody who
 * writes rows knows, so a page that changed keeps its hash with
 * probability about 2^-128; under a public key, someone writing rows could
 * build an overflow page that hashes as the old one (SipHash inverts
 * knowing the key), and the incremental would keep the old page. Version 2
 * costs half of SHA-256 (with the CPU's SHA instructions) per page.
 */
#include "backup/backup.h"
#include "base/siphash.h"

#include <openssl/rand.h>
#include <string.h>

#define PAGE_HASHES_V2     "DBCPH2\0\0"
#define PAGE_HASHES_V2_LEN 8
#define PAGE_HASHES_PREFIX (PAGE_HASHES_V2_LEN + 16)

int dbc_page_hasher_new(dbc_ctx *ctx, dbc_page_hasher *ph)
{
	memset(ph, 0, sizeof *ph);
	ph->version = 2;
	if (RAND_bytes(ph->key, sizeof ph->key) != 1)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no random bytes for the page hashes' key");
	return DBC_OK;
}

int dbc_page_hasher_from(dbc_ctx *ctx, const unsigned char *blob, size_t len, dbc_page_hasher *ph,
                         const unsigned char **hashes, int64_t *pages)
{
	memset(ph, 0, sizeof *ph);
	if (len % DBC_PAGE_HASH == 0) {
		ph->version = 1;
		if (!(ph->sha = dbc_sha256_begin(ctx)))
			return DBC_ERROR;
		*hashes = blob;
		*pages = (int64_t)(len / DBC_PAGE_HASH);
		return DBC_OK;
	}
	if (len < PAGE_HASHES_PREFIX || len % DBC_PAGE_HASH != PAGE_HASHES_V2_LEN ||
	    memcmp(blob, PAGE_HASHES_V2, PAGE_HASHES_V2_LEN) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "the base backup's page hashes are in a form this dbcare does not read");
	ph->version = 2;
	memcpy(ph->key, blob + PAGE_HASHES_V2_LEN, sizeof ph->key);
	*hashes = blob + PAGE_HASHES_PREFIX;
	*pages = (int64_t)((len - PAGE_HASHES_PREFIX) / DBC_PAGE_HASH);
	return DBC_OK;
}

int dbc_page_hash(dbc_ctx *ctx, dbc_page_hasher *ph, const unsigned char *page, size_t size,
                  unsigned char out[DBC_PAGE_HASH])
{
	if (ph->version == 2) {
		dbc_siphash h;
		dbc_siphash_begin(&h, ph->key);
		dbc_siphash_update(&h, page, size);
		dbc_siphash_finish(&h, out);
		return DBC_OK;
	}
	unsigned char md[32];
	if (dbc_sha256_digest(ctx, ph->sha, page, size, md) != DBC_OK)
		return DBC_ERROR;
	memcpy(out, md, DBC_PAGE_HASH);
	return DBC_OK;
}

int dbc_page_hashes_begin(dbc_buf *out, const dbc_page_hasher *ph)
{
	if (ph->version == 2) {
		dbc_buf_appendn(out, PAGE_HASHES_V2, PAGE_HASHES_V2_LEN);
		dbc_buf_appendn(out, (const char *)ph->key, sizeof ph->key);
	}
	return out->ctx->failed ? DBC_ERROR : DBC_OK;
}

void dbc_page_hasher_end(dbc_page_hasher *ph)
{
	if (ph->sha)
		dbc_sha256_abort(ph->sha);
	memset(ph, 0, sizeof *ph);
}
