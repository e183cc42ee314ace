/*
 * pg_scratch.c — the scratch role and database a dump is restored into for
 * verification (pg_backup.h, docs/security.md). The dump holds its owners'
 * code (CHECK constraints and domain checks run by COPY, index and
 * generated-column expressions, materialized views): it runs as the
 * scratch role, a role with LOGIN and no other attribute that owns the
 * scratch database and everything restored, and that pg_restore logs in
 * as with a one-time password. A restore by the verifier with SET ROLE
 * (pg_restore --role) would not do: the restored code could RESET ROLE.
 *
 * Both are named dbcare_verify_<backend pid>_<epoch s>, the server process
 * of the verifying connection and the time: while that connection lives
 * (same pid, started before that time) they are in use; once it ended
 * they are leftovers of a killed verify, which the next verify drops.
 */
#include "pg_dump.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/common/tool.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Leftovers: a scratch name whose verifying connection has ended, that the
 * current role may drop (a member of it: it made it; or a superuser). The
 * name's parts are only digits: the pattern checks it. */
static const char leftover_sql[] =
    "SELECT s.name, EXISTS (SELECT FROM pg_catalog.pg_database d WHERE d.datname = s.name)"
    " FROM (SELECT datname AS name FROM pg_catalog.pg_database"
    "  UNION SELECT rolname FROM pg_catalog.pg_roles) s"
    " WHERE s.name ~ '^dbcare_verify_[0-9]{1,9}_[0-9]{1,12}$'"
    "   AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a"
    "    WHERE a.pid = CAST(pg_catalog.split_part(s.name, '_', 3) AS int)"
    "      AND (a.backend_start IS NULL OR a.backend_start < pg_catalog.to_timestamp("
    "       CAST(pg_catalog.split_part(s.name, '_', 4) AS bigint) + 1)))"
    "   AND ((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER)"
    "     OR EXISTS (SELECT FROM pg_catalog.pg_roles r"
    "      WHERE r.rolname = s.name AND pg_catalog.pg_has_role(r.oid, 'MEMBER')))"
    " ORDER BY 1";

static void exec_name(cli_db *db, cli_opts *o, const char *fmt, const char *name)
{
	char *sql = NULL;
	if (asprintf(&sql, fmt, name) >= 0)
		cli_q(db, o, sql, 0, NULL, NULL);
	free(sql);
}

void cli_pg_scratch_leftovers(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (cli_q(db, o, leftover_sql, 0, NULL, &r) != 0)
		return;
	for (int i = 0; i < r.nrows; i++) {
		const char *name = cli_cell(&r, i, 0), *has_db = cli_cell(&r, i, 1);
		cli_note(&o->out, "dropping %s, left by a verify that was stopped", name);
		if (has_db && strcmp(has_db, "true") == 0)
			exec_name(db, o, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
		exec_name(db, o, "DROP ROLE IF EXISTS %s", name);
	}
	cli_rows_free(&r);
}

static int random_hex(char *out, size_t bytes)
{
	unsigned char buf[64];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, bytes) : -1;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)bytes)
		return -1;
	for (size_t i = 0; i < bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
	return 0;
}

/* CREATE ROLE with the password sent hashed (PQencryptPasswordConn: the
 * server's password_encryption), never in clear text. */
static int make_role(cli_db *db, cli_opts *o, cli_pg_scratch *s, bool super)
{
	PGconn *conn = (PGconn *)db->handle;
	if (random_hex(s->password, 24) != 0) {
		cli_errorf("cannot read random bytes for the scratch role's password: %s", strerror(errno));
		return -1;
	}
	char *hashed = PQencryptPasswordConn(conn, s->password, s->name, NULL);
	char *lit = hashed ? PQescapeLiteral(conn, hashed, strlen(hashed)) : NULL;
	char *sql = NULL;
	int rc = -1;
	if (!lit)
		cli_errorf("cannot hash the scratch role's password: %s", PQerrorMessage(conn));
	else if (asprintf(&sql,
	                  "CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
	                  " NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 8 PASSWORD %s",
	                  s->name, lit) >= 0 &&
	         cli_q(db, o, sql, 0, NULL, NULL) == 0) {
		s->role = true;
		rc = 0;
	}
	free(sql);
	PQfreemem(lit);
	PQfreemem(hashed);
	/* a member of the role may make its database and drop both */
	if (rc == 0 && !super)
		exec_name(db, o, "GRANT %s TO CURRENT_USER", s->name);
	return rc;
}

/* --dbname= of the database named name, as a connection string: pg_restore
 * reads a name holding '=' as a connection string of its own, so a
 * database named "dbname=other" was the checked one and other the one
 * restored into. In quotes, ' and \\ escaped (libpq's rule). */
char *cli_pg_dbname_arg(const char *name)
{
	size_t n = strlen(name);
	char *arg = malloc(sizeof "--dbname=dbname=''" + 2 * n), *o = arg;
	if (!arg)
		return NULL;
	o += sprintf(o, "--dbname=dbname='");
	for (const char *p = name; *p; p++) {
		if (*p == '\\' || *p == '\'')
			*o++ = '\\';
		*o++ = *p;
	}
	strcpy(o, "'");
	return arg;
}

int cli_pg_scratch_role(cli_db *db, cli_opts *o, cli_pg_scratch *s, const char *dbname)
{
	memset(s, 0, sizeof *s);
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT pg_catalog.format('dbcare_restore_%s_%s', pg_catalog.pg_backend_pid(),"
	          "  CAST(pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))"
	          "   AS bigint))",
	          0, NULL, &r) != 0 ||
	    r.nrows != 1) {
		cli_rows_free(&r);
		return -1;
	}
	s->name = strdup(cli_cell(&r, 0, 0));
	s->dbname = strdup(dbname);
	cli_rows_free(&r);
	if (!s->name || !s->dbname)
		return -1;
	return make_role(db, o, s, true);
}

int cli_pg_scratch_create(cli_db *db, cli_opts *o, cli_pg_scratch *s)
{
	memset(s, 0, sizeof *s);
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT r.rolsuper, r.rolcreaterole AND r.rolcreatedb, r.rolname,"
	          " pg_catalog.format('dbcare_verify_%s_%s', pg_catalog.pg_backend_pid(),"
	          "  CAST(pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))"
	          "   AS bigint))"
	          " FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER",
	          0, NULL, &r) != 0 ||
	    r.nrows != 1) {
		cli_rows_free(&r);
		return -1;
	}
	bool super = strcmp(cli_cell(&r, 0, 0), "true") == 0;
	if (!super && strcmp(cli_cell(&r, 0, 1), "true") != 0) {
		cli_errorf("verify restores the dump as a role of its own: %s needs CREATEROLE and "
		           "CREATEDB (or superuser)",
		           cli_cell(&r, 0, 2));
		cli_rows_free(&r);
		return -1;
	}
	s->name = strdup(cli_cell(&r, 0, 3));
	cli_rows_free(&r);
	if (!s->name)
		return -1;
	cli_pg_scratch_leftovers(db, o);
	if (make_role(db, o, s, super) != 0)
		return -1;
	char *sql = NULL;
	int rc = -1;
	if (asprintf(&sql, "CREATE DATABASE %s OWNER %s TEMPLATE template0", s->name, s->name) >= 0 &&
	    cli_q(db, o, sql, 0, NULL, NULL) == 0) {
		s->database = true;
		exec_name(db, o, "REVOKE ALL ON DATABASE %s FROM PUBLIC", s->name);
		rc = 0;
	}
	free(sql);
	return rc;
}

void cli_pg_scratch_drop(cli_db *db, cli_opts *o, cli_pg_scratch *s)
{
	if (!s->name)
		return;
	if (s->database)
		exec_name(db, o, "DROP DATABASE IF EXISTS %s WITH (FORCE)", s->name);
	if (s->role)
		exec_name(db, o, "DROP ROLE IF EXISTS %s", s->name);
	free(s->name);
	free(s->dbname);
	memset(s, 0, sizeof *s);
}

/* db's connection parameters, with dbname (and user and password) set. */
static PQconninfoOption *params(cli_db *db, const char *dbname, const char *user,
                                const char *password)
{
	PQconninfoOption *info = PQconninfo((PGconn *)db->handle);
	for (PQconninfoOption *i = info; i && i->keyword; i++) {
		const char *v = strcmp(i->keyword, "dbname") == 0             ? dbname
		                : user && strcmp(i->keyword, "user") == 0     ? user
		                : user && strcmp(i->keyword, "password") == 0 ? password
		                : user && strcmp(i->keyword, "passfile") == 0 ? ""
		                                                              : NULL;
		if (!v)
			continue;
		free(i->val);
		i->val = strdup(v);
		if (!i->val) {
			PQconninfoFree(info);
			return NULL;
		}
	}
	return info;
}

/* A connection with the parameters of info that have a value; NULL out of
 * memory. */
static PGconn *connect_with(const PQconninfoOption *info)
{
	int n = 0;
	for (const PQconninfoOption *i = info; i->keyword; i++)
		n++;
	const char **keys = calloc((size_t)n + 1, sizeof(char *));
	const char **vals = calloc((size_t)n + 1, sizeof(char *));
	PGconn *conn = NULL;
	if (keys && vals) {
		int k = 0;
		for (const PQconninfoOption *i = info; i->keyword; i++) {
			if (!i->val || !*i->val)
				continue;
			keys[k] = i->keyword;
			vals[k++] = i->val;
		}
		conn = PQconnectdbParams(keys, vals, 0);
	}
	free(keys);
	free(vals);
	return conn;
}

cli_db *cli_pg_scratch_connect(cli_db *db, const cli_pg_scratch *s, bool as_role)
{
	PQconninfoOption *info = params(db, s->dbname ? s->dbname : s->name, as_role ? s->name : NULL,
	                                as_role ? s->password : NULL);
	cli_db *c = NULL;
	PGconn *conn = info ? connect_with(info) : NULL;
	if (conn && PQstatus(conn) != CONNECTION_OK) {
		char *msg = PQerrorMessage(conn);
		if (as_role)
			cli_errorf("the role %s cannot log in to %s (%.*s): dbcare restores the dump as "
			           "that role, which logs in with a one-time password over the "
			           "connection's own route; let roles named %s log in there with a "
			           "password (docs/backups.md, \"Who runs the dump's code\")",
			           s->name, s->dbname ? s->dbname : s->name, (int)strcspn(msg, "\n"), msg,
			           s->dbname ? "dbcare_restore_*" : "dbcare_verify_*");
		else
			cli_errorf("cannot connect to the scratch database %s: %.*s", s->name,
			           (int)strcspn(msg, "\n"), msg);
	} else if (conn && (c = calloc(1, sizeof *c)) != NULL) {
		c->drv = &cli_pg_driver;
		c->handle = conn;
		c->label = strdup(s->name);
		conn = NULL;
	}
	PQfinish(conn);
	PQconninfoFree(info);
	return c;
}

int cli_pg_restore_into(cli_db *db, const cli_pg_scratch *s, const char *file, const char *list,
                        char **err)
{
	const char *target = s->dbname ? s->dbname : s->name;
	PQconninfoOption *info = params(db, target, s->name, s->password);
	char *use_list = NULL, *dbname = NULL;
	int rc = -1;
	if (!info || asprintf(&use_list, "--use-list=%s", list) < 0 ||
	    !(dbname = cli_pg_dbname_arg(target))) {
		*err = cli_fmt_err("out of memory", NULL, NULL);
	} else {
		/* owners and grants name roles the scratch role may not become;
		 * the rows are what verification compares */
		const char *argv[] = {"pg_restore",
		                      "--exit-on-error",
		                      "--no-owner",
		                      "--no-privileges",
		                      "--no-comments",
		                      "--no-security-labels",
		                      "--no-tablespaces",
		                      "--no-publications",
		                      "--no-subscriptions",
		                      "--no-password",
		                      use_list,
		                      dbname,
		                      "--",
		                      file,
		                      NULL};
		cli_tool t = {.argv = argv,
		              .info = info,
		              .what = s->dbname ? "pg_restore" : "pg_restore into the scratch database",
		              .failed = "; the dump does not restore",
		              .out_fd = -1};
		rc = cli_run_tool(&t, err);
	}
	PQconninfoFree(info);
	free(use_list);
	free(dbname);
	return rc;
}

int cli_pg_restore_as_connected(cli_db *db, const char *file, const char *list, char **err)
{
	PGconn *c = (PGconn *)db->handle;
	PQconninfoOption *info = PQconninfo(c);
	char *dbname = NULL, *use_list = NULL;
	int rc = -1;
	if (!info || !(dbname = cli_pg_dbname_arg(PQdb(c))) ||
	    (list && asprintf(&use_list, "--use-list=%s", list) < 0)) {
		*err = cli_fmt_err("out of memory", NULL, NULL);
	} else {
		const char *argv[] = {"pg_restore",
		                      "--exit-on-error",
		                      "--single-transaction",
		                      "--no-owner",
		                      "--no-password",
		                      dbname,
		                      use_list ? use_list : "--",
		                      use_list ? "--" : file,
		                      use_list ? file : NULL,
		                      NULL};
		cli_tool t = {.argv = argv,
		              .info = info,
		              .what = "pg_restore",
		              .failed = "; nothing was restored (one transaction)",
		              .out_fd = -1};
		rc = cli_run_tool(&t, err);
	}
	PQconninfoFree(info);
	free(dbname);
	free(use_list);
	return rc;
}
