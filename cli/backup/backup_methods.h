/*
 * backup_methods.h — the backup methods of `dbcare backup`, one row each
 * (backup_methods.c): which one a command line asks for, what options it
 * refuses, and its hook. Every method but the SQLite module's runs the
 * core's backup flow (core/backup/backup_tool.h) with a tool of its own;
 * the module runs the same flow inside dbbackup_create. A new method is
 * a row here and its tool.
 */
#ifndef DBCARE_CLI_BACKUP_METHODS_H
#define DBCARE_CLI_BACKUP_METHODS_H

#include "cli/cli.h"

typedef struct cli_backup_method {
	const char *name; /* as the catalog's kind names it */
	/* 1 when this method makes the backup o asks for on db, *target what
	 * it learnt choosing (malloc'd or NULL: a pgBackRest stanza), 0 when
	 * not, -1 after printing why it could not tell. The first row that
	 * answers 1 runs. */
	int (*chosen)(cli_db *db, cli_opts *o, char **target);
	/* Why o's options do not fit this method (NULL: they do); the text
	 * may be written into buf (n bytes). */
	const char *(*refuses)(const cli_opts *o, char *buf, size_t n);
	/* Makes the backup: a CLI_* code, its error printed. */
	int (*run)(cli_db *db, cli_opts *o, const char *target);
} cli_backup_method;

/* The rows, ending with one whose name is NULL. */
extern const cli_backup_method cli_backup_methods[];

/* pg_dump's hook (backup_pg_dump.c): a dump at o's PATH, default
 * <database>-<UTC time>.dump here. */
int cli_pg_dump_backup(cli_db *db, cli_opts *o, const char *target);

#endif
