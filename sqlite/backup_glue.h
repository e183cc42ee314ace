/*
 * backup_glue.h — the SQLite side of dbbackup_* (backup_file.c), shared by
 * the backup functions and the migrations that take a backup first.
 */
#ifndef SQLDBC_BACKUP_GLUE_H
#define SQLDBC_BACKUP_GLUE_H

#include "backup/backup.h"
#include "glue.h"

extern const dbc_backup_hooks sqldbc_backup_env;

/* One table of db's main database, read in one scan (backup_content.c): its
 * row count and its order-independent content hash (hex). On an error of
 * SQLite's, *sqlite_rc says which (a busy database: SQLITE_BUSY). */
int sqldbc_backup_table_content(dbc_ctx *ctx, sqlite3 *db, const char *table, int64_t *rows,
                                char hash[DBC_BACKUP_CONTENT_HEX + 1], int *sqlite_rc);

#endif
