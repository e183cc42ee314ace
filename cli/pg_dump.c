/*
 * pg_dump.c — the PostgreSQL driver's dump: runs pg_dump -Fc into a file
 * with the open connection's own parameters. Every parameter the
 * connection used goes to pg_dump through its libpq environment variable
 * (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ...) in the
 * child alone: the password is never on a command line (visible to every
 * user in the process list) nor printed.
 */
#include "driver.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *fmt_err(const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, "dbcare: %s%s", a, b ? b : "") < 0)
		return NULL;
	return s;
}

int cli_pg_dump(cli_db *db, const char *path, char **err)
{
	PQconninfoOption *info = PQconninfo((PGconn *)db->handle);
	if (!info) {
		*err = fmt_err("out of memory", NULL);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		PQconninfoFree(info);
		*err = fmt_err("cannot start pg_dump: ", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* the child: only the connection's parameters, none inherited */
		for (PQconninfoOption *o = info; o->keyword; o++)
			if (o->envvar)
				unsetenv(o->envvar);
		for (PQconninfoOption *o = info; o->keyword; o++)
			if (o->envvar && o->val && *o->val)
				setenv(o->envvar, o->val, 1);
		execlp("pg_dump", "pg_dump", "--format=custom", "--no-password", "--file", path,
		       (char *)NULL);
		fprintf(stderr, "dbcare: cannot run pg_dump (is it on PATH?): %s\n", strerror(errno));
		_exit(127);
	}
	PQconninfoFree(info);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(path); /* never a partial dump under the name */
		*err = fmt_err("pg_dump failed; nothing was recorded", NULL);
		return -1;
	}
	return 0;
}
