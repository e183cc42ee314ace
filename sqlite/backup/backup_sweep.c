/*
 * backup_sweep.c — removing the temporary files of copies killed before
 * their end (the hook sweep_temps): only this user's, old enough, unlocked,
 * and either not yet a database or a copy of this one. Best effort.
 */
#include "backup_glue.h"
#include "sqlite/host/glue.h"

#include "base/file_uri.h"
#include "container/container.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The text of the first row of sql on h, or NULL (no such table or row). */
static char *first_text(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	char *out = NULL;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

/* Whether the database whose first 100 bytes are head is cut short: fewer
 * than size bytes where its header's page count (when valid: its change
 * counter is the one it was written at) says more. A copy streamed from
 * the file is written page 1 first, and killed, is one. */
static bool cut_short(const unsigned char *head, off_t size)
{
	uint32_t page_size = (uint32_t)head[16] << 8 | head[17];
	uint32_t pages =
	    (uint32_t)head[28] << 24 | (uint32_t)head[29] << 16 | (uint32_t)head[30] << 8 | head[31];
	if (page_size == 1)
		page_size = 65536;
	return memcmp(head + 24, head + 92, 4) == 0 && pages > 0 &&
	       (uint64_t)size < (uint64_t)pages * page_size;
}

/* Empty (killed before the first page), pages without page 1 (SQLite
 * writes the header page last, at the copy's commit: the first 100 bytes
 * are still zero), a database cut short (a streamed copy killed), or a
 * copy of this database: stamped as this one's, or killed before its
 * stamp (written after the copy is whole) and then holding this
 * database's identity in its bookkeeping, which copies keep. Any other
 * whole database stays, stamped or not: another database's copy, or
 * someone's file that only looks like a temporary name. */
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
	if (cut_short((const unsigned char *)head, size))
		return true;
	char *identity = sqldbc_backup_identity(ctx, sqldbc_call_conn(ctx)->db);
	/* immutable: read as it is, without locks and without a -wal or -shm
	 * made beside it, which a read-only open of a file whose header says
	 * WAL makes and leaves */
	char *uri = dbc_file_uri(file, "immutable=1");
	sqlite3 *h = NULL;
	bool ok = false;
	if (identity && uri &&
	    sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW,
	                    NULL) == SQLITE_OK) {
		char *stamp = first_text(h, "SELECT source_database FROM main." STAMP_TABLE);
		char *own_id = stamp ? NULL : sqldbc_book_database_id(ctx);
		char *copy_id = own_id ? first_text(h, "SELECT database_id FROM main.dbcare_bookkeeping"
		                                       " WHERE id = 1")
		                       : NULL;
		ok = stamp ? strcmp(stamp, identity) == 0 : own_id && copy_id && !strcmp(own_id, copy_id);
		sqlite3_free(stamp);
		sqlite3_free(copy_id);
	}
	sqlite3_close(h);
	free(uri);
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

void sqldbc_backup_sweep_temps(dbc_ctx *ctx, const char *path, int64_t older_than_ms)
{
	char *dir = path[0] == '/' ? sqldbc_backup_dir_of(ctx, path) : NULL;
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d) {
		dbc_error_clear(ctx);
		return;
	}
	time_t now = time(NULL);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (!dbc_scratch_temp_name(e->d_name))
			continue;
		char *file = dbc_printf(ctx, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, e->d_name);
		struct stat st;
		if (!file || lstat(file, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
		    st.st_uid != geteuid() || (double)(now - st.st_mtime) * 1000.0 < (double)older_than_ms)
			continue;
		if (!own_leftover(ctx, file, st.st_size) || locked_by_anyone(file))
			continue;
		/* with what a copy killed in WAL mode left beside it */
		unlink(file);
		for (const char *const *side = (const char *const[]){"-wal", "-shm", "-journal", NULL};
		     *side; side++) {
			char *beside = dbc_printf(ctx, "%s%s", file, *side);
			if (beside)
				unlink(beside);
		}
	}
	closedir(d);
	dbc_error_clear(ctx); /* best effort: nothing here fails the call */
}
