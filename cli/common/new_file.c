/*
 * new_file.c — a SQLite database file a command created, removed again
 * when the command fails (CMD_UNDO_NEW: a failed `dbcare restore FILE
 * --db sqlite:NEW` leaves nothing where nothing was). Opening the target
 * creates an empty file, and a write may add its -journal or -wal and
 * -shm; only the names that did not exist before the connection are
 * removed, and the database file only while it is still the one the
 * connection created (same device and inode): a file someone put there
 * in the meantime is never deleted. A dangling symlink's target is the
 * file the connection creates: that one is removed, the symlink kept.
 */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sidecars[] = {"", "-journal", "-wal", "-shm"};

char *cli_final_target(const char *path)
{
	char *cur = strdup(path);
	for (int hops = 0; cur && hops < 40; hops++) {
		struct stat st;
		char link[PATH_MAX];
		ssize_t n;
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode) ||
		    (n = readlink(cur, link, sizeof link - 1)) < 0)
			return cur;
		link[n] = '\0';
		char *slash = strrchr(cur, '/'), *next = NULL;
		/* a relative link is relative to the link's own directory */
		if (link[0] == '/' || !slash)
			next = strdup(link);
		else if (asprintf(&next, "%.*s/%s", (int)(slash - cur), cur, link) < 0)
			next = NULL;
		free(cur);
		cur = next;
	}
	free(cur);
	return NULL;
}

void cli_new_file_before(cli_new_file *nf, const char *file, bool wanted)
{
	struct stat st;
	*nf = (cli_new_file){0};
	if (!wanted || !file)
		return;
	/* a dangling symlink: opening it creates the file it names, which is
	 * then the new file (SQLite puts its -journal, -wal, -shm beside it) */
	if (lstat(file, &st) == 0 && S_ISLNK(st.st_mode) && stat(file, &st) != 0 && errno == ENOENT)
		file = nf->target = cli_final_target(file);
	if (!file || lstat(file, &st) == 0)
		return;
	nf->path = file;
	for (size_t i = 0; i < sizeof sidecars / sizeof *sidecars; i++) {
		char *p = NULL;
		nf->existed[i] = asprintf(&p, "%s%s", file, sidecars[i]) < 0 || lstat(p, &st) == 0;
		free(p);
	}
}

void cli_new_file_opened(cli_new_file *nf)
{
	struct stat st;
	if (nf->path && lstat(nf->path, &st) == 0 && S_ISREG(st.st_mode)) {
		nf->created = true;
		nf->dev = st.st_dev;
		nf->ino = st.st_ino;
	}
}

bool cli_new_file_undo(const cli_new_file *nf)
{
	struct stat st;
	bool removed = false;
	if (!nf->created || lstat(nf->path, &st) != 0 || st.st_dev != nf->dev || st.st_ino != nf->ino)
		return false;
	for (size_t i = 0; i < sizeof sidecars / sizeof *sidecars; i++) {
		char *p = NULL;
		if (!nf->existed[i] && asprintf(&p, "%s%s", nf->path, sidecars[i]) >= 0 && unlink(p) == 0 &&
		    i == 0)
			removed = true;
		free(p);
	}
	return removed;
}
