/*
 * backup_flow.h — the command's side of a backup made by a tool outside
 * the database (core/backup/backup_tool.h decides the flow): the files
 * (backup_files.c), the record through dbbackup_record (backup_record.c);
 * the tools it plugs in are their methods' (pg_dump/pg_dump.h,
 * pgbackrest/pgbackrest.h).
 */
#ifndef DBCARE_CLI_BACKUP_FLOW_H
#define DBCARE_CLI_BACKUP_FLOW_H

#include "cli/cli.h"

#include "backup/backup_tool.h"

/* The command's files: temporary names beside the target, scratch files
 * without a name, the seal (sealed.c), the publication. arg unused. */
extern const dbc_backup_files cli_backup_files;

/* What the command's recorder needs: the connection, and the answer's
 * statement over the recorded row ($1: its id, $2: *extra, a text the
 * tool learnt, NULL when extra is). With o->copy_to the file goes to that
 * store too, and its object is a row of its own, recorded only once it is
 * whole in the store (shipped.h); staged: the file is only what is
 * uploaded (upload_stage.h), the object's row the one row and the
 * answer's. copy_failed: the local backup stands, its copy did not go
 * (said already). */
typedef struct cli_backup_record_arg {
	cli_db *db;
	cli_opts *o;
	const char *answer_sql;
	char *const *extra;
	bool staged;
	bool copy_failed;
} cli_backup_record_arg;
/* dbbackup_record of made (and of its copy in o->copy_to), then the
 * answer read back (dbbackup_entry); *maybe_recorded as
 * dbc_backup_recorder's. */
int cli_backup_record(dbc_ctx *ctx, void *arg, const char *kind, const dbc_backup_made *made,
                      char **json, bool *maybe_recorded);

/* A backup made (made: its file, bytes, SHA-256, fingerprint and content)
 * uploaded to o->copy_to (indexed: as cli_backup_ship's) and its object
 * recorded as a row of kind once it is whole there, as the flow's copies
 * are (the SQLite module's backups, made inside dbbackup_create). CLI_OK,
 * or CLI_ERROR after saying why (the local backup stands). */
int cli_backup_ship_recorded(cli_db *db, cli_opts *o, const char *kind, const dbc_backup_made *made,
                             bool indexed);

/* Runs the flow for tool (its arg set) and prints its answer ("backup");
 * path: the target of a tool that writes a file (staged: a file in an
 * upload's stage, recorded only as its object in o->copy_to). CLI_OK or
 * CLI_ERROR after printing why (a copy to o->copy_to that failed too). */
int cli_backup_run(cli_db *db, cli_opts *o, const dbc_backup_tool *tool, const char *answer_sql,
                   char *const *extra, const char *path, unsigned seal, bool staged);

/* The tool errors the command's hooks meet as the ctx's error: err
 * ("dbcare: ...", malloc'd, freed here) or, NULL, one already printed. */
int cli_backup_fail(dbc_ctx *ctx, char *err);

#endif
