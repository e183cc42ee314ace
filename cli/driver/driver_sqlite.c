/*
 * driver_sqlite.c — SQLite through libsqlite3 with the dbcare module loaded
 * into the connection. Parameters are written $1..$n as on PostgreSQL:
 * SQLite reads "$1" as a named parameter, found here by its name.
 */
#include "driver.h"
#include "engine_tag.h"
#include "live_panels.h"
#include "cli/common/files.h"

#include "base/dbc.h"
#include "base/heap_grow.h"

#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Who holds a busy database, as a looker's warning and a busy error say it. */
#define SQLITE_HELD "a migration (or another writer) holds the database"

/* A write refused (SQLITE_READONLY): the file, or the folder where SQLite
 * makes its journal beside it, that this user cannot write, and how to
 * let it. */
static void set_readonly_error(cli_db *db, const char *message)
{
	const char *file = db->handle ? sqlite3_db_filename(db->handle, "main") : NULL;
	if (!file || !*file) {
		cli_error_set(db, NULL, message, NULL, NULL);
		return;
	}
	if (strncmp(message, "dbcare: ", 8) == 0)
		message += 8; /* the module's error: said once */
	char *copy = strdup(file), *m = NULL, *h = NULL;
	const char *folder = copy ? dirname(copy) : ".";
	bool folder_locked = access(file, W_OK) == 0 && access(folder, W_OK) != 0;
	int n = folder_locked ? asprintf(&m,
	                                 "cannot write the database %s: its folder %s is not writable "
	                                 "(SQLite makes its journal there): %s",
	                                 file, folder, message)
	                      : asprintf(&m, "cannot write the database file %s: %s", file, message);
	if (n >= 0 &&
	    asprintf(&h,
	             "Let the user running dbcare (uid %ld) write %s and its folder %s, or run "
	             "dbcare as their owner; a database opened with ?mode=ro is read-only by choice.",
	             (long)geteuid(), file, folder) >= 0)
		cli_error_set(db, NULL, m, NULL, h);
	else
		cli_error_set(db, NULL, message, NULL, NULL);
	free(m);
	free(h);
	free(copy);
}

/* A file that is not a database (SQLITE_NOTADB): SQLite's text names no
 * file and no way out; both are said, as the module says them. */
static void set_notadb_error(cli_db *db, const char *message)
{
	const char *file = db->handle ? sqlite3_db_filename(db->handle, "main") : NULL;
	char *m = NULL;
	if (strncmp(message, "dbcare: ", 8) == 0)
		message += 8;
	/* the module's error names the file already */
	if (file && *file && !strstr(message, file) &&
	    asprintf(&m, "\"%s\" is not a SQLite database: %s", file, message) >= 0)
		message = m;
	cli_error_set(db, NULL, message, NULL, DBC_SQLITE_NOTADB_HINT);
	free(m);
}

/* The error of a failed statement. A busy or locked database is SQLSTATE
 * 55P03, as the module maps it (sqlite/api/host.c, sqlite/host/schema_probe.c) and
 * as PostgreSQL's lock_not_available, with what SQLite said as detail. */
static void set_error(cli_db *db, int rc, const char *message)
{
	int code = rc & 0xff;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		cli_error_set(db, DBC_SQLSTATE_LOCK_TIMEOUT, SQLITE_HELD ": try again", message, NULL);
	else if (code == SQLITE_READONLY)
		set_readonly_error(db, message);
	else if (code == SQLITE_NOTADB)
		set_notadb_error(db, message);
	else
		cli_error_set(db, NULL, message, NULL, NULL);
}

static cli_type type_of(int t)
{
	return t == SQLITE_INTEGER || t == SQLITE_FLOAT ? CLI_T_NUM : CLI_T_TEXT;
}

/* One row into out (growing its cells); the column types come from the
 * first row (a NULL cell keeps text). */
static int take_row(sqlite3_stmt *st, cli_rows *out, size_t *cap)
{
	int nc = out->ncols;
	/* the cells grow by whole rows */
	if (!dbc_heap_reserve(&out->cells, (size_t)out->nrows + 1, cap,
	                      sizeof(char *) * (size_t)(nc ? nc : 1), 16))
		return -1;
	for (int c = 0; c < nc; c++) {
		int t = sqlite3_column_type(st, c);
		const unsigned char *v = sqlite3_column_text(st, c);
		if (out->nrows == 0 && t != SQLITE_NULL)
			out->types[c] = type_of(t);
		out->cells[(size_t)out->nrows * (size_t)nc + (size_t)c] =
		    t == SQLITE_NULL || !v ? NULL : strdup((const char *)v);
	}
	out->nrows++;
	return 0;
}

/* $1, $2, ... as the statement names them (a parameter it does not name
 * is left out). */
static int bind_params(sqlite3_stmt *st, int nparams, const char *const *params)
{
	int rc = SQLITE_OK;
	for (int i = 0; rc == SQLITE_OK && i < nparams; i++) {
		char name[16];
		snprintf(name, sizeof(name), "$%d", i + 1);
		int idx = sqlite3_bind_parameter_index(st, name);
		if (idx > 0)
			rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_STATIC)
			               : sqlite3_bind_null(st, idx);
	}
	return rc;
}

static int sqlite_query(cli_db *db, const char *sql, int nparams, const char *const *params,
                        cli_rows *out)
{
	sqlite3 *h = db->handle;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	size_t cap = 0;
	int rc = sqlite3_prepare_v2(h, sql, -1, &st, &tail);
	if (out)
		*out = (cli_rows){0};
	if (rc == SQLITE_OK && st && out) {
		out->ncols = sqlite3_column_count(st);
		out->names = calloc((size_t)out->ncols + 1, sizeof(char *));
		out->types = calloc((size_t)out->ncols + 1, sizeof(cli_type));
		for (int c = 0; c < out->ncols; c++)
			out->names[c] = strdup(sqlite3_column_name(st, c));
	}
	if (rc == SQLITE_OK && st)
		rc = bind_params(st, nparams, params);
	while (rc == SQLITE_OK && st) {
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			if (out && take_row(st, out, &cap) != 0)
				rc = SQLITE_NOMEM;
			continue;
		}
		rc = s == SQLITE_DONE ? SQLITE_OK : s;
		break;
	}
	if (rc != SQLITE_OK) {
		set_error(db, rc, sqlite3_errmsg(h));
		sqlite3_finalize(st);
		if (out)
			cli_rows_free(out);
		return -1;
	}
	sqlite3_finalize(st);
	/* several statements (BEGIN; ...): the rest run without rows, with
	 * the same parameters */
	while (tail && *tail && strspn(tail, " \t\r\n;") < strlen(tail)) {
		const char *sql_next = tail;
		st = NULL;
		rc = sqlite3_prepare_v2(h, sql_next, -1, &st, &tail);
		if (rc == SQLITE_OK && st)
			rc = bind_params(st, nparams, params);
		while (rc == SQLITE_OK && st && (rc = sqlite3_step(st)) == SQLITE_ROW)
			rc = SQLITE_OK;
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		if (rc != SQLITE_OK) {
			set_error(db, rc, sqlite3_errmsg(h));
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_finalize(st);
		if (!st && tail == sql_next)
			break; /* nothing prepared, nothing consumed */
	}
	return 0;
}

static bool sqlite_read_only(cli_db *db)
{
	return sqlite3_db_readonly(db->handle, "main") == 1;
}

static bool sqlite_lost_to_failover(cli_db *db)
{
	(void)db;
	return false; /* a file: nothing to lose */
}

static void sqlite_close(cli_db *db)
{
	sqlite3_close_v2(db->handle);
	db->handle = NULL;
}

/* the connection itself: sqlite3_interrupt may be called from any thread
 * while it is open */
static void *sqlite_interrupter(cli_db *db)
{
	return db->handle;
}

static void sqlite_interrupt(void *h)
{
	sqlite3_interrupt(h);
}

static void sqlite_interrupter_free(void *h)
{
	(void)h;
}

const cli_engine_tag cli_engine_sqlite = {"sqlite"};

const cli_driver cli_sqlite_driver = {
    .engine = &cli_engine_sqlite,
    .query = sqlite_query,
    .read_only = sqlite_read_only,
    .lost_to_failover = sqlite_lost_to_failover,
    .close = sqlite_close,
    .begin_write = "BEGIN IMMEDIATE",
    .dump = NULL,
    .restore_from = cli_sqlite_restore,
    .interrupter = sqlite_interrupter,
    .interrupt = sqlite_interrupt,
    .interrupter_free = sqlite_interrupter_free,
    .dump_schema = NULL,
    .files_host = &cli_sqlite_files_host,
    .register_folder_at_once = true,
    .rows_hold_statement = true,
    .attaches_files = true,
    .enforce_foreign_keys = "PRAGMA foreign_keys = ON",
    .look_lock_timeout = NULL,
    .lock_busy_sqlstate = DBC_SQLSTATE_LOCK_TIMEOUT,
    .lock_busy_holder = SQLITE_HELD,
    .look_read_probe = "SELECT 1 FROM main.sqlite_schema LIMIT 1",
    .live_panels = cli_sqlite_live_panels,
    .live_panel_count = &cli_sqlite_live_panel_count,
    .cancel_session = NULL,
    .terminate_session = NULL,
    /* a lock is the database's: the busy
     * timeout waits for it, per connection
     * (no pooler), and no session is named;
     * the connection's own is put back when
     * the command's online work ends */
    .lock_wait_local = "PRAGMA busy_timeout = %d",
    .lock_wait_session = "PRAGMA busy_timeout = %d",
    .lock_wait_restore = NULL,
    .lock_wait_found = "PRAGMA busy_timeout",
    .lock_not_granted = DBC_SQLSTATE_LOCK_TIMEOUT,
    .online_done_steps = "SELECT key, value FROM json_each("
                         "dbmigrate_online_done($1), '$.\"' || $1 || '\"') "
                         "WHERE key NOT LIKE '-%'",
    .online_half_done = "SELECT key FROM json_each(dbmigrate_online_done()) "
                        "ORDER BY 1 DESC"};
