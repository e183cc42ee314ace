/*
 * backup_glue.h — the SQLite side of dbbackup_* (backup_file.c), shared by
 * the backup functions and the migrations that take a backup first.
 */
#ifndef SQLDBC_BACKUP_GLUE_H
#define SQLDBC_BACKUP_GLUE_H

#include "backup/backup.h"
#include "base/sha256.h"
#include "conn.h"
#include "glue.h"

extern const dbc_backup_hooks sqldbc_backup_env;

/* One table of db's main database, read in one scan (backup_content.c): its
 * row count and its order-independent content hash (hex), rows digested as
 * content version says (1: SHA-256, 2: SipHash-1-3-128; the newest is
 * SQLDBC_CONTENT_VERSION, what a new record uses). On an error of
 * SQLite's, *sqlite_rc says which (a busy database: SQLITE_BUSY). Past
 * deadline_ms (dbc_monotonic_ms; 0: none) it stops with the timeout's
 * error: a backup finishes or fails within backup.timeout_ms. */
#define SQLDBC_CONTENT_VERSION 2
int sqldbc_backup_table_content(dbc_ctx *ctx, sqlite3 *db, const char *table, int version,
                                double deadline_ms, int64_t *rows,
                                char hash[DBC_BACKUP_CONTENT_HEX + 1], int *sqlite_rc);

/* Shared by the files of the backups (backup_file.c): an error about db's
 * last failure; the read transaction of a copy (begin, its image read, and
 * its end on every path); the copy's steps; the database's canonical path
 * (the proof of origin a copy carries); a path's directory; one integer. */
int sqldbc_backup_db_error(dbc_ctx *ctx, sqlite3 *db, const char *what);
int sqldbc_backup_begin_snapshot(dbc_ctx *ctx, sqlite3 *db, double deadline, bool content,
                                 dbc_backup_image *source);
void sqldbc_backup_end_read(sqlite3 *db, sqldbc_call *call);
int sqldbc_backup_copy_pages(dbc_ctx *ctx, sqlite3 *src, sqlite3 *dest, double deadline);
char *sqldbc_backup_identity(dbc_ctx *ctx, sqlite3 *db);

/* Whether dest (a finished copy of src's main database, inside src's read
 * transaction) is the snapshot byte for byte but for its header's
 * counters (backup_exact.c): *same false where that cannot be told (WAL
 * mode, another VFS's files) or is not so. DBC_ERROR only past the
 * deadline, on an interrupt or out of memory. */
int sqldbc_backup_same_pages(dbc_ctx *ctx, sqlite3 *src, sqlite3 *dest, int64_t pages,
                             double deadline, bool *same);
/* Where sqldbc_backup_stream_file hands the snapshot's pages: n pages of
 * page_size bytes from page first (1-based), in order. DBC_ERROR with the
 * error set stops the copy. */
typedef int (*sqldbc_take_pages)(dbc_ctx *ctx, void *arg, int64_t first, const unsigned char *data,
                                 int64_t n, int64_t page_size);
/* Streams the first pages of src's main database file (inside src's read
 * transaction) to take, when that file is the snapshot byte for byte (the
 * conditions of sqldbc_backup_same_pages, and the unix VFS); *streamed
 * false, nothing read, where it is not (the caller uses the backup API).
 * Checks the deadline and an interrupt between chunks. */
int sqldbc_backup_stream_file(dbc_ctx *ctx, sqlite3 *src, int64_t pages, double deadline,
                              sqldbc_take_pages take, void *arg, bool *streamed);
char *sqldbc_backup_dir_of(dbc_ctx *ctx, const char *path);
int sqldbc_backup_int_pragma(sqlite3 *db, const char *sql, int64_t *out);

/* Page hashes: core/backup/backup.h (dbc_page_hasher). */
int sqldbc_backup_copy_changed(dbc_ctx *ctx, const char *tmp_path, const char *path,
                               int64_t timeout_ms, const dbc_backup_base *base,
                               dbc_backup_image *source);
int sqldbc_backup_store_pages(dbc_ctx *ctx, int64_t id, const dbc_backup_image *img);

/* The page-set files of incremental backups (backup_pageset.c). */
#define SQLDBC_PAGESET_MAGIC "DBCPAGE1"
/* Whether path starts as a page-set file does. */
bool sqldbc_pageset_is(const char *path);
/* Its proof of origin: the database it copies and the path it was
 * published under (NULL when it is no page-set file). */
bool sqldbc_pageset_stamp(dbc_ctx *ctx, const char *path, char **database, char **published);
int sqldbc_backup_materialize(dbc_ctx *ctx, const char *const *chain, const char *const *sha256,
                              int n, const char *out_path);

/* Sealed backups (backup_seal.c): the hooks of the same names, and the
 * proof of origin a seal's header carries ("<database>\n<path>"). */
/* backup_scratch.c: files without a name for plain bytes, and the VFS
 * SQLite opens them with (NULL for any other path). */
int sqldbc_backup_make_scratch(dbc_ctx *ctx, const char *path, char **scratch_path);
int sqldbc_backup_make_linkable(dbc_ctx *ctx, const char *path, char **tmp_path);
const char *sqldbc_backup_vfs_for(const char *path);
int sqldbc_backup_scratch_unwal(dbc_ctx *ctx, sqlite3 **dest, const char *path);
int sqldbc_backup_seal(dbc_ctx *ctx, const char *plain_path, const char *plain_sha256,
                       const char *sealed_tmp, const char *path, unsigned flags,
                       char **sealed_sha256, int64_t *bytes);
bool sqldbc_backup_is_sealed(dbc_ctx *ctx, const char *path);
int sqldbc_backup_unseal(dbc_ctx *ctx, const char *path, const char *want_sha256,
                         const char *out_path, char **plain_sha256, bool *key_error);
int sqldbc_backup_sealed_plain_sha256(dbc_ctx *ctx, const char *path, char **plain_sha256);
char *sqldbc_seal_origin(dbc_ctx *ctx, const char *path);
/* Whether path is a sealed file; *origin its header's proof of origin. */
bool sqldbc_backup_sealed_origin(dbc_ctx *ctx, const char *path, char **origin);

/* A backup's start on db: refused inside a transaction (the copy needs a
 * read transaction of its own and holds only committed work); the call's
 * rescue prepared. DBC_ERROR with the error set. backup_file.c. */
int sqldbc_backup_prepare(dbc_ctx *ctx, sqlite3 *db);

#endif
