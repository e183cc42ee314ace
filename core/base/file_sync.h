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

/* Syncs the directory that holds path ("." when path names none): what
 * makes a name just given durable. 0, or -1 with errno (ENAMETOOLONG
 * when the directory's name does not fit PATH_MAX). */
int dbc_sync_dir_of(const char *path);

#endif
