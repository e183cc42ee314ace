/*
 * conn_life.c — how long a connection's state lives. The state is reached
 * through the user data of every function and table-valued function the
 * module registers, and through the hooks it installs (the monitor's trace
 * callback, the log capture's commit and WAL hooks). SQLite calls a
 * function's destructor when the connection closes, but also when the
 * application replaces or removes that function (sqlite3_create_function
 * with its name: Python's create_function(name, n, None), a second load
 * the probe below cannot see): a state owned by one function would be
 * freed while the rest still point at it.
 *
 * Invariant: the state is freed once, when nothing of the connection holds
 * it any more. Each registration whose user data reaches it holds one
 * reference (its destructor lets go); from SQLite 3.44 on, the connection
 * holds one more as its client data (sqlite3_set_clientdata), let go only
 * when it closes. Replacing any of the module's functions therefore never
 * frees a state something still reaches; before 3.44, removing every one
 * of them frees it while the connection lives on, and the state's hooks
 * are removed with it (free_parts: entry.c's conn_free).
 */
#include "conn.h"

#include <stddef.h>
#include <string.h>

#define CLIENT_DATA_NAME "dbcare"

/* The routine table's slots after 3.38's last one (vtab_in_next), as
 * sqlite3ext.h lays them out from 3.44 on: the module is compiled against
 * headers as old as 3.38's (test/harness/sqlite_matrix.sh), and reads these
 * slots only from a SQLite that says it is 3.44 or newer (SQLite only ever
 * appends to the table). */
typedef struct api_since_339 {
	void (*deserialize)(void);
	void (*serialize)(void);
	void (*db_name)(void);
	void (*value_encoding)(void);                                             /* 3.40 */
	void (*is_interrupted)(void);                                             /* 3.41 */
	void (*stmt_explain)(void);                                               /* 3.43 */
	void *(*get_clientdata)(sqlite3 *, const char *);                         /* 3.44 */
	int (*set_clientdata)(sqlite3 *, const char *, void *, void (*)(void *)); /* 3.44 */
} api_since_339;

/* The client-data routines, or NULL before SQLite 3.44. */
static const api_since_339 *client_data_api(void)
{
	if (sqlite3_libversion_number() < 3044000)
		return NULL;
	const api_since_339 *tail =
	    (const void *)((const char *)sqlite3_api + offsetof(sqlite3_api_routines, vtab_in_next) +
	                   sizeof(sqlite3_api->vtab_in_next));
	return tail->get_clientdata && tail->set_clientdata ? tail : NULL;
}

sqldbc_conn *sqldbc_conn_new(sqlite3 *db, void (*free_parts)(sqldbc_conn *conn))
{
	sqldbc_conn *conn = sqlite3_malloc(sizeof(*conn));
	if (!conn)
		return NULL;
	memset(conn, 0, sizeof(*conn));
	conn->db = db;
	conn->counted = true;
	conn->free_parts = free_parts;
	return conn;
}

void sqldbc_conn_hold(sqldbc_conn *conn)
{
	if (conn->counted)
		conn->refs++;
}

void sqldbc_conn_release(void *p)
{
	sqldbc_conn *conn = p;
	if (conn->counted && --conn->refs == 0) {
		sqldbc_step_mark_close(conn, false);
		conn->free_parts(conn);
		sqlite3_free(conn);
	}
}

int sqldbc_conn_attach(sqlite3 *db, sqldbc_conn *conn)
{
	const api_since_339 *api = client_data_api();
	if (!api)
		return SQLITE_OK; /* the functions alone hold it */
	sqldbc_conn_hold(conn);
	/* on failure SQLite has already called the destructor */
	return api->set_clientdata(db, CLIENT_DATA_NAME, conn, sqldbc_conn_release);
}

/* Whether PRAGMA function_list lists the state function: 1 yes, 0 no, -1
 * when the pragma lists nothing at all (a build without introspection
 * pragmas) or is refused. The pragma reads no schema and fails no
 * statement, so an application's SQLITE_CONFIG_LOG hears nothing of it. */
static int listed_state_function(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA function_list", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rows = 0, found = 0;
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);
		rows++;
		found = name && strcmp((const char *)name, "dbcare_internal_state") == 0;
	}
	sqlite3_finalize(st);
	return found ? 1 : rows > 0 ? 0 : -1;
}

/* Whether the module is loaded on db already: its client data (3.44 on),
 * else whether PRAGMA function_list lists its state function, else
 * whether a statement calling that function prepares (which, failing,
 * writes into the application's log). An authorizer or a length limit can
 * refuse either statement: before 3.44 such a second load registers
 * everything again, and the first state, no longer held, goes with its
 * hooks. */
bool sqldbc_conn_loaded(sqlite3 *db)
{
	const api_since_339 *api = client_data_api();
	if (api && api->get_clientdata(db, CLIENT_DATA_NAME))
		return true;
	int listed = listed_state_function(db);
	if (listed >= 0)
		return listed == 1;
	sqlite3_stmt *probe = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT dbcare_internal_state()", -1, &probe, NULL);
	sqlite3_finalize(probe);
	return rc == SQLITE_OK;
}

int sqldbc_conn_function(sqlite3 *db, const char *name, int nargs, int flags, sqldbc_conn *conn,
                         void (*fn)(sqlite3_context *, int, sqlite3_value **))
{
	sqldbc_conn_hold(conn);
	/* on failure SQLite has already called the destructor */
	return sqlite3_create_function_v2(db, name, nargs, flags, conn, fn, NULL, NULL,
	                                  sqldbc_conn_release);
}
