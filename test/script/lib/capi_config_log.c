/*
 * capi_config_log.c — an application that installs SQLITE_CONFIG_LOG (as
 * many do, to log SQLite's errors) loads the dbcare module and calls a few
 * of its functions on a fresh database and on one that has dbcare's
 * bookkeeping and an audited table: nothing dbcare does itself may reach that log (its own
 * probes used to prepare statements against tables that do not exist yet:
 * two SQLITE_ERROR lines per connection). The application's own failing
 * statement still does, which shows the log is listening.
 *
 *   capi_config_log MODULE [DIR]
 *
 * DIR (default: the working directory, as the ASan suite runs each C API
 * program with the module alone) holds the database app.db.
 * Prints each logged line; exits 1 when dbcare logged anything.
 */
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int logged;

static void on_log(void *arg, int code, const char *msg)
{
	(void)arg;
	logged++;
	printf("log: (%d) %s\n", code, msg);
}

static void run(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "FAIL: %s: %s\n", sql, err ? err : "");
		exit(1);
	}
}

/* Opens path, loads the module, runs the statements; returns the lines
 * logged meanwhile. */
static int session(const char *module, const char *path, const char *const *sql)
{
	sqlite3 *db;
	int before = logged;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "FAIL: cannot open %s\n", path);
		exit(1);
	}
	sqlite3_enable_load_extension(db, 1);
	char *err = NULL;
	if (sqlite3_load_extension(db, module, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "FAIL: cannot load %s: %s\n", module, err ? err : "");
		exit(1);
	}
	for (int i = 0; sql[i]; i++)
		run(db, sql[i]);
	sqlite3_close(db);
	return logged - before;
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: capi_config_log MODULE [DIR]\n");
		return 2;
	}
	if (sqlite3_config(SQLITE_CONFIG_LOG, on_log, NULL) != SQLITE_OK) {
		fprintf(stderr, "FAIL: SQLITE_CONFIG_LOG refused\n");
		return 1;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/app.db", argc == 3 ? argv[2] : ".");
	const char *const none[] = {NULL};
	const char *const calls[] = {"CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)",
	                             "SELECT dbhealth_score('quick')",
	                             "SELECT dbcare_get('health.ignore')",
	                             "SELECT count(*) FROM dbmigrate_status()",
	                             "SELECT dbschema_fingerprint()",
	                             NULL};
	const char *const book[] = {"SELECT dbcare_set('health.ignore', 't')",
	                            "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE u (id INTEGER "
	                            "PRIMARY KEY)', 'DROP TABLE u')",
	                            "SELECT dbmigrate_apply()",
	                            "SELECT dbhealth_score()",
	                            "SELECT dbaudit_enable('t')",
	                            "INSERT INTO t DEFAULT VALUES",
	                            NULL};
	int n = session(argv[1], path, none);
	printf("load on a fresh database: %d line(s)\n", n);
	int total = n;
	n = session(argv[1], path, calls);
	printf("a few calls before any bookkeeping: %d line(s)\n", n);
	total += n;
	n = session(argv[1], path, book);
	printf("settings and a migration: %d line(s)\n", n);
	total += n;
	n = session(argv[1], path, calls);
	printf("the calls again, with the bookkeeping: %d line(s)\n", n);
	total += n;
	const char *const audited[] = {"INSERT INTO t DEFAULT VALUES",
	                               "SELECT count(*) FROM dbaudit_log", NULL};
	n = session(argv[1], path, audited);
	printf("an audited write: %d line(s)\n", n);
	total += n;

	/* the log listens: the application's own mistake is logged */
	sqlite3 *db;
	sqlite3_open(path, &db);
	int before = logged;
	sqlite3_exec(db, "SELECT * FROM no_such_table", NULL, NULL, NULL);
	sqlite3_close(db);
	if (logged == before) {
		fprintf(stderr, "FAIL: SQLITE_CONFIG_LOG heard nothing of a failing statement\n");
		return 1;
	}
	if (total) {
		fprintf(stderr, "FAIL: dbcare wrote %d line(s) into the application's log\n", total);
		return 1;
	}
	printf("ok: dbcare wrote nothing into the application's log\n");
	return 0;
}
