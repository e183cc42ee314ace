/*
 * pg_backup.h — what the command does for PostgreSQL backups beyond the
 * dump itself (docs/backups.md): the logical record of a backup's content
 * (pg_contents.c), a file against its recorded hash (file_sha256.c),
 * a catalogued backup verified and marked (backup_verified.c); pg_dump's
 * own (its scratch database, its archive's table of contents) in
 * pg_dump/pg_dump.h, pgBackRest's in pgbackrest/pgbackrest.h.
 */
#ifndef DBCARE_CLI_PG_BACKUP_H
#define DBCARE_CLI_PG_BACKUP_H

#include "cli/cli.h"

/* The content of every table the dump holds, read in the open transaction
 * (its snapshot), in the core's one format (backup/backup_content.h): the
 * database's own dbbackup_content() of dbcare, or, where it has none the
 * reader may call, the same statement of the core's under the same
 * settings (set for the transaction). Tables of extensions are left out
 * (CREATE EXTENSION remakes them); row security is off, so a role it would
 * filter fails instead of recording fewer rows. *json is malloc'd. */
int cli_pg_contents(cli_db *db, cli_opts *o, char **json);
/* A recorded content against one read now, judged by the core
 * (backup/backup_content.h): *why (malloc'd) names the first difference,
 * NULL when they agree; counts (NULL: not wanted) are the copy's tables,
 * the recorded rows of the tables both have and the tables that differ.
 * -1 when one does not parse. */
typedef struct cli_pg_content_counts {
	long long tables, rows, mismatches;
} cli_pg_content_counts;
int cli_pg_contents_compare(const char *recorded, const char *now, char **why,
                            cli_pg_content_counts *counts);

/* A check of a restored copy beyond its content (NULL: none), run in the
 * read's transaction: *why set when the copy fails it, -1 on an error. */
typedef int (*cli_restored_check)(cli_db *restored, cli_opts *o, char **why);
/* The one check of a restored copy, whatever restored it (pg_restore into
 * a database, a scratch database of a dump's verification or drill, the
 * scratch cluster of pgBackRest's): in one read-only snapshot of db its
 * content read (cli_pg_contents) and extra run, then the content judged
 * against recorded (NULL: nothing recorded, only read back whole), the
 * record of backup (its name in messages). 0 with
 * v filled: why (malloc'd) the first content difference, else extra's
 * finding, NULL when the copy passes; content (malloc'd) what was read;
 * counts the copy's tables (with recorded: and the recorded rows, the
 * tables that differ). -1 after printing an error (v empty). */
typedef struct cli_pg_restored {
	char *content, *why;
	cli_pg_content_counts counts;
} cli_pg_restored;
int cli_pg_restored_check(cli_db *db, cli_opts *o, const char *backup, const char *recorded,
                          cli_restored_check extra, cli_pg_restored *v);

/* Why the file at path is not the one whose SHA-256 was recorded (the
 * core's rule, backup/backup_content.h): malloc'd, NULL when it is (or
 * recorded is NULL); *oom set when the answer could not be allocated. */
char *cli_file_mismatch(const char *path, const char *recorded, bool *oom);

/* The catalog columns a verification reads (id, kind, path, sha256,
 * content, label) of the newest backup whose id, path or label is the one
 * given (NULL: not compared), through dbbackup_entry; no row when none. */
int cli_backup_row(cli_db *db, cli_opts *o, const char *id, const char *path, const char *label,
                   cli_rows *row);
/* A method's check of a catalogued backup (row: cli_backup_row's): 0 with
 * *failed NULL (verified, *tables compared) or set (malloc'd: the backup's
 * fault); -1 after printing an error that is not the backup's. */
typedef int (*cli_row_check)(cli_db *db, cli_opts *o, const cli_rows *row, char **failed,
                             int *tables);
/* row checked and marked through dbbackup_verified: the verify hook of
 * the methods whose rows the command reads (backup_methods.h's verify:
 * why NULL, a failure printed and -1; else *why the reason, 0; doc the
 * answer of a verified backup); stored: what a failure names (the row's
 * URL when its path cell names the object's fetched copy; NULL: the
 * row's path). (backup_verified.c) */
int cli_backup_verify_marked(cli_db *db, cli_opts *o, const cli_rows *row, const char *stored,
                             cli_row_check check, char **why, char **doc);
#endif
