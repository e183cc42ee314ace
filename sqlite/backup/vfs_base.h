/*
 * sqlite/backup/vfs_base.h — what the module's two VFSes ("dbcare_sink" of
 * backup_incr.c, "dbcare_scratch" of backup_scratch.c) share: the methods
 * of a file only the module opens, once, with the journal off (no lock to
 * take, nothing to sync, no file control), and a VFS's fields that hand on
 * to the default VFS below it. Each VFS keeps what is its own: its files'
 * reads and writes, and which names it opens.
 */
#ifndef SQLDBC_VFS_BASE_H
#define SQLDBC_VFS_BASE_H

#include "sqlite/host/glue.h"

/* The file methods with nothing to do (the invariant above): xSync and
 * xLock / xUnlock succeed, xCheckReservedLock says no lock is held,
 * xFileControl knows no operation, a 4096-byte sector, no device
 * characteristics. */
int sqldbc_vfs_file_sync(sqlite3_file *f, int flags);
int sqldbc_vfs_file_lock(sqlite3_file *f, int level);
int sqldbc_vfs_file_reserved(sqlite3_file *f, int *out);
int sqldbc_vfs_file_control(sqlite3_file *f, int op, void *arg);
int sqldbc_vfs_file_sector(sqlite3_file *f);
int sqldbc_vfs_file_device(sqlite3_file *f);

/* Fills vfs (version 1) named name over the default VFS, kept in
 * pAppData: room for a file of file_size bytes or the default's, its
 * longest path, and randomness, sleep and time handed on to it. The
 * caller sets the rest (xOpen, xDelete, xAccess, xFullPathname,
 * xGetLastError) and registers it. false when SQLite has no default VFS. */
bool sqldbc_vfs_over_default(sqlite3_vfs *vfs, const char *name, int file_size);

#endif
