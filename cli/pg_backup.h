/*
 * pg_backup.h — what the command does for PostgreSQL backups beyond the
 * dump itself (docs/backups.md): the logical record of a backup's content
 * (pg_contents.c), the file hash (file_sha256.c), a scratch database to
 * restore a dump into (pg_scratch.c), verification of a catalogued backup
 * (cmd_backup_verify.c) and pgBackRest (pgbackrest*.c).
 */
#ifndef DBCARE_CLI_PG_BACKUP_H
#define DBCARE_CLI_PG_BACKUP_H

#include "cli.h"

/* The content of every table the dump holds, read in the open transaction
 * (its snapshot): a JSON object {"schema.table": {"rows": N, "hash": H}},
 * keys in name order, H the sum of a 64-bit hash of each row's text form
 * (order-independent; every session setting that shapes that text is
 * pinned). Tables of extensions are left out (CREATE EXTENSION remakes
 * them); row security is off, so a role it would filter fails instead of
 * recording fewer rows. *json is malloc'd. */
int cli_pg_contents(cli_db *db, cli_opts *o, char **json);
/* Compares a recorded content with one read now; *why (malloc'd) names the
 * first difference, NULL when they agree. -1 when one does not parse. */
int cli_pg_contents_compare(const char *recorded, const char *now, char **why);

/* SHA-256 of a file's bytes in lowercase hex; -1 with errno. */
int cli_file_sha256(const char *path, char hex[65]);

/* A new empty database on the server of db (CREATE DATABASE from
 * template0), named dbcare_verify_<pid>_<time>: *name (malloc'd). */
int cli_pg_scratch_create(cli_db *db, cli_opts *o, char **name);
/* Connects to database name with db's other parameters (the extension
 * neither checked nor needed). NULL after printing why. */
cli_db *cli_pg_scratch_connect(cli_db *db, const char *name);
/* Drops it (WITH (FORCE)); errors are printed, never fatal. */
void cli_pg_scratch_drop(cli_db *db, cli_opts *o, const char *name);
/* pg_restore of the custom-format dump file into database name. */
int cli_pg_restore_into(cli_db *db, const char *file, const char *name, char **err);

/* dbcare verify BACKUP: a catalogued backup re-verified (pg_dump's SHA-256
 * and logical content; pgBackRest's verify and a restore test). */
int cli_verify_backup(cli_db *db, cli_opts *o);

#endif
