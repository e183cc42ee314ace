/*
 * backup_methods.h — the backup methods, one row each (backup_methods.c):
 * the catalog's kind, the driver whose databases it backs up, what the
 * command does only for it (prune, a log, a mark naming its backup), and
 * its hooks: make a backup, verify one, drill one, restore one (NULL where
 * the method cannot). `backup` runs the first row of the database's
 * driver that takes the command line; verify, drill and restore find the
 * row by the catalog row's kind (or, where the extension finds the row
 * itself, the database's row that says so) and call its hook: none of them
 * asks which engine it is on. Every method but the SQLite module's makes
 * its backup with the core's backup flow (core/backup/backup_tool.h) and a
 * tool of its own; the module runs the same flow inside dbbackup_create.
 * A new method is a row here and its hooks' file.
 */
#ifndef DBCARE_CLI_BACKUP_METHODS_H
#define DBCARE_CLI_BACKUP_METHODS_H

#include "cli/cli.h"

/* A backup a hook acts on: BACKUP as the command line gave it (NULL: none
 * given) and its catalog row as cli_backup_row reads it (id, kind, path,
 * sha256, content, label), NULL where the method finds its row itself.
 * stored: the row's own path when it names an object in a store, whose
 * bytes were fetched (the row's path then names the fetched file): what
 * a record of the outcome names (NULL: the row's path). */
typedef struct cli_backup_ref {
	const char *arg;
	const cli_rows *row;
	const char *stored;
} cli_backup_ref;

typedef struct cli_backup_method {
	const char *kind;         /* as the catalog's kind names it */
	const cli_driver *driver; /* whose databases it backs up */
	/* The extension finds BACKUP's catalog row itself, from the path as
	 * given (SQLite's dbbackup_verify and dbbackup_drill; a file no row
	 * names is checked as well): the command reads no row for it, and on a
	 * database with such a method every BACKUP argument is its. */
	bool finds_own_row;
	/* `backups prune`: the module deletes its old backups (dbbackup_prune);
	 * another tool's backups are that tool's to remove. */
	bool prunes;
	/* Its backups are the bases of dbcare's point-in-time log (a DIR of
	 * restore --to-time TIME DIR, backup drill --log DIR). */
	bool keeps_log;
	/* Its files carry their own record (a pg_dump's, dump_record.h): a
	 * file no catalog row names (the catalog went with the database) is
	 * verified and drilled from the file alone, its hooks given no row. */
	bool files_alone;
	/* A restore point names its backup in the catalog (dbbackup_marks):
	 * restore --to-mark LABEL alone restores that backup. */
	bool mark_names_backup;
	/* 1 when this method makes the backup o asks for on db (one of
	 * driver's), *target what it learnt choosing (malloc'd or NULL: a
	 * pgBackRest stanza), 0 when not, -1 after printing why it could not
	 * tell. The first row that answers 1 runs. */
	int (*chosen)(cli_db *db, cli_opts *o, char **target);
	/* Why o's options do not fit this method (NULL: they do); the text
	 * may be written into buf (n bytes). */
	const char *(*refuses)(const cli_opts *o, char *buf, size_t n);
	/* Makes the backup: a CLI_* code, its error printed. */
	int (*make)(cli_db *db, cli_opts *o, const char *target);
	/* Verifies b and marks its catalog row: 0 when the verification ran,
	 * *why NULL (verified; *doc, when doc is not NULL, its result as JSON,
	 * malloc'd) or the reason it failed (malloc'd); -1 after printing an
	 * error that is not the backup's. why NULL: the hook reports a failure
	 * itself, as an error (-1), the way `dbcare verify BACKUP` does. */
	int (*verify)(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why, char **doc);
	/* Drills b (b->arg NULL, no row: the newest backup), records and prints
	 * the outcome: a CLI_* code, CLI_ERROR when the drill failed. */
	int (*drill)(cli_db *db, cli_opts *o, const cli_backup_ref *b);
	/* restore FILE: a CLI_* code. */
	int (*restore)(cli_db *db, cli_opts *o, const char *file);
	/* restore --to-time TIME / --to-mark LABEL (o->args: what the method
	 * takes, a DIR): a CLI_* code. */
	int (*restore_to)(cli_db *db, cli_opts *o);
} cli_backup_method;

/* The database's methods in the rows' order: the first (after NULL) or
 * the one after `after`, NULL past the last. The one place a row is
 * matched with the database's driver. */
const cli_backup_method *cli_backup_method_next(const cli_db *db, const cli_backup_method *after);

/* What a command asks of a method: a hook it has or a fact it states. */
typedef enum {
	CLI_BACKUP_VERIFY,
	CLI_BACKUP_DRILL,
	CLI_BACKUP_RESTORE,
	CLI_BACKUP_RESTORE_TO,
	CLI_BACKUP_PRUNE,
	CLI_BACKUP_LOG,
	CLI_BACKUP_FILES_ALONE,
} cli_backup_ask;

/* The method of db's driver of kind (NULL: the first of its rows) that
 * does what; NULL when none does. */
const cli_backup_method *cli_backup_method_for(const cli_db *db, const char *kind,
                                               cli_backup_ask what);
/* db's method that finds its catalog rows itself (finds_own_row); NULL. */
const cli_backup_method *cli_backup_method_own_rows(const cli_db *db);
/* The kinds of db's methods that do what, sorted and ", "-separated, into
 * buf (n bytes), for an error naming them: buf. */
const char *cli_backup_kinds(const cli_db *db, cli_backup_ask what, char *buf, size_t n);

/* The hooks that make, verify and restore live in their methods' folders
 * (pg_dump/pg_dump.h, pgbackrest/pgbackrest.h, pages/pages.h). */
/* Drills (cmd_backup_drill.c): a restore test recorded with
 * dbbackup_drill(path, result); the module's dbbackup_drill. */
int cli_pg_dump_drill(cli_db *db, cli_opts *o, const cli_backup_ref *b);
int cli_pgbackrest_drill(cli_db *db, cli_opts *o, const cli_backup_ref *b);
int cli_module_drill(cli_db *db, cli_opts *o, const cli_backup_ref *b);

/* The commands that dispatch to the rows (backup_dispatch.c). */
/* dbcare backup drill [BACKUP]: its method's drill hook (backup_dispatch.c). */
int cli_backup_drill(cli_db *db, cli_opts *o);

/* dbcare verify BACKUP: a catalogued backup re-verified by its method's
 * hook (backup_dispatch.c; pg_dump's SHA-256 and logical content,
 * pgBackRest's verify and a restore test, the module's dbbackup_verify). */
int cli_verify_backup(cli_db *db, cli_opts *o);
/* dbcare verify --all-backups: every catalogued backup dbcare made,
 * oldest first, one line each on stdout ("verified PATH", "failed PATH:
 * why"), progress on stderr; CLI_ERROR when any is not verified. */
int cli_verify_all_backups(cli_db *db, cli_opts *o);

#endif
