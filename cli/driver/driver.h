/*
 * driver.h — the one small interface the commands use for either engine:
 * open a database, run one statement with text parameters, read its rows as
 * text, close. Everything the CLI asks a database goes through the
 * extension's SQL functions, so the commands never name an engine; what
 * differs (connecting, loading the SQLite module) stays in driver_pg.c and
 * driver_sqlite.c. The one exception, serve's live panels and session
 * signals (live_panels.h), reads the engine's own statistics views, never
 * dbcare's bookkeeping, and is the driver's data too.
 */
#ifndef DBCARE_CLI_DRIVER_H
#define DBCARE_CLI_DRIVER_H

#include <stdbool.h>

struct dbc_host;

/* How a cell prints in JSON: numbers and booleans bare, JSON as itself. */
typedef enum { CLI_T_TEXT, CLI_T_NUM, CLI_T_BOOL, CLI_T_JSON } cli_type;

/* A statement's rows, every cell as text (NULL for SQL NULL). */
typedef struct cli_rows {
	int ncols, nrows;
	char **names;    /* ncols column names */
	cli_type *types; /* ncols */
	char **cells;    /* nrows * ncols, row after row */
} cli_rows;

const char *cli_cell(const cli_rows *r, int row, int col);
int cli_col(const cli_rows *r, const char *name); /* -1 when absent */
/* Column `name` (when present) is a boolean of the SQL function: SQLite's
 * 0/1 become false/true, so text and --json read alike on both engines. */
void cli_bool_column(cli_rows *r, const char *name);
void cli_rows_free(cli_rows *r);
/* A PostgreSQL timestamptz in its ISO text (any time zone) as RFC 3339 UTC
 * with milliseconds, as SQLite's functions write times
 * (2026-01-02T03:04:05.678Z); NULL when not in that form (malloc'd). */
char *cli_time_rfc3339(const char *pg_text);

/* An error the engine raised: its message (the extension's start with
 * "dbcare: "), detail, hint and SQLSTATE (PostgreSQL; "" on SQLite). */
typedef struct cli_error {
	char *message, *detail, *hint;
	char sqlstate[6];
} cli_error;

typedef struct cli_db cli_db;

/* SQLite busy timeouts of the command's connections: a changer waits for
 * a writer (a commit, another run); a looker (status, validate, verify)
 * says at once that the database is held. */
#define CLI_SQLITE_BUSY_MS      5000
#define CLI_SQLITE_LOOK_BUSY_MS 500

/* The engine a driver drives, one each (driver_pg.c, driver_sqlite.c):
 * opaque outside cli/driver/ (engine_tag.h) and cli/common/engine_name.c. */
typedef struct cli_engine_tag cli_engine_tag;
extern const cli_engine_tag cli_engine_pg, cli_engine_sqlite;

typedef struct cli_driver {
	const cli_engine_tag *engine;
	/* Runs one statement; params are text (NULL: SQL NULL), written $1..$n
	 * on both engines. out may be NULL when no rows matter. 0 or -1 with
	 * db->error set. */
	int (*query)(cli_db *db, const char *sql, int nparams, const char *const *params,
	             cli_rows *out);
	/* Whether this connection may write (false on a PostgreSQL standby). */
	bool (*read_only)(cli_db *db);
	/* Whether the server is gone from this connection (it stopped, was
	 * terminated, the network broke) and the target chose its server by
	 * role (PostgreSQL: target_session_attrs other than any, the way a
	 * multi-host URL follows a failover), so another may answer now;
	 * false on SQLite, a file. */
	bool (*lost_to_failover)(cli_db *db);
	void (*close)(cli_db *db);
	/* Whether this connection may be kept for a later caller as it is:
	 * open, outside any transaction, nothing of a statement pending
	 * (PostgreSQL: a session whose start-up, module load and caches are
	 * worth keeping); NULL where a connection is never kept (SQLite: a
	 * file is opened anew, so a replaced file is read, never the old one). */
	bool (*reusable)(cli_db *db);
	/* Starts a transaction that will write: SQLite takes the write lock at
	 * once (BEGIN IMMEDIATE), so a read-then-write call waits for other
	 * writers (busy timeout) instead of failing with "database is locked". */
	const char *begin_write;
	/* Writes a backup of the database into path (a new, empty file the
	 * backup flow made: core/backup/backup_tool.h) with the engine's own
	 * tool (PostgreSQL: pg_dump -Fc), in snapshot (an exported snapshot's
	 * name) when not NULL. NULL when the extension makes backups itself
	 * (SQLite: dbbackup_create). uncompressed: the tool compresses nothing
	 * (the backup is compressed after it: zstd of a compressed archive
	 * saved nothing). 0, or -1 with *err ("dbcare: ..."). */
	int (*dump)(cli_db *db, const char *path, const char *snapshot, bool uncompressed, char **err);
	/* Replaces the database's content with the database file at path, all
	 * or nothing; NULL where the engine restores with its own tool
	 * (PostgreSQL: pg_restore). 0, or -1 with *err ("dbcare: ..."). */
	int (*restore_from)(cli_db *db, const char *path, char **err);
	/* What another thread may interrupt the connection's running
	 * statement with (PostgreSQL: a cancel object, freed by
	 * interrupter_free; SQLite: the connection itself), interrupt doing
	 * it. NULL from interrupter: none. */
	void *(*interrupter)(cli_db *db);
	void (*interrupt)(void *h);
	void (*interrupter_free)(void *h);
	/* Writes the schema as plain SQL into file with the engine's own tool
	 * (PostgreSQL: pg_dump --schema-only); NULL where the command lists it
	 * from the catalog (SQLite's sqlite_schema). 0, or -1 with *err. */
	int (*dump_schema)(cli_db *db, const char *file, char **err);
	/* The core's host for reading files and text in this engine's dialect
	 * (migration folders): malloc/free, no database callback. */
	const struct dbc_host *files_host;
	/* Registers a migration folder in one dbmigrate_add_all call (SQLite:
	 * one prepare of the registry's statements); false: one
	 * dbmigrate_add per file (PostgreSQL's plan cache keeps each cheap). */
	bool register_folder_at_once;
	/* A table function's rows are read while its statement stays open
	 * (SQLite): a call that changes the schema as it runs
	 * (dbmigrate_verify) is read as JSON from its scalar form instead. */
	bool rows_hold_statement;
	/* Other database files can be ATTACHed to the connection (SQLite:
	 * retain --attach's archive targets). */
	bool attaches_files;
	/* What makes this connection enforce foreign keys (SQLite: a PRAGMA);
	 * NULL where they always are. */
	const char *enforce_foreign_keys;
	/* What a looking command (status, validate, verify) runs first in its
	 * transaction so that registering the folder does not wait behind a
	 * running migration (which holds the registry's rows until it
	 * commits): the registering statement then fails with
	 * lock_busy_sqlstate (PostgreSQL: SET LOCAL lock_timeout, 55P03);
	 * NULL where the connection's busy timeout applies (SQLite: a
	 * looker's connection has a short one, CLI_SQLITE_LOOK_BUSY_MS, and a
	 * busy or locked database is lock_busy_sqlstate, as in the module). */
	const char *look_lock_timeout;
	const char *lock_busy_sqlstate;
	/* who holds what a looker met busy, for its warning */
	const char *lock_busy_holder;
	/* A read a looker makes before saying it shows what is committed:
	 * NULL where readers are never blocked by a writer (PostgreSQL);
	 * SQLite with a rollback journal blocks them while a writer holds the
	 * exclusive lock, and the looker then fails with the busy error
	 * alone, not a warning promising what it cannot show. */
	const char *look_read_probe;
	/* The live panels of serve's page (live_panels.h). */
	const struct cli_live_panel *live_panels;
	const int *live_panel_count;
	/* serve's query series (live_panels.h): statements_locate, one row,
	 * the quoted schema of the statement statistics ("@schema@" of
	 * query_series), no row when they are not installed; query_series,
	 * a row per statement (queryid, calls, total_seconds), at most
	 * CLI_QUERY_SERIES_MAX. NULL where the engine keeps none (SQLite). */
	const char *statements_locate, *query_series;
	/* Cancels (cancel_session) or terminates (terminate_session) the
	 * session of this database whose pid is $1: one row, true when it was
	 * signalled; no row when this database has no such session. NULL
	 * where the engine has no sessions of its own (SQLite). */
	const char *cancel_session, *terminate_session;
	/* Replication (cli/cmd/replicas.c; NULL where an engine has none:
	 * SQLite). replica_target: one row, the WAL position a replica must
	 * have passed to show every migration committed so far (the bookmark's
	 * LSN, dbmigrate_bookmark). replicas: a row per standby and subscriber
	 * of this primary (kind, name, slot, state, position, lag_bytes,
	 * caught_up) against that position, $1. subscriptions, on a
	 * subscriber: its subscriptions (slot, publications as text[]).
	 * published_columns, on the publisher: "schema.table.column type"
	 * lines of the tables publications $1 publish, one text. missing_
	 * columns, on a subscriber: which of lines $1 it lacks. */
	const char *replica_target, *replicas, *subscriptions, *published_columns, *missing_columns;
	/* migrate --online (cli/cmd/migrate_online.c; NULL where the engine has
	 * no online migration). lock_wait_local, a format of the
	 * milliseconds a lock is waited for in the open transaction (SET LOCAL:
	 * it ends with the transaction, so a transaction-mode pooler hands no
	 * setting on). lock_wait_session, the same for a statement outside a
	 * transaction, with whatever else such a statement runs under (on
	 * PostgreSQL: a CONCURRENTLY build in one server process, so the
	 * clients keep the other cores); its one row: the values it found,
	 * which lock_wait_restore ($1.. that row's cells; NULL: nothing to put
	 * back per statement) puts back after the statement, on every path.
	 * lock_wait_found: where lock_wait_local does not end with the
	 * transaction (SQLite's busy timeout is the connection's), one row,
	 * the milliseconds the connection waits as found, set again with
	 * lock_wait_session's format when the command's online work ends
	 * (NULL: every wait ends with its transaction or statement). Between
	 * lock_wait_session and lock_wait_restore the server session holds
	 * the settings: a client killed there leaves them to a pooler's next
	 * client (docs/migrations.md, "Never a queue behind a lock").
	 * lock_not_granted: the
	 * SQLSTATEs of a lock not granted in time or given up, worth a retry
	 * (space separated). exclusive_lock: the lock name of the plan's steps
	 * that conflict with every other lock (a unit holding one is the one
	 * whose holders are asked about, and whose hold the run reports). lock_holders: the
	 * other sessions holding a lock on relation $1 that conflicts with the
	 * lock named $2 (a plan step's), when that lock keeps the table's
	 * writers out (pid, state, seconds in their transaction, query; no
	 * rows for a lock that lets writes go on; NULL: none to name). online_done_steps:
	 * the steps of version $1 an earlier run recorded done (step,
	 * statement: not the module's own marks, negative), and
	 * online_half_done: the versions of half-done runs, newest first,
	 * both read from dbmigrate_online_done's JSON. online_lock_waiters:
	 * how many sessions wait for a lock this session holds, asked in a
	 * backfill batch's transaction before its COMMIT (the throttle's
	 * measure, core/migrate/migrate_throttle.h; NULL: not known).
	 * online_wal_state: one row, the backfill's WAL pacing's measures
	 * (migrate_throttle.h): the WAL insert position and the last completed
	 * checkpoint's redo point, in bytes, the WAL segment's size,
	 * max_wal_size in MB, checkpoint_completion_target, and whether no
	 * checkpoint runs now, as far as the role can see (NULL: an engine without WAL checkpoints,
	 * never paced by them). */
	const char *lock_wait_local, *lock_wait_session, *lock_wait_restore, *lock_wait_found;
	const char *lock_not_granted;
	const char *exclusive_lock, *lock_holders;
	const char *online_done_steps, *online_half_done, *online_lock_waiters;
	const char *online_wal_state;
} cli_driver;

/* The engine's name ("postgresql" or "sqlite"), for output only: the JSON
 * envelope, serve's labels (cli/common/engine_name.c). The driver holds no
 * readable name, so code outside cli/driver/ reaches it only through this function,
 * which test/script/core_cli_objects.sh lets only the files that print it
 * call (a switch on its first letter elsewhere is an engine question), as
 * it lets only the drivers name an engine (cli_engine_pg). */
const char *cli_driver_engine(const cli_driver *drv);

struct cli_db {
	const cli_driver *drv;
	void *handle;
	char *label; /* what output calls this database: never a password */
	/* The label the health report is asked for (dbcare serve: its member's,
	 * not owned); NULL: the module decides (health.database_label, else
	 * the database's or file's name). The report's `database` is then the
	 * one label of its page, its JSON and its metrics. */
	const char *report_label;
	cli_error error;
	bool error_kept; /* cli_q leaves db->error unsaid: its caller decides */
	/* The connection will be kept and run the same statements again
	 * (dbcare serve's sessions): the driver may keep them prepared
	 * (PostgreSQL: parsed and planned once, not on every run; plans, the
	 * driver's, freed by close). */
	bool keep_plans;
	void *plans;
	/* The lint notices printed on this connection (PostgreSQL), each said
	 * once: a migrate plans, then applies each part between two
	 * no-transaction migrations, and the lint speaks at each. */
	struct cli_notices_seen *notices_seen;
};

int cli_pg_dump(cli_db *db, const char *path, const char *snapshot, bool uncompressed, char **err);
/* Reads the dump file back whole with pg_restore (its table of contents
 * and every data block): a damaged or truncated archive fails. */
int cli_pg_dump_read_back(const char *file, char **err);
/* pg_dump --schema-only (plain SQL, no owners or grants) into file. */
int cli_pg_dump_schema(cli_db *db, const char *file, char **err);
/* Replaces the random key of pg_dump's \restrict / \unrestrict lines in the
 * plain script file by one derived from the script (cli/dump_restrict.c). */
int cli_dump_stable_restrict_key(const char *file, char **err);
int cli_sqlite_restore(cli_db *db, const char *path, char **err);

void cli_error_set(cli_db *db, const char *sqlstate, const char *message, const char *detail,
                   const char *hint);
void cli_error_clear(cli_db *db);

/* Runs a statement whose rows do not matter. */
int cli_exec(cli_db *db, const char *sql);

extern const cli_driver cli_pg_driver, cli_sqlite_driver;

#endif
