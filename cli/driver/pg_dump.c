/*
 * pg_dump.c — the PostgreSQL driver's dump: runs pg_dump -Fc into a file
 * with the open connection's own parameters. Every parameter the
 * connection used goes to pg_dump through its libpq environment variable
 * (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ...) in the
 * child alone: the password is never on a command line (visible to every
 * user in the process list) nor printed.
 *
 * The dump never writes the target name itself: pg_dump writes a temporary
 * file created beside it (mkstemp: a new file, mode 0600, never a link),
 * which is synced and then given its name with link(), which never
 * replaces or follows whatever is at the name (a file, a symlink). A
 * failure, or a crash of pg_dump or of this command, leaves nothing under
 * the name; the temporary file is removed on every failure seen here.
 * Before it is named, pg_restore reads the whole archive back (the
 * verification a recorded backup claims). SIGINT, SIGTERM and SIGHUP that
 * reach this command while pg_dump or pg_restore runs are passed on to it,
 * and end the backup as a failure seen here: a stopped backup leaves no
 * temporary file and no tool running alone.
 */
#include "driver.h"
#include "cli/common/output.h"
#include "cli/common/tool.h"

#include "base/clock.h"
#include "base/file_sync.h"
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs pg_dump into file (in the snapshot when one is given). */
static int run_pg_dump(PGconn *conn, const char *file, const char *snapshot, char **err)
{
	PQconninfoOption *info = PQconninfo(conn);
	char *file_arg = NULL, *snapshot_arg = NULL;
	int rc = -1;
	if (!info || asprintf(&file_arg, "--file=%s", file) < 0 ||
	    (snapshot && asprintf(&snapshot_arg, "--snapshot=%s", snapshot) < 0))
		*err = cli_fmt_err("out of memory", NULL, NULL);
	else {
		const char *argv[] = {"pg_dump", "--format=custom", "--no-password",
		                      file_arg,  snapshot_arg,      NULL};
		cli_tool t = {.argv = argv,
		              .info = info,
		              .what = "pg_dump",
		              .watch = file,
		              .failed = "; nothing was recorded",
		              .out_fd = -1};
		rc = cli_run_tool(&t, err);
	}
	PQconninfoFree(info);
	free(file_arg);
	free(snapshot_arg);
	return rc;
}

/* The verification: pg_restore reads the whole archive back, its table of
 * contents and every data block (decompressed), writing the script it
 * would run to nowhere. A truncated or damaged archive fails it, and is
 * neither named nor recorded. */
static int verify_dump(const char *file, char **err)
{
	const char *argv[] = {"pg_restore", "--file=/dev/null", "--", file, NULL};
	cli_tool t = {.argv = argv,
	              .what = "reading the dump back with pg_restore",
	              .failed = "; nothing was recorded",
	              .out_fd = -1};
	return cli_run_tool(&t, err);
}

/* The directory part of path ("." when it has none). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Gives the complete, synced tmp its final name, then syncs the directory:
 * after a crash the name holds the whole dump or does not exist. */
static int publish(const char *tmp, const char *path, char **err)
{
	if (dbc_sync_path(tmp, O_RDONLY) != 0) {
		*err = cli_fmt_err("could not sync the dump", NULL, strerror(errno));
		return -1;
	}
	if (link(tmp, path) != 0) {
		*err = errno == EEXIST
		           ? cli_fmt_err(path, " exists already: a backup never replaces a file", NULL)
		           : cli_fmt_err("could not name the dump ", path, strerror(errno));
		return -1;
	}
	unlink(tmp);
	char *dir = dir_of(path);
	if (!dir || dbc_sync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
		int saved = dir ? errno : ENOMEM;
		unlink(path);
		*err = cli_fmt_err("could not sync the dump's directory", NULL, strerror(saved));
		free(dir);
		return -1;
	}
	free(dir);
	return 0;
}

int cli_pg_dump_schema(cli_db *db, const char *file, char **err)
{
	PQconninfoOption *info = PQconninfo((PGconn *)db->handle);
	char *file_arg = NULL;
	int rc = -1;
	if (!info || asprintf(&file_arg, "--file=%s", file) < 0)
		*err = cli_fmt_err("out of memory", NULL, NULL);
	else {
		/* the schema as dbmate writes it: plain SQL, no owners, no grants */
		const char *argv[] = {"pg_dump",         "--schema-only", "--no-owner", "--no-privileges",
		                      "--encoding=UTF8", "--no-password", file_arg,     NULL};
		cli_tool t = {.argv = argv,
		              .info = info,
		              .what = "pg_dump --schema-only",
		              .watch = file,
		              .failed = "; nothing was recorded",
		              .out_fd = -1};
		rc = cli_run_tool(&t, err);
		if (rc == 0) /* the same schema, the same file */
			rc = cli_dump_stable_restrict_key(file, err);
	}
	PQconninfoFree(info);
	free(file_arg);
	return rc;
}

int cli_pg_dump(cli_db *db, const char *path, const char *snapshot, char **err)
{
	/* a scratch file (a dump to seal): it has no name to publish */
	if (dbc_scratch_is(path)) {
		int rc = run_pg_dump((PGconn *)db->handle, path, snapshot, err);
		return rc == 0 ? verify_dump(path, err) : rc;
	}
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		*err = cli_fmt_err("out of memory", NULL, NULL);
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		*err = cli_fmt_err("could not create a file beside ", path, strerror(errno));
		free(tmp);
		return -1;
	}
	close(fd);
	int rc = run_pg_dump((PGconn *)db->handle, tmp, snapshot, err);
	if (rc == 0)
		rc = verify_dump(tmp, err);
	if (rc == 0)
		rc = publish(tmp, path, err);
	unlink(tmp); /* gone already after a publish */
	free(tmp);
	return rc;
}
