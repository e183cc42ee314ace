/*
 * backup_copy.c — the consistent copy of dbbackup_* (the hook copy of
 * core/backup's dbc_backup_hooks on SQLite), stamped and made a
 * standalone file.
 *
 * The copy: all of it inside one read transaction of the caller's
 * connection; in rollback-journal mode straight from the database file
 * (backup_exact.c), else through SQLite's online backup API. The read
 * transaction pins one snapshot (WAL) or holds the SHARED lock (rollback
 * journal), so no other connection's commit can make the backup restart:
 * stepped the usual way, between read transactions, the backup API starts
 * over whenever anyone writes the source and under steady writes never
 * finishes. The same snapshot gives the source's fingerprint at the
 * copy's moment, and either its row counts and content hashes or the
 * proof that the copy is that snapshot byte for byte (backup_exact.c; the
 * rows are then read once, from the copy). Steps of STEP_PAGES (chunks of
 * 256 pages from the file) let the deadline (backup.timeout_ms) and an
 * interrupt be checked. VACUUM INTO also copies consistently, but cannot run inside a
 * transaction -- the counts would come from another moment -- and rebuilds
 * every b-tree: with its quick_check, on the benchmark's 100 MB database it
 * took 1.8 times as long as this whole call with its verification
 * (test/bench/bench_backup.py, docs/benchmarks.md).
 */
#include "base/clock.h"
#include "backup_glue.h"
#include "sqlite/host/glue.h"
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The direct copy's writer: the snapshot's pages, appended to the copy's
 * file as they are read. */
typedef struct copy_out {
	int fd;
} copy_out;

static int write_pages(dbc_ctx *ctx, void *arg, int64_t first, const unsigned char *data, int64_t n,
                       int64_t page_size)
{
	(void)first;
	copy_out *out = arg;
	size_t left = (size_t)(n * page_size);
	while (left > 0) {
		ssize_t k = write(out->fd, data, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : ENOSPC;
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the backup copy: %s",
			                 e == ENOSPC || e == EFBIG ? "database or disk is full" : strerror(e));
		}
		data += k;
		left -= (size_t)k;
	}
	return DBC_OK;
}

static int open_copy(dbc_ctx *ctx, const char *tmp_path, sqlite3 **dest)
{
	if (sqlite3_open_v2(tmp_path, dest, SQLITE_OPEN_READWRITE, sqldbc_backup_vfs_for(tmp_path)) !=
	    SQLITE_OK) {
		sqldbc_backup_db_error(ctx, *dest, "could not open the backup copy");
		sqlite3_close(*dest);
		*dest = NULL;
		return DBC_ERROR;
	}
	/* the copy is synced once, whole, before it gets its name */
	return sqlite3_exec(*dest, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL,
	                    NULL) == SQLITE_OK
	           ? DBC_OK
	           : sqldbc_backup_db_error(ctx, *dest, "could not prepare the backup copy");
}

/* The copy, in the read transaction: where the database file is the
 * snapshot (backup_exact.c), its pages written straight to the copy's
 * file, which is then the snapshot byte for byte; else the online backup
 * API into dest, compared with the snapshot where it can be. Whether the
 * copy is the snapshot: source->content_from_copy (the rows are then read
 * once, from the copy; else here too, in the same snapshot). */
static int copy_snapshot(dbc_ctx *ctx, sqlite3 *db, const char *tmp_path, double deadline,
                         sqlite3 **dest, dbc_backup_image *source)
{
	copy_out out = {.fd = open(tmp_path, O_WRONLY | O_TRUNC | O_CLOEXEC)};
	if (out.fd < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not open the backup copy: %s",
		                 strerror(errno));
	bool direct = false;
	int rc =
	    sqldbc_backup_stream_file(ctx, db, source->pages, deadline, write_pages, &out, &direct);
	if (close(out.fd) != 0 && rc == DBC_OK && direct)
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not write the backup copy: %s",
		               strerror(errno));
	if (rc != DBC_OK || direct) {
		source->content_from_copy = direct;
		return rc;
	}
	bool same = false;
	rc = open_copy(ctx, tmp_path, dest);
	if (rc == DBC_OK)
		rc = sqldbc_backup_copy_pages(ctx, db, *dest, deadline);
	if (rc == DBC_OK)
		rc = sqldbc_backup_same_pages(ctx, db, *dest, source->pages, deadline, &same);
	int sqlite_rc = SQLITE_OK;
	source->content_from_copy = same;
	if (rc == DBC_OK && !same &&
	    sqldbc_backup_read_image(ctx, db, deadline, true, source, &sqlite_rc) != DBC_OK)
		rc = ctx->failed ? DBC_ERROR
		                 : sqldbc_backup_rc_error(ctx, db, sqlite_rc,
		                                          "could not read the database to back up");
	return rc;
}

int sqldbc_backup_copy(dbc_ctx *ctx, const char *tmp_path, const char *path, int64_t timeout_ms,
                       dbc_backup_image *source)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	double deadline = dbc_monotonic_ms() + (double)timeout_ms;
	if (sqldbc_backup_prepare(ctx, db) != DBC_OK)
		return DBC_ERROR;
	sqlite3 *dest = NULL;
	int rc = sqldbc_backup_begin_snapshot(ctx, db, deadline, false, source);
	if (rc == DBC_OK) {
		rc = copy_snapshot(ctx, db, tmp_path, deadline, &dest, source);
		sqldbc_backup_end_read(db, ctx->host_data);
	}
	/* a copy written straight from the file is opened once it is whole */
	if (rc == DBC_OK && !dest)
		rc = open_copy(ctx, tmp_path, &dest);
	/* a scratch file (a copy to seal) can have no -wal beside it */
	if (rc == DBC_OK && dbc_scratch_is(tmp_path))
		rc = sqldbc_backup_scratch_unwal(ctx, &dest, tmp_path);
	if (rc == DBC_OK) {
		char *identity = sqldbc_backup_identity(ctx, db);
		rc = identity ? sqldbc_backup_write_stamp(ctx, dest, identity, path) : DBC_ERROR;
	}
	/* a standalone file: a copy of a WAL database would want a -wal beside it */
	if (rc == DBC_OK &&
	    sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
		rc = sqldbc_backup_db_error(ctx, dest, "could not finish the backup copy");
	if (dest && sqlite3_close(dest) != SQLITE_OK && rc == DBC_OK)
		rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not close the backup copy");
	if (rc == DBC_OK) {
		int64_t page_size = 0;
		sqldbc_backup_int_pragma(db, "PRAGMA main.page_size", &page_size);
		source->bytes = source->pages * page_size;
	}
	return rc;
}
