/*
 * conn.h — which engine a --db value names, how it is shown, and opening it.
 * postgres:// and postgresql:// URLs and libpq conninfo strings
 * ("host=... dbname=...") go to libpq, which also reads every PG*
 * environment variable; sqlite:PATH, file:PATH and plain paths go to
 * libsqlite3, which loads the dbcare module.
 */
#ifndef DBCARE_CLI_CONN_H
#define DBCARE_CLI_CONN_H

#include "driver.h"

typedef enum { CLI_ENGINE_PG, CLI_ENGINE_SQLITE } cli_engine;

typedef struct cli_target {
	cli_engine engine;
	char *spec;  /* what libpq or libsqlite3 opens (SQLite: the file path) */
	char *label; /* the database as output shows it, password masked */
} cli_target;

typedef struct cli_connect_opts {
	const char *module; /* --module: the SQLite module; NULL: the installed one */
	bool install;       /* --install: CREATE EXTENSION when missing */
	bool create;        /* SQLite: create the file when missing */
	bool bare;          /* only open it: no extension check, no module (wait) */
	/* PostgreSQL: a database without the extension is taken as it is (the
	 * new, empty database a dump is restored into: the dump makes it) */
	bool pg_without_extension;
	int connect_timeout_s; /* PostgreSQL: libpq's connect_timeout; 0: libpq's own */
	/* SQLite: the busy handler (sqlite3_busy_handler), set before the module
	 * loads; NULL: a busy timeout of 5 s. serve's gives up when it stops. */
	int (*sqlite_busy)(void *arg, int count);
	void *sqlite_busy_arg;
	/* SQLite, without sqlite_busy: a looking command's busy timeout
	 * (CLI_SQLITE_LOOK_BUSY_MS) instead of 5 s, module load included: a
	 * writer holding the file (rollback journal: a running migration's
	 * exclusive lock) is said after it, not waited for */
	bool sqlite_look;
	/* SQLite: an empty file is refused (CMD_READS_CONTENT: its content
	 * is the command's verdict or copy); else it opens as a new, empty
	 * database, as `touch app.db` makes one */
	bool sqlite_refuse_empty;
} cli_connect_opts;

/* Classifies a --db value (no I/O). */
int cli_target_parse(const char *value, cli_target *out, char **err);
/* What the rest of the command asks of a target, so that only the
 * drivers know engines: its engine's name ("postgresql", "sqlite"), its
 * driver (what the driver does for it, before a connection); the
 * file it is (NULL: a server's database); its --db value again (malloc'd);
 * the database's own name (the file's, the server database's; malloc'd). */
const char *cli_target_engine_name(const cli_target *t);
const cli_driver *cli_target_driver(const cli_target *t);
const char *cli_target_file(const cli_target *t);
char *cli_target_url(const cli_target *t);
char *cli_target_name(const cli_target *t);
/* A --db value shown without its password (malloc'd). */
char *cli_mask_password(const char *value);
/* Removes every occurrence of the target's password from text, in place. */
void cli_scrub(const char *spec, char *text);

/* dbcare create and drop (database.c): the database itself, a SQLite
 * file or a PostgreSQL server's database. Idempotent: creating what
 * exists or dropping what does not is said on out's notes. create with
 * install also runs CREATE EXTENSION where an extension is installed
 * (PostgreSQL; SQLite loads its module at each connection). */
enum { CLI_DB_DONE = 0, CLI_DB_FAILED = -1, CLI_DB_UNNAMED = -2 /* --db names no database */ };
struct cli_out;
int cli_target_create(const cli_target *t, bool install, struct cli_out *out);
int cli_target_drop(const cli_target *t, struct cli_out *out);

/* Opens the database; NULL with *err (malloc'd, masked) on failure. */
cli_db *cli_connect(const cli_target *t, const cli_connect_opts *o, char **err);
void cli_disconnect(cli_db *db);
/* Sets libsqlite3 up for this process before anything opens a database:
 * the command never shares a connection or SQLite's allocator between
 * threads (a fleet forks processes), so SQLite runs without its mutexes and
 * without memory statistics, which nothing in the command or the module
 * reads. Each of the two otherwise costs a lock per allocation and per
 * statement step (about 96 M instructions of applying 1,000 migrations). */
void cli_sqlite_setup(void);
/* Before the first connection of a process whose threads each open their
 * own connections (serve), nothing open yet: every library a driver uses
 * then locks its own state. */
void cli_drivers_threaded(void);
/* Loads the SQLite module once before a fleet forks its workers. */
void cli_preload_module(const cli_connect_opts *o);

#endif
