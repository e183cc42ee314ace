/*
 * backup.h — dbbackup_*: verified backups and their catalog (docs/backups.md).
 *
 * The core decides: where a backup goes, what makes it verified, what is
 * recorded, which catalogued backups a retention rule deletes, and how old
 * the newest verified backup is (the health check). What touches files --
 * the consistent copy, opening a copy to check it, publishing it under its
 * final name, deleting it -- is the engine's (dbc_backup_hooks): only the
 * SQLite module writes files; on PostgreSQL backups are made outside the
 * database and recorded with dbbackup_record, and nothing here writes a
 * server file.
 */
#ifndef DBC_BACKUP_H
#define DBC_BACKUP_H

#include "base/dbc.h"
#include "base/sha256.h"
#include "base/siphash.h"
#include "backup/backup_windows.h"
#include "backup/page_map.h"
#include "health/health.h"

/* A table's content as the logical verification compares it: its row
 * count and an order-independent hash of its rows (the engine's, hex of
 * DBC_BACKUP_CONTENT_HEX digits), so one row deleted or changed shows even
 * where the storage check and every count agree. */
#define DBC_BACKUP_CONTENT_HEX 32
typedef struct dbc_backup_table {
	char *name;
	int64_t rows;
	char hash[DBC_BACKUP_CONTENT_HEX + 1];
	/* the same content by rowid window (backup_windows.h's text), kept so
	 * the next incremental backup re-reads only windows that changed; NULL
	 * where none was read */
	char *windows;
} dbc_backup_table;

/* What one database image holds, read through the engine: the source at the
 * copy's moment or a backup file. */
typedef struct dbc_backup_image {
	int64_t bytes;
	int64_t pages;
	char *fingerprint; /* SHA-256 (hex) of the schema's stored text */
	char *rows_digest; /* SHA-256 (hex) of "table<TAB>rows<LF>" per table, by name */
	int64_t tables;
	int64_t rows;
	char *check; /* the storage check's answer: "ok", or its first problem */
	/* SHA-256 (hex) of the file's bytes (inspect); NULL for a source */
	char *file_sha256;
	/* every table counted (tables of them, by name); NULL where the engine
	 * or an older catalog row has no content hashes */
	dbc_backup_table *table;
	/* Which row digest the hashes use (the engine's numbering; 1: the
	 * first). inspect computes the version it is given (0: the engine's
	 * newest) and says which it used; a record keeps it. */
	int content_version;
	/* The hash of every page of the image a restore of this backup gives
	 * (the engine's bytes, opaque here; NULL where none were read): the next
	 * incremental backup writes only the pages whose hash differs. inspect
	 * reads them when hash_pages is set. */
	void *page_hashes;
	size_t page_hashes_len;
	bool hash_pages;
	/* Set by copy on the source's image: the copy was found equal to the
	 * snapshot byte for byte (all but its header's counters), so the rows
	 * were not read here: the copy's tables, counts and content hashes,
	 * read by inspect, are the source's. */
	bool content_from_copy;
	/* pages an incremental backup wrote (0 for a full one), and the
	 * catalog id of the backup it builds on (0: a full backup) */
	int64_t pages_written;
	int64_t base_id;
	/* pages of an incremental's image equal to its base's (copy_changed):
	 * 0 with pages > 0 and the page deltas mean nothing (another page
	 * size, a VACUUM, another file) and the backup is taken full */
	int64_t pages_kept;
	/* an incremental backup asked for and taken full: why (NULL: as asked) */
	const char *full_because;
	/* rows an incremental backup read for its content record (those of the
	 * windows its changed pages can hold, and of tables read whole) */
	int64_t rows_read;
	/* DBC_BACKUP_SEAL_* of the file on disk (0: a plain copy); bytes and
	 * file_sha256 are then the sealed file's */
	unsigned seal;
} dbc_backup_image;

/* A backup file sealed (core/container): compressed with zstd and/or
 * encrypted with AES-256-GCM, the key taken from the process's
 * environment only (never SQL text, never the catalog). */
#define DBC_BACKUP_SEAL_ZSTD    0x01u
#define DBC_BACKUP_SEAL_ENCRYPT 0x02u

/* The backup an incremental one builds on: the newest verified backup
 * whose page hashes the catalog keeps. */
typedef struct dbc_backup_base {
	int64_t id;
	char *path;
	char *file_sha256;
	char *fingerprint; /* its row's (NULL where none) */
	/* its content record (NULL where it has none), tables of them by
	 * name, with their windows where kept */
	dbc_backup_table *table;
	int64_t tables;
	int content_version;
} dbc_backup_base;

typedef struct dbc_backup_hooks dbc_backup_hooks;

/* The engine's part: callbacks only (the catalog's time columns are read
 * and written through the dialect's time fields); every file hook is NULL
 * where the engine writes no files. */
struct dbc_backup_hooks {
	/* Whether the catalog table is there (NULL: with the other bookkeeping
	 * tables, host->book_exists). */
	int (*catalog_exists)(dbc_ctx *ctx, bool *exists);
	/* The database's name in default file names ("<name>-<UTC time>.db"). */
	int (*database_name)(dbc_ctx *ctx, char **name);
	/* Whether path may become a new backup: its directory exists and is
	 * writable, nothing is there. An error says why not. */
	int (*check_target)(dbc_ctx *ctx, const char *path);
	/* The name a new backup is recorded under: path made absolute, its
	 * directory resolved (no "..", no links), so a later call from another
	 * working directory means the same file. check_target has accepted
	 * path. NULL: recorded as given. */
	int (*canonical)(dbc_ctx *ctx, const char *path, char **out);
	/* A consistent copy of the open database at tmp_path (a new file), done
	 * or failed within timeout_ms; *source is the source as the copy saw it
	 * (fingerprint, row counts, pages). The copy carries the engine's proof
	 * that it is this module's backup of this database, to be published as
	 * path (is_backup reads it). */
	int (*copy)(dbc_ctx *ctx, const char *tmp_path, const char *path, int64_t timeout_ms,
	            dbc_backup_image *source);
	/* Opens path read-only and reads it (the storage check integrity_check
	 * when full, quick_check otherwise). A file that does not open as a
	 * database is an error; a failed storage check is not (image->check).
	 * It stops with an error when the call is interrupted or the monotonic
	 * clock (dbc_monotonic_ms) passes deadline_ms (0: no deadline). */
	int (*inspect)(dbc_ctx *ctx, const char *path, bool full, double deadline_ms,
	               dbc_backup_image *image);
	/* Syncs tmp_path, gives it the name path (never replacing a file there)
	 * and syncs the directory. */
	int (*publish)(dbc_ctx *ctx, const char *tmp_path, const char *path);
	/* Deletes path (a missing file is no error); *existed says whether it was there. */
	int (*remove)(dbc_ctx *ctx, const char *path, bool *existed);
	/* Whether path is a backup this module wrote of this database under
	 * that name: a regular file (not a link) at an absolute path that opens
	 * as a database whose schema fingerprint is fingerprint and which
	 * carries the proof copy wrote into it (naming this database and path).
	 * *missing when nothing is there. Retention deletes nothing else: the
	 * catalog is a table of the database, and a file someone else made may
	 * name any path, with any fingerprint, in it. */
	int (*is_backup)(dbc_ctx *ctx, const char *path, const char *fingerprint, bool *is,
	                 bool *missing);
	/* Whether path is there (a relative path: beside the database file). */
	bool (*exists)(dbc_ctx *ctx, const char *path);
	/* A file name for a temporary copy next to path, made exclusively (empty). */
	int (*make_temp)(dbc_ctx *ctx, const char *path, char **tmp_path);
	/* A file without a name, on path's file system, for plain bytes that
	 * must never outlive the call (a sealed backup's plain copy, a sealed
	 * file opened for its checks): a kill -9 leaves nothing of it. remove
	 * releases it. NULL: make_temp's files serve. */
	int (*make_scratch)(dbc_ctx *ctx, const char *path, char **scratch_path);
	/* Deletes the temporary copies a killed backup left in path's
	 * directory: only files named as make_temp names them, made by this
	 * process's user, that are no other database's stamped copy, were not
	 * written for older_than_ms and that no process holds a lock on. Best
	 * effort: nothing it meets is an error. NULL: the engine leaves none. */
	void (*sweep_temps)(dbc_ctx *ctx, const char *path, int64_t older_than_ms);
	/* Whether the catalog has the column sha256: the SHA-256 of the file
	 * as verified, which a later verification compares byte for byte. NULL
	 * where inspect reads no files; false for a catalog made by an older
	 * version and not yet upgraded (reads leave it as it is). */
	bool (*records_file_sha256)(dbc_ctx *ctx);
	/* Whether the catalog has the column content: every table's row count
	 * and content hash at the copy's moment (the logical verification).
	 * NULL or false as for records_file_sha256. */
	bool (*records_content)(dbc_ctx *ctx);

	/* Incremental backups; NULL where the engine makes none. */
	/* Like copy, but tmp_path gets only the pages whose hash differs from
	 * those base's catalog row keeps, in the engine's page-set format that
	 * names base (its file's SHA-256) and carries the same proof of origin
	 * as copy's; the file is read back and its pages checked against the
	 * hashes of what was written. *source has the source's image with its
	 * page hashes, pages_written and the file's SHA-256. */
	int (*copy_changed)(dbc_ctx *ctx, const char *tmp_path, const char *path, int64_t timeout_ms,
	                    const dbc_backup_base *base, dbc_backup_image *source);
	/* Writes at out_path (a new, empty file) the database image the chain
	 * restores to: chain[0] a full backup, then incremental ones, oldest
	 * first. Each file's SHA-256 must be sha256[i] (when not NULL) and each
	 * incremental must name the file before it: anything else is an error
	 * naming the file, never an image. */
	int (*materialize)(dbc_ctx *ctx, const char *const *chain, const char *const *sha256, int n,
	                   const char *out_path);
	/* Stores img's page hashes in the catalog row id (inside the savepoint
	 * of the catalog write). */
	int (*store_pages)(dbc_ctx *ctx, int64_t id, const dbc_backup_image *img);
	/* Whether the image at path (materialize's) holds, page by page, the
	 * pages whose hashes the catalog row id keeps: those of the snapshot
	 * the incremental read. *why (NULL: it does, or the row keeps none)
	 * names the first page that differs: a page left out because its
	 * base's recorded hash was wrong is found here, as the content record
	 * (re-read only where pages changed) could not find it. */
	int (*check_pages)(dbc_ctx *ctx, int64_t id, const char *path, char **why);
	/* Whether path (a plain file) is an incremental backup in the engine's
	 * page-set format; *base_sha256 (when not NULL) the SHA-256 its header
	 * names: that of the plain file it builds on. No error either way. */
	bool (*pageset_base)(dbc_ctx *ctx, const char *path, char **base_sha256);
	/* The record an incremental backup file carries of its own image
	 * (dbc_backup_own_record's text, written by copy_changed after its
	 * pages); false when it has none (a file made before 0.3.9). */
	bool (*pageset_record)(dbc_ctx *ctx, const char *path, char **record);

	/* Sealed files (compressed and/or encrypted); NULL where the engine
	 * makes none. The key is the process environment's. */
	/* Seals plain_path (a verified copy whose file SHA-256 is plain_sha256)
	 * and publishes it as path by core/container's one seal
	 * (dbc_container_seal_file: sealed beside path, synced, read back to
	 * plain_sha256, linked never over a file), the hook supplying the key
	 * and the header's origin. *sealed_sha256 and *bytes are the sealed
	 * file's. */
	int (*seal)(dbc_ctx *ctx, const char *plain_path, const char *plain_sha256, const char *path,
	            unsigned flags, char **sealed_sha256, int64_t *bytes);
	/* Whether path is a sealed file (its first bytes say so). */
	bool (*is_sealed)(dbc_ctx *ctx, const char *path);
	/* Opens path's seal into out_path (an empty file): an error when its
	 * SHA-256 is not want_sha256 (NULL: not checked), the key is missing or
	 * wrong (*key_error then: the file itself may be sound) or any chunk
	 * fails its tag. *plain_sha256 is that of the bytes written. */
	int (*unseal)(dbc_ctx *ctx, const char *path, const char *want_sha256, const char *out_path,
	              char **plain_sha256, bool *key_error);
	/* The plain file's SHA-256 as the seal's end record holds it (checked
	 * with the key): what an incremental built on it names as its base. */
	int (*sealed_plain_sha256)(dbc_ctx *ctx, const char *path, char **plain_sha256);
	/* Why the file at path (a catalog row's, or a link of its chain) is
	 * not the backup the row names, by the origin it names, judged by
	 * core/container's rule (dbc_container_origin_matches): a sealed
	 * file's header (authenticated where it is encrypted, readable without
	 * the key), a plain copy's own (SQLite: its stamp and its bookkeeping's
	 * identity; a copy without an identity is not compared). A text naming
	 * both origins, or NULL when it is (or the error set). NULL: not
	 * checked. published: the path the row names when path is a copy of
	 * its file elsewhere (a store's, fetched); NULL: path itself. */
	char *(*origin_mismatch)(dbc_ctx *ctx, const char *path, const char *published);

	/* Restore drills: the rows of the database image at path whose
	 * foreign key references no row (SQLite: PRAGMA foreign_key_check,
	 * whatever the foreign_keys setting), *violations of them, *first the
	 * first table named (NULL: none). NULL where the engine reads no files. */
	int (*foreign_key_check)(dbc_ctx *ctx, const char *path, int64_t *violations, char **first);

	/* A named restore point in the engine's WAL (PostgreSQL:
	 * pg_create_restore_point), *lsn where it is; NULL where the engine
	 * keeps none (a mark then takes a backup: copy). */
	int (*restore_point)(dbc_ctx *ctx, const char *label, char **lsn);

	/* dbbackup_content(): every table of the database the call runs in,
	 * read as a backup of it reads them (img->table by name, tables of
	 * them, no windows), hashed by the engine's newest row digest
	 * (img->content_version). */
	int (*read_content)(dbc_ctx *ctx, dbc_backup_image *img);
};

/* The kind of the backups this module makes itself (files it may check,
 * verify and delete); a recorded external backup has the kind its tool
 * gives. */
#define DBC_BACKUP_KIND_FILE "file"
/* The kind of a copy of one of them uploaded to a store (s3://, azure://,
 * a folder), recorded by the command once whole there: a row of its own
 * whose path is the object's URL, which no prune, chain or drill of the
 * module's files takes for one of its files. */
#define DBC_BACKUP_KIND_FILE_COPY "file_copy"

/* Result columns of dbbackup_list, for the glue's tables. */
#define DBC_BACKUP_LIST_NCOLS                                                                      \
	9 /* id,kind,path,created_at,bytes,fingerprint,verified_at,status,exists */

/* The bookkeeping (and with it the database's identity), made and
 * committed before a copy is taken, outside any transaction (the copy's
 * hook calls it once it knows it is): the copy then carries the identity,
 * so a restore of it is the same database, and a sealed header names it
 * from the database's very first backup on (its rule: core/container,
 * dbc_container_origin_mismatch). Made the first time, it stays when the
 * backup then fails, as any later dbcare call would make it. */
int dbc_backup_book_before_copy(dbc_ctx *ctx);
/* dbbackup_create: a verified copy at path (NULL: backup.dir + the default
 * name), recorded in the catalog; *json its description. It runs the one
 * backup flow (backup_tool.h) with the engine's page copy as the tool: on
 * a failure before or in the catalog write nothing is recorded and no
 * file is left under path; once the row is written (an answer that then
 * fails) the file stays and the error names it. */
int dbc_backup_create(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path, char **json,
                      int64_t *id);
/* The same, method "full" or "incremental" (only the pages changed since
 * the newest verified backup with page hashes; an error when there is
 * none), optionally followed by "+zstd" and "+encrypt" (a sealed file). */
int dbc_backup_create_as(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                         const char *method, char **json, int64_t *id);
/* What a backup file carries of its own image, so that a restore without
 * the catalog checks it as a catalog row would: "fingerprint\nrows
 * digest\ncontent" (content: the catalog's text of its tables, empty when
 * none). NULL when img has no fingerprint. */
char *dbc_backup_own_record(dbc_ctx *ctx, const dbc_backup_image *img);
/* text (modified in place) read back into out's fingerprint, rows_digest
 * and table; false when it is not such a record. */
bool dbc_backup_own_record_parse(dbc_ctx *ctx, char *text, dbc_backup_image *out);
/* dbbackup_verify: re-verifies a file, against its catalog row when it has
 * one (whose status and verified_at it updates). An incremental backup is
 * checked as the image its chain restores to; with image (a new or empty
 * file, NULL: none) that image is left there once verified. */
int dbc_backup_verify(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                      const char *image, char **json);
/* The same; a file no catalog row names as an incremental (the database
 * it was taken from is gone, or this is another one) that is one is
 * restored from the chain its files name, found among the files of dir
 * (NULL: path's folder): each link is the file whose bytes hash to what
 * the next one names as its base (backup_chain_files.c). */
int dbc_backup_verify_from(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                           const char *image, const char *dir, char **json);
/* dbbackup_mark: a named restore point (backup_mark.c); *json its row.
 * seal (NULL: none): "zstd", "encrypt" or both, for the backup the mark
 * takes where the engine makes one (refused where it makes none). */
struct dbc_audit_hooks;
int dbc_backup_mark(dbc_ctx *ctx, const dbc_backup_hooks *env, const struct dbc_audit_hooks *audit,
                    const char *label, const char *seal, char **json);
/* Result columns of dbbackup_marks. */
#define DBC_BACKUP_MARKS_NCOLS 6 /* label,created_at,fingerprint,backup_id,backup_path,lsn */
/* dbbackup_marks (backup_marks_list.c): the restore points, oldest first. */
int dbc_backup_marks(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_rows *out);
/* dbbackup_drill (backup_drill.c): where the engine reads backup files,
 * restores the catalogued backup at path (NULL: the newest) into scratch,
 * checks and compares it, and records the drill (result must be NULL);
 * elsewhere (PostgreSQL) records result, the outcome of the drill the
 * command ran of the backup at path. url (NULL: none): the store's URL
 * of a copy (a row of kind DBC_BACKUP_KIND_FILE_COPY) whose bytes the
 * command fetched to path; the drill is held to that row and recorded
 * against it (engines that read backup files only). *json the recorded
 * drill. */
int dbc_backup_drill(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                     const char *result, const char *url, char **json);
/* dbbackup_list. */
int dbc_backup_list(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_rows *out);
/* dbbackup_prune: keep_count / keep_days < 0 when not given. copies (NULL:
 * none): where the caller deleted the pruned backups' copies in a store
 * first, as their rows name it (DEST/, ending in '/'): the rows of kind
 * DBC_BACKUP_KIND_FILE_COPY naming copies + a pruned backup's name go
 * with the backup's own row, in the same step. */
int dbc_backup_prune(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t keep_count,
                     int64_t keep_days, bool dry_run, const char *copies, char **json);
/* A backup made outside the database (PostgreSQL: pg_dump, pgBackRest,
 * any tool), as the tool that made it records it (backup_external.c). */
typedef struct dbc_backup_external {
	const char *kind, *location;
	int64_t bytes;           /* -1: unknown */
	const char *fingerprint; /* the schema it holds; NULL: the live one's */
	bool verified;
	const char *detail;
	/* what a later verification compares (NULL: not known): the file's
	 * SHA-256 as verified (hex), the content at the copy's moment (JSON:
	 * per table its rows and hash), the tool's label and WAL range */
	const char *sha256, *content, *label, *wal_start, *wal_stop;
	double duration_ms; /* -1: unknown */
} dbc_backup_external;
/* dbbackup_record: one catalog row with all of x, or none; *id its id. */
int dbc_backup_record(dbc_ctx *ctx, const dbc_backup_hooks *env, const dbc_backup_external *x,
                      int64_t *id);
/* dbbackup_verified: a later verification of catalog row id by the tool
 * that made it: verified (why NULL) or failed with why; *status the new
 * status (static text). An error for an id the catalog has not. */
int dbc_backup_verified(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, const char *why,
                        char **status);
/* dbbackup_entry: the newest catalog row whose id, path or label is the
 * one given (0 / NULL: not compared) as JSON (every column); *json NULL
 * when none is. */
int dbc_backup_entry(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, const char *path,
                     const char *label, char **json);

/* The catalog part of the backups health check, on both engines: the hours
 * since the newest verified backup against health.backups.max_age (warning
 * past it, critical past twice it); skipped until a backup is recorded
 * unless health.backups.required. Sets fact's value, status floor and
 * message, then adds the staged backups' finding (backup_waiting.c: where
 * staging applies, SQLite); an engine adds what it knows beyond
 * (PostgreSQL's archiver). */
int dbc_backup_health(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_health_fact *fact);

/* Whether a backup waits for its upload: the one rule core's readers
 * (backup_waiting.c) and the command's --ship (pages_pending.c) read, as
 * SQL over rows b of list (the catalog: dbbackup_list() or the table),
 * folder and store SQL expressions: b is in the folder when its directory
 * part is the folder once both have lost their trailing slashes (one form
 * whatever the setting's spelling); rtrim(p, <p without its slashes>) is
 * p up to its last slash, the rest its name, which is its object's name in
 * the store. */
#define DBC_BACKUP_WAITING_WHERE(list, folder, store)                                              \
	"b.kind = '" DBC_BACKUP_KIND_FILE "' AND b.status = 'verified'"                                \
	" AND rtrim(rtrim(b.path, replace(b.path, '/', '')), '/') = rtrim(" folder ", '/')"            \
	" AND NOT EXISTS (SELECT 1 FROM " list " c WHERE c.kind = '" DBC_BACKUP_KIND_FILE_COPY "'"     \
	" AND c.path = rtrim(" store ", '/') || '/' ||"                                                \
	" substr(b.path, length(rtrim(b.path, replace(b.path, '/', ''))) + 1))"
/* The staged backups waiting for their upload (backup_waiting.c): the
 * ids of the verified rows of kind file in backup.stage_dir with no copy's
 * row in backup.dir's store (none unless staging is on: backup.dir a
 * store's URL and backup.stage_dir set, SQLite's alone), and the oldest's
 * path and age in hours. */
typedef struct dbc_backup_waiting {
	/* backup.dir a store's URL and backup.stage_dir set: what the metrics
	 * tell apart from none waiting (n is 0 either way) */
	bool staging;
	int64_t *id;
	int n, cap;
	char *oldest_path;
	double oldest_hours;
} dbc_backup_waiting;
int dbc_backup_waiting_read(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_backup_waiting *w);
bool dbc_backup_waiting_has(const dbc_backup_waiting *w, int64_t id);
/* Their metrics: m->waiting_known where staging is on (else the families
 * are left out: PostgreSQL, a SQLite database that uploads nothing), their
 * count and the oldest's age in seconds (0 when none waits). */
int dbc_backup_waiting_metrics(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_health_metrics *m);

/* The page hashes of SQLite incremental backups and the catalog column
 * that keeps them (backup_page_hashes.c): version 1, 16 bytes of each
 * page's SHA-256; version 2, a tag, a random key and each page's
 * SipHash-1-3-128 under it; version 3, a tag, a random key and each page's
 * NH (base/nh_hash.h) finished by SipHash-1-3-128 under it. */
#define DBC_PAGE_HASH 16

typedef struct dbc_page_hasher {
	int version;
	unsigned char key[16]; /* versions 2 and 3 */
	uint64_t *nh_key;      /* version 3: the key stream, in the ctx's arena */
	dbc_siphash nh_start;  /* version 3: the finishing hash, its tag fed */
	dbc_sha256 *sha;       /* version 1 */
} dbc_page_hasher;

/* A version 3 hasher with a new random key (a full backup's). */
int dbc_page_hasher_new(dbc_ctx *ctx, dbc_page_hasher *ph);
/* The hasher of a catalog column's bytes, and where its per-page hashes
 * start (*pages of them); DBC_ERROR, with the error set, for bytes in
 * neither form. */
int dbc_page_hasher_from(dbc_ctx *ctx, const unsigned char *blob, size_t len, dbc_page_hasher *ph,
                         const unsigned char **hashes, int64_t *pages);
int dbc_page_hash(dbc_ctx *ctx, dbc_page_hasher *ph, const unsigned char *page, size_t size,
                  unsigned char out[DBC_PAGE_HASH]);
/* Appends what the column holds before its per-page hashes. */
int dbc_page_hashes_begin(dbc_buf *out, const dbc_page_hasher *ph);
void dbc_page_hasher_end(dbc_page_hasher *ph);

#endif
