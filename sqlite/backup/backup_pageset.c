/*
 * backup_pageset.c — reading incremental backups (the page-set files
 * backup_incr.c writes, whose format it describes): their proof of
 * origin, and the image a chain restores to -- a full backup's file
 * copied, then each incremental's pages written over it, oldest first, and
 * the file cut to the last one's page count.
 *
 * A chain is only applied link by link when each file is the one its
 * catalog row records (its SHA-256) and each incremental names the file
 * before it (the SHA-256 in its header): a file replaced, a flipped byte,
 * a link missing or out of order is an error naming the file, never an
 * image built of the wrong pages.
 */
#define _XOPEN_SOURCE 700
#include "backup/backup.h"
#include "base/file_sync.h"
#include "backup_glue.h"
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static uint32_t get_u32(const unsigned char *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* A reader that hashes every byte it hands out. */
typedef struct reader {
	dbc_ctx *ctx;
	int fd;
	dbc_sha256 *h;
	const char *path;
} reader;

/* Exactly n bytes, or false (a short file) with the error set. */
static bool take(reader *r, void *buf, size_t n)
{
	unsigned char *b = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(r->fd, b + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			dbc_error(r->ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: it is cut short", r->path);
			return false;
		}
		got += (size_t)k;
	}
	return dbc_sha256_update(r->ctx, r->h, b, n) == DBC_OK;
}

bool sqldbc_pageset_is(const char *path)
{
	char magic[8];
	int fd = open(path, dbc_scratch_open_flags(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
	if (fd < 0)
		return false;
	bool is = read(fd, magic, 8) == 8 && memcmp(magic, SQLDBC_PAGESET_MAGIC, 8) == 0;
	close(fd);
	return is;
}

typedef struct pageset_header {
	uint32_t page_size, page_count;
	uint64_t records;
	char base_sha[65];
	char *identity, *published;
} pageset_header;

static char *take_string(reader *r)
{
	unsigned char len[4];
	if (!take(r, len, 4))
		return NULL;
	uint32_t n = get_u32(len);
	if (n > 65536) {
		dbc_error(r->ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: its header is damaged", r->path);
		return NULL;
	}
	char *s = dbc_alloc(r->ctx, n + 1);
	if (!s || !take(r, s, n))
		return NULL;
	s[n] = '\0';
	return s;
}

static bool read_header(reader *r, pageset_header *h)
{
	unsigned char b[88];
	if (!take(r, b, sizeof b))
		return false;
	if (memcmp(b, SQLDBC_PAGESET_MAGIC, 8) != 0) {
		dbc_error(r->ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: it is not an incremental backup",
		          r->path);
		return false;
	}
	h->page_size = get_u32(b + 8);
	h->page_count = get_u32(b + 12);
	h->records = ((uint64_t)get_u32(b + 16) << 32) | get_u32(b + 20);
	memcpy(h->base_sha, b + 24, 64);
	h->base_sha[64] = '\0';
	if (h->page_size < 512 || h->page_size > 65536 || (h->page_size & (h->page_size - 1))) {
		dbc_error(r->ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: its header is damaged", r->path);
		return false;
	}
	return (h->identity = take_string(r)) && (h->published = take_string(r));
}

static bool open_reader(dbc_ctx *ctx, reader *r, const char *path)
{
	r->ctx = ctx;
	r->path = path;
	r->h = NULL;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read backup %s: %s", path,
		          strerror(errno));
		return false;
	}
	if (!(r->h = dbc_sha256_begin(ctx))) {
		close(r->fd);
		return false;
	}
	return true;
}

static void close_reader(reader *r)
{
	if (r->h)
		dbc_sha256_abort(r->h);
	r->h = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* Whether the file at path hashed to want (NULL: anything does). */
static bool is_verified_copy(dbc_ctx *ctx, const char *path, const char *want,
                             const char hex[DBC_SHA256_HEX_LEN + 1])
{
	if (want && strcmp(want, hex) != 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "backup %s: its content differs from the copy that was "
		          "verified (the file's SHA-256)",
		          path);
		return false;
	}
	return true;
}

/* Ends r: its SHA-256 in hex, compared with want (when not NULL). */
static bool finish_reader(reader *r, const char *want, char hex[DBC_SHA256_HEX_LEN + 1])
{
	int rc = dbc_sha256_finish(r->ctx, r->h, hex);
	r->h = NULL;
	close_reader(r);
	return rc == DBC_OK && is_verified_copy(r->ctx, r->path, want, hex);
}

bool sqldbc_pageset_stamp(dbc_ctx *ctx, const char *path, char **database, char **published)
{
	reader r;
	pageset_header h;
	*database = *published = NULL;
	if (!sqldbc_pageset_is(path) || !open_reader(ctx, &r, path))
		return false;
	bool ok = read_header(&r, &h);
	close_reader(&r);
	if (!ok) {
		dbc_error_clear(ctx);
		return false;
	}
	*database = h.identity;
	*published = h.published;
	return true;
}

bool sqldbc_pageset_base(dbc_ctx *ctx, const char *path, char **base_sha256)
{
	reader r;
	pageset_header h;
	if (!sqldbc_pageset_is(path))
		return false;
	if (!base_sha256)
		return true;
	*base_sha256 = NULL;
	/* a damaged header: a page-set file whose base is unknown */
	if (!open_reader(ctx, &r, path)) {
		dbc_error_clear(ctx);
		return true;
	}
	bool ok = read_header(&r, &h);
	close_reader(&r);
	if (!ok || !(*base_sha256 = dbc_strdup(ctx, h.base_sha)))
		dbc_error_clear(ctx);
	return true;
}

static bool write_at(int fd, const void *p, size_t n, off_t off)
{
	const unsigned char *b = p;
	while (n > 0) {
		ssize_t k = pwrite(fd, b, n, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		b += k, n -= (size_t)k, off += k;
	}
	return true;
}

/* Where copy_full puts each chunk of the full backup: at its offset in the
 * image; the page size read from the first. */
typedef struct full_copy {
	int out;
	off_t off;
	uint32_t *page_size;
} full_copy;

static int copy_chunk(dbc_ctx *ctx, void *arg, const unsigned char *chunk, size_t n)
{
	full_copy *fc = arg;
	if (fc->off == 0 && n >= 18)
		*fc->page_size =
		    chunk[16] == 0 && chunk[17] == 1 ? 65536u : ((uint32_t)chunk[16] << 8) | chunk[17];
	if (!write_at(fc->out, chunk, n, fc->off))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the restored image: %s",
		                 strerror(errno));
	fc->off += (off_t)n;
	return DBC_OK;
}

/* chain[0], a full backup, copied into out as the file digest (the one
 * home of a file's SHA-256, base/sha256.h) reads it; its page size. */
static bool copy_full(dbc_ctx *ctx, const char *path, const char *want, int out,
                      char hex[DBC_SHA256_HEX_LEN + 1], uint32_t *page_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read backup %s: %s", path,
		                 strerror(errno)) == DBC_OK;
	full_copy fc = {.out = out, .page_size = page_size};
	const char *what = dbc_printf(ctx, "backup %s", path);
	int rc = what ? dbc_file_sha256(ctx, fd, what, copy_chunk, &fc, hex) : DBC_ERROR;
	close(fd);
	return rc == DBC_OK && is_verified_copy(ctx, path, want, hex);
}

/* The file's own record after its last page, when there is one: read
 * (and hashed) whole; *text (when not NULL) its text. False, with the
 * error set, for a damaged one. */
static bool take_record(reader *r, char **text)
{
	unsigned char head[12];
	ssize_t k;
	do
		k = read(r->fd, head, sizeof head);
	while (k < 0 && errno == EINTR);
	if (k == 0)
		return true; /* none: a file made before 0.3.9 */
	if (k != (ssize_t)sizeof head || memcmp(head, SQLDBC_PAGESET_RECORD_MAGIC, 8) != 0) {
		dbc_error(r->ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: it has bytes after its last page",
		          r->path);
		return false;
	}
	uint32_t n = get_u32(head + 8);
	char *buf = n <= (1u << 30) ? dbc_alloc(r->ctx, (size_t)n + 1) : NULL;
	if (!buf || dbc_sha256_update(r->ctx, r->h, head, sizeof head) != DBC_OK || !take(r, buf, n)) {
		if (!r->ctx->failed)
			dbc_error(r->ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: its record is damaged", r->path);
		return false;
	}
	buf[n] = '\0';
	if (text)
		*text = buf;
	return true;
}

static bool skip_record(reader *r)
{
	return take_record(r, NULL);
}

bool sqldbc_pageset_record(dbc_ctx *ctx, const char *path, char **record)
{
	reader r;
	pageset_header h;
	*record = NULL;
	if (!sqldbc_pageset_is(path) || !open_reader(ctx, &r, path))
		return false;
	bool ok = read_header(&r, &h) &&
	          lseek(r.fd, (off_t)h.records * ((off_t)h.page_size + 4), SEEK_CUR) >= 0 &&
	          take_record(&r, record);
	close_reader(&r);
	if (!ok)
		dbc_error_clear(ctx);
	return ok && *record;
}

/* One incremental's pages over out. */
static bool apply(dbc_ctx *ctx, const char *path, const char *want, const char *prev_path,
                  const char *prev_sha, uint32_t page_size, int out,
                  char hex[DBC_SHA256_HEX_LEN + 1])
{
	reader r;
	pageset_header h;
	if (!open_reader(ctx, &r, path))
		return false;
	bool ok = read_header(&r, &h);
	if (ok && strcmp(h.base_sha, prev_sha) != 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "backup %s: it does not build on %s (another base file)", path, prev_path);
		ok = false;
	}
	if (ok && h.page_size != page_size) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: its pages are %u bytes, those of %s %u",
		          path, h.page_size, prev_path, page_size);
		ok = false;
	}
	unsigned char *rec = ok ? dbc_alloc(ctx, (size_t)h.page_size + 4) : NULL;
	ok = ok && rec;
	for (uint64_t i = 0; ok && i < h.records; i++) {
		ok = take(&r, rec, (size_t)h.page_size + 4);
		uint32_t pgno = ok ? get_u32(rec) : 0;
		if (ok && (pgno < 1 || pgno > h.page_count)) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: it names page %u of %u", path, pgno,
			          h.page_count);
			ok = false;
		}
		if (ok && !write_at(out, rec + 4, h.page_size, (off_t)(pgno - 1) * h.page_size))
			ok = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the restored image: %s",
			               strerror(errno)) == DBC_OK;
	}
	/* its own record (0.3.9 on), hashed with the rest; then nothing */
	ok = ok && skip_record(&r);
	unsigned char extra;
	if (ok && read(r.fd, &extra, 1) != 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "backup %s: it has bytes after its last page", path);
		ok = false;
	}
	if (ok && ftruncate(out, (off_t)h.page_count * h.page_size) != 0)
		ok = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the restored image: %s",
		               strerror(errno)) == DBC_OK;
	if (!ok) {
		close_reader(&r);
		return false;
	}
	return finish_reader(&r, want, hex);
}

int sqldbc_backup_materialize(dbc_ctx *ctx, const char *const *chain, const char *const *sha256,
                              int n, const char *out_path)
{
	/* a new file, or an empty one (a temporary name made for it): never
	 * over anything */
	int out =
	    open(out_path,
	         dbc_scratch_open_flags(out_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW), 0600);
	struct stat st;
	if (out < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not open %s: %s", out_path,
		                 strerror(errno));
	if (fstat(out, &st) != 0 || st.st_size != 0 || !S_ISREG(st.st_mode)) {
		close(out);
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s exists and is not empty", out_path);
	}
	char prev[DBC_SHA256_HEX_LEN + 1], hex[DBC_SHA256_HEX_LEN + 1];
	uint32_t page_size = 0;
	bool ok = n > 0 && copy_full(ctx, chain[0], sha256[0], out, prev, &page_size);
	for (int i = 1; ok && i < n; i++) {
		dbc_progress(ctx, i, n - 1, "incremental backups applied");
		ok = apply(ctx, chain[i], sha256[i], chain[i - 1], prev, page_size, out, hex);
		memcpy(prev, hex, sizeof prev);
		if (ok && ctx->host->interrupted(ctx))
			ok = false;
	}
	if (ok && fsync(out) != 0)
		ok = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not sync the restored image: %s",
		               strerror(errno)) == DBC_OK;
	close(out);
	if (!ok && !ctx->failed)
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "the backup chain could not be read");
	return ok ? DBC_OK : DBC_ERROR;
}

/* The page size a database file's header says (bytes 16-17; 1 is 65536),
 * or 0 where it says none a database has. */
static int64_t header_page_size(const unsigned char h[100])
{
	int64_t size = (int64_t)h[16] << 8 | h[17];
	if (size == 1)
		size = 65536;
	return size >= 512 && size <= 65536 && (size & (size - 1)) == 0 ? size : 0;
}

int sqldbc_backup_check_pages(dbc_ctx *ctx, int64_t id, const char *path, char **why)
{
	*why = NULL;
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	dbc_page_hasher ph;
	const unsigned char *hashes;
	int64_t pages;
	if (sqldbc_backup_row_hashes(ctx, db, id, &ph, &hashes, &pages) != DBC_OK)
		return DBC_ERROR;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char head[100];
	struct stat st;
	int64_t size = 0;
	int rc = DBC_OK;
	if (fd < 0 || fstat(fd, &st) != 0 || pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head)
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not read %s: %s", path, strerror(errno));
	else if ((size = header_page_size(head)) == 0 || st.st_size != pages * size)
		rc = (*why = dbc_printf(ctx,
		                        "the image its chain gives has %lld bytes, not the %lld "
		                        "pages that were backed up",
		                        (long long)st.st_size, (long long)pages))
		         ? DBC_OK
		         : DBC_ERROR;
	/* why: one chunk of pages, freed below */
	unsigned char *buf = rc == DBC_OK && !*why ? malloc(CHUNK) : NULL;
	if (rc == DBC_OK && !*why && !buf)
		rc = dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	int64_t per = size ? CHUNK / size : 0;
	for (int64_t p = 0; buf && rc == DBC_OK && !*why && p < pages; p += per) {
		int64_t n = pages - p < per ? pages - p : per;
		if (pread(fd, buf, (size_t)(n * size), (off_t)(p * size)) != (ssize_t)(n * size)) {
			rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not read %s: %s", path,
			               strerror(errno));
			break;
		}
		for (int64_t i = 0; rc == DBC_OK && !*why && i < n; i++) {
			unsigned char h[DBC_PAGE_HASH];
			if (dbc_page_hash(ctx, &ph, buf + i * size, (size_t)size, h) != DBC_OK)
				rc = DBC_ERROR;
			else if (memcmp(h, hashes + (p + i) * DBC_PAGE_HASH, DBC_PAGE_HASH) != 0)
				rc = (*why = dbc_printf(ctx,
				                        "page %lld of the image its chain gives is not the "
				                        "page that was backed up",
				                        (long long)(p + i + 1)))
				         ? DBC_OK
				         : DBC_ERROR;
		}
		if (rc == DBC_OK && ctx->host->interrupted(ctx))
			rc = DBC_ERROR;
	}
	free(buf); /* why: the chunk above */
	if (fd >= 0)
		close(fd);
	dbc_page_hasher_end(&ph);
	return rc;
}
