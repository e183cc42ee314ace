/*
 * driver_pg.c — PostgreSQL through libpq. Statements run with
 * PQexecParams (text parameters of unknown type, which the function
 * signature resolves); the connection is in autocommit, so a command that
 * needs several statements together sends BEGIN/COMMIT itself.
 */
#include "driver.h"
#include "engine_tag.h"
#include "live_panels.h"
#include "pg_cancel.h"
#include "cli/common/files.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs of the built-in types a dbcare function returns. */
enum {
	OID_BOOL = 16,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_JSON = 114,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_NUMERIC = 1700,
	OID_JSONB = 3802,
	OID_TIMESTAMPTZ = 1184
};

static cli_type type_of(Oid t)
{
	switch (t) {
	case OID_BOOL:
		return CLI_T_BOOL;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return CLI_T_NUM;
	case OID_JSON:
	case OID_JSONB:
		return CLI_T_JSON;
	default:
		return CLI_T_TEXT;
	}
}

static int take_rows(PGresult *res, cli_rows *out)
{
	int nc = PQnfields(res), nr = PQntuples(res);
	*out = (cli_rows){.ncols = nc, .nrows = nr};
	out->names = calloc((size_t)nc + 1, sizeof(char *));
	out->types = calloc((size_t)nc + 1, sizeof(cli_type));
	out->cells = calloc((size_t)nc * (size_t)nr + 1, sizeof(char *));
	if (!out->names || !out->types || !out->cells)
		return -1;
	for (int c = 0; c < nc; c++) {
		out->names[c] = strdup(PQfname(res, c));
		out->types[c] = type_of(PQftype(res, c));
	}
	for (int r = 0; r < nr; r++)
		for (int c = 0; c < nc; c++) {
			if (PQgetisnull(res, r, c))
				continue;
			const char *v = PQgetvalue(res, r, c);
			if (out->types[c] == CLI_T_BOOL)
				v = v[0] == 't' ? "true" : "false";
			/* a time as SQLite's functions write it (RFC 3339 UTC) */
			char *utc = PQftype(res, c) == OID_TIMESTAMPTZ ? cli_time_rfc3339(v) : NULL;
			out->cells[(size_t)r * (size_t)nc + (size_t)c] = utc ? utc : strdup(v);
		}
	return 0;
}

/* PostgreSQL's own "permission denied for function dbmigrate_add" (42501,
 * no hint) names neither the role nor the way out: both are added, the
 * role as the session's; the hint is the migration role's recipe for a
 * migration function, else the GRANT of that function or the roles of
 * docs/security.md. dbcare's own 42501 errors carry their hint. */
static void name_denied_role(cli_db *db, PGconn *conn)
{
	static const char denied[] = "permission denied for ", function[] = "function ";
	const char *m = db->error.message;
	if (strcmp(db->error.sqlstate, "42501") != 0 || db->error.hint || !m ||
	    strncmp(m, denied, sizeof denied - 1) != 0)
		return;
	const char *role = PQparameterStatus(conn, "session_authorization");
	role = role ? role : PQuser(conn);
	const char *what = m + sizeof denied - 1;
	const char *fn =
	    strncmp(what, function, sizeof function - 1) == 0 ? what + sizeof function - 1 : NULL;
	bool migrating = strstr(m, " dbmigrate_") || strstr(m, " migrations");
	char *msg = NULL, *hint = NULL;
	int made = fn ? asprintf(&msg, "role \"%s\" may not run %s(): %s", role, fn, m)
	              : asprintf(&msg, "role \"%s\" lacks a grant: %s", role, m);
	if (made < 0)
		msg = NULL;
	if (migrating)
		made = asprintf(&hint,
		                "Run dbcare as a role holding the grants of the migration role in "
		                "docs/migrations.md (Privileges), e.g. GRANT EXECUTE ON FUNCTION "
		                "dbmigrate_add(text, text, text, text) TO \"%s\" with the rest of "
		                "that recipe, or as the database's owner.",
		                role);
	else if (fn)
		made =
		    asprintf(&hint,
		             "Run it as a role that may, or have a superuser GRANT EXECUTE ON FUNCTION %s "
		             "TO \"%s\"; with the grants of its recipe in docs/security.md (a monitoring "
		             "role, a migration role).",
		             fn, role);
	else
		made = asprintf(&hint,
		                "Grant \"%s\" the rights docs/security.md lists for this job, or "
		                "run dbcare as the database's owner.",
		                role);
	if (made < 0)
		hint = NULL;
	if (msg && hint) {
		char *detail = db->error.detail ? strdup(db->error.detail) : NULL;
		cli_error_set(db, "42501", msg, detail, hint);
		free(detail);
	}
	free(msg);
	free(hint);
}

static int pg_query(cli_db *db, const char *sql, int nparams, const char *const *params,
                    cli_rows *out)
{
	PGconn *conn = db->handle;
	/* once stopped, only the ROLLBACK that ends the command runs */
	if (cli_stop_signal() && strcmp(sql, "ROLLBACK") != 0) {
		cli_error_set(db, "57014", "dbcare: stopped by a signal", NULL, NULL);
		return -1;
	}
	cli_pg_cancel_state cancel;
	cli_pg_cancel_arm(conn, &cancel);
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	cli_pg_cancel_disarm(&cancel);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		if (out && take_rows(res, out) != 0) {
			cli_error_set(db, NULL, "dbcare: out of memory", NULL, NULL);
			rc = -1;
		}
	} else {
		if (res)
			cli_error_set(db, PQresultErrorField(res, PG_DIAG_SQLSTATE),
			              PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
			              PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL),
			              PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
		else
			cli_error_set(db, NULL, PQerrorMessage(conn), NULL, NULL);
		/* a message from libpq itself (the connection was lost) */
		if (!db->error.message || strcmp(db->error.message, "unknown error") == 0)
			cli_error_set(db, NULL, PQerrorMessage(conn), NULL, NULL);
		name_denied_role(db, conn);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static bool pg_read_only(cli_db *db)
{
	cli_rows r = {0};
	bool ro = false;
	if (pg_query(db, "SELECT pg_catalog.pg_is_in_recovery()", 0, NULL, &r) == 0)
		ro = cli_cell(&r, 0, 0) && strcmp(cli_cell(&r, 0, 0), "true") == 0;
	cli_rows_free(&r);
	return ro;
}

static void pg_close(cli_db *db)
{
	PQfinish(db->handle);
	db->handle = NULL;
}

static void *pg_interrupter(cli_db *db)
{
	return PQgetCancel(db->handle);
}

static void pg_interrupt(void *h)
{
	char buf[256];
	(void)PQcancel(h, buf, (int)sizeof buf);
}

static void pg_interrupter_free(void *h)
{
	PQfreeCancel(h);
}

const cli_engine_tag cli_engine_pg = {"postgresql"};

const cli_driver cli_pg_driver = {
    .engine = &cli_engine_pg,
    .query = pg_query,
    .read_only = pg_read_only,
    .close = pg_close,
    .begin_write = "BEGIN",
    .dump = cli_pg_dump,
    .restore_from = NULL,
    .interrupter = pg_interrupter,
    .interrupt = pg_interrupt,
    .interrupter_free = pg_interrupter_free,
    .dump_schema = cli_pg_dump_schema,
    .files_host = &cli_pg_files_host,
    .register_folder_at_once = false,
    .rows_hold_statement = false,
    .attaches_files = false,
    .enforce_foreign_keys = NULL,
    .look_lock_timeout = "SET LOCAL lock_timeout = '500ms'",
    .lock_busy_sqlstate = "55P03",
    .lock_busy_holder = "a migration is running in another "
                        "session (it holds the migration registry)",
    .live_panels = cli_pg_live_panels,
    .live_panel_count = &cli_pg_live_panel_count,
    .cancel_session = "SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
                      " WHERE pid = $1::int AND datname = current_database()",
    .terminate_session = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE pid = $1::int AND datname = current_database()"};
