/*
 * backup_name.h — the name a backup made without a path gets in its
 * folder: one rule for dbbackup_create (backup_create.c), the SQLite
 * module's database name (sqlite/backup/backup_paths.c) and the dbcare
 * command, which names such a backup before its call (backup_methods.c)
 * so that a stop can interrupt it until it is published (pages_stop.c).
 */
#ifndef DBC_BACKUP_NAME_H
#define DBC_BACKUP_NAME_H

#include <stddef.h>

/* A database file's name without its folder and extension ("memory" for
 * none: an in-memory database): *len bytes from the pointer returned. */
const char *dbc_backup_file_stem(const char *file, size_t *len);

/* "<dir>/<name>-<UTC time with milliseconds>Z<ext>" into buf (n bytes),
 * name its first name_len bytes, dir "" the working directory: two
 * backups a second apart do not collide. 0, or -1 when it does not fit. */
int dbc_backup_default_name(char *buf, size_t n, const char *dir, const char *name, size_t name_len,
                            const char *ext);

#endif
