/*
 * pages.h — the module's own backups (the SQLite page copy, one row of
 * backup_methods.c), its one public header: the restore hooks of its row
 * (cmd_restore.c). Making, verifying and drilling are the module's
 * dbbackup_create, dbbackup_verify and dbbackup_drill.
 */
#ifndef DBCARE_CLI_PAGES_H
#define DBCARE_CLI_PAGES_H

#include "cli/cli.h"

/* The module's restores (cmd_restore.c): a file, verified first; a
 * mark's backup, or its log to a time or mark. */
int cli_module_restore(cli_db *db, cli_opts *o, const char *file);
int cli_module_restore_to(cli_db *db, cli_opts *o);

#endif
