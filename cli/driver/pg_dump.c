/*
 * pg_dump.c — the PostgreSQL driver's dump: runs pg_dump -Fc into a file
 * with the open connection's own parameters, and reads a dump back. Every
 * parameter the connection used goes to pg_dump through its libpq
 * environment variable (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD,
 * PGSSLMODE, ...) in the child alone: the password is never on a command
 * line (visible to every user in the process list) nor printed.
 *
 * Where the dump goes, when it is read back and when it gets its name is
 * the backup flow's (core/backup/backup_tool.h; the command's hooks in
 * backup_pg_dump.c and backup_files.c). SIGINT, SIGTERM and SIGHUP that
 * reach this command while pg_dump or pg_restore runs are passed on to it,
 * and end the backup as a failure seen here.
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
static int run_pg_dump(PGconn *conn, const char *file, const char *snapshot, bool uncompressed,
                       char **err)
{
	PQconninfoOption *info = PQconninfo(conn);
	char *file_arg = NULL, *snapshot_arg = NULL;
	int rc = -1;
	if (!info || asprintf(&file_arg, "--file=%s", file) < 0 ||
	    (snapshot && asprintf(&snapshot_arg, "--snapshot=%s", snapshot) < 0))
		*err = cli_fmt_err("out of memory", NULL, NULL);
	else {
		const char *argv[] = {"pg_dump",
		                      "--format=custom",
		                      "--no-password",
		                      uncompressed ? "--compress=0" : file_arg,
		                      uncompressed ? file_arg : snapshot_arg,
		                      uncompressed ? snapshot_arg : NULL,
		                      NULL};
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

int cli_pg_dump(cli_db *db, const char *path, const char *snapshot, bool uncompressed, char **err)
{
	return run_pg_dump((PGconn *)db->handle, path, snapshot, uncompressed, err);
}

int cli_pg_dump_read_back(const char *file, char **err)
{
	return verify_dump(file, err);
}
