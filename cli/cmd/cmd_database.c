/*
 * cmd_database.c — dbcare create and drop (as dbmate's): the database
 * itself. SQLite: the file (drop also removes its -wal, -shm and -journal
 * files). PostgreSQL: CREATE DATABASE / DROP DATABASE run from the server's
 * `postgres` database, with every other connection parameter of --db.
 * Both are idempotent: creating what exists or dropping what does not is
 * said on stderr and exits 0. create --install also runs CREATE EXTENSION
 * dbcare in the new PostgreSQL database.
 */
#include "cli/cli.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The database --db names (its dbname; NULL when it names none). */
static char *pg_dbname(const char *spec)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(spec, &perr);
	PQfreemem(perr);
	char *name = NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "dbname") == 0 && o->val && *o->val)
			name = strdup(o->val);
	PQconninfoFree(opts);
	if (!name && getenv("PGDATABASE") && *getenv("PGDATABASE"))
		name = strdup(getenv("PGDATABASE"));
	return name;
}

/* CREATE or DROP DATABASE from the `postgres` database of the server. */
static int pg_create_drop(const cli_target *t, cli_opts *o, bool create)
{
	char *name = pg_dbname(t->spec);
	if (!name) {
		cli_errorf("name the database to %s in --db (a URL's path or dbname=)",
		           create ? "create" : "drop");
		return CLI_USAGE;
	}
	/* the first dbname is expanded (the whole URL or conninfo), the second
	 * overrides only the database */
	const char *keys[] = {"dbname", "dbname", "fallback_application_name", NULL};
	const char *vals[] = {t->spec, "postgres", "dbcare", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	int rc = CLI_ERROR;
	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = strdup(PQerrorMessage(conn));
		if (msg) {
			cli_scrub(t->spec, msg);
			msg[strcspn(msg, "\n")] = '\0';
		}
		cli_errorf("cannot connect to the server of %s: %s", t->label, msg ? msg : "");
		free(msg);
		goto out;
	}
	const char *p[1] = {name};
	PGresult *res = PQexecParams(conn, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", 1,
	                             NULL, p, NULL, NULL, 0);
	bool exists = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	PQclear(res);
	if (exists == create) {
		cli_note(&o->out, "database \"%s\" %s", name, create ? "exists already" : "does not exist");
		rc = CLI_OK;
		goto out;
	}
	char *ident = PQescapeIdentifier(conn, name, strlen(name)), *sql = NULL;
	if (!ident || asprintf(&sql, "%s DATABASE %s", create ? "CREATE" : "DROP", ident) < 0)
		sql = NULL;
	PQfreemem(ident);
	res = sql ? PQexec(conn, sql) : NULL;
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		cli_errorf("%s", res ? PQresultErrorMessage(res) : "out of memory");
	} else {
		cli_note(&o->out, "%s database \"%s\"", create ? "created" : "dropped", name);
		rc = CLI_OK;
	}
	PQclear(res);
out:
	PQfinish(conn);
	free(name);
	return rc;
}

static int sqlite_create(const cli_target *t, cli_opts *o)
{
	if (access(t->spec, F_OK) == 0) {
		cli_note(&o->out, "database file \"%s\" exists already", t->spec);
		return CLI_OK;
	}
	sqlite3 *h = NULL;
	/* an empty file is no database yet for other tools: a schema page makes it one */
	int rc = sqlite3_open_v2(t->spec, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, "PRAGMA user_version = 0; VACUUM", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		cli_errorf("cannot create \"%s\": %s", t->spec, h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close_v2(h);
		return CLI_ERROR;
	}
	sqlite3_close_v2(h);
	cli_note(&o->out, "created database file \"%s\"", t->spec);
	return CLI_OK;
}

static int sqlite_drop(const cli_target *t, cli_opts *o)
{
	struct stat st;
	if (stat(t->spec, &st) != 0) {
		cli_note(&o->out, "database file \"%s\" does not exist", t->spec);
		return CLI_OK;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_errorf("\"%s\" is not a database file", t->spec);
		return CLI_ERROR;
	}
	static const char *const companions[] = {"-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof companions / sizeof companions[0]; i++) {
		char *p = NULL;
		if (asprintf(&p, "%s%s", t->spec, companions[i]) >= 0)
			(void)unlink(p); /* absent ones are fine */
		free(p);
	}
	if (unlink(t->spec) != 0) {
		cli_errorf("cannot remove \"%s\": %s", t->spec, strerror(errno));
		return CLI_ERROR;
	}
	cli_note(&o->out, "dropped database file \"%s\"", t->spec);
	return CLI_OK;
}

int cmd_create(cli_db *probe, cli_opts *o)
{
	const cli_target *t = probe->handle; /* run.c hands the target over */
	int rc = t->engine == CLI_ENGINE_PG ? pg_create_drop(t, o, true) : sqlite_create(t, o);
	if (rc != CLI_OK || !o->install || t->engine != CLI_ENGINE_PG)
		return rc;
	char *err = NULL;
	cli_db *db = cli_connect(t, &(cli_connect_opts){.install = true}, &err);
	if (!db) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: cannot connect");
		free(err);
		return CLI_ERROR;
	}
	cli_disconnect(db);
	return CLI_OK;
}

int cmd_drop(cli_db *probe, cli_opts *o)
{
	const cli_target *t = probe->handle;
	return t->engine == CLI_ENGINE_PG ? pg_create_drop(t, o, false) : sqlite_drop(t, o);
}
