/*
 * backup_sweep.c — removing the temporary files of copies killed before
 * their end (the hook sweep_temps): only this user's, old enough, unlocked,
 * and either not yet a database or a copy of this one. Best effort.
 */
#include "backup_glue.h"
#include "sqlite/host/glue.h"

#include "container/container.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
		if (own_leftover(ctx, file, st.st_size) && !locked_by_anyone(file))
			unlink(file);
	}
	closedir(d);
	dbc_error_clear(ctx); /* best effort: nothing here fails the call */
}
