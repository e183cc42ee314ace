/*
 * conn.c — --db values: which engine, how they are shown (never with a
 * password), and opening them: libpq for PostgreSQL (then the extension
 * must be installed, or --install creates it), libsqlite3 with the dbcare
 * module for SQLite.
 */
#include "conn.h"

#include <dlfcn.h>
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DBCARE_MODULE_PATH
#define DBCARE_MODULE_PATH "/usr/local/lib/dbcare.so"
#endif

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_pg_url(const char *s)
{
	return starts(s, "postgres://") || starts(s, "postgresql://");
}

int cli_target_parse(const char *value, cli_target *out, char **err)
{
	*out = (cli_target){0};
	*err = NULL;
	if (!value || !*value) {
		*err = strdup("dbcare: empty database URL");
		return -1;
	}
	if (is_pg_url(value) || strchr(value, '=')) {
		out->engine = CLI_ENGINE_PG;
		out->spec = strdup(value);
	} else {
		const char *path = value;
		if (starts(value, "sqlite://"))
			path = value + 9;
		else if (starts(value, "sqlite:"))
			path = value + 7;
		else if (strstr(value, "://")) {
			*err = strdup("dbcare: unsupported database URL scheme (use postgres://, "
			              "postgresql://, a libpq conninfo string, or sqlite:PATH)");
			return -1;
		}
		if (!*path) {
			*err = strdup("dbcare: sqlite: needs a file path (sqlite:PATH)");
			return -1;
		}
		out->engine = CLI_ENGINE_SQLITE;
		out->spec = strdup(path);
	}
	out->label = cli_mask_password(value);
	return 0;
}

/* ------------------------------------------------------------ passwords */

/* The password written in a URL (user:PASSWORD@host, or ?password=...)
 * or a conninfo string (password=...), malloc'd; NULL when none. Read
 * by hand as well as by libpq, so that a string libpq cannot parse still
 * has its password removed from every message. */
static char *written_password(const char *spec)
{
	if (is_pg_url(spec)) {
		const char *auth = strstr(spec, "://") + 3;
		const char *end = auth + strcspn(auth, "/?");
		const char *at = NULL;
		for (const char *p = auth; p < end; p++)
			if (*p == '@')
				at = p;
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon && at > colon + 1)
			return strndup(colon + 1, (size_t)(at - colon - 1));
	}
	const char *p = strstr(spec, "password=");
	if (p) {
		p += 9;
		if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');
			return q ? strndup(p + 1, (size_t)(q - p - 1)) : strdup(p + 1);
		}
		return strndup(p, strcspn(p, " &"));
	}
	return NULL;
}

static void replace_all(char *text, const char *secret)
{
	size_t n = strlen(secret);
	if (n == 0)
		return;
	for (char *p = strstr(text, secret); p; p = strstr(p, secret)) {
		/* "***" is never longer than the secret it replaces when n >= 3 */
		size_t fill = n < 3 ? n : 3;
		memset(p, '*', fill);
		memmove(p + fill, p + n, strlen(p + n) + 1);
		p += fill;
	}
}

void cli_scrub(const char *spec, char *text)
{
	if (!spec || !text)
		return;
	char *pw = written_password(spec);
	if (pw) {
		replace_all(text, pw);
		free(pw);
	}
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(spec, &perr);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val)
			replace_all(text, o->val);
	PQconninfoFree(opts);
	PQfreemem(perr);
}

char *cli_mask_password(const char *value)
{
	char *out = strdup(value);
	if (out)
		cli_scrub(value, out);
	return out;
}

/* ------------------------------------------------------------ PostgreSQL */

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* A message in fresh memory (NULL when out of memory). */
static char *fmt(const char *f, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int ensure_extension(cli_db *db, const cli_connect_opts *o, char **err)
{
	cli_rows r = {0};
	if (db->drv->query(db,
	                   "SELECT extversion, current_database() FROM pg_catalog.pg_extension "
	                   "RIGHT JOIN (SELECT 1) one ON extname = 'dbcare'",
	                   0, NULL, &r) != 0) {
		*err = fmt("dbcare: %s", db->error.message);
		return -1;
	}
	bool present = cli_cell(&r, 0, 0) != NULL;
	char *dbname = cli_cell(&r, 0, 1) ? strdup(cli_cell(&r, 0, 1)) : strdup("?");
	cli_rows_free(&r);
	int rc = 0;
	if (!present && o->install) {
		if (cli_exec(db, "CREATE EXTENSION dbcare") != 0) {
			*err = fmt("dbcare: CREATE EXTENSION dbcare failed: %s", db->error.message);
			rc = -1;
		}
	} else if (!present) {
		*err = fmt("dbcare: the dbcare extension is not installed in database \"%s\"\n"
		           "HINT: Run CREATE EXTENSION dbcare; in it (as a superuser), or pass --install.",
		           dbname);
		rc = -1;
	}
	free(dbname);
	return rc;
}

static cli_db *connect_pg(const cli_target *t, const cli_connect_opts *o, char **err)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {t->spec, "dbcare", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		*err = fmt("dbcare: cannot connect to %s: %s", t->label,
		           conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		if (*err) {
			cli_scrub(t->spec, *err);
			size_t n = strlen(*err);
			while (n && (*err)[n - 1] == '\n')
				(*err)[--n] = '\0';
		}
		return NULL;
	}
	cli_db *db = calloc(1, sizeof(cli_db));
	db->drv = &cli_pg_driver;
	db->handle = conn;
	db->label = strdup(t->label);
	/* notices (a migration's RAISE NOTICE) go to stderr, never stdout */
	if (!o->bare && ensure_extension(db, o, err) != 0) {
		cli_scrub(t->spec, *err);
		cli_disconnect(db);
		return NULL;
	}
	return db;
}

/* ------------------------------------------------------------ SQLite */

static bool file_exists(const char *p)
{
	struct stat sb;
	return p && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The module: --module, $DBCARE_MODULE, beside the installed command
 * (PREFIX/bin/dbcare -> PREFIX/lib/dbcare.so), in the build tree
 * (build/cli/dbcare -> build/sqlite/dbcare.so), the path compiled in. */
static char *find_module(const cli_connect_opts *o)
{
	if (o->module)
		return strdup(o->module);
	const char *env = getenv("DBCARE_MODULE");
	if (env && *env)
		return strdup(env);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			static const char *const rel[] = {"../lib/dbcare.so", "../sqlite/dbcare.so"};
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				char *cand = fmt("%s/%s", exe, rel[i]);
				if (file_exists(cand))
					return cand;
				free(cand);
			}
		}
	}
	return strdup(DBCARE_MODULE_PATH);
}

static cli_db *connect_sqlite(const cli_target *t, const cli_connect_opts *o, char **err)
{
	if (!o->create && !file_exists(t->spec)) {
		*err = fmt("dbcare: database file \"%s\" does not exist", t->spec);
		return NULL;
	}
	sqlite3 *h = NULL;
	int flags = SQLITE_OPEN_READWRITE | (o->create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(t->spec, &h, flags, NULL) != SQLITE_OK) {
		*err = fmt("dbcare: cannot open \"%s\": %s", t->spec, h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close_v2(h);
		return NULL;
	}
	sqlite3_busy_timeout(h, 5000);
	if (o->bare)
		goto opened;
	char *module = find_module(o);
	char *lerr = NULL;
	sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, NULL);
	int rc = sqlite3_load_extension(h, module, NULL, &lerr);
	sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	if (rc != SQLITE_OK) {
		char *msg = fmt("dbcare: cannot load the dbcare SQLite module \"%s\": %s", module,
		                lerr ? lerr : sqlite3_errmsg(h));
		*err = fmt("%s\nHINT: Install it with make install, or name it with --module PATH.", msg);
		free(msg);
		sqlite3_free(lerr);
		free(module);
		sqlite3_close_v2(h);
		return NULL;
	}
	free(module);
opened:;
	cli_db *db = calloc(1, sizeof(cli_db));
	db->drv = &cli_sqlite_driver;
	db->handle = h;
	db->label = strdup(t->label);
	return db;
}

void cli_preload_module(const cli_connect_opts *o)
{
	/* kept loaded for the life of the process: a fork inherits it, and each
	 * child's sqlite3_load_extension then finds it mapped already */
	char *module = find_module(o);
	if (module && dlopen(module, RTLD_NOW | RTLD_GLOBAL) == NULL)
		(void)0; /* each connection reports the error itself */
	free(module);
}

cli_db *cli_connect(const cli_target *t, const cli_connect_opts *o, char **err)
{
	*err = NULL;
	return t->engine == CLI_ENGINE_PG ? connect_pg(t, o, err) : connect_sqlite(t, o, err);
}

void cli_disconnect(cli_db *db)
{
	if (!db)
		return;
	if (db->handle)
		db->drv->close(db);
	cli_error_clear(db);
	free(db->label);
	free(db);
}
