/*
 * cmd_dump.c — dbcare dump [FILE]: the schema as SQL in a file
 * (db/schema.sql by default, as dbmate writes it), for review in version
 * control; migrate and rollback write it after their work with
 * --dump-schema (--schema-file names another file). SQLite: every CREATE
 * statement of sqlite_schema in creation order, dbcare's own dbcare_*
 * objects left out; PostgreSQL: pg_dump --schema-only --no-owner
 * --no-privileges. Both end with the applied migrations as comments. The
 * file is written beside itself and renamed over the old one: a reader
 * never sees half a dump.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SCHEMA_FILE "db/schema.sql"

/* mkdir -p of path's folder. */
static int make_parent(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return -1;
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
				free(dir);
				return -1;
			}
			*p = '/';
		}
	free(dir);
	return 0;
}

static int sqlite_schema(cli_db *db, cli_opts *o, FILE *f)
{
	cli_rows r = {0};
	if (cli_q(
	        db, o,
	        "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL "
	        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'dbcare\\_%' ESCAPE '\\' "
	        "AND tbl_name NOT LIKE 'dbcare\\_%' ESCAPE '\\' ORDER BY rowid",
	        0, NULL, &r) != 0)
		return -1;
	for (int i = 0; i < r.nrows; i++)
		fprintf(f, "%s;\n", cli_cell(&r, i, 0));
	cli_rows_free(&r);
	return 0;
}

/* The applied migrations, as comments at the end of the dump. */
static int applied(cli_db *db, cli_opts *o, FILE *f)
{
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT version, name FROM dbmigrate_status() WHERE state = 'applied' "
	          "AND kind = 'versioned'",
	          0, NULL, &r) != 0)
		return -1;
	fputs("\n-- applied migrations (dbmigrate_status):\n", f);
	for (int i = 0; i < r.nrows; i++)
		fprintf(f, "--   %s %s\n", cli_cell(&r, i, 0),
		        cli_cell(&r, i, 1) ? cli_cell(&r, i, 1) : "");
	cli_rows_free(&r);
	return 0;
}

int cli_dump_schema(cli_db *db, cli_opts *o, const char *path)
{
	if (!path)
		path = o->schema_file ? o->schema_file : DEFAULT_SCHEMA_FILE;
	char *tmp = NULL;
	if (make_parent(path) != 0 || asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		cli_errorf("cannot create the folder of %s: %s", path, strerror(errno));
		return CLI_ERROR;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		cli_errorf("cannot write beside %s: %s", path, strerror(errno));
		free(tmp);
		return CLI_ERROR;
	}
	close(fd);
	int rc = -1;
	bool tool = db->drv->dump_schema != NULL; /* else listed from the catalog */
	if (tool) {
		char *err = NULL;
		rc = db->drv->dump_schema(db, tmp, &err);
		if (rc != 0) {
			fprintf(stderr, "%s\n", err ? err : "dbcare: pg_dump failed");
			free(err);
		}
	}
	FILE *f = fopen(tmp, tool ? "a" : "w");
	if (f && rc != 0 && !tool) {
		/* no file name: dumps of one schema are the same bytes from any file
		 * (dev.db, ci.db), so a CI diff of them means a schema change */
		fputs("-- the schema, written by dbcare dump\n", f);
		rc = sqlite_schema(db, o, f);
	}
	if (f && rc == 0)
		rc = applied(db, o, f);
	if (!f || fclose(f) != 0 || (rc == 0 && rename(tmp, path) != 0)) {
		if (rc == 0)
			cli_errorf("cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	unlink(tmp); /* gone after the rename */
	free(tmp);
	if (rc != 0)
		return CLI_ERROR;
	cli_note(&o->out, "schema written to %s", path);
	return CLI_OK;
}

int cmd_dump(cli_db *db, cli_opts *o)
{
	return cli_dump_schema(db, o, o->nargs ? o->args[0] : NULL);
}
