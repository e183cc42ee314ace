#!/usr/bin/env bash
# An application redefines dbcare_internal_state on a capturing
# connection: the commits after run under valgrind without an invalid read
# (the state is no longer freed then, sqlite/host/conn_life.c; when it is freed
# while the connection lives on, every function of the module removed,
# the capture's hooks go with it: sqlite_state_lifetime.sh, "stripped").
# A second program installs an application WAL hook whose argument is NULL
# (sqlite3_wal_hook(db, fn, NULL), or sqlite3_wal_hook(db, NULL, NULL), as
# sqlite3_wal_autocheckpoint(db, 0) does) on a capturing connection: the
# capture keeps checkpointing at 1,000 frames (the WAL stays short through
# 3,000 commits) and says in SQLite's error log that an application WAL
# hook may have been replaced. On main the first program read freed memory
# in on_commit / on_wal, and the second let the WAL grow without end.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (test/harness/packages.txt)"
cd "$work"
mkdir lg
cat > prog.c <<'C'
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void must(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "FAIL: %s: %s\n", sql, err);
		exit(1);
	}
}
static void one(sqlite3_context *c, int n, sqlite3_value **v) { (void)n, (void)v; sqlite3_result_int(c, 1); }
static int app_hook(void *a, sqlite3 *db, const char *s, int n) { (void)a, (void)db, (void)s, (void)n; return 0; }
static int warned;
static void on_log(void *a, int code, const char *msg)
{
	(void)a, (void)code;
	if (strstr(msg, "WAL hook") && strstr(msg, "replaced"))
		warned = 1;
}

int main(int argc, char **argv)
{
	const char *module = argv[1], *mode = argv[2];
	sqlite3_config(SQLITE_CONFIG_LOG, on_log, NULL);
	sqlite3 *db;
	char *err = NULL;
	if (sqlite3_open("app.db", &db) != SQLITE_OK) return 1;
	sqlite3_enable_load_extension(db, 1);
	if (sqlite3_load_extension(db, module, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "FAIL: load: %s\n", err);
		return 1;
	}
	char sql[4096];
	char cwd[2048];
	if (!realpath(".", cwd)) return 1;
	must(db, "PRAGMA journal_mode = wal; CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, b BLOB)");
	snprintf(sql, sizeof sql, "SELECT dbcare_set('backup.log.dir', '%s/lg')", cwd);
	must(db, sql);
	must(db, "INSERT INTO t (b) VALUES (randomblob(100))"); /* the capture starts */
	if (strcmp(mode, "freed") == 0) {
		sqlite3_create_function(db, "dbcare_internal_state", 0, SQLITE_UTF8, NULL, one, NULL, NULL);
		for (int i = 0; i < 20; i++)
			must(db, "INSERT INTO t (b) VALUES (randomblob(100))");
	} else {
		if (strcmp(mode, "nullarg") == 0)
			sqlite3_wal_hook(db, app_hook, NULL);
		else
			sqlite3_wal_hook(db, NULL, NULL);
		must(db, "PRAGMA synchronous = OFF");
		for (int i = 0; i < 3000; i++)
			must(db, "INSERT INTO t (b) VALUES (randomblob(3000))");
		struct stat st;
		stat("app.db-wal", &st);
		long frames = (long)(st.st_size / (4096 + 24));
		if (frames > 1500) {
			fprintf(stderr, "FAIL: %s: the WAL holds %ld frames after 3,000 commits\n", mode, frames);
			return 1;
		}
		if (!warned) {
			fprintf(stderr, "FAIL: %s: no warning in SQLite's error log\n", mode);
			return 1;
		}
		printf("ok: %s: the WAL holds %ld frames, the replaced hook said\n", mode, frames);
	}
	sqlite3_close(db);
	return 0;
}
C
gcc -O1 -g -o prog prog.c -lsqlite3 || fail "cannot build the test program"
valgrind -q --error-exitcode=99 --leak-check=no ./prog "$module" freed \
	|| fail "redefining dbcare_internal_state: invalid memory use (valgrind) or failure"
echo "ok: the state freed, the commits after read no freed memory"
rm -rf app.db* lg && mkdir lg
./prog "$module" nullarg || fail "a WAL hook with a NULL argument"
rm -rf app.db* lg && mkdir lg
./prog "$module" nullhook || fail "sqlite3_wal_hook(db, NULL, NULL)"
