/*
 * restore_leftovers.c — what a killed `dbcare restore` leaves: the
 * temporary file of its safety backup (<db>.before-restore-<time>Z.db
 * .tmp-XXXXXX, a plain copy of the live database beside it), which no
 * later backup of another name ever sweeps, and the staging file of a
 * restore into a new database (<db>.restoring-XXXXXX, restore_stage.c)
 * with its -journal, -wal, -shm and point-in-time image (.pitr-XXXXXX). Each restore holds a shared
 * flock on the database's directory while it runs; the next one that gets
 * it exclusively (no restore of a database there is running) deletes
 * such files first: regular files of this user, named so, with one link
 * (never a published backup) and no POSIX lock on them (no SQLite
 * connection is writing one). flock and SQLite's POSIX locks do not meet;
 * the lock is on a descriptor of the directory, never of the database (a
 * close of a descriptor of the database would drop SQLite's locks).
 */
#include "cli/cli.h"
#include "container/container.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether name is base + ".before-restore-" ... ".db" and a temporary
 * file's tail (dbc_scratch_temp_name): a safety backup's temporary name. */
static bool safety_temp(const char *name, const char *base)
{
	size_t nb = strlen(base), n = strlen(name);
	static const char mid[] = ".before-restore-", tail[] = ".db.tmp-";
	return n >= nb + sizeof mid - 1 + sizeof tail - 1 + 6 && strncmp(name, base, nb) == 0 &&
	       strncmp(name + nb, mid, sizeof mid - 1) == 0 &&
	       strncmp(name + n - 6 - (sizeof tail - 1), tail, sizeof tail - 1) == 0 &&
	       dbc_scratch_temp_name(name);
}

/* Whether name is n letters or digits (mkstemp's XXXXXX) at p, and the
 * rest after them one of a database file's own names: "" or its -journal,
 * -wal, -shm. */
static bool temp_letters(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9')))
			return false;
	return true;
}

static bool database_side(const char *rest)
{
	return !*rest || strcmp(rest, "-journal") == 0 || strcmp(rest, "-wal") == 0 ||
	       strcmp(rest, "-shm") == 0;
}

/* A point-in-time image's name: ".pitr-XXXXXX" and a database side. */
static bool pitr_image(const char *p)
{
	static const char pitr[] = ".pitr-";
	return strncmp(p, pitr, sizeof pitr - 1) == 0 && strlen(p) >= sizeof pitr - 1 + 6 &&
	       temp_letters(p + sizeof pitr - 1, 6) && database_side(p + sizeof pitr - 1 + 6);
}

/* Whether name is what a killed restore into a new database left (a
 * staging file, restore_stage.c, base + ".restoring-XXXXXX", its sides
 * and the point-in-time image built beside it), or the image and its
 * sides a point-in-time restore built beside base itself. */
static bool staging_leftover(const char *name, const char *base)
{
	static const char mid[] = ".restoring-";
	size_t nb = strlen(base);
	if (strncmp(name, base, nb) != 0)
		return false;
	const char *p = name + nb;
	if (pitr_image(p))
		return true;
	if (strncmp(p, mid, sizeof mid - 1) != 0 || strlen(p) < sizeof mid - 1 + 6 ||
	    !temp_letters(p + sizeof mid - 1, 6))
		return false;
	p += sizeof mid - 1 + 6;
	return database_side(p) || pitr_image(p);
}

static bool posix_locked(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return true;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	bool locked = fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type != F_UNLCK;
	close(fd);
	return locked;
}

static int sweep(cli_opts *o, int dirfd, const char *base)
{
	int dup_fd = dup(dirfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	int removed = 0;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return 0;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		struct stat st;
		if (!(safety_temp(e->d_name, base) || staging_leftover(e->d_name, base)) ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_nlink != 1 || st.st_uid != geteuid() || posix_locked(dirfd, e->d_name))
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0) {
			cli_note(&o->out, "deleted %s, left by a restore that was killed", e->d_name);
			removed++;
		}
	}
	closedir(d);
	return removed;
}

int cli_restore_guard(cli_opts *o, const char *main_file)
{
	if (!main_file || !*main_file)
		return -1;
	char *copy = strdup(main_file);
	if (!copy)
		return -1;
	char *slash = strrchr(copy, '/');
	const char *dir = !slash ? "." : slash == copy ? "/" : copy;
	const char *base = slash ? slash + 1 : copy;
	if (slash && slash != copy)
		*slash = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			sweep(o, fd, base);
		/* held shared until the restore ends (cli_restore_unguard) */
		if (flock(fd, LOCK_SH) != 0) {
			close(fd);
			fd = -1;
		}
	}
	free(copy);
	return fd;
}

void cli_restore_unguard(int fd)
{
	if (fd >= 0)
		close(fd);
}
