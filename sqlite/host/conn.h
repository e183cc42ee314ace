/*
 * conn.h — per-connection state of the SQLite module: the savepoint depth of
 * the running call, a slot for the slow-statement monitor and the cached
 * schema model.
 */
#ifndef SQLDBC_CONN_H
#define SQLDBC_CONN_H

#include "glue.h"

struct sqldbc_conn {
	sqlite3 *db;
	int sp_depth;  /* savepoints opened by dbcare on this connection */
	void *monitor; /* dbmonitor state, owned by the health glue */
	void (*monitor_free)(sqldbc_conn *conn);
	struct sqldbc_schema_cache *schema_cache; /* catalog.c: the model, by catalog digest */
	struct dbc_js_cache *json_cache;          /* fn_json.c: compiled JSON Schemas */
	/* fn_json.c: the JSON Schema registry's generation as read at main's
	 * data version json_registry_version (json_registry_known false: read
	 * it again); json_registry_dirty: dbcare wrote the registry in the
	 * transaction of data version json_registry_dirty_version */
	int64_t json_registry_gen;
	unsigned json_registry_version, json_registry_dirty_version;
	bool json_registry_known, json_registry_dirty;
	char *audit_actor;           /* fn_audit.c: dbaudit_actor('...'), sqlite3_malloc'd */
	int64_t audit_txid;          /* fn_audit.c: the id dbaudit_txid() hands out ... */
	unsigned audit_data_version; /* ... while main's data version is this one */
	bool audit_txid_set;
	sqlite3_int64 audit_now_ms;  /* fn_audit.c: dbaudit_now()'s last clock reading, */
	sqlite3_int64 audit_now_sec; /* ... its second ... */
	int audit_now_len;           /* ... and its text (0: none yet) */
	char audit_now[64];
	/* fn_audit.c: the connection's VFS, whose clock dbaudit_now() reads,
	 * asked once (SQLITE_FCNTL_VFS_POINTER; a VFS in use by an open
	 * connection stays registered); NULL: not asked yet */
	sqlite3_vfs *audit_vfs;
	int audit_encoding; /* audit_json.c: main's text encoding (0: not read yet) */
	/* audit_json.c: the SHA-256 context chained entries are hashed on,
	 * made at the first (NULL: none yet), freed with the state */
	struct dbc_sha256 *audit_sha256;
	/* audit_json.c: the two sides (0 the old, 1 the new) of an update's
	 * changed columns dbaudit_json_changes() built, each kept for one
	 * dbaudit_json_kept(side) after it, or an insert's or delete's key (0)
	 * and values (1) its TEMP trigger's WHEN built, with its row hash, each
	 * kept for one dbaudit_entry_key(), _values() or _row_hash() (*_set:
	 * not handed out yet); sqlite3_malloc'd, reused */
	char *audit_kept[2];
	size_t audit_kept_len[2], audit_kept_cap[2];
	bool audit_kept_set[2];
	int64_t audit_kept_hash;
	bool audit_kept_hash_set;
	struct sqldbc_audit_direct *audit_direct; /* audit_direct.c: tokens seen and counted */
	/* audit_pending.c completed pending entries of the log here, which a
	 * ROLLBACK TO may make pending again: audit_direct.c then looks for
	 * them at every audited row until main's data version changes */
	bool audit_completed;
	/* entry.c: dbcare_internal_state('progress') asked for the progress of
	 * long steps as lines in SQLite's error log (host.c); off, the log of
	 * an application that has one sees no such line */
	bool progress_to_log;
	/* renames_writer.c: the runner is inserting a row of the rename log,
	 * which the log's triggers let through only then */
	bool renames_writer;
	/* pitr_module.c: the point-in-time capture of this connection's
	 * commits (backup.log.dir set); NULL: none */
	struct sqldbc_pitr *pitr;
	/* migrate_step.c: the mark of the dbmigrate_script step this connection
	 * runs outside a transaction; NULL: none */
	struct sqldbc_step_mark *step_mark;
	/* conn_life.c: what holds this state (counted: a state the module
	 * registered on the application's connection, not a scratch
	 * connection's state on the stack) */
	int refs;
	bool counted;
	void (*free_parts)(sqldbc_conn *conn); /* frees what the state owns */
};

/* conn_life.c: a new state for db, held by nothing yet (NULL: out of
 * memory); a reference for each registration that reaches it, let go by
 * sqldbc_conn_release (its destructor), which frees the state when nothing
 * holds it any more, after free_parts has removed its hooks and freed what
 * it owns. */
/* migrate_step.c: lets the connection's step mark go (ended: the step
 * completed, its file is removed first); the connection's end calls it. */
void sqldbc_step_mark_close(sqldbc_conn *conn, bool ended);

sqldbc_conn *sqldbc_conn_new(sqlite3 *db, void (*free_parts)(sqldbc_conn *conn));
void sqldbc_conn_hold(sqldbc_conn *conn);
/* renames_writer.c: host->renames_writer. */
void sqldbc_renames_writer(dbc_ctx *ctx, bool on);
/* fn_json.c: host->json_registry_written. */
void sqldbc_json_registry_written(dbc_ctx *ctx);
void sqldbc_conn_release(void *conn);
/* The connection holds the state until it closes (SQLite 3.44 on; before,
 * only the registrations hold it). SQLite's result code. */
int sqldbc_conn_attach(sqlite3 *db, sqldbc_conn *conn);
/* Whether the module is loaded on db already. */
bool sqldbc_conn_loaded(sqlite3 *db);
/* sqlite3_create_function_v2 with conn as user data, holding a reference
 * to it (let go when the function is replaced, removed or closed). */
int sqldbc_conn_function(sqlite3 *db, const char *name, int nargs, int flags, sqldbc_conn *conn,
                         void (*fn)(sqlite3_context *, int, sqlite3_value **));

/* pitr_module.c: reads backup.log.dir and, when it is set, makes this
 * connection capture its commits into it (start_now: at once, at load;
 * else at its next commit; never when the database was opened as a URI
 * with dbcare_capture=0, as the dbcare command opens it); when it is
 * emptied or changed, the capture into the old directory ends. At load,
 * and after dbcare_set on the connection. */
typedef struct sqldbc_pitr sqldbc_pitr;
void sqldbc_pitr_configure(sqldbc_conn *conn, bool start_now);
/* The same, deferred: the setting could not be read (another connection
 * held the file's lock at load); it is read at the connection's first
 * WAL hook call (after a commit, the lock released), and the capture
 * starts then when it is set. */
void sqldbc_pitr_defer(sqldbc_conn *conn);
/* dbcare_set's arguments checked before the value is stored: a
 * backup.log.dir must be empty or an existing directory named by an
 * absolute path (never /), without control characters; DBC_OK, or the
 * error set. */
int sqldbc_pitr_check_setting(dbc_ctx *ctx, const dbc_value *key, const dbc_value *value);
/* Ends the capture (the log closed whole) and frees its state (on close). */
void sqldbc_pitr_free(sqldbc_conn *conn);

/* schema_probe.c: whether table (column: one of its columns; NULL: the
 * table) is in the attached database schema ("main", "temp" or another
 * name). DBC_OK with *exists, or the error set when the connection could not
 * read the schema (a busy or locked file after the busy timeout): never
 * "absent" for "could not tell". */
int sqldbc_table_probe(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
                       bool *exists);

/* bookkeeping.c: the bookkeeping tables made or upgraded where missing
 * (all of them, or one part's), whether they exist, whether a table has a
 * column, and how the migration status summary may be read. */
int sqldbc_book_ensure(dbc_ctx *ctx);
int sqldbc_book_exists(dbc_ctx *ctx, bool *exists);
int sqldbc_book_ensure_part(dbc_ctx *ctx, const char *part);
bool sqldbc_book_has_column(dbc_ctx *ctx, const char *table, const char *column);
int sqldbc_audit_entries_written(dbc_ctx *ctx, int64_t *written);
/* The statements making one of the bookkeeping's tables (its catalogue
 * name, core/book/tables.c) in schema (a quoted name); NULL with the error
 * set: no such table, or out of memory. */
char *sqldbc_book_ddl(dbc_ctx *ctx, const char *table, const char *schema);
/* The database's identity (dbcare_bookkeeping.database_id, which copies
 * of the file keep); NULL when it has none yet (no bookkeeping, or one
 * older than version 14). */
char *sqldbc_book_database_id(dbc_ctx *ctx);
dbc_cache_access sqldbc_status_cache(dbc_ctx *ctx);

/* call.c: the SQLite result code of a SQLSTATE, and the context's error as
 * one "dbcare: " text (sqlite3_malloc'd; the caller sqlite3_frees it). */
int sqldbc_result_code(const char *sqlstate);
char *sqldbc_error_text(dbc_ctx *ctx);

/* Frees the cached schema model (on close). */
void sqldbc_schema_cache_free(sqldbc_conn *conn);

sqldbc_conn *sqldbc_conn_of(sqlite3_context *fctx);

/* txn_guard.c: prepares call->rescue (before a transaction the call
 * opens; afresh: even when it has one, which DDL may have expired). */
int sqldbc_call_prepare_rescue(sqldbc_call *call, bool afresh);
/* txn_guard.c: prepares call->rescue afresh after a savepoint rollback that
 * may have expired it; keeps the old one when that fails. */
void sqldbc_call_renew_rescue(sqldbc_call *call);
/* txn_guard.c: prepares call->rescue afresh when the statement just run
 * expired it (CREATE INDEX, a TEMP trigger: the bookkeeping a first use
 * makes, a part's triggers); wrote: whether that statement wrote, the
 * guess where SQLite cannot tell. */
void sqldbc_call_keep_rescue(sqldbc_call *call, bool wrote);
/* txn_guard.c: whether savepoint level is the transaction the call began
 * itself (no transaction was open before it), which ROLLBACK ends whole. */
bool sqldbc_call_owns_level(const sqldbc_call *call, int level);

/* stmt_cache.c: the call's statement for sql with nparam parameters $1..$n,
 * prepared on first use and reused after; *params is each parameter's slot
 * (params_out, room for nparam, holds them for a statement not cached).
 * SQLite's result code; *stmt NULL when sql has no statement. Hand it back
 * with sqldbc_stmt_put (reset, or finalized when not cached). */
int sqldbc_stmt_get(sqldbc_call *call, const char *sql, int nparam, sqlite3_stmt **stmt,
                    int *params_out, const int **params);
void sqldbc_stmt_put(sqldbc_call *call, sqlite3_stmt *stmt);
/* Finalizes the cached statements not in use, before something that may
 * change the schema (which would expire them). */
void sqldbc_stmt_cache_clear(sqldbc_call *call);
/* Finalizes every statement of the call's cache (when the call settles). */
void sqldbc_stmt_cache_free(sqldbc_call *call);
void sqldbc_param_slots(sqlite3_stmt *stmt, int nparam, int *slots);

#endif
