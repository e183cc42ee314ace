/*
 * backup_glue.h — the SQLite side of dbbackup_* (the hooks: backup_hooks.c),
 * shared by the backup functions and the migrations that take a backup first.
 */
#ifndef SQLDBC_BACKUP_GLUE_H
#define SQLDBC_BACKUP_GLUE_H

#include "backup/backup.h"
#include "sqlite/pitr/pitr.h"
#include "base/sha256.h"
#include "sqlite/host/glue.h"

extern const dbc_backup_hooks sqldbc_backup_hooks;
/* Hands them to the host's table, at load. */
void sqldbc_backup_register(dbc_api_hooks *api);

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

/* Rowid windows of a table's content (core/backup/backup_windows.h),
 * backup_content.c: *st (NULL where the table has no rowid to cut by:
 * WITHOUT ROWID, or columns named _rowid_, rowid and oid) reads the rows
 * of a rowid range in rowid order; windows_read digests the rows of
 * first..last into ws (coarsen: see dbc_windows_add). */
int sqldbc_backup_windows_open(dbc_ctx *ctx, sqlite3 *db, const char *table, sqlite3_stmt **st);
int sqldbc_backup_windows_read(dbc_ctx *ctx, sqlite3_stmt *st, int64_t first, int64_t last,
                               double deadline_ms, dbc_windows *ws, bool coarsen, int *sqlite_rc);

/* A table of the image being read: its name, root page and CREATE
 * statement (sqlite_schema's row). */
typedef struct sqldbc_table_at {
	const char *name;
	int64_t root;
	const char *sql;
} sqldbc_table_at;
/* How one table's rows, content hash and (where kept) windows are read,
 * into t (its name set): sqldbc_backup_read_whole reads it whole (arg: a
 * bool, whether to keep windows); the incremental backup's reader
 * (backup_incr_content.c) re-reads only the windows that changed. */
typedef int (*sqldbc_table_reader)(dbc_ctx *ctx, void *arg, sqlite3 *db, const sqldbc_table_at *at,
                                   double deadline_ms, int version, dbc_backup_table *t,
                                   int *sqlite_rc);
int sqldbc_backup_read_whole(dbc_ctx *ctx, void *arg, sqlite3 *db, const sqldbc_table_at *at,
                             double deadline_ms, int version, dbc_backup_table *t, int *sqlite_rc);
/* Every ordinary table of db's main database by name (virtual tables hold
 * no rows of their own; their shadow tables count), through read: the
 * image's tables, rows and rows_digest. backup_base.c. */
int sqldbc_backup_read_tables(dbc_ctx *ctx, sqlite3 *db, double deadline_ms,
                              sqldbc_table_reader read, void *arg, dbc_backup_image *img,
                              int *sqlite_rc);
/* t's rows, hash and windows text from ws, which gets at's root and
 * CREATE statement's hash. */
int sqldbc_backup_windows_record(dbc_ctx *ctx, const sqldbc_table_at *at, dbc_windows *ws,
                                 dbc_backup_table *t);

/* STAMP_TABLE, the table each copy gets: backup_origin.h. */

/* What a backup's fingerprint hashes: the stored schema, every row but the
 * stamp's. */
#define FINGERPRINT_SQL                                                                            \
	"SELECT type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_schema"                       \
	" WHERE tbl_name <> '" STAMP_TABLE "' COLLATE NOCASE ORDER BY type, name"

/* Shared by the files of the backups (backup_base.c, below them all): an
 * error about db's last failure; the read transaction of a copy (begin, its
 * image read, and its end on every path); the copy's steps; the database's
 * canonical path (the proof of origin a copy carries); one integer; an
 * image's fingerprint and, with content, its tables (sqlite_rc: the SQLite
 * code of the read); the rows of sql as text (the SQLite code). */
int sqldbc_backup_db_error(dbc_ctx *ctx, sqlite3 *db, const char *what);
/* The same for a failure whose SQLite code is rc, when the connection's
 * message may have been reset since; an interrupt is the call's cancel. */
int sqldbc_backup_rc_error(dbc_ctx *ctx, sqlite3 *db, int rc, const char *what);
int sqldbc_backup_read_image(dbc_ctx *ctx, sqlite3 *db, double deadline_ms, bool content,
                             dbc_backup_image *img, int *sqlite_rc);
int sqldbc_backup_rows_text(sqlite3 *db, const char *sql, dbc_buf *out, int64_t *rows);
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
/* The hooks of core/backup on SQLite, one file a job (backup_hooks.c
 * gathers them): the copy (backup_copy.c); reading a file back
 * (backup_readback.c); a target's checks (backup_target.c); publishing and
 * removing a file (backup_publish.c); a catalog row's file
 * (backup_row_file.c); sweeping killed copies' temporary files
 * (backup_sweep.c); the catalog's shape (backup_catalog_ask.c). */
int sqldbc_backup_copy(dbc_ctx *ctx, const char *tmp_path, const char *path, int64_t timeout_ms,
                       dbc_backup_image *source);
int sqldbc_backup_inspect(dbc_ctx *ctx, const char *path, bool full, double deadline_ms,
                          dbc_backup_image *img);
int sqldbc_backup_check_target(dbc_ctx *ctx, const char *path);
int sqldbc_backup_publish(dbc_ctx *ctx, const char *tmp_path, const char *path);
int sqldbc_backup_remove(dbc_ctx *ctx, const char *path, bool *existed);
int sqldbc_backup_is_backup(dbc_ctx *ctx, const char *path, const char *fingerprint, bool *is,
                            bool *missing);
bool sqldbc_backup_exists(dbc_ctx *ctx, const char *path);
void sqldbc_backup_sweep_temps(dbc_ctx *ctx, const char *path, int64_t older_than_ms);
int sqldbc_backup_catalog_exists(dbc_ctx *ctx, bool *exists);
bool sqldbc_backup_records_file_sha256(dbc_ctx *ctx);
bool sqldbc_backup_records_content(dbc_ctx *ctx);

/* The names of a backup's files (backup_paths.c): a path's directory; its
 * directory resolved (realpath) + its last component; a fresh temporary
 * file beside path (named as dbc_scratch_temp_name knows them); the main database file's name
 * without directory and extension ("memory" in memory). */
char *sqldbc_backup_dir_of(dbc_ctx *ctx, const char *path);
int sqldbc_backup_canonical(dbc_ctx *ctx, const char *path, char **out);
int sqldbc_backup_make_temp(dbc_ctx *ctx, const char *path, char **tmp_path);
int sqldbc_backup_database_name(dbc_ctx *ctx, char **name);

/* The stamp (backup_stamp.c): written into a finished copy dest (whatever
 * had the stamp's name replaced), and whether db (opened read-only)
 * carries the stamp of a copy of database published as path. */
int sqldbc_backup_write_stamp(dbc_ctx *ctx, sqlite3 *dest, const char *database, const char *path);
bool sqldbc_backup_stamped(sqlite3 *db, const char *database, const char *path);
/* backup_base.c: one integer (a PRAGMA's); the SQLite code. */
int sqldbc_backup_int_pragma(sqlite3 *db, const char *sql, int64_t *out);

/* Page hashes: core/backup/backup.h (dbc_page_hasher). */
int sqldbc_backup_copy_changed(dbc_ctx *ctx, const char *tmp_path, const char *path,
                               int64_t timeout_ms, const dbc_backup_base *base,
                               dbc_backup_image *source);
int sqldbc_backup_store_pages(dbc_ctx *ctx, int64_t id, const dbc_backup_image *img);
/* The page hashes the catalog row id keeps (backup_incr.c): its hasher
 * and hashes (in the ctx's arena), DBC_ERROR with the error set where the
 * row keeps none or in no known form. */
int sqldbc_backup_row_hashes(dbc_ctx *ctx, sqlite3 *db, int64_t id, dbc_page_hasher *ph,
                             const unsigned char **hashes, int64_t *pages);
/* The hook check_pages (backup_pageset.c). */
int sqldbc_backup_check_pages(dbc_ctx *ctx, int64_t id, const char *path, char **why);
/* An incremental backup's content record, inside its snapshot's read
 * transaction once every page went through pm (changed[pgno - 1]: the page
 * differs from base's; past nchanged all do): img's tables, rows,
 * rows_digest and rows_read (backup_incr_content.c). */
int sqldbc_backup_incr_content(dbc_ctx *ctx, sqlite3 *db, double deadline_ms,
                               const dbc_backup_base *base, dbc_page_map *pm,
                               const unsigned char *changed, int64_t nchanged,
                               dbc_backup_image *img);

/* The page-set files of incremental backups (backup_pageset.c). */
#define SQLDBC_PAGESET_MAGIC "DBCPAGE1"
/* after the last page (0.3.9 on): the file's own record, backup_incr.c */
#define SQLDBC_PAGESET_RECORD_MAGIC "DBCREC01"
/* Whether path starts as a page-set file does. */
bool sqldbc_pageset_is(const char *path);
/* Its proof of origin: the database it copies and the path it was
 * published under (NULL when it is no page-set file). */
bool sqldbc_pageset_stamp(dbc_ctx *ctx, const char *path, char **database, char **published);
/* The hooks' pageset_base: whether path is a page-set file, and the
 * SHA-256 of the base its header names. */
/* The hooks' origin_mismatch (backup_seal.c): a sealed file's header, a
 * plain copy's own origin (backup_origin.h). */
char *sqldbc_backup_origin_mismatch(dbc_ctx *ctx, const char *path, const char *published);
bool sqldbc_pageset_base(dbc_ctx *ctx, const char *path, char **base_sha256);
/* The hooks' pageset_record: the record after a page-set file's pages. */
bool sqldbc_pageset_record(dbc_ctx *ctx, const char *path, char **record);
int sqldbc_backup_materialize(dbc_ctx *ctx, const char *const *chain, const char *const *sha256,
                              int n, const char *out_path);
/* backup_drill.c: the foreign_key_check hook (a restore drill's check). */
int sqldbc_backup_fk_check(dbc_ctx *ctx, const char *path, int64_t *violations, char **first);

/* Sealed backups (backup_seal.c): the hooks of the same names, and the
 * proof of origin a seal's header carries ("<database>\n<path>"). */
/* backup_scratch.c: files without a name for plain bytes, and the VFS
 * SQLite opens them with (NULL for any other path). */
int sqldbc_backup_make_scratch(dbc_ctx *ctx, const char *path, char **scratch_path);
const char *sqldbc_backup_vfs_for(const char *path);
int sqldbc_backup_scratch_unwal(dbc_ctx *ctx, sqlite3 **dest, const char *path);
int sqldbc_backup_seal(dbc_ctx *ctx, const char *plain_path, const char *plain_sha256,
                       const char *path, unsigned flags, char **sealed_sha256, int64_t *bytes);
bool sqldbc_backup_is_sealed(dbc_ctx *ctx, const char *path);
int sqldbc_backup_unseal(dbc_ctx *ctx, const char *path, const char *want_sha256,
                         const char *out_path, char **plain_sha256, bool *key_error);
int sqldbc_backup_sealed_plain_sha256(dbc_ctx *ctx, const char *path, char **plain_sha256);
char *sqldbc_seal_origin(dbc_ctx *ctx, const char *path);
/* Whether path is a sealed file; *origin its header's proof of origin. */
bool sqldbc_backup_sealed_origin(dbc_ctx *ctx, const char *path, char **origin);
/* Whether path is sealed (false: not a sealed file); then *is: whether
 * its header names this database (its file, and its identity when the
 * header has one) and path as where it was published. */
bool sqldbc_backup_sealed_is_own(dbc_ctx *ctx, const char *path, bool *is);

/* The VFSes the backups register (the page sink of backup_incr.c, the
 * scratch files' of backup_scratch.c) point into this library: they leave
 * SQLite's list when it is unloaded (entry.c's destructor). */
void sqldbc_backup_sink_unregister(void);
void sqldbc_backup_scratch_unregister(void);

/* A backup's start on db: refused inside a transaction (the copy needs a
 * read transaction of its own and holds only committed work); the call's
 * rescue prepared. DBC_ERROR with the error set. backup_base.c. */
int sqldbc_backup_prepare(dbc_ctx *ctx, sqlite3 *db);

#endif
