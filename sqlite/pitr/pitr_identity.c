/*
 * pitr_identity.c — a log directory belongs to one database: DIR/log.identity
 * names it (its identity, the bookkeeping's random id, which copies of the
 * file keep, and the file's absolute path, which a copy does not), written
 * by the first capture into the directory. A capture of another database,
 * or of the same one under another path (a copy), is refused before it
 * writes anything: otherwise two databases' commits would interleave in
 * one log and `restore --to-time` would return the other one. A database
 * without bookkeeping when its log began ("identity -") that has gained
 * its identity since (any dbcare call that records, a drill with --db) is
 * the same database at the same path, as it was then: its log.identity
 * takes the identity.
 *
 * Built two ways (Makefile, PITR_SHARED): into the SQLite module, and with
 * DBC_PITR_LINKED into the command. It calls no SQLite routine, so nothing
 * in it differs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include "pitr_capture.h"

#include "base/file_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "identity <id or ->\npath <absolute path>\n" of this capture's database
 * (malloc'd; NULL: out of memory, or the path cannot be resolved). */
static char *identity_text(const pitr_capture *c)
{
	char *abs = realpath(c->db_path, NULL), *text = NULL;
	if (abs && asprintf(&text, "identity %s\npath %s\n",
	                    c->identity && c->identity[0] ? c->identity : "-", abs) < 0)
		text = NULL;
	free(abs);
	return text;
}

/* The file's text (malloc'd, at most 8 KiB), opened as a log's files are
 * (pitr_file_open); NULL with errno (ENOENT: none yet). */
static char *read_small(const char *path)
{
	int fd = pitr_file_open(path, NULL);
	if (fd < 0)
		return NULL;
	char *buf = malloc(8193);
	ssize_t n = buf ? read(fd, buf, 8192) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Written whole or not at all: a new temporary file (never a symlink's
 * target), synced, renamed. */
static int write_identity(const pitr_capture *c, const char *path, const char *text)
{
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -1;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), rc = -1;
	if (fd >= 0) {
		size_t n = strlen(text);
		rc = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0 ? 0 : -1;
		close(fd);
		if (rc == 0)
			rc = rename(tmp, path) == 0 && dbc_sync_path(c->dir, O_RDONLY | O_DIRECTORY) == 0 ? 0
			                                                                                  : -1;
	}
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Whether theirs names no identity and the path mine names: the same file,
 * which has gained its identity since. */
static bool gained_identity(const char *theirs, const char *mine)
{
	const char *none = "identity -\n";
	size_t eol = strcspn(mine, "\n");
	return strncmp(theirs, none, strlen(none)) == 0 && mine[eol] &&
	       strcmp(theirs + strlen(none), mine + eol + 1) == 0;
}

int pitr_identity_check(pitr_capture *c)
{
	char *mine = identity_text(c), *path = NULL;
	if (!mine || asprintf(&path, "%s/log.identity", c->dir) < 0) {
		pitr_say(c, PITR_SAY_ERROR, "log: cannot resolve the database's path %s: %s", c->db_path,
		         strerror(errno));
		free(mine);
		return -1;
	}
	int rc = 0;
	char *theirs = read_small(path);
	if (!theirs && errno == ENOENT) {
		if (write_identity(c, path, mine) != 0) {
			pitr_say(c, PITR_SAY_ERROR, "log: cannot write %s: %s", path, strerror(errno));
			rc = -1;
		}
	} else if (!theirs) {
		pitr_say(c, PITR_SAY_ERROR, "log: cannot read %s: %s", path, strerror(errno));
		rc = -1;
	} else if (strcmp(theirs, mine) != 0 && gained_identity(theirs, mine)) {
		if (write_identity(c, path, mine) != 0) {
			pitr_say(c, PITR_SAY_ERROR, "log: cannot write %s: %s", path, strerror(errno));
			rc = -1;
		}
	} else if (strcmp(theirs, mine) != 0) {
		pitr_say(c, PITR_SAY_ERROR,
		         "log: %s is the log of another database (log.identity: %s); nothing "
		         "captured from %s: give this database a log directory of its own",
		         c->dir, theirs, c->db_path);
		rc = -1;
	}
	free(theirs);
	free(mine);
	free(path);
	return rc;
}
