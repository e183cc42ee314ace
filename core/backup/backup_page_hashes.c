/*
 * backup_page_hashes.c — the page hashes an incremental backup finds the
 * changed pages by (column page_hashes of dbcare_backups on SQLite), and
 * the three forms that column takes (declared in backup.h):
 *
 *   version 1 (0.3.6): the first DBC_PAGE_HASH bytes of each page's
 *     SHA-256, one after the other; its length is a multiple of
 *     DBC_PAGE_HASH.
 *   version 2: the 8 bytes PAGE_HASHES_V2, a 16-byte key drawn at random
 *     for each full backup (and kept by the incrementals built on it),
 *     then each page's SipHash-1-3-128 under that key; its length is
 *     8 more than a multiple of DBC_PAGE_HASH, never a version 1
 *     length.
 *   version 3: as version 2 under the tag PAGE_HASHES_V3, each page's hash
 *     being SipHash-1-3-128 under the key of the 8 bytes "DBCNHSUM", the
 *     128-bit NH value (base/nh_hash.h; the key stream expanded from the
 *     key; low then high 64 bits) of each DBC_NH_MAX bytes of the page (one
 *     piece for any SQLite page) and the page's length, little-endian
 *     64-bit words. The tags keep the two SipHash uses under one key apart
 *     ("DBCNHKEY").
 *
 * The column is a row of the database: anyone who may write it may have
 * edited it, so dbc_page_hasher_from reads any bytes (test/fuzz/
 * fuzz_page_hashes.c).
 *
 * Invariant: an incremental backup hashes the snapshot's pages as its base
 * did (same version, same key) and records its own hashes that way, so a
 * chain keeps one form; a new full backup starts a version 3 one. Why a
 * random key: SipHash is a pseudo-random function under a key nobody who
 * writes rows knows, so a page that changed keeps its version 2 hash with
 * probability about 2^-128; under a public key, someone writing rows could
 * build an overflow page that hashes as the old one (SipHash inverts
 * knowing the key), and the incremental would keep the old page. Version 3
 * keeps a changed page's hash with probability at most 2^-64 + 2^-128: NH
 * on 64-bit words collides on two pages of one length with probability
 * 2^-64 under a secret stream, and otherwise SipHash sees two different
 * inputs (the length is one, so pages of different lengths are too). NH
 * is easier still to collide knowing the key (nh_hash.h), which lives in
 * the catalog row as version 2's does. 2^-64 per changed page is far below
 * any chance of an undetected disk error, and the cost is what version 3
 * is for. Per 4 KB page in cache, version 2 costs 40 % of SHA-256 (with
 * the CPU's SHA instructions) and version 3 about a tenth of version
 * 2; its key stream (64 KB, in the ctx's arena) costs a fraction of a
 * millisecond, once per backup.
 */
#include "backup/backup.h"
#include "base/nh_hash.h"
#include "base/siphash.h"

#include <openssl/rand.h>
#include <string.h>

#define PAGE_HASHES_V2      "DBCPH2\0\0"
#define PAGE_HASHES_V3      "DBCPH3\0\0"
#define PAGE_HASHES_TAG_LEN 8
#define PAGE_HASHES_PREFIX  (PAGE_HASHES_TAG_LEN + 16)

/* Version 3's key streams for ph->key, or DBC_ERROR with the error set. */
static int nh_begin(dbc_ctx *ctx, dbc_page_hasher *ph)
{
	ph->nh_key = dbc_alloc(ctx, DBC_NH_KEY_WORDS * sizeof *ph->nh_key);
	if (!ph->nh_key)
		return DBC_ERROR;
	dbc_nh_key(ph->key, ph->nh_key);
	dbc_siphash_begin(&ph->nh_start, ph->key);
	dbc_siphash_update(&ph->nh_start, "DBCNHSUM", 8);
	return DBC_OK;
}

int dbc_page_hasher_new(dbc_ctx *ctx, dbc_page_hasher *ph)
{
	memset(ph, 0, sizeof *ph);
	ph->version = 3;
	if (RAND_bytes(ph->key, sizeof ph->key) != 1)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no random bytes for the page hashes' key");
	return nh_begin(ctx, ph);
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
	if (len >= PAGE_HASHES_PREFIX && len % DBC_PAGE_HASH == PAGE_HASHES_TAG_LEN) {
		if (memcmp(blob, PAGE_HASHES_V2, PAGE_HASHES_TAG_LEN) == 0)
			ph->version = 2;
		else if (memcmp(blob, PAGE_HASHES_V3, PAGE_HASHES_TAG_LEN) == 0)
			ph->version = 3;
	}
	if (!ph->version)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "the base backup's page hashes are in a form this dbcare does not read");
	memcpy(ph->key, blob + PAGE_HASHES_TAG_LEN, sizeof ph->key);
	if (ph->version == 3 && nh_begin(ctx, ph) != DBC_OK)
		return DBC_ERROR;
	*hashes = blob + PAGE_HASHES_PREFIX;
	*pages = (int64_t)((len - PAGE_HASHES_PREFIX) / DBC_PAGE_HASH);
	return DBC_OK;
}

int dbc_page_hash(dbc_ctx *ctx, dbc_page_hasher *ph, const unsigned char *page, size_t size,
                  unsigned char out[DBC_PAGE_HASH])
{
	if (ph->version == 3) {
		/* SipHash of "DBCNHSUM", each chunk's NH as two words, the size:
		 * the tag's state is kept, the words fed whole (a page hash per
		 * page read, an incremental backup's largest cost after the read) */
		dbc_siphash h = ph->nh_start;
		size_t off = 0;
		uint64_t w[3];
		do {
			size_t n = size - off < DBC_NH_MAX ? size - off : DBC_NH_MAX;
			dbc_nh(ph->nh_key, page + off, n, w);
			off += n;
			if (off < size)
				dbc_siphash_words(&h, w, 2);
		} while (off < size);
		w[2] = (uint64_t)size;
		dbc_siphash_words(&h, w, 3);
		dbc_siphash_finish(&h, out);
		return DBC_OK;
	}
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
	if (ph->version == 2 || ph->version == 3) {
		dbc_buf_appendn(out, ph->version == 2 ? PAGE_HASHES_V2 : PAGE_HASHES_V3,
		                PAGE_HASHES_TAG_LEN);
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
