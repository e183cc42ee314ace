/*
 * capi_state_lifetime.c — the SQLite module's connection state outlives what
 * an application does to the module's functions through the C API (what
 * Python's create_function, better-sqlite3's function() and every binding
 * reach), each on a fresh database in the current directory:
 *
 *   replaced  the application defines dbcare_internal_state itself;
 *   removed   it removes that function (create_function(name, 0, None));
 *   reloaded  the module is loaded again while an authorizer refuses the
 *             function the second load looks for (a pool's on-connect hook
 *             on a connection that sandboxes its SQL);
 *   stripped  it removes every function and module the load registered,
 *             while dbmonitor traces and the log capture hooks the commits.
 *
 * After each, statements run (the monitor's trace callback), the module's
 * functions and table-valued functions answer (their user data), commits
 * are captured, and the connection closes. The program says FAIL and exits
 * 1 when something answers wrong; a read of freed memory is for the tool
 * it runs under to find (valgrind in test/script/sqlite_state_lifetime.sh,
 * ASan/UBSan with the sanitized module in test/harness/asan_suite.sh).
 *
 *   capi_state_lifetime MODULE [SCENARIO]
 */
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static sqlite3 *db;
static const char *scenario;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "FAIL: %s: %s: %s\n", scenario, what, detail ? detail : "");
	exit(1);
}

static void run(const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail(sql, err);
}

/* The first column of the first row, as an integer. */
static long long scalar(const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail(sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail(sql, sqlite3_errmsg(db));
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void load(const char *module)
{
	char *err = NULL;
	if (sqlite3_load_extension(db, module, NULL, &err) != SQLITE_OK)
		fail("load", err);
}

static void open_db(const char *module)
{
	unlink("app.db");
	unlink("app.db-wal");
	unlink("app.db-shm");
	if (sqlite3_open("app.db", &db) != SQLITE_OK)
		fail("open", sqlite3_errmsg(db));
	sqlite3_enable_load_extension(db, 1);
	load(module);
	run("PRAGMA journal_mode = wal; PRAGMA synchronous = off;"
	    " CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
	    " SELECT dbmonitor_start(0, 1)");
}

/* Statements, then the module's scalar and table-valued functions. */
static void use(void)
{
	for (int i = 0; i < 5; i++)
		run("INSERT INTO t (v) VALUES ('x'); SELECT count(*) FROM t");
	run("SELECT dbcare_internal_state('progress')");
	if (scalar("SELECT count(*) FROM dbmonitor_slow") < 0)
		fail("dbmonitor_slow", "no count");
	scalar("SELECT dbcare_version() IS NOT NULL");
}

static void seven(sqlite3_context *c, int n, sqlite3_value **v)
{
	(void)n, (void)v;
	sqlite3_result_int(c, 7);
}

static void replaced(void)
{
	if (sqlite3_create_function(db, "dbcare_internal_state", 0, SQLITE_UTF8, NULL, seven, NULL,
	                            NULL) != SQLITE_OK)
		fail("create_function", sqlite3_errmsg(db));
	use();
	if (scalar("SELECT dbcare_internal_state()") != 7)
		fail("the application's function", "not called");
	/* the monitor kept tracing: it saw the inserts */
	if (scalar("SELECT count(*) FROM dbmonitor_slow WHERE sql LIKE 'INSERT INTO t%'") != 1)
		fail("dbmonitor_slow", "the inserts are missing");
}

static void removed(void)
{
	if (sqlite3_create_function(db, "dbcare_internal_state", 0, SQLITE_UTF8, NULL, NULL, NULL,
	                            NULL) != SQLITE_OK)
		fail("remove the function", sqlite3_errmsg(db));
	use();
	if (scalar("SELECT dbmonitor_stop()") != 1)
		fail("dbmonitor_stop", "the monitor was not running");
}

static int refuse_state(void *arg, int action, const char *a, const char *b, const char *c,
                        const char *d)
{
	(void)arg, (void)a, (void)c, (void)d;
	return action == SQLITE_FUNCTION && b && strcmp(b, "dbcare_internal_state") == 0 ? SQLITE_DENY
	                                                                                 : SQLITE_OK;
}

static const char *module_path;

static void reloaded(void)
{
	sqlite3_set_authorizer(db, refuse_state, NULL);
	load(module_path);
	run("INSERT INTO t (v) VALUES ('y')");
	sqlite3_set_authorizer(db, NULL, NULL);
	use();
}

/* Every function and module the load registered: those not built in. */
static void stripped(void)
{
	char dir[4096], sql[4200];
	if (!getcwd(dir, sizeof dir))
		fail("getcwd", NULL);
	snprintf(sql, sizeof sql, "SELECT dbcare_set('backup.log.dir', '%s/lg')", dir);
	mkdir("lg", 0700);
	run(sql);
	run("INSERT INTO t (v) VALUES ('captured')");
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
	                       "SELECT DISTINCT name, narg FROM pragma_function_list WHERE builtin = 0",
	                       -1, &st, NULL) != SQLITE_OK)
		fail("pragma_function_list", sqlite3_errmsg(db));
	char names[512][64];
	int nargs[512], n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < 512) {
		snprintf(names[n], sizeof names[n], "%s", (const char *)sqlite3_column_text(st, 0));
		nargs[n++] = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (n < 50)
		fail("pragma_function_list", "too few of the module's functions listed");
	for (int i = 0; i < n; i++)
		if (sqlite3_create_function(db, names[i], nargs[i], SQLITE_UTF8, NULL, NULL, NULL, NULL) !=
		    SQLITE_OK)
			fail(names[i], sqlite3_errmsg(db));
	if (sqlite3_drop_modules(db, NULL) != SQLITE_OK)
		fail("sqlite3_drop_modules", sqlite3_errmsg(db));
	for (int i = 0; i < 20; i++)
		run("INSERT INTO t (v) VALUES ('after'); SELECT count(*) FROM t");
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s MODULE [SCENARIO]\n", argv[0]);
		return 2;
	}
	module_path = argv[1];
	static const struct {
		const char *name;
		void (*fn)(void);
	} scenarios[] = {{"replaced", replaced},
	                 {"removed", removed},
	                 {"reloaded", reloaded},
	                 {"stripped", stripped}};
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		scenario = scenarios[i].name;
		if (argc == 3 && strcmp(argv[2], scenario) != 0)
			continue;
		open_db(module_path);
		scenarios[i].fn();
		if (sqlite3_close(db) != SQLITE_OK)
			fail("close", sqlite3_errmsg(db));
		printf("ok: %s\n", scenario);
	}
	return 0;
}
