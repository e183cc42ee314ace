/*
 * database_pg.c — dbcare create and drop on PostgreSQL: CREATE DATABASE /
 * DROP DATABASE run from the server's `postgres` database, with every
 * other connection parameter of --db (conn.h: cli_target_create).
 */
#include "conn.h"
#include "database.h"
#include "cli/common/output.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

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

/* A connection to the `postgres` database of the server --db names; NULL
 * after saying why. */
static PGconn *server_conn(const cli_target *t)
{
	/* the first dbname is expanded (the whole URL or conninfo), the second
	 * overrides only the database */
	const char *keys[] = {"dbname", "dbname", "fallback_application_name", NULL};
	const char *vals[] = {t->spec, "postgres", "dbcare", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) == CONNECTION_OK)
		return conn;
	char *msg = strdup(PQerrorMessage(conn));
	if (msg) {
		cli_scrub(t->spec, msg);
		msg[strcspn(msg, "\n")] = '\0';
	}
	cli_errorf("cannot connect to the server of %s: %s", t->label, msg ? msg : "");
	free(msg);
	PQfinish(conn);
	return NULL;
}

static bool database_exists(PGconn *conn, const char *name)
{
	const char *p[1] = {name};
	PGresult *res = PQexecParams(conn, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", 1,
	                             NULL, p, NULL, NULL, 0);
	bool exists = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	PQclear(res);
	return exists;
}

/* CREATE or DROP DATABASE name (quoted as an identifier). */
static int create_drop(PGconn *conn, cli_out *out, const char *name, bool create)
{
	char *ident = PQescapeIdentifier(conn, name, strlen(name)), *sql = NULL;
	if (!ident || asprintf(&sql, "%s DATABASE %s", create ? "CREATE" : "DROP", ident) < 0)
		sql = NULL;
	PQfreemem(ident);
	PGresult *res = sql ? PQexec(conn, sql) : NULL;
	free(sql);
	int rc = CLI_DB_FAILED;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		cli_errorf("%s", res ? PQresultErrorMessage(res) : "out of memory");
	} else {
		cli_note(out, "%s database \"%s\"", create ? "created" : "dropped", name);
		rc = CLI_DB_DONE;
	}
	PQclear(res);
	return rc;
}

int cli_pg_create_drop(const cli_target *t, cli_out *out, bool create)
{
	char *name = pg_dbname(t->spec);
	if (!name) {
		cli_errorf("name the database to %s in --db (a URL's path or dbname=)",
		           create ? "create" : "drop");
		return CLI_DB_UNNAMED;
	}
	PGconn *conn = server_conn(t);
	int rc = CLI_DB_FAILED;
	if (conn && database_exists(conn, name) == create) {
		cli_note(out, "database \"%s\" %s", name, create ? "exists already" : "does not exist");
		rc = CLI_DB_DONE;
	} else if (conn) {
		rc = create_drop(conn, out, name, create);
	}
	PQfinish(conn);
	free(name);
	return rc;
}
