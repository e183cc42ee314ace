/*
 * pg_scratch.c — a scratch database on the server of the open connection,
 * where verification restores a dump and reads its content back. Its name
 * is dbcare_verify_<pid>_<time>, which no application database has; the
 * caller drops it on every path (cli_pg_scratch_drop), and a crash of this
 * command may leave one, which nothing else uses.
 */
#include "pg_backup.h"
#include "tool.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_pg_scratch_create(cli_db *db, cli_opts *o, char **name)
{
	char *sql = NULL;
	*name = NULL;
	if (asprintf(name, "dbcare_verify_%ld_%ld", (long)getpid(), (long)time(NULL)) < 0 ||
	    asprintf(&sql, "CREATE DATABASE %s TEMPLATE template0", *name) < 0) {
		free(*name);
		*name = NULL;
		return -1;
	}
	int rc = cli_q(db, o, sql, 0, NULL, NULL);
	free(sql);
	if (rc != 0) {
		free(*name);
		*name = NULL;
	}
	return rc;
}

void cli_pg_scratch_drop(cli_db *db, cli_opts *o, const char *name)
{
	char *sql = NULL;
	if (!name || asprintf(&sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name) < 0)
		return;
	cli_q(db, o, sql, 0, NULL, NULL);
	free(sql);
}

cli_db *cli_pg_scratch_connect(cli_db *db, const char *name)
{
	PQconninfoOption *info = PQconninfo((PGconn *)db->handle);
	int n = 0;
	for (PQconninfoOption *i = info; i && i->keyword; i++)
		n++;
	const char **keys = calloc((size_t)n + 2, sizeof(char *));
	const char **vals = calloc((size_t)n + 2, sizeof(char *));
	cli_db *s = NULL;
	PGconn *conn = NULL;
	if (!info || !keys || !vals)
		goto out;
	int k = 0;
	for (PQconninfoOption *i = info; i->keyword; i++) {
		if (!i->val || strcmp(i->keyword, "dbname") == 0)
			continue;
		keys[k] = i->keyword;
		vals[k++] = i->val;
	}
	keys[k] = "dbname";
	vals[k++] = name;
	conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = PQerrorMessage(conn);
		cli_errorf("cannot connect to the scratch database %s: %.*s", name, (int)strcspn(msg, "\n"),
		           msg);
		goto out;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		goto out;
	s->drv = &cli_pg_driver;
	s->handle = conn;
	s->label = strdup(name);
	conn = NULL;
out:
	PQfinish(conn);
	PQconninfoFree(info);
	free(keys);
	free(vals);
	return s;
}

int cli_pg_restore_into(cli_db *db, const char *file, const char *name, char **err)
{
	PQconninfoOption *info = PQconninfo((PGconn *)db->handle);
	char *target = NULL;
	int rc = -1;
	if (!info || asprintf(&target, "--dbname=%s", name) < 0) {
		*err = cli_fmt_err("out of memory", NULL, NULL);
	} else {
		/* owners and grants name roles the server may not have; the rows
		 * are what verification compares */
		const char *argv[] = {"pg_restore",
		                      "--exit-on-error",
		                      "--no-owner",
		                      "--no-privileges",
		                      "--no-password",
		                      target,
		                      "--",
		                      file,
		                      NULL};
		cli_tool t = {.argv = argv,
		              .info = info,
		              .what = "pg_restore into the scratch database",
		              .failed = "; the dump does not restore",
		              .out_fd = -1};
		rc = cli_run_tool(&t, err);
	}
	PQconninfoFree(info);
	free(target);
	return rc;
}
