/*
 * core/base/file_sync.h — making a file, or a directory entry, durable:
 * what a backup (the module's copy, the command's dump) does before it
 * gives a file its final name and after.
 */
#ifndef DBC_FILE_SYNC_H
#define DBC_FILE_SYNC_H

/* Opens path with flags (O_RDONLY, with O_DIRECTORY for a directory),
 * fsyncs it and closes it. 0, or -1 with errno from the open or the fsync
 * (the close does not change it). */
int dbc_sync_path(const char *path, int flags);

#endif
