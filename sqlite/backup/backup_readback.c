/*
 * backup_readback.c — reading a backup file back (the hook inspect): its
 * SHA-256 and page hashes from its bytes, then SQLite's storage check and
 * its image (fingerprint, rows, content) through a read-only connection of
 * its own, within the deadline and the caller's interrupt.
 */
#include "backup/backup.h"
#include "base/clock.h"
#include "base/sha256.h"
#include "backup_glue.h"
#include "container/container.h"
#include "sqlite/host/glue.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* The page hashes of a file read in chunks (a whole number of pages each):
 * the page size from the header in the first chunk. */
typedef struct page_hashing {
	dbc_page_hasher ph;
	size_t page_size;
	dbc_buf pages;
} page_hashing;

static int hash_pages(dbc_ctx *ctx, void *arg, const unsigned char *chunk, size_t n)
{
	page_hashing *p = arg;
	int rc = DBC_OK;
	if (p->page_size == 0 && n >= 18)
		p->page_size =
		    chunk[16] == 0 && chunk[17] == 1 ? 65536 : ((size_t)chunk[16] << 8) | chunk[17];
	for (size_t off = 0; rc == DBC_OK && p->page_size && off + p->page_size <= n;
	     off += p->page_size) {
		unsigned char hash[DBC_PAGE_HASH];
		rc = dbc_page_hash(ctx, &p->ph, chunk + off, p->page_size, hash);
		dbc_buf_appendn(&p->pages, (const char *)hash, sizeof hash);
	}
	return rc;
}

/* The SHA-256 of the file's bytes, read in chunks (not mapped: a file
 * truncated meanwhile would be a SIGBUS in the application's process; a
 * map of the copy's own file was measured slower: its page faults cost
 * more than the reads' copies); with img->hash_pages also every page's hash (a new
 * version 2 chain, core/backup/backup_page_hashes.c; the page size from the header; a
 * chunk is a whole number of pages of any size SQLite allows). */
static int file_sha256(dbc_ctx *ctx, const char *path, dbc_backup_image *img)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	page_hashing p = {0};
	dbc_buf_init(&p.pages, ctx);
	int rc = DBC_OK;
	if (img->hash_pages && (dbc_page_hasher_new(ctx, &p.ph) != DBC_OK ||
	                        dbc_page_hashes_begin(&p.pages, &p.ph) != DBC_OK))
		rc = DBC_ERROR;
	if (rc == DBC_OK)
		rc = dbc_path_sha256(ctx, path, 0, dbc_printf(ctx, "backup %s", path),
		                     p.ph.version ? hash_pages : NULL, &p, hex);
	dbc_page_hasher_end(&p.ph);
	if (rc != DBC_OK)
		return DBC_ERROR;
	if (img->hash_pages) {
		img->page_hashes_len = p.pages.len;
		img->page_hashes = dbc_buf_finish(&p.pages);
		if (!img->page_hashes)
			return DBC_ERROR;
	}
	img->file_sha256 = dbc_strdup(ctx, hex);
	return img->file_sha256 ? DBC_OK : DBC_ERROR;
}

/* The inspecting connection is not the caller's: an interrupt of the
 * caller's connection and the deadline reach it through this progress
 * handler and a look after each phase (the storage check is mostly one
 * virtual machine step, which no progress handler of SQLite 3.40 splits). */
typedef struct inspect_watch {
	dbc_ctx *ctx;
	double deadline_ms; /* 0: none */
	bool stopped;       /* the error is set in ctx */
} inspect_watch;

#define WATCH_EVERY 1000         /* virtual machine steps between two looks */
#define MMAP_BYTES  "2147418112" /* SQLite's largest map by default (SQLITE_MAX_MMAP_SIZE) */

static int watch_progress(void *arg)
{
	inspect_watch *w = arg;
	if (!w->stopped && w->deadline_ms > 0 && dbc_monotonic_ms() >= w->deadline_ms) {
		dbc_error(w->ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
		          "the backup copy's verification did not finish within backup.timeout_ms");
		w->stopped = true;
	}
	if (!w->stopped && w->ctx->host->interrupted(w->ctx))
		w->stopped = true;
	return w->stopped;
}

int sqldbc_backup_inspect(dbc_ctx *ctx, const char *path, bool full, double deadline_ms,
                          dbc_backup_image *img)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read backup %s: %s", path,
		                 strerror(errno));
	if (!S_ISREG(st.st_mode))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup %s is not a regular file", path);
	/* SQLite opens an empty file as an empty database, which would pass
	 * every check below and restore as one; no backup is empty */
	if (st.st_size == 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "backup %s is empty (0 bytes): no database is in it", path);
		dbc_error_hint(ctx, "a copy or an upload cut short leaves such a file: restore another "
		                    "backup, or the one this should have been");
		return DBC_ERROR;
	}
	img->bytes = (int64_t)st.st_size;
	/* before SQLite opens it: the bytes the checks below are about (a
	 * read-only open writes nothing to a rollback-journal file) */
	if (file_sha256(ctx, path, img) != DBC_OK)
		return DBC_ERROR;
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, sqldbc_backup_vfs_for(path));
	if (rc != SQLITE_OK) {
		sqldbc_backup_db_error(ctx, db, dbc_printf(ctx, "cannot open backup %s", path));
		sqlite3_close(db);
		return DBC_ERROR;
	}
	inspect_watch watch = {ctx, deadline_ms, false};
	/* without a progress handler (SQLITE_OMIT_PROGRESS_CALLBACK) the checks
	 * below run to their end: the deadline and the interrupt are looked at
	 * after them */
	sqldbc_watch_progress(db, WATCH_EVERY, watch_progress, &watch);
	/* A copy this module just made (its temporary name) is read through a
	 * memory map: its storage check and its rows then cost no system call
	 * per page. A file someone named is read as usual: truncated by
	 * another process while mapped, it would kill this one (SIGBUS). */
	const char *base = strrchr(path, '/');
	if (dbc_scratch_temp_name(base ? base + 1 : path) || dbc_scratch_is(path))
		sqlite3_exec(db, "PRAGMA mmap_size = " MMAP_BYTES, NULL, NULL, NULL);
	dbc_buf check;
	dbc_buf_init(&check, ctx);
	int64_t problems = 0;
	rc = sqldbc_backup_rows_text(
	    db, full ? "PRAGMA main.integrity_check(1)" : "PRAGMA main.quick_check(1)", &check,
	    &problems);
	int out = DBC_OK;
	if (watch.stopped || watch_progress(&watch)) {
		out = DBC_ERROR;
	} else if (rc != SQLITE_OK) {
		out = sqldbc_backup_db_error(ctx, db,
		                             dbc_printf(ctx, "backup %s is not a readable database", path));
	} else {
		char *text = dbc_buf_finish(&check);
		size_t n = text ? strlen(text) : 0;
		if (n && text[n - 1] == '\n')
			text[n - 1] = '\0';
		img->check = text;
		if (!text)
			out = DBC_ERROR;
		else if (strcmp(text, "ok") == 0 &&
		         sqldbc_backup_read_image(ctx, db, deadline_ms, true, img, &rc) != DBC_OK)
			out = ctx->failed
			          ? DBC_ERROR
			          : sqldbc_backup_db_error(
			                ctx, db, dbc_printf(ctx, "backup %s is not a readable database", path));
		else if (watch_progress(&watch))
			out = DBC_ERROR;
	}
	sqlite3_close(db);
	return out;
}
