/*
 * conn.c — --db values: which engine, how they are shown (never with a
 * password), and opening them: libpq for PostgreSQL (then the extension
 * must be installed, or --install creates it), libsqlite3 with the dbcare
 * module for SQLite.
 */
#include "conn.h"
#include "pin.h"
#include "cli/common/output.h"

#include "base/dbc.h"
#include "base/file_uri.h"

#include "base/heap_grow.h"

#include <ctype.h>
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

static bool url_ambiguous(const char *spec);

int cli_target_parse(const char *value, cli_target *out, char **err)
{
	*out = (cli_target){0};
	*err = NULL;
	if (!value || !*value) {
		*err = strdup("dbcare: empty database URL");
		return -1;
	}
	/* an explicit sqlite: prefix wins over the '=' of a conninfo string: a
	 * file may be named a=b.db */
	if (is_pg_url(value) || (strchr(value, '=') && !starts(value, "sqlite:"))) {
		if (url_ambiguous(value)) {
			*err = strdup("dbcare: the database URL has an unencoded '@' after its host, so its "
			              "password cannot be told from its database name: percent-encode '@' "
			              "as %40 in a database name, and '@', '/' and '?' in a password "
			              "(%40, %2F, %3F)");
			return -1;
		}
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

/* Where a password is written in a --db value: [start, start + len). */
typedef struct pw_span {
	size_t start, len;
} pw_span;

#define MAX_PW_SPANS 8

/* A conninfo string, read as libpq reads it: keyword = value pairs, a value
 * either 'quoted' or running to white space, a backslash escaping the next
 * character in both. The span is the whole value, quotes included. */
static size_t conninfo_spans(const char *spec, pw_span *out)
{
	size_t n = 0;
	const char *p = spec;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		const char *kw = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		size_t kwlen = (size_t)(p - kw);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue; /* malformed: libpq refuses it; p has moved on */
		p++;
		while (isspace((unsigned char)*p))
			p++;
		const char *v = p;
		bool quoted = *p == '\'';
		if (quoted)
			p++;
		while (*p && (quoted ? *p != '\'' : !isspace((unsigned char)*p))) {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (quoted && *p)
			p++;
		if (kwlen == 8 && strncmp(kw, "password", 8) == 0 && n < MAX_PW_SPANS && p > v)
			out[n++] = (pw_span){(size_t)(v - spec), (size_t)(p - v)};
	}
	return n;
}

/* Where a URL's userinfo ends: its last '@' before the first '/' or '?' of
 * the authority (libpq reads the URL so). An '@' further on, before the
 * query or inside it but not in a parameter's value (no '=' between it and
 * the '?' or '&' before it), makes the URL ambiguous when a ':' precedes
 * it: a password holding '@', '/' or '?' unencoded and a database name
 * holding '@' read alike, and libpq would take part of such a password for
 * the host, port or database name and print it. *ambiguous says so, and
 * the userinfo is then taken to end at the last such '@'. NULL: none. */
static const char *url_userinfo_end(const char *auth, const char *end, bool *ambiguous)
{
	const char *at = NULL, *later = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	const char *query = strchr(end, '?');
	for (const char *p = end; *p; p++) {
		if (*p != '@')
			continue;
		const char *seg = p;
		while (seg > end && seg[-1] != '?' && seg[-1] != '&')
			seg--;
		if (!query || p < query || !memchr(seg, '=', (size_t)(p - seg)))
			later = p;
	}
	*ambiguous = later && memchr(auth, ':', (size_t)(later - auth)) != NULL;
	return *ambiguous ? later : at;
}

/* A URL: the userinfo's password (up to the LAST '@' of the authority:
 * libpq stops at the first, and reads the rest of an unencoded '@'
 * password as the host) and every ?password= / &password= value. */
static size_t url_spans(const char *spec, pw_span *out, bool *ambiguous)
{
	size_t n = 0;
	const char *auth = strstr(spec, "://") + 3;
	const char *end = auth + strcspn(auth, "/?");
	const char *at = url_userinfo_end(auth, end, ambiguous);
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon && at > colon + 1)
		out[n++] = (pw_span){(size_t)(colon + 1 - spec), (size_t)(at - colon - 1)};
	if (*ambiguous)
		end = at + strcspn(at, "/?");
	const char *q = strchr(end, '?');
	for (q = q ? q + 1 : NULL; q && *q && n < MAX_PW_SPANS;) {
		size_t len = strcspn(q, "&#");
		if (len >= 9 && strncmp(q, "password=", 9) == 0)
			out[n++] = (pw_span){(size_t)(q + 9 - spec), len - 9};
		if (q[len] != '&')
			break;
		q += len + 1;
	}
	return n;
}

static size_t password_spans(const char *spec, pw_span *out)
{
	bool ambiguous;
	return is_pg_url(spec) ? url_spans(spec, out, &ambiguous) : conninfo_spans(spec, out);
}

/* A URL url_userinfo_end finds ambiguous: refused before libpq reads it. */
static bool url_ambiguous(const char *spec)
{
	pw_span spans[MAX_PW_SPANS];
	bool ambiguous = false;
	if (is_pg_url(spec))
		url_spans(spec, spans, &ambiguous);
	return ambiguous;
}

/* Replaces every occurrence of secret in text by "***" (as many '*' as
 * it has characters when shorter), keeping its last keep characters. */
static void replace_all(char *text, const char *secret, size_t keep)
{
	size_t n = strlen(secret);
	if (n <= keep)
		return;
	size_t hide = n - keep;
	for (char *p = strstr(text, secret); p; p = strstr(p, secret)) {
		/* "***" is never longer than the text it replaces when hide >= 3 */
		size_t fill = hide < 3 ? hide : 3;
		memset(p, '*', fill);
		memmove(p + fill, p + hide, strlen(p + hide) + 1);
		p += fill + keep;
	}
}

/* The texts a message may quote of the password, longest first so that a
 * shorter one never leaves part of a longer one: each value as written
 * (without its quotes), as libpq decodes it, and for a URL whose password
 * holds '@', each tail after an '@' followed by the '@' libpq read as the
 * start of the host ("ss@" of "pa@ss", kept as "***@"). */
typedef struct secret {
	char *text;
	size_t keep;
} secret;

static void add_secret(secret *list, size_t *n, size_t max, char *text, size_t keep)
{
	if (text && *n < max && strlen(text) > keep)
		list[(*n)++] = (secret){text, keep};
	else
		free(text);
}

static int longer_first(const void *a, const void *b)
{
	size_t la = strlen(((const secret *)a)->text), lb = strlen(((const secret *)b)->text);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

void cli_scrub(const char *spec, char *text)
{
	if (!spec || !text)
		return;
	enum { MAX_SECRETS = 4 * MAX_PW_SPANS + 2 };
	secret list[MAX_SECRETS];
	size_t n = 0;
	pw_span spans[MAX_PW_SPANS];
	size_t ns = password_spans(spec, spans);
	for (size_t i = 0; i < ns; i++) {
		const char *v = spec + spans[i].start;
		size_t len = spans[i].len;
		if (len >= 2 && v[0] == '\'' && v[len - 1] == '\'') {
			v++;
			len -= 2;
		}
		add_secret(list, &n, MAX_SECRETS, strndup(v, len), 0);
		if (is_pg_url(spec) && i == 0)
			for (const char *a = memchr(v, '@', len); a;
			     a = memchr(a + 1, '@', len - (size_t)(a + 1 - v))) {
				char *tail = strndup(a + 1, len - (size_t)(a + 1 - v));
				char *with_at = tail ? malloc(strlen(tail) + 2) : NULL;
				if (with_at)
					sprintf(with_at, "%s@", tail);
				free(tail);
				add_secret(list, &n, MAX_SECRETS, with_at, 1);
			}
	}
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(spec, &perr);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val)
			add_secret(list, &n, MAX_SECRETS, strdup(o->val), 0);
	PQconninfoFree(opts);
	PQfreemem(perr);
	qsort(list, n, sizeof(secret), longer_first);
	for (size_t i = 0; i < n; i++) {
		replace_all(text, list[i].text, list[i].keep);
		free(list[i].text);
	}
}

/* The value as shown: each written password replaced whole by "***", then
 * scrubbed like a message (a password also written elsewhere in it). */
char *cli_mask_password(const char *value)
{
	pw_span spans[MAX_PW_SPANS];
	size_t ns = password_spans(value, spans), at = 0, size = strlen(value) + 1;
	char *out = malloc(size + 3 * MAX_PW_SPANS);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < ns; i++) {
		strncat(out, value + at, spans[i].start - at);
		strcat(out, "***");
		at = spans[i].start + spans[i].len;
	}
	strcat(out, value + at);
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

/* A function on the session's search_path named like one of dbcare's but
 * not dbcare's: the command calls dbcare's functions by name, and such a
 * function (in a schema before dbcare's, as "$user" or a database's
 * search_path setting puts one; or an overload beside them) would run in
 * place of dbcare's with the caller's rights, a superuser's at a backup.
 * The query names pg_catalog's operators: it runs under that path. */
static const char shadow_sql[] =
    "SELECT pg_catalog.format('%I.%I(%s)', n.nspname, p.proname,"
    "  pg_catalog.pg_get_function_identity_arguments(p.oid)),"
    " pg_catalog.pg_get_userbyid(p.proowner)"
    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n"
    "  ON n.oid OPERATOR(pg_catalog.=) p.pronamespace"
    " WHERE n.nspname OPERATOR(pg_catalog.=) ANY (pg_catalog.current_schemas(false))"
    "  AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT f.proname FROM pg_catalog.pg_proc f"
    "   JOIN pg_catalog.pg_depend d ON d.objid OPERATOR(pg_catalog.=) f.oid"
    "    AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass"
    "    AND d.deptype OPERATOR(pg_catalog.=) 'e'"
    "   JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid"
    "    AND e.extname OPERATOR(pg_catalog.=) 'dbcare'))"
    "  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d"
    "   WHERE d.objid OPERATOR(pg_catalog.=) p.oid"
    "    AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass"
    "    AND d.deptype OPERATOR(pg_catalog.=) 'e')"
    " ORDER BY 1 LIMIT 1";

static int refuse_shadowed(cli_db *db, char **err)
{
	cli_rows r = {0};
	if (db->drv->query(db, shadow_sql, 0, NULL, &r) != 0) {
		*err = fmt("dbcare: %s", db->error.message);
		return -1;
	}
	int rc = 0;
	if (r.nrows > 0) {
		*err = fmt("dbcare: the function %s of role %s, on this session's search_path, is named "
		           "like one of dbcare's and is not dbcare's: dbcare would run it in place of "
		           "its own, with your rights\n"
		           "HINT: Drop it, or connect with a search_path without its schema "
		           "(options=-csearch_path=...).",
		           cli_cell(&r, 0, 0), cli_cell(&r, 0, 1));
		rc = -1;
	}
	cli_rows_free(&r);
	return rc;
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
	return rc == 0 ? refuse_shadowed(db, err) : rc;
}

/* A progress report of the extension, DBC_PROGRESS_PREFIX "DONE/TOTAL what"
 * (a notice on PostgreSQL, SQLite's error log): drawn where progress is
 * shown. False: msg is not one. */
static bool progress_report(const char *msg)
{
	long long done = 0, total = 0;
	int at = 0;
	const size_t skip = sizeof DBC_PROGRESS_PREFIX - 1;
	if (!msg || strncmp(msg, DBC_PROGRESS_PREFIX, skip) != 0 ||
	    sscanf(msg + skip, "%lld/%lld %n", &done, &total, &at) != 2 || total <= 0)
		return false;
	if (!cli_progress_shown(cli_progress_sink))
		return true;
	if (done > INT_MAX || total > INT_MAX) { /* the bar counts in ints */
		done = done * 1000 / total;
		total = 1000;
	}
	cli_progress(cli_progress_sink, (int)done, (int)total, msg + skip + at);
	return true;
}

struct cli_notices_seen {
	char **texts;
	size_t n, cap;
};

/* Whether the lint notice text was printed on this connection already
 * (and if not, it is now remembered). */
static bool lint_said(struct cli_notices_seen *seen, const char *text)
{
	static const char lint[] = "dbcare: lint ";
	if (!seen || !text || strncmp(text, lint, sizeof lint - 1) != 0)
		return false;
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->texts[i], text) == 0)
			return true;
	char *copy = strdup(text);
	if (copy && dbc_heap_reserve(&seen->texts, seen->n + 1, &seen->cap, sizeof *seen->texts, 8))
		seen->texts[seen->n++] = copy;
	else
		free(copy);
	return false;
}

/* PostgreSQL's notices: the extension's progress reports are drawn (the
 * session asked for them with dbcare.progress), a lint notice is printed
 * once per connection, the rest go to stderr as libpq's default receiver
 * prints them (a migration's RAISE NOTICE), never to stdout. */
static void pg_notice_receiver(void *arg, const PGresult *res)
{
	const char *text = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (!progress_report(text) && !lint_said(arg, text))
		fputs(PQresultErrorMessage(res), stderr);
}

static cli_db *connect_pg(const cli_target *t, const cli_connect_opts *o, char **err)
{
	/* connect_timeout stands before dbname: a connect_timeout in the --db
	 * string wins over it; an empty one leaves libpq's default
	 * (PGCONNECT_TIMEOUT, else none) */
	char timeout[16] = "";
	if (o->connect_timeout_s > 0)
		snprintf(timeout, sizeof timeout, "%d", o->connect_timeout_s);
	const char *keys[] = {"connect_timeout", "dbname", "fallback_application_name", NULL};
	const char *vals[] = {timeout, t->spec, "dbcare", NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		const char *why = conn ? PQerrorMessage(conn) : "out of memory";
		/* the server's words for a database that is not there */
		bool missing = strstr(why, "FATAL:  database \"") && strstr(why, "\" does not exist");
		*err = fmt("dbcare: cannot connect to %s: %s", t->label, why);
		PQfinish(conn);
		if (*err) {
			cli_scrub(t->spec, *err);
			size_t n = strlen(*err);
			while (n && (*err)[n - 1] == '\n')
				(*err)[--n] = '\0';
		}
		if (*err && missing) {
			char *with = fmt("%s\nHINT: dbcare create --db URL makes it (as a role that may "
			                 "create databases).",
			                 *err);
			free(*err);
			*err = with;
		}
		return NULL;
	}
	cli_db *db = calloc(1, sizeof(cli_db));
	db->drv = &cli_pg_driver;
	db->handle = conn;
	db->label = strdup(t->label);
	db->notices_seen = calloc(1, sizeof *db->notices_seen);
	PQsetNoticeReceiver(conn, pg_notice_receiver, db->notices_seen);
	if (!o->bare && !o->pg_without_extension && ensure_extension(db, o, err) != 0) {
		cli_scrub(t->spec, *err);
		cli_disconnect(db);
		return NULL;
	}
	/* long steps report their progress where it is drawn (a setting the
	 * library reads when it loads; unknown to an older one, and harmless) */
	if (cli_progress_shown(cli_progress_sink))
		PQclear(PQexec(conn, "SET dbcare.progress = on"));
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

/* Loads the dbcare module into h (loading enabled for that call only); 0,
 * or -1 with *err. */
static int load_module(sqlite3 *h, const cli_connect_opts *o, char **err)
{
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
		return -1;
	}
	free(module);
	/* the progress of long steps in SQLite's log, drawn by sqlite_log
	 * (a module too old to know the request draws none) */
	(void)sqlite3_exec(h, "SELECT dbcare_internal_state('progress')", NULL, NULL, NULL);
	return 0;
}

/* The database file as a SQLite URI (malloc'd) with dbcare_capture=0: the
 * module never captures the point-in-time log (backup.log.dir) on the
 * command's connections, `dbcare log` is the command's capture. */
static char *no_capture_uri(const char *path)
{
	return dbc_file_uri(path, "dbcare_capture=0");
}

/* What a path that is not a regular file is, for a message (" but a directory"). */
static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)    ? " but a directory"
	       : S_ISFIFO(m) ? " but a FIFO"
	       : S_ISSOCK(m) ? " but a socket"
	       : S_ISCHR(m)  ? " but a character device"
	       : S_ISBLK(m)  ? " but a block device"
	                     : "";
}

/* NULL when path is a regular file (with something in it, refuse_empty);
 * else the message (malloc'd) saying what it is: missing, there but no
 * file a database can be, or empty (SQLite would open it as an empty
 * database, which reads as a healthy one and which a backup would write
 * its bookkeeping into). */
static char *not_a_database_file(const char *path, bool refuse_empty)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return fmt("dbcare: database file \"%s\" does not exist", path);
	if (!S_ISREG(sb.st_mode))
		return fmt("dbcare: \"%s\" is not a regular file%s: it cannot be a database file", path,
		           file_kind(sb.st_mode));
	if (refuse_empty && sb.st_size == 0)
		return fmt("dbcare: \"%s\" is empty (0 bytes): no database is in it\nHINT: Check the "
		           "path (is it the database?); dbcare migrate makes a new database's tables.",
		           path);
	return NULL;
}

/* The remedy when this user may not read and write the file (the hint
 * line, or ""): root reads everything, so this is a service's own user. */
static const char *access_hint(const char *path)
{
	static char hint[256];
	struct stat sb;
	if (access(path, R_OK | W_OK) == 0 || errno != EACCES || stat(path, &sb) != 0)
		return "";
	snprintf(hint, sizeof hint,
	         "\nHINT: this user (uid %ld) may not read and write it: run dbcare as the file's "
	         "owner (uid %ld), or give this user access to the file and its directory.",
	         (long)geteuid(), (long)sb.st_uid);
	return hint;
}

#ifndef SQLITE_OPEN_NOFOLLOW
#define SQLITE_OPEN_NOFOLLOW 0x01000000 /* SQLite 3.31 */
#endif

/* The error of a pin that does not hold (pin.h; malloc'd, never NULL
 * but when out of memory even for that). */
static char *pin_error(const cli_pin *pin)
{
	char *err = NULL;
	if (cli_pin_check(pin, &err) == 0)
		return NULL;
	return err ? err : strdup("dbcare: out of memory");
}

/* A pinned fleet member (pin.h) as h opened it: NULL when the path still
 * names the pinned file through no symlink and h's file is the one the
 * path names (SQLITE_FCNTL_HAS_MOVED: the inode of h's open file against
 * the path's); else the error (malloc'd). */
static char *pinned_open_error(const cli_pin *pin, sqlite3 *h)
{
	char *err = pin_error(pin);
	int moved = 0;
	if (!err && sqlite3_file_control(h, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
	    moved)
		err = fmt("dbcare: \"%s\" was replaced while it was opened: not opened", pin->path);
	return err;
}

static cli_db *connect_sqlite(const cli_target *t, const cli_connect_opts *o, char **err)
{
	/* a glob's member: the file found at start, or nothing */
	const cli_pin *pin = cli_pin_find(t->spec);
	if (pin && (*err = pin_error(pin)) != NULL)
		return NULL;
	if (!o->create && (*err = not_a_database_file(t->spec, o->sqlite_refuse_empty)) != NULL)
		return NULL;
	sqlite3 *h = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | (o->create ? SQLITE_OPEN_CREATE : 0);
	if (pin && pin->nofollow && sqlite3_libversion_number() >= 3031000)
		flags |= SQLITE_OPEN_NOFOLLOW;
	char *uri = no_capture_uri(t->spec);
	int opened = uri ? sqlite3_open_v2(uri, &h, flags, NULL) : SQLITE_NOMEM;
	free(uri);
	if (opened == SQLITE_OK && pin && (*err = pinned_open_error(pin, h)) != NULL) {
		sqlite3_close_v2(h);
		return NULL;
	}
	if (opened != SQLITE_OK) {
		*err = pin ? pin_error(pin) : NULL;
		if (!*err)
			*err = fmt("dbcare: cannot open \"%s\": %s%s", t->spec,
			           h ? sqlite3_errmsg(h) : "out of memory", access_hint(t->spec));
		sqlite3_close_v2(h);
		return NULL;
	}
	if (o->sqlite_busy)
		sqlite3_busy_handler(h, o->sqlite_busy, o->sqlite_busy_arg);
	else
		sqlite3_busy_timeout(h, o->sqlite_look ? CLI_SQLITE_LOOK_BUSY_MS : CLI_SQLITE_BUSY_MS);
	/* a bare connection (`dbcare wait`) only looks, without the module to
	 * tell whether the database has a log: its close never checkpoints
	 * the WAL a log continues from (the module's connections: pitr_module.c) */
	if (o->bare && sqlite3_libversion_number() >= 3016000)
		(void)sqlite3_db_config(h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	if (!o->bare && load_module(h, o, err) != 0) {
		sqlite3_close_v2(h);
		return NULL;
	}
	cli_db *db = calloc(1, sizeof(cli_db));
	db->drv = &cli_sqlite_driver;
	db->handle = h;
	db->label = strdup(t->label);
	return db;
}

/* SQLite's error log: the extension reports the progress of a long step
 * there (sqlite3_log, SQLITE_NOTICE, sqlite/api/host.c); everything else in the
 * log is dropped, as before. */
static void sqlite_log(void *arg, int code, const char *msg)
{
	(void)arg;
	if (code == SQLITE_NOTICE)
		(void)progress_report(msg);
}

void cli_sqlite_setup(void)
{
	/* both only before sqlite3_initialize (the first open); a library that
	 * refuses (already initialised, or built without them) keeps its
	 * defaults, which are correct, only slower */
	(void)sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	(void)sqlite3_config(SQLITE_CONFIG_LOG, sqlite_log, NULL);
}

void cli_drivers_threaded(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
}

void cli_preload_module(const cli_connect_opts *o)
{
	/* kept loaded for the life of the process: a fork inherits it, and each
	 * child's sqlite3_load_extension then finds it mapped already (and
	 * closing a connection does not unload it). The name is tried as
	 * SQLite's loader tries it, as given and then with the .so suffix:
	 * otherwise a name without it preloads nothing, and every connection
	 * maps and relocates the module again. */
	char *module = find_module(o);
	if (module && dlopen(module, RTLD_NOW | RTLD_GLOBAL) == NULL) {
		char *with_suffix = fmt("%s.so", module);
		if (dlopen(with_suffix, RTLD_NOW | RTLD_GLOBAL) == NULL)
			(void)0; /* each connection reports the error itself */
		free(with_suffix);
	}
	free(module);
}

const cli_driver *cli_target_driver(const cli_target *t)
{
	return t->engine == CLI_ENGINE_PG ? &cli_pg_driver : &cli_sqlite_driver;
}

const char *cli_target_engine_name(const cli_target *t)
{
	return cli_driver_engine(cli_target_driver(t));
}

const char *cli_target_file(const cli_target *t)
{
	return t->engine == CLI_ENGINE_SQLITE ? t->spec : NULL;
}

char *cli_target_url(const cli_target *t)
{
	char *url = NULL;
	if (t->engine != CLI_ENGINE_SQLITE)
		return strdup(t->spec);
	return asprintf(&url, "sqlite:%s", t->spec) < 0 ? NULL : url;
}

char *cli_target_name(const cli_target *t)
{
	if (t->engine == CLI_ENGINE_SQLITE) {
		const char *slash = strrchr(t->spec, '/');
		return strdup(slash && slash[1] ? slash + 1 : t->spec);
	}
	char *err = NULL, *name = NULL;
	PQconninfoOption *opts = PQconninfoParse(t->spec, &err);
	for (PQconninfoOption *p = opts; p && p->keyword; p++)
		if (strcmp(p->keyword, "dbname") == 0 && p->val && *p->val)
			name = strdup(p->val);
	PQconninfoFree(opts);
	PQfreemem(err);
	return name ? name : strdup(t->label);
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
	for (size_t i = 0; db->notices_seen && i < db->notices_seen->n; i++)
		free(db->notices_seen->texts[i]);
	if (db->notices_seen)
		free(db->notices_seen->texts);
	free(db->notices_seen);
	free(db->label);
	free(db);
}
