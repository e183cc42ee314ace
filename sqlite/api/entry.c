/*
 * entry.c — the loadable extension's entry point: one state per connection,
 * then every function of the API table is registered; the first failure stops the load
 * with the name of what could not be registered. A second load is a no-op.
 * How long the state lives: conn_life.c.
 */
#include "sqlite/audit/audit_sql.h"
#include "sqlite/backup/backup_glue.h"
#include "sqlite/health/health_glue.h"
#include "sqlite/host/glue.h"
#include "jsonschema/jsonschema.h"

#include <pthread.h>
#include <string.h>

/* Runs when the library is unloaded: SQLite unloads an extension when the
 * last connection that loaded it closes, and the VFSes the backups
 * registered point into this library's memory. Left in SQLite's list,
 * the next lookup of a VFS by name (another connection's open, this
 * module loaded again) would read freed memory. At exit it runs before
 * libsqlite3's own teardown (loaded first, unloaded last). */
__attribute__((destructor)) static void module_unloaded(void)
{
	if (!sqlite3_api)
		return; /* never loaded into a connection: nothing registered */
	sqldbc_backup_sink_unregister();
	sqldbc_backup_scratch_unregister();
}

/* What a connection's state owns, freed when nothing holds the state any
 * more (conn_life.c): at close, or before SQLite 3.44 once the application
 * removed every function of the module. The hooks go first
 * (pitr_module.c, health_monitor.c), so that a connection living on never
 * calls into freed memory. */
static void conn_free(sqldbc_conn *conn)
{
	sqldbc_pitr_free(conn);
	if (conn->monitor_free)
		conn->monitor_free(conn);
	sqldbc_schema_cache_free(conn);
	dbc_js_cache_free(conn->json_cache);
	sqlite3_free(conn->audit_actor);
	sqldbc_audit_direct_free(conn);
	sqldbc_audit_json_free(conn);
}

static void state_fn(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_null(c);
}

/* dbcare_internal_state('progress'): this connection's caller draws the
 * progress lines (the dbcare command, like `SET dbcare.progress = on` on
 * PostgreSQL); they go to SQLite's error log from then on. */
static void state_request_fn(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *what = sqlite3_value_text(argv[0]);
	if (!what || strcmp((const char *)what, "progress") != 0) {
		sqlite3_result_error(c, "dbcare: dbcare_internal_state knows only 'progress'", -1);
		return;
	}
	((sqldbc_conn *)sqlite3_user_data(c))->progress_to_log = true;
	sqlite3_result_null(c);
}

/* Each part hands its hooks to the host's table once a process, however
 * many connections load the module and from however many threads: no call
 * reads the table while it is filled. */
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void hand_hooks(void)
{
	dbc_api_hooks *hooks = sqldbc_hooks_to_fill();
	sqldbc_retain_register(hooks);
	sqldbc_backup_register(hooks);
	sqldbc_audit_register(hooks);
	sqldbc_migrate_register(hooks);
	sqldbc_health_register(hooks);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
    int sqlite3_dbcare_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
	SQLITE_EXTENSION_INIT2(api);
	pthread_once(&hooks_once, hand_hooks);
	sqldbc_install_host(&sqldbc_host);
	sqldbc_install_pure_registrar(sqldbc_register_pure);
	if (sqlite3_libversion_number() < 3038000) {
		*errmsg =
		    sqlite3_mprintf("dbcare: needs SQLite 3.38 or newer, this is %s", sqlite3_libversion());
		return SQLITE_ERROR;
	}
	const char *missing = sqldbc_missing_required_api();
	if (missing) {
		*errmsg = sqlite3_mprintf("%s", missing);
		return SQLITE_ERROR;
	}
	/* Loading twice on one connection keeps the first load: its state
	 * stays where the hooks and the functions point (conn_life.c). */
	if (sqldbc_conn_loaded(db))
		return SQLITE_OK;
	sqldbc_conn *conn = sqldbc_conn_new(db, conn_free);
	if (!conn)
		return SQLITE_NOMEM;
	/* Each registration below holds the state, and from SQLite 3.44 on the
	 * connection too, until it closes: replacing one of them never frees
	 * what the others reach. A failure lets go of what the failed one
	 * held (SQLite calls its destructor); the rest go at close. */
	int rc = sqldbc_conn_attach(db, conn);
	if (rc == SQLITE_OK)
		rc = sqldbc_conn_function(db, "dbcare_internal_state", 0, SQLDBC_SIDE_EFFECT, conn,
		                          state_fn);
	if (rc == SQLITE_OK)
		rc = sqldbc_conn_function(db, "dbcare_internal_state", 1, SQLDBC_SIDE_EFFECT, conn,
		                          state_request_fn);
	if (rc != SQLITE_OK) {
		*errmsg = sqlite3_mprintf("dbcare: could not register its connection state: %s",
		                          sqlite3_errmsg(db));
		return rc;
	}
	rc = sqldbc_register_api(db, conn, errmsg);
	if (rc == SQLITE_OK) {
		rc = sqldbc_audit_direct_register(db, conn);
		if (rc != SQLITE_OK)
			*errmsg = sqlite3_mprintf("dbcare: could not register sqlite_compileoption_used: %s",
			                          sqlite3_errmsg(db));
	}
	/* the connection completes the audit entries it writes (audit_pending.c)
	 * and writes those of the audited tables finished (audit_direct.c): a
	 * failure leaves it writing pending entries, as without dbcare */
	/* The load's reads of the file end at its first busy result: each
	 * further one would wait the whole busy timeout again behind the same
	 * writer (4 waits in all) and fail as well, leaving what a failed
	 * read leaves: the shared audit triggers; the log capture is set up
	 * at the connection's first commit instead (pitr_module.c). */
	int hooked = rc == SQLITE_OK ? sqldbc_audit_hook(db) : rc;
	/* behind a lock: backup.log.dir is read at the first commit instead */
	if (hooked == SQLITE_BUSY)
		sqldbc_pitr_defer(conn);
	if (hooked == SQLITE_OK) {
		sqldbc_call call;
		sqldbc_call_open(&call, conn);
		int installed = sqldbc_audit_direct_install(&call.ctx);
		sqldbc_call_settle(&call, installed != DBC_OK);
		dbc_ctx_finish(&call.ctx);
		/* backup.log.dir set: this connection captures the log */
		sqldbc_pitr_configure(conn, true);
	}
	return rc;
}
