/*
 * backup_glue.h — the SQLite side of dbbackup_* (backup_file.c), shared by
 * the backup functions and the migrations that take a backup first.
 */
#ifndef SQLDBC_BACKUP_GLUE_H
#define SQLDBC_BACKUP_GLUE_H

#include "backup/backup.h"

extern const dbc_backup_hooks sqldbc_backup_env;

#endif
