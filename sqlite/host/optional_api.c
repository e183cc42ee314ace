/*
 * sqlite/host/optional_api.c — which optional routines this SQLite has, read from the
 * extension routine table the connection handed to sqlite3_dbcare_init (a
 * NULL slot: the build left the routine out). See optional_api.h.
 */
#include "optional_api.h"

const char *sqldbc_missing_required_api(void)
{
	if (!sqlite3_api->create_module_v2 || !sqlite3_api->declare_vtab || !sqlite3_api->vtab_config)
		return "dbcare: needs virtual tables, and this SQLite was built without them "
		       "(SQLITE_OMIT_VIRTUALTABLE)";
	return NULL;
}

bool sqldbc_keep_wal_on_close(sqlite3 *db, bool keep)
{
	int now = -1;
	if (!sqlite3_api->db_config || sqlite3_libversion_number() < 3016000)
		return false;
	return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, keep ? 1 : 0, &now) ==
	           SQLITE_OK &&
	       now == (keep ? 1 : 0);
}

bool sqldbc_compiled_with(const char *option)
{
	return sqlite3_api->compileoption_used && sqlite3_compileoption_used(option);
}

bool sqldbc_has_wal(void)
{
	return sqlite3_api->wal_hook && sqlite3_api->wal_checkpoint_v2 &&
	       sqlite3_api->wal_autocheckpoint && !sqldbc_compiled_with("OMIT_WAL");
}

/* Both looks: a build may keep a slot that never calls back. */
bool sqldbc_has_progress_handler(void)
{
	return sqlite3_api->progress_handler && !sqldbc_compiled_with("OMIT_PROGRESS_CALLBACK");
}

bool sqldbc_watch_progress(sqlite3 *db, int every, int (*fn)(void *), void *arg)
{
	if (!sqldbc_has_progress_handler())
		return false;
	sqlite3_progress_handler(db, every, fn, arg);
	return true;
}

bool sqldbc_stmt_expired(sqlite3_stmt *stmt, bool guess)
{
	if (!sqlite3_api->expired)
		return guess;
	return sqlite3_expired(stmt) != 0;
}

static sqlite3_mutex *app_mutex(void)
{
	if (!sqlite3_api->mutex_alloc || !sqlite3_api->mutex_enter || !sqlite3_api->mutex_leave)
		return NULL;
	return sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_APP1);
}

void sqldbc_app_mutex_enter(void)
{
	sqlite3_mutex *m = app_mutex();
	if (m)
		sqlite3_mutex_enter(m);
}

void sqldbc_app_mutex_leave(void)
{
	sqlite3_mutex *m = app_mutex();
	if (m)
		sqlite3_mutex_leave(m);
}
