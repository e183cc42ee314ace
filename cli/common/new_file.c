/*
 * new_file.c — a SQLite database file a command created, removed again
 * when the command fails (CMD_UNDO_NEW: a failed `dbcare restore FILE
 * --db sqlite:NEW` leaves nothing where nothing was). Opening the target
 * creates an empty file, and a write may add its -journal or -wal and
 * -shm; only the names that did not exist before the connection are
 * removed, and the database file only while it is still the one the
 * connection created (same device and inode): a file someone put there
 * in the meantime is never deleted.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sidecars[] = {"", "-journal", "-wal", "-shm"};

void cli_new_file_before(cli_new_file *nf, const char *file, bool wanted)
{
	struct stat st;
	*nf = (cli_new_file){0};
	if (!wanted || !file || lstat(file, &st) == 0)
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

void cli_new_file_undo(const cli_new_file *nf)
{
	struct stat st;
	if (!nf->created || lstat(nf->path, &st) != 0 || st.st_dev != nf->dev || st.st_ino != nf->ino)
		return;
	for (size_t i = 0; i < sizeof sidecars / sizeof *sidecars; i++) {
		char *p = NULL;
		if (!nf->existed[i] && asprintf(&p, "%s%s", nf->path, sidecars[i]) >= 0)
			(void)unlink(p);
		free(p);
	}
}
