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
 * The WAL hook stays the capture's (invariant): a connection has one WAL
 * hook, and PRAGMA wal_autocheckpoint, sqlite3_wal_autocheckpoint and
 * sqlite3_wal_hook each replace it, which would end the capture in
 * silence. So every commit of the connection first runs the module's
 * commit hook, which puts the capture's WAL hook back before the commit's
 * frames are written (the commit itself is then copied, as is every commit
 * made meanwhile: the capture's reader kept them in the WAL). The
 * application's wish is kept where it can be: an automatic checkpoint of
 * N frames (the hook's argument, a number) becomes the capture's own
 * checkpoint every N frames; a NULL argument (0 or a negative N, which
 * SQLite installs as no hook at all, or an application hook whose
 * argument is NULL: they cannot be told apart) keeps the capture's
 * checkpoint at 1,000 frames (never checkpointing would let the WAL grow
 * without end); a hook of the application's
 * own (its argument a pointer) cannot be kept beside the capture's (open
 * the connection without backup.log.dir, or with the URI parameter
 * dbcare_capture=0, to keep it). Both are said in SQLite's error log
 * (sqlite3_log). The commit hook's slot is the guard's: an application's
 * commit hook set before the capture is replaced (and said); a build
 * without sqlite3_commit_hook, or an application that replaces the commit
 * hook after, keeps the WAL hook only while the
 * application leaves it alone; a capture ended so still holds the log, and
 * the commits it misses show in point_in_time_log as a lag
 * (pitr_health.c).
 *
 * The capture starts when the module is loaded on a connection that can
 * write (the connection idle; a read-only one never captures), else, after
 * a failed start or a dbcare_set on this connection (inside a statement,
 * which may hold the write lock), at its next commit: it takes the log's
 * lock (one capture per log), continues the log or takes a base. A load
 * that could not read backup.log.dir (another connection held the file's
 * lock) defers the set-up to the connection's first WAL hook call, after
 * a commit (sqldbc_pitr_defer): no connection with the setting goes
 * without a capture because of the moment it loaded. A second
 * connection of the same process finds the lock held and polls the
 * holder's capture at each of its own commits (the registry below), so a
 * holder that never commits (a pool's idle reader) still captures every
 * commit of its process. A connection of another process, or `dbcare log`,
 * finds the lock held and leaves the capture to its holder: the holder
 * copies that process's commits at its own next commit (its reader keeps
 * them in the WAL meanwhile); the other connection tries the lock again at
 * each of its commits, so it takes the capture over at its first commit
 * after the holder closed, before it would checkpoint. A failure is written
 * to SQLite's error log (sqlite3_log) and never fails the application's
 * commit, which has happened: the frames not copied stay protected, and
 * the next commit tries again (at most once a second).
 */
#include "pitr_capture.h"

#include "sqlite/host/glue.h"
#include "settings/settings.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

/* After a failed start (not: the log's lock held elsewhere, tried again
 * at every commit): how long before the next try. */
#define RETRY_MS 1000

/* The automatic checkpoint's frames, as SQLite sets it by default and as
 * the capture checkpoints unless the application asked otherwise. */
#define CKPT_FRAMES 1000

/* A WAL hook argument below this is a number (sqlite3_wal_autocheckpoint's
 * N): no object lives in the first 64 KiB of a process (mmap_min_addr). */
#define AUTOCKPT_ARG_MAX 65536

struct sqldbc_pitr {
	pitr_capture c;
	/* deferred (sqldbc_pitr_defer): backup.log.dir not read yet; dir,
	 * db_path and identity NULL, only the hooks set, until on_wal reads it */
	bool pending;
	sqldbc_conn *conn;
	char *dir, *db_path, *identity; /* sqlite3_malloc'd; identity may be NULL */
	bool running;                   /* started: holds the log's lock */
	int64_t next_try_ms;
	sqlite3 *db;
	int autockpt; /* the application's automatic checkpoint, in frames; 0: none */
	struct sqldbc_pitr *next_running; /* the process's registry (below) */
};

/* The process's running captures (invariant): a capture runs on the one
 * connection that started it and holds the log's lock, and is in this
 * registry exactly while it runs. A commit on another connection of the
 * process, of the same database into the same log, polls that capture
 * (its commit is copied at once, not at the holder's next commit). The
 * registry, and every start, poll and stop of a capture, go under one
 * mutex: a capture is polled by one thread at a time and never after it
 * stopped. Recursive: a connection the capture opens may load the module
 * (an automatic extension). */
static pthread_mutex_t registry_mutex;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;
static sqldbc_pitr *registry;

static void registry_init(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&registry_mutex, &a);
	pthread_mutexattr_destroy(&a);
}

static void registry_lock(void)
{
	pthread_once(&registry_once, registry_init);
	pthread_mutex_lock(&registry_mutex);
}

static void registry_unlock(void)
{
	pthread_mutex_unlock(&registry_mutex);
}

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
	                      .ckpt_frames = p->autockpt > 0 ? (uint32_t)p->autockpt : UINT32_MAX,
	                      .lazy_readers = true,
	                      .sync_ms = 1000,
	                      .base_step_ms = 2, /* a periodic base: a step at each commit */
	                      .base_poll = pitr_next_base_poll,
	                      .base_stop = pitr_next_base_stop,
	                      .host = sqldbc_installed_host(),
	                      .say = say};
}

static void capture_stop(sqldbc_pitr *p)
{
	registry_lock();
	if (p->running) {
		for (sqldbc_pitr **q = &registry; *q; q = &(*q)->next_running)
			if (*q == p) {
				*q = p->next_running;
				break;
			}
		pitr_capture_stop(&p->c);
	}
	p->running = false;
	registry_unlock();
}

static void try_start(sqldbc_pitr *p)
{
	int64_t now = pitr_now_ms();
	if (now < p->next_try_ms)
		return;
	registry_lock();
	capture_reset(p);
	int rc = pitr_capture_start(&p->c);
	if (rc == 0) {
		p->running = true;
		p->next_running = registry;
		registry = p;
	} else {
		pitr_capture_stop(&p->c); /* what the start took */
		/* the lock held elsewhere is tried again at the next commit (an
		 * open and a flock: its holder may close any moment, and until the
		 * capture is taken over nothing protects the frames it had not
		 * copied from a checkpoint); a failed start waits */
		p->next_try_ms = rc < 0 ? now + RETRY_MS : 0;
	}
	registry_unlock();
}

/* A poll of p's capture (the caller holds the registry's mutex). */
static void poll_capture(sqldbc_pitr *p, int frames)
{
	p->c.wal_frames = frames > 0 ? (uint32_t)frames : 0;
	int rc = pitr_capture_poll(&p->c);
	p->c.wal_frames = 0;
	if (rc != 0)
		sqlite3_log(SQLITE_WARNING,
		            "dbcare: the log capture into %s failed at this commit; "
		            "the next commit tries again (nothing is lost meanwhile)",
		            p->dir);
}

/* A commit on p's connection, which does not capture: another connection
 * of this process that captures this database into this log is polled
 * (the registry's invariant). False: none runs here. */
static bool poll_process_capture(sqldbc_pitr *p, int frames)
{
	registry_lock();
	sqldbc_pitr *q = registry;
	while (q && (strcmp(q->db_path, p->db_path) != 0 || strcmp(q->dir, p->dir) != 0))
		q = q->next_running;
	if (q)
		poll_capture(q, frames);
	registry_unlock();
	return q != NULL;
}

/* A deferred set-up at the connection's first WAL hook call (the commit
 * made, the lock released: the setting can be read now): the checkpoint
 * SQLite would have made, then backup.log.dir read and, when set, the
 * capture started as at load (its base or the log continued, this commit
 * in it). Still locked: deferred again. p is freed unless deferred. */
static void configure_deferred(sqldbc_pitr *p, sqlite3 *db, const char *schema, int frames)
{
	if (p->autockpt > 0 && frames >= p->autockpt)
		sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (strcmp(schema, "main") != 0)
		return;
	sqldbc_conn *conn = p->conn;
	sqldbc_pitr_free(conn); /* the hooks too: configure sets them again */
	/* the WAL kept at the close only when a log is set (configure) */
	(void)sqldbc_keep_wal_on_close(db, false);
	sqldbc_pitr_configure(conn, true);
}

/* After each commit (SQLite's WAL hook): the capture of the main
 * database's WAL; another schema's WAL is checkpointed as SQLite would
 * have (its automatic checkpoint is this hook's slot). */
static int on_wal(void *arg, sqlite3 *db, const char *schema, int frames)
{
	sqldbc_pitr *p = arg;
	if (p->pending) {
		configure_deferred(p, db, schema, frames); /* p may be freed */
		return SQLITE_OK;
	}
	if (strcmp(schema, "main") != 0) {
		if (p->autockpt > 0 && frames >= p->autockpt)
			sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (!p->running && poll_process_capture(p, frames))
		return SQLITE_OK;
	if (!p->running)
		try_start(p);
	/* No capture on this connection (another process's holds the log and
	 * its reader protects what it has not copied, or none may: a copy of
	 * the database at another path): SQLite's own checkpoint at the length
	 * the application asked for, else the WAL would grow without end. */
	if (!p->running) {
		if (p->autockpt > 0 && frames >= p->autockpt)
			sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	registry_lock();
	poll_capture(p, frames);
	registry_unlock();
	return SQLITE_OK;
}

/* Before each commit of the connection (its commit hook): the capture's
 * WAL hook put back if the application replaced it (the invariant above),
 * and what it asked for kept. Never fails the commit. */
static int on_commit(void *arg)
{
	sqldbc_pitr *p = arg;
	sqlite3 *db = p->db;
	void *prev = sqlite3_wal_hook(db, on_wal, p);
	if (prev == p)
		return 0;
	if (!prev) {
		/* sqlite3_wal_hook(db, fn, NULL), or (NULL, NULL), which is also
		 * sqlite3_wal_autocheckpoint(db, 0) and PRAGMA wal_autocheckpoint =
		 * 0: the cases look alike, and "never checkpoint" taken from an
		 * application's hook would let the WAL grow without end. The
		 * capture keeps checkpointing at CKPT_FRAMES, and says so. */
		p->autockpt = CKPT_FRAMES;
		p->c.ckpt_frames = CKPT_FRAMES;
		sqlite3_log(SQLITE_WARNING,
		            "dbcare: the WAL hook of a connection that captures the log into %s was "
		            "removed or replaced by one without an argument (sqlite3_wal_hook, or "
		            "wal_autocheckpoint 0): an application WAL hook may have been replaced and "
		            "is no longer called; the capture keeps checkpointing at %d frames",
		            p->dir, CKPT_FRAMES);
		return 0;
	}
	uintptr_t n = (uintptr_t)prev;
	if (n < AUTOCKPT_ARG_MAX) {
		p->autockpt = (int)n;
		p->c.ckpt_frames = n > 0 ? (uint32_t)n : UINT32_MAX;
		sqlite3_log(SQLITE_NOTICE,
		            "dbcare: the automatic checkpoint was set to %d frames on a connection that "
		            "captures the log into %s: the capture keeps SQLite's WAL hook and "
		            "checkpoints %s",
		            (int)n, p->dir, n > 0 ? "at that length itself" : "no more on its own");
	} else {
		sqlite3_log(SQLITE_WARNING,
		            "dbcare: a WAL hook of the application's own was installed on a connection "
		            "that captures the log into %s: SQLite keeps one WAL hook per connection, "
		            "and the capture's was put back (that hook is no longer called); open the "
		            "connection with the URI parameter dbcare_capture=0 to keep it",
		            p->dir);
	}
	return 0;
}

/* The connection's hooks no longer reach p, which is freed next: the
 * connection may live on (an application redefining dbcare_internal_state
 * frees the state), and a hook left pointing at p would read freed memory
 * at the next commit. SQLite's automatic checkpoint is given back. A hook
 * the application put in the slot since is removed with it (SQLite gives
 * back only its argument, not the function): said in the error log. */
static void unhook(sqldbc_pitr *p)
{
	void *prev = NULL;
	if (sqlite3_api->commit_hook && (prev = sqlite3_commit_hook(p->db, NULL, NULL)) != p && prev)
		sqlite3_log(SQLITE_WARNING,
		            "dbcare: the log capture ended on a connection whose commit hook the "
		            "application had replaced: that hook was removed with the capture's");
	prev = sqlite3_wal_hook(p->db, NULL, NULL);
	uintptr_t n = (uintptr_t)prev;
	int autockpt = prev == p ? p->autockpt : n < AUTOCKPT_ARG_MAX ? (int)n : p->autockpt;
	sqlite3_wal_autocheckpoint(p->db, autockpt);
}

void sqldbc_pitr_free(sqldbc_conn *conn)
{
	sqldbc_pitr *p = conn->pitr;
	if (!p)
		return;
	unhook(p);
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
	sqldbc_pitr_free(conn); /* the hooks too */
	(void)sqldbc_keep_wal_on_close(conn->db, false);
}

/* backup.log.dir as this connection sees it now (sqlite3_malloc'd; NULL:
 * empty, or unreadable: no bookkeeping yet; *locked: not read, another
 * connection holds the file's lock), and the database's identity
 * (*identity, sqlite3_malloc'd; NULL: none yet). */
static char *log_dir_setting(sqldbc_conn *conn, char **identity, bool *locked)
{
	sqldbc_call call;
	sqldbc_call_open(&call, conn);
	char *v = NULL, *out = NULL;
	int rc = dbc_setting_get(&call.ctx, "backup.log.dir", &v);
	*locked = rc != DBC_OK && strcmp(call.ctx.sqlstate, DBC_SQLSTATE_LOCK_TIMEOUT) == 0;
	/* a store's URL (the settings admit no other non-path): dbcare log
	 * DIR ships there, an application connection captures nothing */
	if (rc == DBC_OK && v && v[0] == '/') {
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

/* The connection's WAL hook and commit hook (the guard) go to p. The
 * commit hook's slot is the guard's (one per connection, as the WAL
 * hook's): an application's hook already there is replaced, and said. */
static void hook(sqldbc_pitr *p)
{
	sqlite3_wal_hook(p->db, on_wal, p);
	if (sqlite3_api->commit_hook && sqlite3_commit_hook(p->db, on_commit, p))
		sqlite3_log(SQLITE_WARNING,
		            "dbcare: the connection's commit hook was replaced by the log capture's%s%s "
		            "(SQLite keeps one per connection); open the connection with the URI "
		            "parameter dbcare_capture=0 to keep it",
		            p->dir ? " into " : "", p->dir ? p->dir : "");
}

/* A connection that never captures (dbcare_capture=0: the command's) on a
 * database with a log, or one whose setting could not be read: it never
 * checkpoints what the log may not have captured yet, neither at its close
 * (the last connection's close would checkpoint the WAL away, and the next
 * capture would begin a new epoch after a gap) nor automatically; the
 * capturing connection checkpoints once it has copied the frames. */
static void keep_wal_for_log(sqldbc_conn *conn, const char *dir, bool locked)
{
	if (!dir && !locked)
		return;
	if (!sqldbc_keep_wal_on_close(conn->db, true))
		sqlite3_log(SQLITE_WARNING,
		            "dbcare: this SQLite cannot keep the WAL at a connection's close "
		            "(SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): closing it may checkpoint commits "
		            "the log%s%s has not captured",
		            dir ? " in " : "", dir ? dir : "");
	sqlite3_wal_autocheckpoint(conn->db, 0);
}

void sqldbc_pitr_defer(sqldbc_conn *conn)
{
	if (conn->pitr || !sqldbc_has_wal() || sqlite3_db_readonly(conn->db, "main") == 1)
		return;                  /* set up already (a capture, or deferred), or never */
	if (capture_refused(conn)) { /* the setting unread: there may be a log */
		keep_wal_for_log(conn, NULL, true);
		return;
	}
	sqldbc_pitr *p = sqlite3_malloc(sizeof *p);
	if (!p)
		return;
	memset(p, 0, sizeof *p);
	p->pending = true;
	p->db = conn->db;
	p->conn = conn;
	p->autockpt = CKPT_FRAMES;
	conn->pitr = p;
	/* a close before the setting is read keeps the WAL: it may have a log */
	(void)sqldbc_keep_wal_on_close(conn->db, true);
	hook(p);
}

void sqldbc_pitr_configure(sqldbc_conn *conn, bool start_now)
{
	if (!sqldbc_has_wal() || sqlite3_db_readonly(conn->db, "main") == 1)
		return; /* no WAL in this SQLite, or a connection that cannot
		         * commit (it would hold the capture for nothing) */
	char *identity = NULL;
	bool locked = false;
	char *dir = log_dir_setting(conn, &identity, &locked);
	if (capture_refused(conn)) { /* the command's connection: never captures */
		keep_wal_for_log(conn, dir, locked);
		sqlite3_free(dir);
		sqlite3_free(identity);
		return;
	}
	if (locked) {
		sqldbc_pitr_defer(conn); /* read again at the first commit */
		return;
	}
	sqldbc_pitr *p = conn->pitr;
	if (p && !p->pending && dir && strcmp(dir, p->dir) == 0) {
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
	p->db = conn->db;
	p->conn = conn;
	p->autockpt = CKPT_FRAMES;
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
	(void)sqldbc_keep_wal_on_close(conn->db, true);
	hook(p);
	/* at load the connection is idle: the capture starts now, and its
	 * first poll records that nothing was committed since the log's last
	 * record but what the WAL holds (a heartbeat, or the commits) */
	if (start_now) {
		try_start(p);
		if (p->running) {
			registry_lock();
			pitr_capture_poll(&p->c);
			registry_unlock();
		}
	}
}

int sqldbc_pitr_check_setting(dbc_ctx *ctx, const dbc_value *key, const dbc_value *value)
{
	if (key->type != DBC_TEXT || !key->s || strcmp(key->s, "backup.log.dir") != 0 ||
	    value->type != DBC_TEXT || !value->s || !value->s[0])
		return DBC_OK; /* another key, or the capture switched off */
	const char *v = value->s;
	if (value->nul_len)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup.log.dir must not hold a NUL byte");
	if (v[0] != '/')
		return DBC_OK; /* not a path: the settings' own check refuses it
		                * (DBC_SETTING_DIR), with the rule's one message */
	struct stat st;
	if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "backup.log.dir \"%s\" is not an existing directory: create it first", v);
	if (v[strspn(v, "/")] == '\0')
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "backup.log.dir must be a directory of its own, not /");
	return DBC_OK;
}
