/*
 * pitr_module.c — the point-in-time log captured by an application
 * connection (docs/backups.md, "Capture inside the application"): with
 * the setting backup.log.dir set, the connection's WAL hook copies into
 * the log, right after each of its commits, every commit the WAL holds
 * beyond the last frame copied (its own and those other connections made
 * meanwhile), with the one capture the command runs too
 * (pitr_capture.c, in its module way: lazy_readers, pitr_capture.h).
 *
 * Checkpoints: the WAL hook replaces SQLite's automatic checkpoint on
 * this connection (sqlite3_wal_hook is the hook the automatic checkpoint
 * uses), and the capture checkpoints itself once the WAL holds 1,000
 * frames, only frames already in the log and synced. The capture's reader
 * keeps other connections' checkpoints from passing a frame not yet
 * copied. The connection keeps the WAL when it closes
 * (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): the next capture continues the log
 * from it rather than taking a new base.
 *
 * The capture starts when the module is loaded (the connection idle),
 * else, after a failed start or a dbcare_set on this connection (inside
 * a statement, which may hold the write lock), at its next commit:
 * it takes the log's lock (one capture per log: a second connection with
 * the setting, or `dbcare log`, finds it held and leaves the capture to its
 * holder, trying again at most once a second), continues the log or takes
 * a base. A failure is written to SQLite's error log (sqlite3_log) and
 * never fails the application's commit, which has happened: the frames not
 * copied stay protected, and the next commit tries again.
 */
#include "pitr_capture.h"

#include "conn.h"
#include "optional_api.h"
#include "settings/settings.h"

#include <string.h>
#include <sys/stat.h>

/* While another capture holds the log, or after a failed start: how long
 * before the next try. */
#define RETRY_MS 1000

struct sqldbc_pitr {
	pitr_capture c;
	char *dir, *db_path, *identity; /* sqlite3_malloc'd; identity may be NULL */
	bool running;                   /* started: holds the log's lock */
	int64_t next_try_ms;
};

static void say(void *arg, int level, const char *msg)
{
	(void)arg;
	sqlite3_log(level == PITR_SAY_ERROR ? SQLITE_WARNING : SQLITE_NOTICE, "dbcare: %s", msg);
}

static void capture_reset(sqldbc_pitr *p)
{
	p->c = (pitr_capture){.dir = p->dir,
	                      .db_path = p->db_path,
	                      .identity = p->identity,
	                      .seg_interval_ms = 60000,
	                      .seg_bytes = (int64_t)64 << 20,
	                      .ckpt_frames = 1000,
	                      .lazy_readers = true,
	                      .sync_ms = 1000,
	                      .host = sqldbc_installed_host(),
	                      .say = say};
}

static void capture_stop(sqldbc_pitr *p)
{
	if (p->running)
		pitr_capture_stop(&p->c);
	p->running = false;
}

static void try_start(sqldbc_pitr *p)
{
	int64_t now = pitr_now_ms();
	if (now < p->next_try_ms)
		return;
	capture_reset(p);
	int rc = pitr_capture_start(&p->c);
	if (rc == 0) {
		p->running = true;
		return;
	}
	pitr_capture_stop(&p->c); /* what the start took */
	p->next_try_ms = now + RETRY_MS;
}

/* After each commit (SQLite's WAL hook): the capture of the main
 * database's WAL; another schema's WAL is checkpointed as SQLite would
 * have (its automatic checkpoint is this hook's slot). */
static int on_wal(void *arg, sqlite3 *db, const char *schema, int frames)
{
	sqldbc_pitr *p = arg;
	if (strcmp(schema, "main") != 0) {
		if (frames >= 1000)
			sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (!p->running)
		try_start(p);
	p->c.wal_frames = frames > 0 ? (uint32_t)frames : 0;
	int rc = p->running ? pitr_capture_poll(&p->c) : 0;
	p->c.wal_frames = 0;
	if (rc != 0)
		sqlite3_log(SQLITE_WARNING,
		            "dbcare: the log capture into %s failed at this commit; "
		            "the next commit tries again (nothing is lost meanwhile)",
		            p->dir);
	return SQLITE_OK;
}

void sqldbc_pitr_free(sqldbc_conn *conn)
{
	sqldbc_pitr *p = conn->pitr;
	if (!p)
		return;
	capture_stop(p);
	sqlite3_free(p->dir);
	sqlite3_free(p->db_path);
	sqlite3_free(p->identity);
	sqlite3_free(p);
	conn->pitr = NULL;
}

/* The capture ended on this connection: SQLite's own checkpoints are back. */
static void detach(sqldbc_conn *conn)
{
	if (!conn->pitr)
		return;
	sqldbc_pitr_free(conn);
	sqlite3_wal_hook(conn->db, NULL, NULL);
	sqlite3_wal_autocheckpoint(conn->db, 1000);
	sqlite3_db_config(conn->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, (int *)NULL);
}

/* backup.log.dir as this connection sees it now (sqlite3_malloc'd; NULL:
 * empty, or unreadable: no bookkeeping yet), and the database's identity
 * (*identity, sqlite3_malloc'd; NULL: none yet). */
static char *log_dir_setting(sqldbc_conn *conn, char **identity)
{
	sqldbc_call call;
	sqldbc_call_open(&call, conn);
	char *v = NULL, *out = NULL;
	int rc = dbc_setting_get(&call.ctx, "backup.log.dir", &v);
	if (rc == DBC_OK && v && v[0]) {
		out = sqlite3_mprintf("%s", v);
		char *id = sqldbc_book_database_id(&call.ctx);
		*identity = id ? sqlite3_mprintf("%s", id) : NULL;
	}
	sqldbc_call_settle(&call, rc != DBC_OK);
	dbc_ctx_finish(&call.ctx);
	return out;
}

/* The dbcare command's connections never capture (it has `dbcare log`):
 * it opens the database as a URI with dbcare_capture=0, which the module
 * reads before anything (at load, before the capture would start). */
static bool capture_refused(sqldbc_conn *conn)
{
	const char *file = sqlite3_db_filename(conn->db, "main");
	return file && !sqlite3_uri_boolean(file, "dbcare_capture", 1);
}

void sqldbc_pitr_configure(sqldbc_conn *conn, bool start_now)
{
	if (!sqldbc_has_wal() || capture_refused(conn))
		return; /* no WAL in this SQLite, or the command's connection */
	char *identity = NULL;
	char *dir = log_dir_setting(conn, &identity);
	sqldbc_pitr *p = conn->pitr;
	if (p && dir && strcmp(dir, p->dir) == 0) {
		sqlite3_free(dir);
		sqlite3_free(identity);
		return;
	}
	if (p) /* changed or emptied: the capture into the old one ends */
		detach(conn);
	const char *file = sqlite3_db_filename(conn->db, "main");
	if (!dir || !file || !file[0]) {
		sqlite3_free(dir);
		sqlite3_free(identity);
		return; /* not set, or a database without a file */
	}
	p = sqlite3_malloc(sizeof *p);
	if (!p) {
		sqlite3_free(dir);
		sqlite3_free(identity);
		return;
	}
	memset(p, 0, sizeof *p);
	p->dir = dir;
	p->identity = identity;
	p->db_path = sqlite3_mprintf("%s", file);
	if (!p->db_path) {
		sqlite3_free(dir);
		sqlite3_free(identity);
		sqlite3_free(p);
		return;
	}
	pitr_log_use_host(sqldbc_installed_host());
	conn->pitr = p;
	sqlite3_db_config(conn->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	sqlite3_wal_hook(conn->db, on_wal, p);
	/* at load the connection is idle: the capture starts now, and its
	 * first poll records that nothing was committed since the log's last
	 * record but what the WAL holds (a heartbeat, or the commits) */
	if (start_now) {
		try_start(p);
		if (p->running)
			pitr_capture_poll(&p->c);
	}
}

int sqldbc_pitr_check_setting(dbc_ctx *ctx, const dbc_value *key, const dbc_value *value)
{
	if (key->type != DBC_TEXT || !key->s || strcmp(key->s, "backup.log.dir") != 0 ||
	    value->type != DBC_TEXT || !value->s || !value->s[0])
		return DBC_OK; /* another key, or the capture switched off */
	const char *v = value->s;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "backup.log.dir must not hold a control character (a newline)");
	if (value->nul_len || v[0] != '/')
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "backup.log.dir must be an absolute path (\"%s\" would be read from each "
		                 "process's own working directory)",
		                 v);
	struct stat st;
	if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "backup.log.dir \"%s\" is not an existing directory: create it first", v);
	if (v[strspn(v, "/")] == '\0')
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "backup.log.dir must be a directory of its own, not /");
	return DBC_OK;
}
