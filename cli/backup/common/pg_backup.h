/*
 * pg_backup.h — what the command does for PostgreSQL backups beyond the
 * dump itself (docs/backups.md): the logical record of a backup's content
 * (pg_contents.c), a file against its recorded hash (file_sha256.c),
 * verification of a catalogued backup (cmd_backup_verify.c); pg_dump's
 * own (its scratch database, its archive's table of contents) in
 * pg_dump/pg_dump.h, pgBackRest's in pgbackrest/pgbackrest.h.
 */
#ifndef DBCARE_CLI_PG_BACKUP_H
#define DBCARE_CLI_PG_BACKUP_H

#include "cli/cli.h"

/* The content of every table the dump holds, read in the open transaction
 * (its snapshot): a JSON object {"schema.table": {"rows": N, "hash": H}},
 * keys in name order, H the sum of a 64-bit hash of each row's text form
 * (order-independent; every session setting that shapes that text is
 * pinned). Tables of extensions are left out (CREATE EXTENSION remakes
 * them); row security is off, so a role it would filter fails instead of
 * recording fewer rows. *json is malloc'd. */
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

/* Why the file at path is not the one whose SHA-256 was recorded (the
 * core's rule, backup/backup_content.h): malloc'd, NULL when it is (or
 * recorded is NULL); *oom set when the answer could not be allocated. */
char *cli_file_mismatch(const char *path, const char *recorded, bool *oom);

/* The catalog columns a verification reads (id, kind, path, sha256,
 * content, label) of the newest backup whose id, path or label is the one
 * given (NULL: not compared), through dbbackup_entry; no row when none. */
int cli_backup_row(cli_db *db, cli_opts *o, const char *id, const char *path, const char *label,
                   cli_rows *row);
/* A pg_dump backup (row: cli_backup_row's) verified: its SHA-256, then
 * restored into a scratch database and compared. 0 with *why NULL
 * (verified, *tables compared) or set (the backup's fault); -1 after
 * printing an error that is not the backup's. content (NULL: not
 * wanted) gets the restored copy's content (malloc'd) when it was read.
 * check (NULL: none) runs on the restored copy after its content is read,
 * connected as the scratch role in the read's transaction: *why set when
 * the copy fails it, -1 on an error. */
typedef int (*cli_restored_check)(cli_db *restored, cli_opts *o, char **why);
int cli_verify_dump(cli_db *db, cli_opts *o, const cli_rows *row, cli_restored_check check,
                    char **why, int *tables, char **content);
/* The same for the dump file at path that no catalog row names (the
 * catalog went with its database): a sealed one opened (its seal proves
 * its bytes), restored and compared with the record it carries
 * (dump_record.h), *recorded (malloc'd) that record's content. A dump
 * without a record is an error (-1, printed). */
int cli_verify_dump_file(cli_db *db, cli_opts *o, const char *path, cli_restored_check check,
                         char **why, int *tables, char **content, char **recorded);
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
