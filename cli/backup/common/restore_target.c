/*
 * restore_target.c — a restore never makes its database inside a
 * point-in-time log's directory (docs/backups.md, "Back to any moment"):
 * the directory holds only the log, and what else is there meets the
 * log's upkeep (a capture removes the base-*.db files no record names,
 * log prune deletes bases), so a database restored there could be deleted
 * by the very log it came from. A log directory is the DIR a log restore
 * reads, or any directory with a log.identity (the first capture writes
 * it), the target's own or one above it; paths are compared resolved
 * (symlinks, "..").
 */
#include "cli/backup/log/pitr.h"
#include "cli/common/files.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether dir is inside (or is) top, both resolved. */
static bool under(const char *dir, const char *top)
{
	size_t n = strlen(top);
	if (strcmp(top, "/") == 0)
		return true;
	return strncmp(dir, top, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/* The nearest directory at or above dir holding a log.identity (malloc'd),
 * or NULL. */
static char *log_dir_above(const char *dir)
{
	char *d = strdup(dir);
	while (d) {
		char probe[PATH_MAX];
		if (snprintf(probe, sizeof probe, "%s/log.identity", strcmp(d, "/") ? d : "") <
		        (int)sizeof probe &&
		    access(probe, F_OK) == 0)
			return d;
		char *slash = strrchr(d, '/');
		if (!slash || strcmp(d, "/") == 0)
			break;
		if (slash == d)
			d[1] = '\0';
		else
			*slash = '\0';
	}
	free(d);
	return NULL;
}

int cli_restore_before_connect(const cli_opts *o, const char *file)
{
	/* --to-time T DIR and --to-mark LABEL DIR read a log; restore FILE none */
	bool log = (o->to_time || o->to_mark) && o->nargs == 1;
	return cli_restore_target_check(file, log ? o->args[0] : NULL);
}

int cli_restore_target_check(const char *target, const char *log_dir)
{
	char *final = cli_final_target(target);
	if (!final) {
		cli_errorf("restore: the target %s: too many symlinks (a loop?)", target);
		return -1;
	}
	struct stat st;
	if (stat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
		cli_errorf("restore: the target %s is a directory: name the database file to restore "
		           "into (%s/NAME.db)",
		           target, target);
		free(final);
		return -1;
	}
	char *dir = cli_resolved_parent(final);
	free(final);
	if (!dir)
		return 0; /* no file of its own (:memory:): nowhere to clash */
	char *log = log_dir ? realpath(log_dir, NULL) : NULL;
	char *found = log && under(dir, log) ? strdup(log) : log_dir_above(dir);
	free(log);
	free(dir);
	if (!found)
		return 0;
	cli_errorf("restore: the target %s lies inside the point-in-time log directory %s: a "
	           "capture or log prune there deletes database files the log does not name; "
	           "restore to a path outside it",
	           target, found);
	free(found);
	return -1;
}
