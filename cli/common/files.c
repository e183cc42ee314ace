/*
 * files.c — the command's small file helpers (see files.h).
 */
#include "files.h"

#include "cli/cli.h"
#include "base/heap_grow.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const dbc_dialect sqldbc_dialect, pgdbc_dialect;

static void *host_alloc(size_t n)
{
	return malloc(n);
}

const dbc_host cli_pg_files_host = {.dialect = &pgdbc_dialect, .alloc = host_alloc, .free = free};
const dbc_host cli_sqlite_files_host = {
    .dialect = &sqldbc_dialect, .alloc = host_alloc, .free = free};

const dbc_host *cli_text_host(void)
{
	return &cli_sqlite_files_host; /* its dialect is never asked */
}

/* The most the command reads of one file, as the core of a migration
 * file (core/migrate/migrate_files.c): a device or a pipe that never ends
 * (/dev/zero) is refused once past it, never read until memory runs out. */
#define MAX_READ_BYTES ((size_t)64 << 20)

char *cli_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_errorf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, len = 0, got;
	char *buf = malloc(cap);
	/* one byte past the limit tells a file of exactly the limit from a longer one */
	while (buf && len <= MAX_READ_BYTES && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			/* grown as every array, but never past the read limit */
			if (!dbc_grown_capacity(cap, len + 2, 1, 0, &cap) || cap > MAX_READ_BYTES + 2)
				cap = MAX_READ_BYTES + 2;
			char *more = realloc(buf, cap);
			if (!more)
				free(buf);
			buf = more;
		}
	}
	/* a read that failed (a directory, an I/O error) is no file's content */
	int e = ferror(f) ? errno : buf ? 0 : ENOMEM;
	fclose(f);
	if (e || len > MAX_READ_BYTES) {
		free(buf);
		if (e)
			cli_errorf("cannot read %s: %s", path, strerror(e));
		else
			cli_errorf("cannot read %s: larger than %zu MB", path, MAX_READ_BYTES >> 20);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

int cli_write_new_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		cli_errorf("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = strlen(text);
	bool ok = write(fd, text, n) == (ssize_t)n;
	if (close(fd) != 0 || !ok) {
		cli_errorf("cannot write %s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

FILE *cli_replace_open(cli_replace *r, const char *path)
{
	return cli_replace_open_mode(r, path, 0666);
}

FILE *cli_replace_open_mode(cli_replace *r, const char *path, mode_t mode)
{
	r->path = path;
	r->tmp = NULL;
	/* the temporary file made new with mode from its first byte: a
	 * leftover one (another mode, a link) is removed first */
	int fd = asprintf(&r->tmp, "%s.tmp", path) < 0 ? -1 : 0;
	if (fd == 0 && unlink(r->tmp) != 0 && errno != ENOENT)
		fd = -1;
	if (fd == 0)
		fd = open(r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	r->f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!r->f && fd >= 0)
		close(fd);
	if (!r->f) {
		cli_errorf("cannot write %s: %s", path, strerror(errno));
		free(r->tmp);
		r->tmp = NULL;
	}
	return r->f;
}

int cli_replace_close(cli_replace *r, bool ok)
{
	/* the bytes on disk before the name is theirs: a crash never leaves
	 * the path naming an empty or cut file */
	bool written = !ferror(r->f) && fflush(r->f) == 0 && (!ok || fsync(fileno(r->f)) == 0);
	written = (fclose(r->f) == 0) && written;
	bool renamed = ok && written && rename(r->tmp, r->path) == 0;
	if (ok && !renamed)
		cli_errorf("cannot write %s", r->path);
	if (!renamed)
		unlink(r->tmp);
	free(r->tmp);
	r->tmp = NULL;
	r->f = NULL;
	return renamed ? 0 : -1;
}

static const char *tree_top;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	if (!tree_top || strcmp(path, tree_top) != 0)
		remove(path);
	return 0;
}

void cli_remove_tree(const char *path, bool keep_top)
{
	tree_top = keep_top ? path : NULL;
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	tree_top = NULL;
}

char *cli_resolved_parent(const char *path)
{
	char *copy = strdup(path);
	char *dir = copy ? realpath(dirname(copy), NULL) : NULL;
	free(copy);
	return dir;
}

char *cli_resolved_path(const char *path)
{
	char *real = realpath(path, NULL);
	if (real)
		return real;
	char *dir = cli_resolved_parent(path), *b = strdup(path), *out = NULL;
	if (dir && b && asprintf(&out, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, basename(b)) < 0)
		out = NULL;
	free(dir);
	free(b);
	return out;
}
