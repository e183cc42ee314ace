/*
 * backup_file.c — the files of dbbackup_* (core/backup's dbc_backup_hooks on
 * SQLite): the consistent copy, reading a copy back, publishing it under
 * its final name, deleting it.
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
#define _XOPEN_SOURCE 700 /* realpath */
#include "backup/backup.h"
#include "base/clock.h"
#include "base/file_sync.h"
#include "base/sha256.h"
#include "backup_glue.h"
#include "conn.h"
#include "optional_api.h"
#include "container/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The SHA-256 of the file's bytes, read in chunks (not mapped: a file
 * truncated meanwhile would be a SIGBUS in the application's process; a
 * map of the copy's own file was measured slower: its page faults cost
 * more than the reads' copies); with img->hash_pages also every page's hash (a new
 * version 2 chain, core/backup/backup_page_hashes.c; the page size from the header; a
 * chunk is a whole number of pages of any size SQLite allows). */
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

static int file_sha256(dbc_ctx *ctx, const char *path, dbc_backup_image *img)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read backup %s: %s", path,
		                 strerror(errno));
	page_hashing p = {0};
	dbc_buf_init(&p.pages, ctx);
	int rc = DBC_OK;
	if (img->hash_pages && (dbc_page_hasher_new(ctx, &p.ph) != DBC_OK ||
	                        dbc_page_hashes_begin(&p.pages, &p.ph) != DBC_OK))
		rc = DBC_ERROR;
	if (rc == DBC_OK)
		rc = dbc_file_sha256(ctx, fd, dbc_printf(ctx, "backup %s", path),
		                     p.ph.version ? hash_pages : NULL, &p, hex);
	close(fd);
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

/* Whether name ends as make_temp's names do: ".tmp-" and mkstemp's six
 * letters or digits, after a name of at least one byte. */
static bool temp_name(const char *name)
{
	size_t n = strlen(name);
	if (n < 12 || strncmp(name + n - 11, ".tmp-", 5) != 0)
		return false;
	for (size_t i = n - 6; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return false;
	return true;
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

static int sqlite_inspect(dbc_ctx *ctx, const char *path, bool full, double deadline_ms,
                          dbc_backup_image *img)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read backup %s: %s", path,
		                 strerror(errno));
	if (!S_ISREG(st.st_mode))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup %s is not a regular file", path);
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
	if (temp_name(base ? base + 1 : path) || dbc_scratch_is(path))
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

/* ---------------------------------------------------------------- the stamp
 *
 * The catalog is a table of the database: a hostile file's rows can name
 * any path with any fingerprint (the schema of a database is easy to learn).
 * What makes a file deletable is in the file itself: every copy gets a
 * table STAMP_TABLE with one row, the canonical path of the database it
 * copies and the canonical path it is published under. Prune deletes a file
 * only when that row names the database prune runs on and the path the
 * catalog row names; a database that was not copied by this module has no
 * such row, and another database's copy names another database. */

static int exec_text(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Replaces whatever the copy has under the stamp's name (a database
 * restored from a copy has a stamp of its own) by this copy's stamp. */
static int write_stamp(dbc_ctx *ctx, sqlite3 *dest, const char *database, const char *path)
{
	sqlite3_db_config(dest, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(dest, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(dest,
	                            "SELECT upper(type), name FROM main.sqlite_schema"
	                            " WHERE name = '" STAMP_TABLE "' COLLATE NOCASE",
	                            -1, &st, NULL);
	char *drop = NULL;
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		drop = sqlite3_mprintf("DROP %s main.\"%w\"", (const char *)sqlite3_column_text(st, 0),
		                       (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && drop)
		rc = exec_text(dest, drop, NULL, NULL);
	sqlite3_free(drop);
	if (rc == SQLITE_OK)
		rc = exec_text(dest,
		               "CREATE TABLE main." STAMP_TABLE
		               " (source_database TEXT NOT NULL, backup_path TEXT NOT NULL)",
		               NULL, NULL);
	if (rc == SQLITE_OK)
		rc = exec_text(dest, "INSERT INTO main." STAMP_TABLE " VALUES (?1, ?2)", database, path);
	return rc == SQLITE_OK ? DBC_OK
	                       : sqldbc_backup_db_error(ctx, dest, "could not stamp the backup copy");
}

/* Whether db (a file opened read-only) carries the stamp of a copy of
 * database published as path. */
static bool stamped(sqlite3 *db, const char *database, const char *path)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
	                       "SELECT count(*), min(source_database), min(backup_path)"
	                       " FROM main." STAMP_TABLE,
	                       -1, &st, NULL) != SQLITE_OK)
		return false; /* no stamp table: not a copy this module made */
	bool ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == 1 &&
	          sqlite3_column_type(st, 1) == SQLITE_TEXT &&
	          sqlite3_column_type(st, 2) == SQLITE_TEXT && database[0] &&
	          strcmp((const char *)sqlite3_column_text(st, 1), database) == 0 &&
	          strcmp((const char *)sqlite3_column_text(st, 2), path) == 0;
	sqlite3_finalize(st);
	return ok;
}

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

static int sqlite_copy(dbc_ctx *ctx, const char *tmp_path, const char *path, int64_t timeout_ms,
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
		rc = identity ? write_stamp(ctx, dest, identity, path) : DBC_ERROR;
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

/* ---------------------------------------------------------------- files */

char *sqldbc_backup_dir_of(dbc_ctx *ctx, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return dbc_strdup(ctx, ".");
	if (slash == path)
		return dbc_strdup(ctx, "/");
	return dbc_strndup(ctx, path, (size_t)(slash - path));
}

/* path's directory resolved (realpath) + its last component. */
static int sqlite_canonical(dbc_ctx *ctx, const char *path, char **out)
{
	char *dir = sqldbc_backup_dir_of(ctx, path);
	if (!dir)
		return DBC_ERROR;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *real = realpath(dir, NULL);
	if (!real)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup directory %s does not exist", dir);
	*out = dbc_printf(ctx, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
	free(real);
	return *out ? DBC_OK : DBC_ERROR;
}

/* Whether canon (a canonical path) is file, its directory resolved and its
 * last component kept, or fully resolved, with suffix. */
static bool names_file(dbc_ctx *ctx, const char *canon, const char *file, const char *suffix)
{
	char *as_named = NULL, *real = realpath(file, NULL);
	char *resolved = real ? dbc_printf(ctx, "%s%s", real, suffix) : NULL;
	char *named = dbc_printf(ctx, "%s%s", file, suffix);
	bool same = resolved && strcmp(resolved, canon) == 0;
	free(real);
	if (!same && named && sqlite_canonical(ctx, named, &as_named) == DBC_OK)
		same = strcmp(as_named, canon) == 0;
	if (!same)
		dbc_error_clear(ctx); /* a directory that is gone names nothing */
	return same;
}

/* A backup written at a database's own file, or at the journal, WAL or
 * shared-memory file SQLite keeps beside it, would be taken by SQLite as
 * that file (a "-journal" is played back as a hot journal, or deleted), and
 * lost after it was recorded as verified: refused for main and every
 * attached database. */
static int refuse_database_files(dbc_ctx *ctx, const char *path)
{
	static const char *const sidecars[] = {"", "-journal", "-wal", "-shm", NULL};
	char *canon;
	if (sqlite_canonical(ctx, path, &canon) != DBC_OK)
		return DBC_ERROR;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sqldbc_call_conn(ctx)->db, "SELECT name, file FROM pragma_database_list",
	                       -1, &st, NULL) != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, sqldbc_call_conn(ctx)->db,
		                              "could not list the databases");
	int rc = DBC_OK;
	while (rc == DBC_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *file = (const char *)sqlite3_column_text(st, 1);
		if (!file || !file[0])
			continue; /* in memory, or temporary */
		for (int i = 0; sidecars[i] && rc == DBC_OK; i++)
			if (names_file(ctx, canon, file, sidecars[i])) {
				if (i == 0)
					dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
					          "backup path %s is the file of database %s", path, name);
				else
					dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
					          "backup path %s is the %s file of database %s", path, sidecars[i] + 1,
					          name);
				if (i > 0)
					dbc_error_detail(ctx,
					                 "SQLite keeps its %s file there, and would read a "
					                 "backup written at that name as its own, or delete "
					                 "it.",
					                 sidecars[i] + 1);
				dbc_error_hint(ctx, "Name a file of its own, or set backup.dir and pass no "
				                    "path.");
				rc = DBC_ERROR;
			}
	}
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_check_target(dbc_ctx *ctx, const char *path)
{
	struct stat st;
	if (refuse_database_files(ctx, path) != DBC_OK)
		return DBC_ERROR;
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup path %s is a directory", path);
			dbc_error_hint(ctx, "Name a file in it, or set backup.dir and pass no path.");
			return DBC_ERROR;
		}
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup file %s already exists", path);
	}
	char *dir = sqldbc_backup_dir_of(ctx, path);
	if (!dir)
		return DBC_ERROR;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup directory %s does not exist", dir);
	if (access(dir, W_OK | X_OK) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_PRIVILEGE, "backup directory %s is not writable: %s",
		                 dir, strerror(errno));
	return DBC_OK;
}

static int sqlite_make_temp(dbc_ctx *ctx, const char *path, char **tmp_path)
{
	char *t = dbc_printf(ctx, "%s.tmp-XXXXXX", path);
	if (!t)
		return DBC_ERROR;
	int fd = mkstemp(t);
	if (fd < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not create a file beside %s: %s", path,
		                 strerror(errno));
	close(fd);
	*tmp_path = t;
	return DBC_OK;
}

/* Empty (killed before the first page), pages without page 1 (SQLite
 * writes the header page last, at the copy's commit: the first 100 bytes
 * are still zero), or a database that is not another database's stamped
 * copy (a copy killed before its stamp has none). */
static bool own_leftover(dbc_ctx *ctx, const char *file, off_t size)
{
	static const char header[16] = "SQLite format 3";
	char head[100], zero[100] = {0};
	if (size == 0)
		return true;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	bool whole = read(fd, head, sizeof head) == (ssize_t)sizeof head;
	close(fd);
	if (whole && memcmp(head, zero, sizeof head) == 0)
		return true;
	if (!whole || memcmp(head, header, sizeof header) != 0)
		return false;
	char *identity = sqldbc_backup_identity(ctx, sqldbc_call_conn(ctx)->db);
	sqlite3 *h = NULL;
	bool ok = false;
	if (identity &&
	    sqlite3_open_v2(file, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) == SQLITE_OK) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(h, "SELECT source_database FROM main." STAMP_TABLE, -1, &st, NULL) !=
		    SQLITE_OK)
			ok = true; /* no stamp yet: the copy was killed before its end */
		else {
			ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
			     strcmp((const char *)sqlite3_column_text(st, 0), identity) == 0;
			sqlite3_finalize(st);
		}
	}
	sqlite3_close(h);
	return ok;
}

/* Whether any process holds a POSIX lock on the file (SQLite locks a
 * database it writes); the test is made on a descriptor of our own, which
 * takes no lock. */
static bool locked_by_anyone(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return true;
	struct flock fl = {0};
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	bool locked = fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type != F_UNLCK;
	close(fd);
	return locked;
}

static void sqlite_sweep_temps(dbc_ctx *ctx, const char *path, int64_t older_than_ms)
{
	char *dir = path[0] == '/' ? sqldbc_backup_dir_of(ctx, path) : NULL;
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d) {
		dbc_error_clear(ctx);
		return;
	}
	time_t now = time(NULL);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (!temp_name(e->d_name))
			continue;
		char *file = dbc_printf(ctx, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, e->d_name);
		struct stat st;
		if (!file || lstat(file, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
		    st.st_uid != geteuid() || (double)(now - st.st_mtime) * 1000.0 < (double)older_than_ms)
			continue;
		if (own_leftover(ctx, file, st.st_size) && !locked_by_anyone(file))
			unlink(file);
	}
	closedir(d);
	dbc_error_clear(ctx); /* best effort: nothing here fails the call */
}

/* A link gives the synced copy its name and fails when one is there: the
 * name never points at a half file, and never replaces another's file. */
static int sqlite_publish(dbc_ctx *ctx, const char *tmp_path, const char *path)
{
	if (dbc_sync_path(tmp_path, O_RDONLY) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not sync the backup copy: %s",
		                 strerror(errno));
	/* tmp is released only once the name is durable: on a failure the
	 * caller removes tmp, and a scratch file's descriptor must then still
	 * be ours to close (closed twice, it could be another thread's) */
	if (dbc_scratch_link(tmp_path, path) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not name the backup %s: %s", path,
		                 strerror(errno));
	char *dir = sqldbc_backup_dir_of(ctx, path);
	if (!dir) {
		unlink(path);
		return DBC_ERROR;
	}
	if (dbc_sync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
		int saved = errno;
		unlink(path);
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not sync directory %s: %s", dir,
		                 strerror(saved));
	}
	dbc_scratch_release(tmp_path);
	return DBC_OK;
}

static int sqlite_remove(dbc_ctx *ctx, const char *path, bool *existed)
{
	*existed = true;
	if (dbc_scratch_close(path) == 0)
		return DBC_OK; /* a scratch file: gone with its descriptor */
	if (unlink(path) == 0)
		return DBC_OK;
	if (errno == ENOENT) {
		*existed = false;
		return DBC_OK;
	}
	if (ctx->failed)
		return DBC_ERROR; /* cleaning up after an error: that error is the one to see */
	return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not delete backup %s: %s", path,
	                 strerror(errno));
}

static int sqlite_is_backup(dbc_ctx *ctx, const char *path, const char *fingerprint, bool *is,
                            bool *missing)
{
	struct stat st;
	*is = *missing = false;
	/* a relative row (recorded before paths were resolved) names no one
	 * file: never deleted */
	if (path[0] != '/')
		return DBC_OK;
	if (lstat(path, &st) != 0) {
		*missing = errno == ENOENT;
		return DBC_OK;
	}
	if (!S_ISREG(st.st_mode) || !fingerprint)
		return DBC_OK;
	char *identity = sqldbc_backup_identity(ctx, sqldbc_call_conn(ctx)->db);
	if (!identity)
		return DBC_ERROR;
	/* an incremental backup: the proof of origin is in its header (its
	 * pages hold no schema of their own to compare) */
	char *database, *published;
	/* a sealed backup: the proof is in its header, readable without the key */
	if (sqldbc_backup_sealed_is_own(ctx, path, is))
		return ctx->failed ? DBC_ERROR : DBC_OK;
	if (sqldbc_pageset_stamp(ctx, path, &database, &published)) {
		*is = identity[0] && strcmp(database, identity) == 0 && strcmp(published, path) == 0;
		return DBC_OK;
	}
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) ==
	    SQLITE_OK) {
		dbc_buf schema;
		dbc_buf_init(&schema, ctx);
		char hex[DBC_SHA256_HEX_LEN + 1];
		if (stamped(db, identity, path) &&
		    sqldbc_backup_rows_text(db, FINGERPRINT_SQL, &schema, NULL) == SQLITE_OK) {
			char *text = dbc_buf_finish(&schema);
			*is = text && dbc_sha256_hex(ctx, text, strlen(text), hex) == DBC_OK &&
			      strcmp(hex, fingerprint) == 0;
		}
	}
	sqlite3_close(db);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* A relative row is looked for beside the database file, never in the
 * process's working directory. */
static bool sqlite_exists(dbc_ctx *ctx, const char *path)
{
	struct stat st;
	if (path[0] != '/') {
		char *identity = sqldbc_backup_identity(ctx, sqldbc_call_conn(ctx)->db);
		char *dir = identity && identity[0] ? sqldbc_backup_dir_of(ctx, identity) : NULL;
		if (!dir)
			return false;
		path = dbc_printf(ctx, "%s/%s", dir, path);
		if (!path)
			return false;
	}
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The main database file's name without directory and extension
 * ("memory" for an in-memory database). */
static int sqlite_database_name(dbc_ctx *ctx, char **name)
{
	const char *file = sqlite3_db_filename(sqldbc_call_conn(ctx)->db, "main");
	if (!file || !file[0]) {
		*name = dbc_strdup(ctx, "memory");
		return *name ? DBC_OK : DBC_ERROR;
	}
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	const char *dot = strrchr(base, '.');
	*name =
	    dot && dot > base ? dbc_strndup(ctx, base, (size_t)(dot - base)) : dbc_strdup(ctx, base);
	return *name ? DBC_OK : DBC_ERROR;
}

/* A catalog made before the column existed has none until the next
 * changing call upgrades it; its rows read as recording no file SHA-256. */
static bool sqlite_records_file_sha256(dbc_ctx *ctx)
{
	return ctx->host->book_has_column(ctx, "dbcare_backups", "sha256");
}

/* The same for version 7's columns: the per-table content, the method,
 * the base and the page hashes (made together; the last one is asked). */
static bool sqlite_records_content(dbc_ctx *ctx)
{
	return ctx->host->book_has_column(ctx, "dbcare_backups", "page_hashes");
}

static int sqlite_catalog_exists(dbc_ctx *ctx, bool *exists)
{
	return sqldbc_table_probe(ctx, "main", "dbcare_backups", NULL, exists);
}

const dbc_backup_hooks sqldbc_backup_env = {
    .catalog_exists = sqlite_catalog_exists,
    .database_name = sqlite_database_name,
    .check_target = sqlite_check_target,
    .canonical = sqlite_canonical,
    .copy = sqlite_copy,
    .inspect = sqlite_inspect,
    .publish = sqlite_publish,
    .remove = sqlite_remove,
    .exists = sqlite_exists,
    .is_backup = sqlite_is_backup,
    .make_temp = sqlite_make_temp,
    .make_scratch = sqldbc_backup_make_scratch,
    .sweep_temps = sqlite_sweep_temps,
    .records_file_sha256 = sqlite_records_file_sha256,
    .records_content = sqlite_records_content,
    .copy_changed = sqldbc_backup_copy_changed,
    .materialize = sqldbc_backup_materialize,
    .store_pages = sqldbc_backup_store_pages,
    .check_pages = sqldbc_backup_check_pages,
    .pageset_base = sqldbc_pageset_base,
    .pageset_record = sqldbc_pageset_record,
    .seal = sqldbc_backup_seal,
    .is_sealed = sqldbc_backup_is_sealed,
    .unseal = sqldbc_backup_unseal,
    .sealed_plain_sha256 = sqldbc_backup_sealed_plain_sha256,
    .sealed_origin_mismatch = sqldbc_backup_sealed_origin_mismatch,
    .foreign_key_check = sqldbc_backup_fk_check,
};
