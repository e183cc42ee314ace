/*
 * pitr.h — SQLite point-in-time recovery in the command: the capture
 * (`dbcare log`: the one capture of sqlite/pitr_capture.c, which the
 * module runs too, built into the command), and the restore (`dbcare
 * restore --to-time`, pitr_restore.c), status and prune, which read the
 * log's files through sqlite/pitr_log.c whoever captured them.
 */
#ifndef DBCARE_PITR_H
#define DBCARE_PITR_H

#include "cli/cli.h"
#include "sqlite/pitr_capture.h"

#include <sqlite3.h>

/* The command's capture (cmd_log.c): c filled for `dbcare log` with the
 * command's messages and, with --compress or --encrypt-key-file, its
 * sealing (pitr_files.c). */
void cli_pitr_capture_init(pitr_capture *c, cli_opts *o);

/* Opens a segment for reading: a sealed one through a scratch file that
 * *scratch names (release it with cli_scratch_release after fclose; NULL
 * for a plain one). NULL after printing why (a missing or wrong key). */
FILE *pitr_segment_fopen(const char *path, char **scratch);

/* Every record of every segment of dir, in order, to fn (nonzero stops);
 * with check, each closed segment against its log-<n>.json first. A damaged
 * closed segment is an error; an open one ends at its last whole record. */
typedef int (*pitr_rec_fn)(void *arg, const pitr_rec *r);
int pitr_each_record(const char *dir, pitr_rec_fn fn, void *arg, bool check);

/* log status DIR: what the log can restore, how far behind it is. */
int cli_pitr_status(cli_opts *o, const char *dir);

/* log prune DIR --keep N [--apply]: the older bases and segments go. */
int cli_pitr_prune(cli_opts *o, const char *dir);

/* restore --to-time T DIR into db (a new, empty SQLite database). */
int cli_pitr_restore(cli_db *db, cli_opts *o, const char *dir);

#endif
