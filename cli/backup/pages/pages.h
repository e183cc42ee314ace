/*
 * pages.h — the module's own backups (the SQLite page copy, one row of
 * backup_methods.c), its one public header: the verify and restore hooks
 * of its row (pages_verify.c, cmd_restore.c) over the module's
 * dbbackup_verify, and its copies in a store (pages_copy.c); making and
 * drilling are the module's dbbackup_create (run under the stop signals,
 * pages_stop.c) and dbbackup_drill.
 */
#ifndef DBCARE_CLI_PAGES_H
#define DBCARE_CLI_PAGES_H

#include "cli/backup/backup_methods.h"
#include "cli/cli.h"

/* Its verify hook: the module's dbbackup_verify of b->arg, which marks
 * the row itself (pages_verify.c). */
int cli_module_verify(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why, char **doc);
/* A backup the module made (answer: dbbackup_create's) uploaded to
 * o->copy_to and its object recorded, once whole there, as a row of kind
 * DBC_BACKUP_KIND_FILE_COPY; the verify hook of those rows, given the
 * object fetched: its SHA-256 against its row's, then the module's
 * dbbackup_verify of the file, the row marked (pages_copy.c). */
int cli_module_ship(cli_db *db, cli_opts *o, const char *answer);
int cli_module_copy_verify(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why,
                           char **doc);
/* Before an incremental backup to o->copy_to, a store's URL: the base
 * the module builds on present at its path with the SHA-256 its row
 * records, the local file when it is that, else its copy fetched back
 * from o->copy_to and checked; refused when neither is (pages_base.c).
 * CLI_OK, or CLI_ERROR after saying why. */
int cli_module_stage_base(cli_db *db, cli_opts *o);
/* backup.stage_dir (pages_pending.c): *dir its folder without a trailing
 * slash, NULL when empty; 0, or -1 after saying why (not a local folder). */
int cli_module_stage_dir(cli_db *db, cli_opts *o, char **dir);
/* The backups waiting in stage for o->copy_to (a store's URL): every
 * verified row of kind file in that folder with no copy's row for its
 * object, shipped oldest first by cli_module_ship. CLI_OK, or CLI_ERROR
 * after saying why (those not shipped wait for the next run). */
int cli_module_ship_pending(cli_db *db, cli_opts *o, const char *stage);
/* The module's restores (cmd_restore.c): a file, verified first; a
 * mark's backup, or its log to a time or mark. */
int cli_module_restore(cli_db *db, cli_opts *o, const char *file);
int cli_module_restore_to(cli_db *db, cli_opts *o);

/* SELECT dbbackup_create(p[0], p[1]) into *r, as cli_q (0 or -1 after
 * setting the error), with the stop signals held (pages_stop.c): the
 * backup ends whole and recorded, or nothing of it is left (p[0] NULL, the
 * module's own name: it is not stopped before it ends). */
int cli_module_backup_create(cli_db *db, cli_opts *o, const char *const p[2], cli_rows *r);

#endif
