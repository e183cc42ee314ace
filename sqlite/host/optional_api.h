/*
 * sqlite/host/optional_api.h — the routines of the SQLite API that a build may leave
 * out. The module is compiled against one sqlite3ext.h and loaded into SQLites
 * built with other options (better-sqlite3 defines SQLITE_OMIT_PROGRESS_CALLBACK
 * and SQLITE_OMIT_DEPRECATED): a routine a build omits has a NULL slot in the
 * extension routine table, and calling it kills the application. Every such
 * routine the module uses is called through here, never directly.
 *
 * The module uses no routine newer than SQLite 3.38, the oldest it loads into
 * (entry.c refuses older ones); the matrix compiles the glue against 3.38's
 * sqlite3ext.h to keep it so (test/harness/sqlite_matrix.sh).
 */
#ifndef SQLDBC_OPTIONAL_API_H
#define SQLDBC_OPTIONAL_API_H

#include "glue.h"

/* NULL when this SQLite has every routine the module cannot work without
 * (virtual tables), else a message naming what the build left out. */
const char *sqldbc_missing_required_api(void);

/* Whether this SQLite calls progress handlers (not built with
 * SQLITE_OMIT_PROGRESS_CALLBACK). */
bool sqldbc_has_progress_handler(void);
/* sqlite3_progress_handler(db, every, fn, arg) where the build has it;
 * returns whether fn will be called. Without it a long statement on db
 * cannot be cut short: the caller checks its deadline and the interrupt
 * before and after the statement instead. */
bool sqldbc_watch_progress(sqlite3 *db, int every, int (*fn)(void *), void *arg);

/* Whether this SQLite has WAL databases and their hooks (not built with
 * SQLITE_OMIT_WAL): sqlite3_wal_hook and the checkpoint routines. */
bool sqldbc_has_wal(void);

/* SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE set to keep (SQLite 3.16+; the module
 * loads only into 3.38+, yet the slot and the answer are checked): whether
 * the connection's close now checkpoints (false) or keeps the WAL (true)
 * as asked. */
bool sqldbc_keep_wal_on_close(sqlite3 *db, bool keep);

/* sqlite3_compileoption_used(option); false where the build left out the
 * compile-option diagnostics (SQLITE_OMIT_COMPILEOPTION_DIAGS). */
bool sqldbc_compiled_with(const char *option);

/* Whether stmt was expired (a schema change since it was prepared: its
 * next step prepares it again); unknown where the build left out the
 * deprecated sqlite3_expired (SQLITE_OMIT_DEPRECATED): then guess. */
bool sqldbc_stmt_expired(sqlite3_stmt *stmt, bool guess);

/* SQLite's application mutex number one, held around a process-wide
 * registration; nothing where the build has no mutexes
 * (SQLITE_MUTEX_OMIT: one thread only). */
void sqldbc_app_mutex_enter(void);
void sqldbc_app_mutex_leave(void);

#endif
