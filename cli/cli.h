/*
 * cli.h — the options of one dbcare invocation and the command table.
 * A command is one entry (cmd_table.c): its name, usage, its arguments and
 * a run function over one open database; the options it accepts are the
 * rows of the option table that name it (options.h: anything else is a
 * usage error, exit 2, before any database is opened). The fleet runner
 * (fleet.c) calls the same run function once per database.
 */
#ifndef DBCARE_CLI_H
#define DBCARE_CLI_H

#include "cli/driver/conn.h"
#include <stdint.h>
#include <sys/types.h>
#include "cli/common/output.h"
#include "cli/options_list.h"

/* Exit codes (docs/cli.md). */
enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2, CLI_THRESHOLD = 3, CLI_REPLICAS_LAG = 4 };
/* CMD_FILES_ALONE's answer: these arguments need a database after all. */
enum { CLI_NEEDS_DB = -1 };

/* What one database's run tells a fleet's summary besides its exit code
 * (fleet.c): whether it was reached, and for status and migrate its
 * schema version and pending migrations. Reset before each database. */
typedef struct cli_db_report {
	bool wanted;      /* in a fleet: the commands fill it in */
	bool unreachable; /* no connection (or no usable database) */
	bool has_version; /* status or migrate read the schema version */
	int pending;      /* status: migrations pending */
	char version[64]; /* dbmigrate_current(); empty when none applied */
} cli_db_report;

/* The values the line's options leave: one field per option that keeps a
 * value, made from its entry in options_list.h (defaults in
 * cli_options_defaults), and what the line and the run fill in besides,
 * read by the commands. */
#define CLI_OPTS_FIELD(type, field, ...) type field;
#define CLI_OPTS_NO_FIELD(...)
typedef struct cli_opts {
	CLI_OPTIONS(CLI_OPTS_FIELD, CLI_OPTS_NO_FIELD)
	const char **dbs; /* --db values (or DATABASE_URL), globs expanded */
	int ndbs;
	size_t cap_dbs;  /* dbs's room */
	bool dir_given;  /* --dir was given */
	bool jobs_given; /* --jobs was given (serve has its own default) */
	bool keep_given; /* --keep-connections was given (serve's default otherwise) */
	cli_out out;     /* --quiet, --no-progress and --json's format */
	/* retain --attach NAME=PATH (repeatable): SQLite databases ATTACHed
	 * to the connection first, for archive policies whose target is in one */
	const char **attach_names, **attach_paths;
	int nattach;
	/* --subscriber URL (repeatable): logical subscribers, no password */
	const char **subscribers;
	int nsubscribers;
	cli_db_report report;
	char **args; /* the command's own arguments */
	int nargs;
} cli_opts;
#undef CLI_OPTS_FIELD
#undef CLI_OPTS_NO_FIELD

/* What a command needs besides its run function. */
enum {
	CMD_NO_DB = 1u << 0,       /* runs without a database (new) */
	CMD_CREATES = 1u << 1,     /* SQLite: may create the database file */
	CMD_OWN_CONNECT = 1u << 2, /* connects itself (wait) */
	CMD_ARGS_ONE_DB = 1u << 3, /* with arguments (a file, a path): one database only */
	CMD_WHOLE_FLEET =
	    1u << 4, /* takes every database itself (serve, report): run(NULL, o) over o->dbs */
	CMD_DB_OPTIONAL = 1u << 5, /* without --db runs with db NULL (DATABASE_URL unread) */
	CMD_UNDO_NEW = 1u << 6,    /* SQLite: a failure removes the file the run created */
	/* without --db on the line, run(NULL, o) first: some arguments read
	 * files alone (log status, a log's drill: the database may be gone);
	 * CLI_NEEDS_DB sends the others on to the databases (DATABASE_URL) */
	CMD_FILES_ALONE = 1u << 7,
	/* looks without changing (status, validate, verify): on SQLite a short
	 * busy timeout, so a writer holding the file (a running migration)
	 * is said at once instead of waited for */
	/* SQLite: the target is a restore's, checked before the connection
	 * opens (and so creates) it (cli_restore_before_connect): a refused
	 * one makes nothing anywhere */
	CMD_RESTORE_TARGET = 1u << 8,
	CMD_LOOKS = 1u << 9,
	/* PostgreSQL: the database may lack the extension (restore FILE into
	 * a new database: the dump brings it) */
	CMD_PG_NEW_DB = 1u << 10,
	/* a connection lost while it ran (the primary stopped, a failover),
	 * to a target that picks its server by role (a multi-host URL with
	 * target_session_attrs=read-write), connects again and runs the
	 * command again, up to --timeout: what the server committed stays
	 * done, the rest runs on the server the target now reaches */
	CMD_RECONNECTS = 1u << 11,
	/* SQLite: reads the database's content as a verdict or a copy
	 * (health, backup; serve too): an empty file, which SQLite would open
	 * as an empty database, is refused as none */
	CMD_READS_CONTENT = 1u << 12,
};

typedef struct cli_command {
	const char *name;
	const char *usage;   /* after "dbcare NAME" */
	const char *summary; /* one line for --help */
	int min_args, max_args;
	unsigned traits;
	int (*run)(cli_db *db, cli_opts *o); /* returns an exit code */
} cli_command;

extern const cli_command cli_commands[];
const cli_command *cli_find_command(const char *name);

/* Help (help.c): the command list, one command's help with its examples,
 * `dbcare help TOPIC` (a command or a topic; returns the exit code). */
void cli_usage(FILE *f);
void cli_help_command(FILE *f, const cli_command *c);
int cli_help_topic(const char *topic);
/* `dbcare options [COMMAND]`: the options COMMAND takes, its own and the
 * common ones, one --NAME a line (an alias on its own line), read from the
 * option table; without COMMAND every option. The bash completion offers
 * what it prints. Returns the exit code. */
int cli_print_options(const char *command);
void cli_print_version(void);

/* Sets the KEY=VALUE variables of a .env file (dotenv.c) that the
 * environment does not set already; a missing file sets nothing. */
void cli_load_dotenv(const char *path);

/* Commands (cmd_*.c). */
/* The database file (cli_target_file: SQLite's) a CMD_UNDO_NEW command
 * creates (new_file.c). Before
 * the connection: which names exist; after it: the file it made; after a
 * failure and the disconnect: the names it made removed. */
typedef struct cli_new_file {
	const char *path; /* NULL: the file existed (or no file: a server) */
	bool existed[4];  /* the file, -journal, -wal, -shm before the run */
	bool created;
	dev_t dev;
	ino_t ino;
	char *target; /* a dangling symlink's: the file opening it creates (malloc'd) */
} cli_new_file;
void cli_new_file_before(cli_new_file *nf, const char *file, bool wanted);
void cli_new_file_opened(cli_new_file *nf);
/* Whether the database file itself was removed. */
bool cli_new_file_undo(const cli_new_file *nf);
/* The file path names once its symlinks are followed (malloc'd), even one
 * that does not exist yet (a dangling symlink's target: where opening it
 * creates the file); NULL on a loop or no memory. */
char *cli_final_target(const char *path);

int cmd_status(cli_db *, cli_opts *);
int cmd_migrate(cli_db *, cli_opts *);
int cmd_rollback(cli_db *, cli_opts *);
int cmd_verify(cli_db *, cli_opts *);
int cmd_validate(cli_db *, cli_opts *);
int cmd_baseline(cli_db *, cli_opts *);
int cmd_repair(cli_db *, cli_opts *);
int cmd_history(cli_db *, cli_opts *);
int cmd_script(cli_db *, cli_opts *);
int cmd_new(cli_db *, cli_opts *);
int cmd_health(cli_db *, cli_opts *);
int cmd_check(cli_db *, cli_opts *);
int cmd_orphans(cli_db *, cli_opts *);
int cmd_schema(cli_db *, cli_opts *);
int cmd_wait(cli_db *, cli_opts *);
/* Replicas (cmd/replicas.c): migrate --wait-replicas's wait once the
 * migrations committed (CLI_REPLICAS_LAG when --timeout passes first),
 * status --replicas's list. */
int cli_replicas_wait(cli_db *db, cli_opts *o);
int cli_replicas_show(cli_db *db, cli_opts *o);
/* health --subscriber: a message per subscriber lacking columns its
 * publications publish (*msgs freed by the caller, each and the array). */
int cli_replicas_schema_lag(cli_db *db, cli_opts *o, char ***msgs, int *n);
/* serve --subscriber: for each row of rows (the driver's replicas of db)
 * that is a subscriber reached through o's --subscriber, how many columns
 * it lacks (nlacking[i]) and the first (lacking[i], strdup'd; NULL when
 * none); both arrays rows->nrows long, zeroed by the caller. */
int cli_replicas_compare(cli_db *db, cli_opts *o, const cli_rows *rows, int *nlacking,
                         char **lacking);
/* migrate --online's throttle: the replica that lags most now, of those
 * that replay (no receiver, no slot whose standby is gone), by bytes of
 * WAL behind this server's position: *name (strdup'd, NULL when there is
 * none) and *lag_bytes (-1 when none); *unknown counts the replicas
 * whose position the role cannot see (no pg_monitor). 0, or -1 on an
 * error (shown). A database without replicas has none. */
int cli_replicas_worst_lag(cli_db *db, cli_opts *o, char **name, long long *lag_bytes,
                           int *unknown);
int cmd_lint(cli_db *, cli_opts *);
int cmd_maintain(cli_db *, cli_opts *);
int cmd_retain(cli_db *, cli_opts *);
int cmd_backup(cli_db *, cli_opts *);
int cmd_backups(cli_db *, cli_opts *);
int cmd_restore(cli_db *, cli_opts *);
/* restore's target checked before its connection opens the file
 * (restore_target.c): refused inside a point-in-time log directory */
int cli_restore_before_connect(const cli_opts *o, const char *file);
int cmd_log(cli_db *, cli_opts *); /* cmd_log.c: SQLite point-in-time capture */
/* SQLite: restores the backup file (full or incremental, plain or sealed)
 * into db, which may be a new, empty database: file verified (an
 * incremental through the chain its files name, found in from_dir, NULL:
 * beside file), the database backed up beside itself unless it is empty,
 * the image copied in and checked (cmd_restore.c). Prints the result. */
int cli_restore_file(cli_db *db, cli_opts *o, const char *file, const char *from_dir);
/* A restore of the database file main_file starts: the safety backups'
 * temporary files a killed restore left beside it are deleted when no
 * other restore there runs (restore_leftovers.c); the descriptor to give
 * cli_restore_unguard when it ends (-1: none). */
int cli_restore_guard(cli_opts *o, const char *main_file);
void cli_restore_unguard(int fd);
/* A restore into a new SQLite database runs on a staging file beside the
 * target and is renamed into place only when it succeeded
 * (restore_stage.c). begin: staging set when the target is new (the
 * connection then opens staging), NULL to restore in place; 0, or -1
 * after printing why. publish (after the disconnect): the staging file
 * moved to the target; 0, or -1 after printing why (nothing at the
 * target). abandon: the staging file and its sides deleted. */
typedef struct cli_restore_stage {
	char *target;  /* the file the target names, symlinks followed */
	char *staging; /* NULL: nothing staged */
	bool replace;  /* the target is an empty file the staging file replaces */
	int guard;     /* cli_restore_guard's, on the target's directory */
} cli_restore_stage;
int cli_restore_stage_begin(cli_restore_stage *s, cli_opts *o, const char *file);
int cli_restore_stage_publish(cli_restore_stage *s);
void cli_restore_stage_abandon(cli_restore_stage *s);
int cmd_audit(cli_db *, cli_opts *);
int cmd_config(cli_db *, cli_opts *);
int cmd_create(cli_db *, cli_opts *);
int cmd_drop(cli_db *, cli_opts *);
int cmd_dump(cli_db *, cli_opts *);
int cmd_serve(cli_db *, cli_opts *); /* serve.c */
int cmd_alert_rules(cli_db *, cli_opts *);
int cmd_report(cli_db *, cli_opts *);
int cmd_generate(cli_db *, cli_opts *);
/* The schema as SQL in path (NULL: --schema-file, else db/schema.sql). */
int cli_dump_schema(cli_db *db, cli_opts *o, const char *path);

/* Migration files of --dir registered in the open transaction through
 * dbmigrate_add / dbmigrate_add_repeatable (migfiles.c). *found is false
 * when the default folder does not exist (nothing registered, no error). */
int cli_register_files(cli_db *db, cli_opts *o, bool *found, int *nfiles);
/* The same for a part of the folder: `migrate` registers the versioned
 * files, applies them step by step, then registers the repeatables, so that
 * no step applies a repeatable before the versioned migrations it follows. */
typedef enum { CLI_FILES_ALL, CLI_FILES_VERSIONED, CLI_FILES_REPEATABLE } cli_files_part;
int cli_register_files_part(cli_db *db, cli_opts *o, cli_files_part part, bool *found, int *nfiles);
/* The migrations pending, as `dbcare status`, readiness and the page count
 * them, without writing: dbmigrate_pending of the --dir
 * folder's files (the core decides: the registry's pending states, a
 * version not registered, a repeatable not registered or registered with
 * another checksum). *found as for cli_register_files. 0, or -1 with
 * db's error set or after saying why. */
int cli_pending_files(cli_db *db, cli_opts *o, bool *found, int *pending);
/* migrate: the folder's migration `version`, which runs outside a
 * transaction (marked, dbmate's transaction:false, popx's .autocommit), run
 * so: dbmigrate_step_begin, each statement at top level, dbmigrate_step_end,
 * as dbmigrate_script() does. *ran is false when it was not due. */
int cli_run_outside_tx(cli_db *db, cli_opts *o, const char *version, bool *ran);
/* migrate --online (migrate_online.c): the pending migration `version` run
 * as dbmigrate_online_plan's steps between dbmigrate_step_begin and
 * dbmigrate_step_end, each lock waited for at most --lock-timeout and
 * retried. *ran is false when it was not due. */
int cli_run_online(cli_db *db, cli_opts *o, const char *version, bool *ran);
/* rollback: the steps of every half-done online migration (a run killed
 * or stopped part way) undone, newest first, and its records removed: the
 * schema as before the run. *undone: how many such migrations there were
 * (then rollback stops there). */
int cli_undo_online(cli_db *db, cli_opts *o, int *undone);
int cli_online_wait_ms(const cli_opts *o);
/* The session's settings are the ones the command found when it ends
 * (a transaction-mode pooler hands them to its next client): --online's
 * wait in a transaction it begins is SET LOCAL (cli_online_tx_wait); where
 * the engine's wait is the connection's (SQLite), the command reads it
 * first and puts it back last, on every path. */
int cli_online_tx_wait(cli_db *db, cli_opts *o);
int cli_online_waits_found(cli_db *db, cli_opts *o, long *found);
int cli_online_waits_restore(cli_db *db, cli_opts *o, long found);
/* The file name (in --dir, as read for this engine) of the versioned
 * migration `version`; NULL when the folder has none or was not read. */
const char *cli_file_of(cli_db *db, const char *version);

/* The layouts of the folder as read (a line each: the tool's files and the
 * order its tool runs them in, which dbcare follows), for status; NULL
 * when the folder was not read or holds no migration. malloc'd. */
char *cli_folder_layouts(cli_db *db);
/* Reads --dir for the engine ahead of time (a fleet's parent, before it
 * forks): later registrations in this process and its children reuse it. */
void cli_preread_files(cli_opts *o, const struct dbc_host *host);

/* Runs a command on one database: connect, run, disconnect. */
int cli_run_one(const cli_command *cmd, cli_opts *o, const char *dbvalue);
/* Fills o->report's schema version (in a fleet), from dbmigrate_current(). */
void cli_report_version(cli_db *db, cli_opts *o);
/* Runs a command on every database of o->dbs, o->jobs at a time (fleet.c). */
int cli_run_fleet(const cli_command *cmd, cli_opts *o);

/* Query helpers: run, print the engine's error on failure. */
int cli_q(cli_db *db, cli_opts *o, const char *sql, int n, const char *const *p, cli_rows *out);
/* Ends the open transaction (ROLLBACK), keeping an error already shown. */
void cli_rollback(cli_db *db);
/* retain's archive-db:NAME policies, batch by batch into the database
 * --archive-db names (cmd_retain_archive.c); each batch's rows reported to
 * fn. CLI_OK, or an exit code with the error shown. */
typedef int (*cli_archived_fn)(void *arg, const char *policy, long long rows);
int cli_retain_archive(cli_db *db, cli_opts *o, cli_archived_fn fn, void *arg);
/* Prints a command's rows; JSON wraps them as {"database", "engine", key: rows}. */
void cli_print_result(cli_db *db, cli_opts *o, const char *key, const cli_rows *r);
/* Opens a --json answer's document for the database, without closing it:
 * {"database":LABEL,"engine":ENGINE — the caller adds its own fields, each
 * with its leading comma, and the closing brace. */
void cli_json_envelope(FILE *f, const cli_db *db);
/* A JSON answer (text, may be NULL) under key: --json wraps it as
 * {"database", "engine", key: doc}; otherwise a table (cmd_backup.c). */
void cli_print_json_doc(cli_db *db, cli_opts *o, const char *key, const char *text);

#endif
