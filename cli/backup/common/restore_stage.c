/*
 * restore_stage.c — a SQLite restore into a new database is all or
 * nothing on disk: the restore runs on a staging file beside the target
 * (<target>.restoring-XXXXXX, made empty with mkstemp), and only once it
 * has succeeded and its connection is closed (the WAL checkpointed into
 * the file, no -journal or -wal left) is the file synced and renamed to
 * the target's name, never over a file that appeared meanwhile, and the
 * directory synced. Until that rename nothing is at the target's name: a
 * kill -9 at any moment leaves either no database or the whole restored
 * one, and the staging file's leftovers are deleted by the next restore
 * in that directory (restore_leftovers.c). A failed restore deletes them
 * at once, and so does a stop signal (SIGINT, SIGTERM, SIGHUP) from the
 * moment the staging file exists (stop_cleanup.c): the process then ends
 * of that signal.
 * An existing database is restored in place instead, inside
 * SQLite's own transaction (cli/driver/sqlite_restore.c); an existing
 * empty file (no page, no -journal or -wal) counts as new.
 */
#include "cli/cli.h"
#include "cli/backup/common/stop_cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sides[] = {"-journal", "-wal", "-shm"};
#define NSIDES (sizeof sides / sizeof *sides)

static bool exists(const char *path, const char *side)
{
	char *p = NULL;
	struct stat st;
	bool there = asprintf(&p, "%s%s", path, side) < 0 || lstat(p, &st) == 0;
	free(p);
	return there;
}

/* The directory of path (malloc'd). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return !slash          ? strdup(".")
	       : slash == path ? strdup("/")
	                       : strndup(path, (size_t)(slash - path));
}

static int sync_dir(const char *path)
{
	char *dir = dir_of(path);
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int cli_restore_stage_begin(cli_restore_stage *s, cli_opts *o, const char *file)
{
	struct stat st;
	*s = (cli_restore_stage){.guard = -1};
	/* a URI or an in-memory database has no file of its own to stage */
	if (!file || !*file || strcmp(file, ":memory:") == 0 || strncmp(file, "file:", 5) == 0)
		return 0;
	char *target = cli_final_target(file);
	if (!target) {
		cli_errorf("restore: the target %s: too many symlinks (a loop?)", file);
		return -1;
	}
	bool empty = lstat(target, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
	bool fresh = (lstat(target, &st) != 0 && errno == ENOENT) || empty;
	for (size_t i = 0; fresh && i < 2; i++) /* a -journal or -wal holds pages */
		fresh = !exists(target, sides[i]);
	if (!fresh) {
		free(target);
		return 0;
	}
	s->guard = cli_restore_guard(o, target);
	if (asprintf(&s->staging, "%s.restoring-XXXXXX", target) < 0) {
		s->staging = NULL;
		free(target);
		cli_restore_unguard(s->guard);
		s->guard = -1;
		cli_errorf("out of memory");
		return -1;
	}
	int fd = cli_stop_mkstemp(CLI_STOP_STAGING, s->staging);
	if (fd < 0) {
		cli_errorf("restore: cannot make the staging file %s: %s%s", s->staging, strerror(errno),
		           errno == ENOENT   ? " (the target's folder does not exist: make it first)"
		           : errno == EACCES ? " (this user may not write the target's folder)"
		                             : "");
		free(s->staging);
		s->staging = NULL; /* no file was made */
		cli_restore_stage_abandon(s);
		free(target);
		return -1;
	}
	/* the mode SQLite gives a database it creates (0644 less the umask) */
	mode_t mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0644 & ~mask);
	close(fd);
	s->target = target;
	s->replace = empty;
	return 0;
}

/* The commit point (stop signals held, cli_stop_commit): the staging file
 * renamed to the target and the directory synced. A new target: never over
 * a file another process made meanwhile. */
static int rename_into_place(void *arg)
{
	cli_restore_stage *s = arg;
	int moved = s->replace ? rename(s->staging, s->target)
	                       : renameat2(AT_FDCWD, s->staging, AT_FDCWD, s->target, RENAME_NOREPLACE);
	if (moved != 0)
		return -1;
	if (sync_dir(s->target) != 0)
		cli_errorf("WARNING: restore: the directory of %s could not be synced: %s", s->target,
		           strerror(errno));
	return 0;
}

/* The closed staging file synced, renamed to the target and the directory
 * synced; 0, or -1 after printing why (nothing at the target). */
static int move_into_place(cli_restore_stage *s)
{
	for (size_t i = 0; i < 2; i++)
		if (exists(s->staging, sides[i])) {
			cli_errorf("restore: the restored database %s still has its %s file after it was "
			           "closed: not moved to %s, nothing restored",
			           s->staging, sides[i], s->target);
			return -1;
		}
	int fd = open(s->staging, O_RDONLY | O_CLOEXEC);
	int synced = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
	if (synced != 0)
		cli_errorf("restore: cannot sync the restored database %s: %s; nothing restored",
		           s->staging, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (synced != 0)
		return -1;
	int moved = cli_stop_commit(CLI_STOP_STAGING, rename_into_place, s);
	if (moved != 0) {
		cli_errorf("restore: cannot move the restored database to %s: %s; nothing restored%s",
		           s->target, strerror(errno),
		           errno == EEXIST ? " (another process made that file while the restore ran)"
		                           : "");
		return -1;
	}
	free(s->staging);
	s->staging = NULL;
	return 0;
}

int cli_restore_stage_publish(cli_restore_stage *s)
{
	int rc = s->staging ? move_into_place(s) : 0;
	cli_restore_stage_abandon(s);
	return rc;
}

void cli_restore_stage_abandon(cli_restore_stage *s)
{
	/* the files go first: a signal meanwhile finds its handler armed */
	if (s->staging) {
		for (size_t i = 0; i < NSIDES; i++) {
			char *p = NULL;
			if (asprintf(&p, "%s%s", s->staging, sides[i]) >= 0)
				(void)unlink(p);
			free(p);
		}
		(void)unlink(s->staging);
	}
	cli_stop_track(CLI_STOP_STAGING, NULL);
	free(s->staging);
	free(s->target);
	cli_restore_unguard(s->guard);
	*s = (cli_restore_stage){.guard = -1};
}
