/*
 * serve_signal.c — POST /cancel and POST /terminate: the running statement
 * of one session of a database cancelled, or the session ended, through
 * its driver's statement (PostgreSQL's pg_cancel_backend and
 * pg_terminate_backend, restricted to the sessions of that database). The
 * HTTP side has checked the method and the write token (serve_http.c); the
 * database is held meanwhile, as a write holds it, and signalled with the
 * rights of serve's own role.
 */
#include "serve.h"

#include "base/clock.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* How long a signal waits for the database held by a refresh or a page. */
#define SIGNAL_WAIT_S 10.0

static bool is_pid(const char *s)
{
	if (!s || !*s || strlen(s) > 10)
		return false;
	for (const char *c = s; *c; c++)
		if (!isdigit((unsigned char)*c))
			return false;
	return true;
}

static char *message(const char *fmt, const char *label, const char *arg)
{
	char *s = NULL;
	return asprintf(&s, fmt, label, arg) < 0 ? NULL : s;
}

/* Runs the driver's statement on the held database: 200 signalled, 404
 * no such session, 500 an error (*msg says which; malloc'd). */
static int signal_held(serve_fleet *f, serve_db *d, const char *sql, const char *pid, char **msg)
{
	char *err = NULL;
	cli_db *db = serve_connect(f, d, NULL, &err);
	if (!db) {
		*msg = err;
		return 500;
	}
	cli_rows r = {0};
	int status;
	const char *params[1] = {pid};
	if (db->drv->query(db, sql, 1, params, &r) != 0) {
		*msg = message("dbcare: %s: %s", d->fallback_label,
		               db->error.message ? db->error.message : "the statement failed");
		status = 500;
	} else if (r.nrows == 0) {
		*msg = message("dbcare: %s has no session with pid %s: it has ended, or belongs to "
		               "another database; reload the page",
		               d->fallback_label, pid);
		status = 404;
	} else {
		const char *v = cli_cell(&r, 0, 0);
		bool done = v && (strcmp(v, "t") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
		*msg = message(done ? "%s: pid %s signalled" : "dbcare: %s: pid %s was not signalled",
		               d->fallback_label, pid);
		status = done ? 200 : 500;
	}
	cli_rows_free(&r);
	serve_disconnect(f, d, db);
	return status;
}

int serve_signal(serve_fleet *f, int i, bool terminate, const char *pid, char **out)
{
	serve_db *d = &f->dbs[i];
	const char *action = terminate ? "terminate" : "cancel";
	const char *sql = terminate ? cli_target_driver(&d->target)->terminate_session
	                            : cli_target_driver(&d->target)->cancel_session;
	char *msg = NULL;
	int status;
	if (!is_pid(pid)) {
		msg = message("dbcare: %s: %s needs ?pid=N, the session's process id", d->fallback_label,
		              action);
		status = 400;
	} else if (!sql) {
		msg = message("dbcare: %s has no sessions to %s: its engine runs in the application's "
		              "process",
		              d->fallback_label, action);
		status = 400;
	} else if (!serve_fleet_hold_until(f, i, (int64_t)(dbc_monotonic_ms() + SIGNAL_WAIT_S * 1000),
	                                   false)) {
		msg = strdup("dbcare: the database stayed busy past the request's deadline; try again");
		status = 503;
	} else {
		status = signal_held(f, d, sql, pid, &msg);
		serve_fleet_unhold(f, i);
	}
	json_t *doc =
	    json_pack("{s:s, s:s, s:s?, s:b, s:s?}", "database", d->fallback_label, "action", action,
	              "pid", is_pid(pid) ? pid : NULL, "signalled", status == 200, "message", msg);
	*out = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	free(msg);
	return status;
}
