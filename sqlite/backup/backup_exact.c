/*
 * backup_exact.c — whether a full copy is the snapshot it was taken from,
 * byte for byte: then its rows are the source's, and a backup reads them
 * once, from the copy (docs/backups.md, "Logical verification").
 *
 * Only a rollback-journal database qualifies: while the copy's read
 * transaction holds its SHARED lock no connection can write the database
 * file, so the file is the snapshot. (In WAL mode the snapshot is the file
 * and the WAL's frames up to a mark; the source's rows are read instead.)
 * Both files are read through their connections' own file handles
 * (SQLITE_FCNTL_FILE_POINTER): opening and closing the database file
 * anew would drop the POSIX locks this process holds on it.
 *
 * The online backup API copies every page as it is, then updates four
 * fields of the copy's header, which say nothing about its rows: the
 * change counter (bytes 24-27), the schema cookie (40-43), the
 * version-valid-for number and the SQLite version that wrote it (92-99).
 * Every other byte of every page must be equal.
 *
 * The same conditions let a copy skip the online backup API altogether
 * (sqldbc_backup_stream_file): the snapshot is the file's first
 * page_count pages, read in chunks through the connection's own file
 * handle and handed on as they are; a copy written from them is the
 * snapshot by construction, with nothing to compare afterwards.
 */
#include "base/clock.h"
#include "backup_glue.h"

#include <string.h>

/* Pages read per chunk on each side. */
#define CHUNK_PAGES 256
/* A direct copy says how far it is as often as the backup API's steps
 * (backup_base.c's STEP_PAGES), a multiple of CHUNK_PAGES. */
#define PROGRESS_PAGES 4096

static bool is_header_counter(size_t off)
{
	return (off >= 24 && off < 28) || (off >= 40 && off < 44) || (off >= 92 && off < 100);
}

static bool same_page(const unsigned char *a, const unsigned char *b, size_t size, bool first)
{
	if (!first)
		return memcmp(a, b, size) == 0;
	for (size_t i = 0; i < 100 && i < size; i++)
		if (!is_header_counter(i) && a[i] != b[i])
			return false;
	return size <= 100 || memcmp(a + 100, b + 100, size - 100) == 0;
}

/* Whether src's main database is in WAL mode (or that cannot be told):
 * then its file alone is not the snapshot. */
static bool in_wal_mode(sqlite3 *src)
{
	sqlite3_stmt *st;
	bool wal = true;
	if (sqlite3_prepare_v2(src, "PRAGMA main.journal_mode", -1, &st, NULL) == SQLITE_OK) {
		wal = sqlite3_step(st) != SQLITE_ROW ||
		      sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
		sqlite3_finalize(st);
	}
	return wal;
}

static sqlite3_file *file_of(sqlite3 *db)
{
	sqlite3_file *f = NULL;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
	    !f->pMethods)
		return NULL;
	return f;
}

int sqldbc_backup_same_pages(dbc_ctx *ctx, sqlite3 *src, sqlite3 *dest, int64_t pages,
                             double deadline, bool *same)
{
	*same = false;
	int64_t page_size = 0;
	bool wal = in_wal_mode(src);
	sqlite3_file *a = file_of(src), *b = file_of(dest);
	sqlite3_int64 dest_size = -1;
	if (wal || !a || !b || pages < 1 ||
	    sqldbc_backup_int_pragma(src, "PRAGMA main.page_size", &page_size) != SQLITE_OK ||
	    page_size < 512 || b->pMethods->xFileSize(b, &dest_size) != SQLITE_OK ||
	    dest_size != pages * page_size)
		return DBC_OK; /* not comparable: the rows are read on both sides */
	size_t chunk = (size_t)page_size * CHUNK_PAGES;
	/* why: two chunks of CHUNK_PAGES pages, freed below */
	unsigned char *x = sqlite3_malloc64(2 * chunk);
	if (!x)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	unsigned char *y = x + chunk;
	bool equal = true;
	int rc = DBC_OK;
	for (int64_t p = 0; equal && p < pages; p += CHUNK_PAGES) {
		int64_t n = pages - p < CHUNK_PAGES ? pages - p : CHUNK_PAGES;
		int amt = (int)(n * page_size);
		sqlite3_int64 off = p * page_size;
		if (a->pMethods->xRead(a, x, amt, off) != SQLITE_OK ||
		    b->pMethods->xRead(b, y, amt, off) != SQLITE_OK) {
			equal = false;
			break;
		}
		for (int64_t i = 0; equal && i < n; i++)
			equal = same_page(x + i * page_size, y + i * page_size, (size_t)page_size, p + i == 0);
		if (equal && dbc_monotonic_ms() >= deadline) {
			rc = dbc_error(ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
			               "the copy was not compared within backup.timeout_ms");
			break;
		}
		if (equal && ctx->host->interrupted(ctx)) {
			rc = DBC_ERROR;
			break;
		}
	}
	sqlite3_free(x);
	*same = rc == DBC_OK && equal;
	return rc;
}

/* Whether src's main database file is its snapshot, readable as it is: a
 * rollback journal (the read transaction's SHARED lock keeps writers out),
 * a file of one of the unix VFSes that lock (another VFS may keep pages
 * otherwise than SQLite reads them; unix-none takes no lock), at least
 * pages * page size long. */
static sqlite3_file *snapshot_file(sqlite3 *src, int64_t pages, int64_t *page_size)
{
	bool wal = in_wal_mode(src);
	sqlite3_vfs *vfs = NULL;
	sqlite3_file *f = file_of(src);
	sqlite3_int64 size = -1;
	if (wal || !f || pages < 1 ||
	    sqlite3_file_control(src, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK || !vfs ||
	    strncmp(vfs->zName, "unix", 4) != 0 || strcmp(vfs->zName, "unix-none") == 0 ||
	    sqldbc_backup_int_pragma(src, "PRAGMA main.page_size", page_size) != SQLITE_OK ||
	    *page_size < 512 || f->pMethods->xFileSize(f, &size) != SQLITE_OK ||
	    size < pages * *page_size)
		return NULL;
	return f;
}

int sqldbc_backup_stream_file(dbc_ctx *ctx, sqlite3 *src, int64_t pages, double deadline,
                              sqldbc_take_pages take, void *arg, bool *streamed)
{
	*streamed = false;
	int64_t page_size = 0;
	sqlite3_file *f = snapshot_file(src, pages, &page_size);
	if (!f)
		return DBC_OK; /* the caller copies through the backup API */
	*streamed = true;
	size_t chunk = (size_t)page_size * CHUNK_PAGES;
	/* why: one chunk of CHUNK_PAGES pages, freed below */
	unsigned char *x = sqlite3_malloc64(chunk);
	if (!x)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	int rc = DBC_OK;
	for (int64_t p = 0; rc == DBC_OK && p < pages; p += CHUNK_PAGES) {
		int64_t n = pages - p < CHUNK_PAGES ? pages - p : CHUNK_PAGES;
		if (f->pMethods->xRead(f, x, (int)(n * page_size), p * page_size) != SQLITE_OK)
			rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			               "could not read the database to back up (page %lld)", (long long)p + 1);
		else
			rc = take(ctx, arg, p + 1, x, n, page_size);
		if ((p + n) % PROGRESS_PAGES == 0 || p + n == pages)
			dbc_progress(ctx, p + n, pages, "pages copied");
		if (rc == DBC_OK && dbc_monotonic_ms() >= deadline)
			rc = dbc_error(ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
			               "the copy did not finish within backup.timeout_ms");
		if (rc == DBC_OK && ctx->host->interrupted(ctx))
			rc = DBC_ERROR;
	}
	sqlite3_free(x);
	return rc;
}
