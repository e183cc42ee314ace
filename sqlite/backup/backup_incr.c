/*
 * backup_incr.c — incremental backups: the pages of the open database that
 * changed since a catalogued backup, found by page hashes the catalog
 * keeps (dbcare_backups.page_hashes: DBC_PAGE_HASH bytes per page of the
 * image a restore of that backup gives, in its chain's form,
 * core/backup/backup_page_hashes.c).
 *
 * The pages are read inside one read transaction of the caller's
 * connection, as a full copy reads them (backup_copy.c): the same snapshot
 * gives the source's fingerprint and per-table content. In
 * rollback-journal mode they come straight from the database file
 * (backup_exact.c) and each is taken as the sink below takes a page;
 * otherwise through SQLite's online backup API, whose destination is a
 * connection on the VFS "dbcare_sink", whose one file keeps no pages:
 * each page SQLite writes to it is hashed, and only a page whose hash differs from the base's (or
 * that was written before in this copy, a cache spill then the commit) is
 * appended to the page-set file. The destination pager reads back only
 * page 1 (to update its header at the end), which the sink keeps; any
 * other read back is an I/O error, never a wrong page. So an incremental
 * backup reads the database once and writes only what changed.
 *
 * Page 1's bytes 18 and 19 (the WAL format version) are written as 1, as a
 * full copy's are after its journal_mode = DELETE: a restored image is a
 * standalone rollback-journal file.
 *
 * Page-set file (all integers big-endian): "DBCPAGE1", page size (u32),
 * page count (u32), records (u64), the base file's SHA-256 (64 hex
 * digits), the source database's canonical path and the published path
 * (u32 length + bytes each); then records, each a page number (u32) and
 * the page. A later record of a page replaces an earlier one. Then (files
 * made from 0.3.9 on) the file's own record: "DBCREC01", its length (u32)
 * and dbc_backup_own_record's text (the fingerprint, row counts and
 * content hashes of the image the chain gives), which a restore without
 * the catalog checks the image against.
 */
#define _XOPEN_SOURCE 700
#include "backup/backup.h"
#include "base/clock.h"
#include "backup_glue.h"
#include "sqlite/host/glue.h"
#include "vfs_base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the sink */

typedef struct sink_state {
	dbc_ctx *ctx;
	dbc_page_hasher *ph; /* the base's form and key */
	dbc_page_map *pm;    /* the snapshot's b-tree pages, for the content record */
	int fd;              /* the page-set file */
	const unsigned char *base;
	int64_t nbase;          /* pages in base */
	unsigned char *cur;     /* hashes of the pages written, by page (sqlite3_malloc) */
	unsigned char *written; /* 1: a record of the page is in the file */
	int64_t cap;            /* pages cur and written have room for */
	int64_t page_size;
	int64_t size; /* the file's size as SQLite sees it */
	unsigned char *page1;
	unsigned char *scratch;
	int64_t records;
	int err; /* errno of a failed write, or -1 for another failure */
} sink_state;

typedef struct sink_file {
	sqlite3_file base;
	sink_state *st;
} sink_file;

/* The state the next xOpen of the main database file takes (set by the
 * opening thread right before sqlite3_open_v2). */
static _Thread_local sink_state *opening;

static int grow(sink_state *st, int64_t pages)
{
	if (pages <= st->cap)
		return SQLITE_OK;
	/* two arrays of one room, in SQLite's allocator (the VFS frees them
	 * with sqlite3_free); written's new pages zeroed */
	size_t cur_cap = (size_t)st->cap, written_cap = (size_t)st->cap;
	if (!sqldbc_reserve(&st->cur, (size_t)pages, &cur_cap, DBC_PAGE_HASH, 1024) ||
	    !sqldbc_reserve(&st->written, (size_t)pages, &written_cap, 1, 1024))
		return SQLITE_NOMEM;
	st->cap = (int64_t)written_cap;
	return SQLITE_OK;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const unsigned char *b = p;
	while (n > 0) {
		ssize_t k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		b += k;
		n -= (size_t)k;
	}
	return true;
}

static void put_u32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

/* One page of the snapshot (pgno, 1-based): hashed, and appended to the
 * page-set file when its hash differs from the base's or a record of it
 * is there already (a later record replaces an earlier one). */
static int take_page(sink_state *st, int64_t pgno, const void *buf, int amt)
{
	if (grow(st, pgno) != SQLITE_OK)
		return SQLITE_NOMEM;
	if (!st->scratch && !(st->scratch = sqlite3_malloc(amt + 4)))
		return SQLITE_NOMEM;
	/* the page as the image holds it: buf itself, but for page 1, whose
	 * copy in scratch says "rollback journal" */
	const unsigned char *page = buf;
	if (pgno == 1) {
		if (!st->page1 && !(st->page1 = sqlite3_malloc(amt)))
			return SQLITE_NOMEM;
		memcpy(st->page1, buf, (size_t)amt); /* read back as written */
		memcpy(st->scratch + 4, buf, (size_t)amt);
		if (amt >= 20 && st->scratch[4 + 18] == 2 && st->scratch[4 + 19] == 2)
			st->scratch[4 + 18] = st->scratch[4 + 19] = 1; /* standalone: rollback journal */
		page = st->scratch + 4;
	}
	dbc_page_map_take(st->pm, pgno, page, amt);
	unsigned char *hash = st->cur + (pgno - 1) * DBC_PAGE_HASH;
	if (dbc_page_hash(st->ctx, st->ph, page, (size_t)amt, hash) != DBC_OK) {
		st->err = -1;
		return SQLITE_IOERR_WRITE;
	}
	bool same = pgno <= st->nbase &&
	            memcmp(hash, st->base + (pgno - 1) * DBC_PAGE_HASH, DBC_PAGE_HASH) == 0;
	if (!same || st->written[pgno - 1]) {
		if (page != st->scratch + 4)
			memcpy(st->scratch + 4, page, (size_t)amt);
		put_u32(st->scratch, (uint32_t)pgno);
		if (!write_all(st->fd, st->scratch, (size_t)amt + 4)) {
			st->err = errno ? errno : EIO;
			return errno == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
		}
		st->written[pgno - 1] = 1;
		st->records++;
	}
	if (pgno * amt > st->size)
		st->size = pgno * amt;
	return SQLITE_OK;
}

static int sink_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	sink_state *st = ((sink_file *)f)->st;
	if (st->page_size == 0)
		st->page_size = amt;
	if (amt != st->page_size || off % amt != 0) {
		st->err = -1;
		return SQLITE_IOERR_WRITE;
	}
	return take_page(st, off / amt + 1, buf, amt);
}

/* The direct read's pages (sqldbc_backup_stream_file), each taken as the
 * sink takes a page SQLite writes. */
static int take_pages(dbc_ctx *ctx, void *arg, int64_t first, const unsigned char *data, int64_t n,
                      int64_t page_size)
{
	sink_state *st = arg;
	st->page_size = page_size;
	for (int64_t i = 0; i < n; i++)
		if (take_page(st, first + i, data + i * page_size, (int)page_size) != SQLITE_OK)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the backup copy: %s",
			                 st->err > 0 ? strerror(st->err) : "out of memory");
	return DBC_OK;
}

static int sink_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	sink_state *st = ((sink_file *)f)->st;
	if (off >= st->size) {
		memset(buf, 0, (size_t)amt);
		return SQLITE_IOERR_SHORT_READ;
	}
	if (st->page1 && off + amt <= st->page_size) {
		memcpy(buf, st->page1 + off, (size_t)amt);
		return SQLITE_OK;
	}
	st->err = -1; /* a page the sink does not keep: never a wrong page */
	return SQLITE_IOERR_READ;
}

static int sink_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	((sink_file *)f)->st->size = size;
	return SQLITE_OK;
}

static int sink_size(sqlite3_file *f, sqlite3_int64 *size)
{
	*size = ((sink_file *)f)->st->size;
	return SQLITE_OK;
}

static int sink_close(sqlite3_file *f)
{
	(void)f;
	return SQLITE_OK;
}

static const sqlite3_io_methods sink_methods = {
    .iVersion = 1,
    .xClose = sink_close,
    .xRead = sink_read,
    .xWrite = sink_write,
    .xTruncate = sink_truncate,
    .xSync = sqldbc_vfs_file_sync,
    .xFileSize = sink_size,
    .xLock = sqldbc_vfs_file_lock,
    .xUnlock = sqldbc_vfs_file_lock,
    .xCheckReservedLock = sqldbc_vfs_file_reserved,
    .xFileControl = sqldbc_vfs_file_control,
    .xSectorSize = sqldbc_vfs_file_sector,
    .xDeviceCharacteristics = sqldbc_vfs_file_device,
};

static sqlite3_vfs sink_vfs;

/* The main database file is the sink; anything else SQLite opens (it
 * should open nothing: the journal is off) is the default VFS's. */
static int sink_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	if (!(flags & SQLITE_OPEN_MAIN_DB) || !opening)
		return dflt->xOpen(dflt, name, f, flags, out);
	sink_file *s = (sink_file *)f;
	memset(s, 0, sizeof *s);
	s->base.pMethods = &sink_methods;
	s->st = opening;
	opening = NULL;
	if (out)
		*out = flags;
	return SQLITE_OK;
}

static int sink_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs, (void)name, (void)flags;
	*out = 0;
	return SQLITE_OK;
}

static int sink_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs, (void)name, (void)sync;
	return SQLITE_OK;
}

static int sink_fullname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	sqlite3_snprintf(n, out, "%s", name);
	return SQLITE_OK;
}

static int sink_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs, (void)n, (void)out;
	return 0;
}

void sqldbc_backup_sink_unregister(void)
{
	if (sink_vfs.zName)
		sqlite3_vfs_unregister(&sink_vfs);
}

/* Registered once per process (not as the default); a second
 * registration of the same object only moves it in SQLite's list. It
 * leaves the list when the library is unloaded (entry.c). */
static int register_sink(void)
{
	if (sqlite3_vfs_find("dbcare_sink"))
		return SQLITE_OK;
	if (!sqldbc_vfs_over_default(&sink_vfs, "dbcare_sink", (int)sizeof(sink_file)))
		return SQLITE_ERROR;
	sink_vfs.xOpen = sink_open;
	sink_vfs.xDelete = sink_delete;
	sink_vfs.xAccess = sink_access;
	sink_vfs.xFullPathname = sink_fullname;
	sink_vfs.xGetLastError = sink_last_error;
	return sqlite3_vfs_register(&sink_vfs, 0);
}

/* ---------------------------------------------------------------- the copy */

typedef struct base_hashes {
	const unsigned char *data; /* the catalog column's per-page hashes */
	int64_t pages;
	dbc_page_hasher ph;
} base_hashes;

int sqldbc_backup_row_hashes(dbc_ctx *ctx, sqlite3 *db, int64_t id, dbc_page_hasher *ph,
                             const unsigned char **hashes, int64_t *pages)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT page_hashes FROM main.dbcare_backups WHERE id = ?1", -1, &st,
	                       NULL) != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, db, "could not read the backup's page hashes");
	sqlite3_bind_int64(st, 1, id);
	int rc = DBC_OK;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		int n = sqlite3_column_bytes(st, 0);
		unsigned char *blob = dbc_alloc(ctx, (size_t)n + 1);
		if (blob)
			memcpy(blob, sqlite3_column_blob(st, 0), (size_t)n);
		if (!blob || dbc_page_hasher_from(ctx, blob, (size_t)n, ph, hashes, pages) != DBC_OK)
			rc = DBC_ERROR;
	} else {
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		               "the backup (catalog id %lld) keeps no page hashes", (long long)id);
	}
	sqlite3_finalize(st);
	return rc;
}

static void put_u64(unsigned char *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b + 4, (uint32_t)v);
}

/* The header, written first with no page size nor records, again at the
 * end with them (pwrite at 0: same length). */
static bool write_header(int fd, sink_state *st, int64_t page_count, const char *base_sha,
                         const char *identity, const char *path, bool at_start)
{
	size_t ni = strlen(identity), np = strlen(path);
	size_t n = 8 + 4 + 4 + 8 + 64 + 4 + ni + 4 + np;
	unsigned char *h = sqlite3_malloc64(n);
	if (!h)
		return false;
	memcpy(h, SQLDBC_PAGESET_MAGIC, 8);
	put_u32(h + 8, (uint32_t)st->page_size);
	put_u32(h + 12, (uint32_t)page_count);
	put_u64(h + 16, (uint64_t)st->records);
	memset(h + 24, '0', 64);
	memcpy(h + 24, base_sha, strlen(base_sha) < 64 ? strlen(base_sha) : 64);
	put_u32(h + 88, (uint32_t)ni);
	memcpy(h + 92, identity, ni);
	put_u32(h + 92 + ni, (uint32_t)np);
	memcpy(h + 96 + ni, path, np);
	bool ok = at_start ? write_all(fd, h, n) : pwrite(fd, h, n, 0) == (ssize_t)n;
	sqlite3_free(h);
	return ok;
}

/* The file's own record, after its pages; *len its bytes. */
static bool write_record(dbc_ctx *ctx, int fd, const dbc_backup_image *source, int64_t *len)
{
	char *text = dbc_backup_own_record(ctx, source);
	*len = 0;
	if (!text)
		return !ctx->failed;
	size_t n = strlen(text);
	unsigned char head[12];
	memcpy(head, SQLDBC_PAGESET_RECORD_MAGIC, 8);
	put_u32(head + 8, (uint32_t)n);
	if (!write_all(fd, head, sizeof head) || !write_all(fd, text, n))
		return false;
	*len = (int64_t)(sizeof head + n);
	return true;
}

/* The bytes of each page of db's main database the b-trees use: its page
 * size less the reserve at each page's end (0 where they cannot be read:
 * the page map then knows nothing, and every table is read whole). */
static int64_t usable_size(sqlite3 *db)
{
	int64_t page_size = 0;
	int reserve = -1; /* a negative value asks, changes nothing */
	if (sqldbc_backup_int_pragma(db, "PRAGMA main.page_size", &page_size) != SQLITE_OK ||
	    sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK ||
	    reserve < 0)
		return 0;
	return page_size - reserve;
}

/* Streams the snapshot's pages through the sink into fd, then reads the
 * content record in the same snapshot. */
static int stream_pages(dbc_ctx *ctx, sqlite3 *db, sink_state *st, double deadline,
                        const dbc_backup_base *base, dbc_backup_image *source)
{
	if (register_sink() != SQLITE_OK)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not register the backup's page sink");
	sqlite3 *dest = NULL;
	opening = st;
	int rc = sqlite3_open_v2("dbcare-sink", &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                         "dbcare_sink");
	opening = NULL;
	int out = DBC_OK;
	if (rc != SQLITE_OK || sqlite3_exec(dest, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF",
	                                    NULL, NULL, NULL) != SQLITE_OK)
		out = sqldbc_backup_db_error(ctx, dest, "could not open the backup's page sink");
	if (out == DBC_OK)
		out = sqldbc_backup_begin_snapshot(ctx, db, deadline, false, source);
	if (out == DBC_OK) {
		/* from the database file where it is the snapshot, else through
		 * the backup API into the sink */
		bool direct = false;
		out = sqldbc_backup_stream_file(ctx, db, source->pages, deadline, take_pages, st, &direct);
		if (out == DBC_OK && !direct)
			out = sqldbc_backup_copy_pages(ctx, db, dest, deadline);
		if (out == DBC_OK && st->err == 0)
			out = sqldbc_backup_incr_content(ctx, db, deadline, base, st->pm, st->written, st->cap,
			                                 source);
		sqldbc_backup_end_read(db, ctx->host_data);
	}
	sqlite3_close(dest);
	if (out == DBC_OK && st->err)
		out = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the backup copy: %s",
		                st->err > 0 ? strerror(st->err) : "a page the copy needed again is gone");
	return out;
}

/* Reads the page-set file back: every record's page hashes as the sink
 * hashed it for that page (the last record of a page wins), every page of
 * the image is in the base or in the file, and the file's SHA-256. */
static int read_back(dbc_ctx *ctx, const char *tmp_path, sink_state *st, int64_t page_count,
                     int64_t header_len, int64_t record_len, dbc_backup_image *source)
{
	int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "cannot read the backup copy: %s",
		                 strerror(errno));
	dbc_sha256 *file = dbc_sha256_begin(ctx);
	size_t rec = (size_t)st->page_size + 4;
	unsigned char *buf = dbc_alloc(ctx, rec > (size_t)header_len ? rec : (size_t)header_len);
	int rc = file && buf ? DBC_OK : DBC_ERROR;
	if (rc == DBC_OK && (read(fd, buf, (size_t)header_len) != (ssize_t)header_len ||
	                     dbc_sha256_update(ctx, file, buf, (size_t)header_len) != DBC_OK))
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "the backup copy is short");
	unsigned char hash[DBC_PAGE_HASH];
	unsigned char *seen = rc == DBC_OK ? dbc_zalloc(ctx, (size_t)page_count + 1) : NULL;
	for (int64_t i = 0; rc == DBC_OK && i < st->records; i++) {
		if (read(fd, buf, rec) != (ssize_t)rec) {
			rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "the backup copy is short");
			break;
		}
		int64_t pgno = ((int64_t)buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3];
		if (dbc_sha256_update(ctx, file, buf, rec) != DBC_OK ||
		    dbc_page_hash(ctx, st->ph, buf + 4, (size_t)st->page_size, hash) != DBC_OK)
			rc = DBC_ERROR;
		else if (pgno < 1 || pgno > st->cap)
			rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "the backup copy names page %lld",
			               (long long)pgno);
		else if (pgno <= page_count)
			seen[pgno - 1] =
			    memcmp(hash, st->cur + (pgno - 1) * DBC_PAGE_HASH, DBC_PAGE_HASH) == 0 ? 1 : 2;
	}
	/* the record after the pages, and nothing after it */
	char *rec_bytes = rc == DBC_OK && record_len ? dbc_alloc(ctx, (size_t)record_len + 1) : NULL;
	if (rc == DBC_OK && record_len &&
	    (!rec_bytes || read(fd, rec_bytes, (size_t)record_len) != (ssize_t)record_len ||
	     dbc_sha256_update(ctx, file, rec_bytes, (size_t)record_len) != DBC_OK))
		rc = ctx->failed ? DBC_ERROR
		                 : dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "the backup copy is short");
	if (rc == DBC_OK && read(fd, buf, 1) != 0)
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "the backup copy has bytes after its end");
	close(fd);
	for (int64_t p = 0; rc == DBC_OK && p < page_count; p++) {
		bool in_base = p < st->nbase && memcmp(st->base + p * DBC_PAGE_HASH,
		                                       st->cur + p * DBC_PAGE_HASH, DBC_PAGE_HASH) == 0;
		if (seen[p] == 2 || (seen[p] == 0 && !in_base))
			rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			               "the backup copy failed verification: page %lld is not the page "
			               "that was copied",
			               (long long)p + 1);
	}
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (rc == DBC_OK) {
		rc = dbc_sha256_finish(ctx, file, hex);
		file = NULL;
	}
	if (file)
		dbc_sha256_abort(file);
	if (rc == DBC_OK && !(source->file_sha256 = dbc_strdup(ctx, hex)))
		rc = DBC_ERROR;
	return rc;
}

int sqldbc_backup_copy_changed(dbc_ctx *ctx, const char *tmp_path, const char *path,
                               int64_t timeout_ms, const dbc_backup_base *base,
                               dbc_backup_image *source)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	double deadline = dbc_monotonic_ms() + (double)timeout_ms;
	if (sqldbc_backup_prepare(ctx, db) != DBC_OK)
		return DBC_ERROR;
	base_hashes bh = {0};
	char *identity = sqldbc_backup_identity(ctx, db);
	if (!identity ||
	    sqldbc_backup_row_hashes(ctx, db, base->id, &bh.ph, &bh.data, &bh.pages) != DBC_OK)
		return DBC_ERROR;
	sink_state st = {.ctx = ctx, .ph = &bh.ph, .base = bh.data, .nbase = bh.pages, .fd = -1};
	if (!(st.pm = dbc_page_map_new(ctx, usable_size(db)))) {
		dbc_page_hasher_end(&bh.ph);
		return DBC_ERROR;
	}
	st.fd = open(tmp_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	int rc = DBC_OK;
	if (st.fd < 0)
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not open the backup copy: %s",
		               strerror(errno));
	/* the header's length does not depend on what it says */
	if (rc == DBC_OK && !write_header(st.fd, &st, 0, base->file_sha256, identity, path, true))
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the backup copy: %s",
		               strerror(errno));
	off_t header_len = rc == DBC_OK ? lseek(st.fd, 0, SEEK_CUR) : 0;
	if (rc == DBC_OK)
		rc = stream_pages(ctx, db, &st, deadline, base, source);
	int64_t page_count = source->pages;
	if (rc == DBC_OK && st.page_size == 0)
		st.page_size = 4096; /* an empty database: no page written */
	if (rc == DBC_OK && (page_count > st.cap || st.page_size <= 0))
		rc = dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "the page sink saw %lld pages of %lld",
		               (long long)st.cap, (long long)page_count);
	int64_t record_len = 0;
	if (rc == DBC_OK && !write_record(ctx, st.fd, source, &record_len))
		rc = ctx->failed ? DBC_ERROR
		                 : dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                             "could not write the backup copy: %s", strerror(errno));
	if (rc == DBC_OK &&
	    !write_header(st.fd, &st, page_count, base->file_sha256, identity, path, false))
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the backup copy: %s",
		               strerror(errno));
	if (st.fd >= 0 && close(st.fd) != 0 && rc == DBC_OK)
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the backup copy: %s",
		               strerror(errno));
	if (rc == DBC_OK)
		rc = read_back(ctx, tmp_path, &st, page_count, header_len, record_len, source);
	if (rc == DBC_OK) {
		source->bytes = page_count * st.page_size;
		source->pages_written = st.records;
		for (int64_t p = 0; p < page_count && p < st.nbase; p++)
			source->pages_kept +=
			    memcmp(st.base + p * DBC_PAGE_HASH, st.cur + p * DBC_PAGE_HASH, DBC_PAGE_HASH) == 0;
		/* the chain's form: this backup is the next one's base */
		dbc_buf hashes;
		dbc_buf_init(&hashes, ctx);
		dbc_page_hashes_begin(&hashes, &bh.ph);
		dbc_buf_appendn(&hashes, (const char *)st.cur, (size_t)page_count * DBC_PAGE_HASH);
		source->page_hashes_len = hashes.len;
		source->page_hashes = dbc_buf_finish(&hashes);
		if (!source->page_hashes)
			rc = DBC_ERROR;
		source->check = "ok";
	}
	dbc_page_hasher_end(&bh.ph);
	dbc_page_map_free(st.pm);
	sqlite3_free(st.cur);
	sqlite3_free(st.written);
	sqlite3_free(st.page1);
	sqlite3_free(st.scratch);
	return rc;
}

int sqldbc_backup_store_pages(dbc_ctx *ctx, int64_t id, const dbc_backup_image *img)
{
	if (!img->page_hashes)
		return DBC_OK;
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "UPDATE main.dbcare_backups SET page_hashes = ?1 WHERE id = ?2", -1,
	                       &st, NULL) != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, db, "could not record the backup's page hashes");
	sqlite3_bind_blob64(st, 1, img->page_hashes, img->page_hashes_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? DBC_OK
	                         : sqldbc_backup_db_error(ctx, db,
	                                                  "could not record the backup's page "
	                                                  "hashes");
}
