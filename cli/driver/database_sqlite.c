/*
 * database_sqlite.c — dbcare create and drop on SQLite: the file (drop
 * also removes its -wal, -shm and -journal files) (conn.h:
 * cli_target_create). A --db glob's member is dropped only while it is
 * the file the glob found (pin.h).
 */
#include "conn.h"
#include "database.h"
#include "pin.h"
#include "cli/common/output.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_sqlite_create(const cli_target *t, cli_out *out)
{
	if (access(t->spec, F_OK) == 0) {
		cli_note(out, "database file \"%s\" exists already", t->spec);
		return CLI_DB_DONE;
	}
	sqlite3 *h = NULL;
	/* an empty file is no database yet for other tools: a schema page makes it one */
	int rc = sqlite3_open_v2(t->spec, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, "PRAGMA user_version = 0; VACUUM", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		cli_errorf("cannot create \"%s\": %s", t->spec, h ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close_v2(h);
		return CLI_DB_FAILED;
	}
	sqlite3_close_v2(h);
	cli_note(out, "created database file \"%s\"", t->spec);
	return CLI_DB_DONE;
}

int cli_sqlite_drop(const cli_target *t, cli_out *out)
{
	struct stat st;
	if (stat(t->spec, &st) != 0) {
		cli_note(out, "database file \"%s\" does not exist", t->spec);
		return CLI_DB_DONE;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_errorf("\"%s\" is not a database file", t->spec);
		return CLI_DB_FAILED;
	}
	/* a glob's member: the file found at start, never one a symlink
	 * swapped in since leads to (its folder's companions included) */
	const cli_pin *pin = cli_pin_find(t->spec);
	char *moved = NULL;
	if (pin && cli_pin_check(pin, &moved) != 0) {
		fprintf(stderr, "%s\n", moved ? moved : "dbcare: out of memory");
		free(moved);
		return CLI_DB_FAILED;
	}
	static const char *const companions[] = {"-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof companions / sizeof companions[0]; i++) {
		char *p = NULL;
		if (asprintf(&p, "%s%s", t->spec, companions[i]) >= 0)
			(void)unlink(p); /* absent ones are fine */
		free(p);
	}
	if (unlink(t->spec) != 0) {
		cli_errorf("cannot remove \"%s\": %s", t->spec, strerror(errno));
		return CLI_DB_FAILED;
	}
	cli_note(out, "dropped database file \"%s\"", t->spec);
	return CLI_DB_DONE;
}
