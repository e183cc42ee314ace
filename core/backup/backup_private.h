/*
 * backup_private.h — the catalog of backups (table "backups" of the
 * bookkeeping: dbcare.backups, dbcare_backups), shared by the files of
 * core/backup/.
 */
#ifndef DBC_BACKUP_PRIVATE_H
#define DBC_BACKUP_PRIVATE_H

#include "backup/backup.h"
#include "backup/backup_content.h"

/* One catalog row as the verification needs it. */
typedef struct dbc_backup_catalog_row {
	int64_t id;
	char *fingerprint;
	char *rows_digest;
	char *file_sha256; /* NULL: not recorded (another engine, an older row) */
	/* every table's row count and content hash, NULL as file_sha256 */
	dbc_backup_table *table;
	int64_t tables;
	int content_version; /* of table's hashes */
	int64_t base_id;     /* an incremental backup's base; 0 for a full one */
} dbc_backup_catalog_row;

/* The backups health check's finding on the staged backups waiting for
 * their upload (backup_waiting.c; dbc_backup_health adds it): a warning
 * naming their count, the oldest and the remedy (dbcare backup --ship) once
 * the oldest has waited longer than health.backups.max_ship_wait hours,
 * which is read only where staging is on (never on PostgreSQL). */
int dbc_backup_waiting_health(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_health_fact *fact);

/* Whether the catalog exists yet (a read finds no backups until then). */
int dbc_backup_catalog_present(dbc_ctx *ctx, const dbc_backup_hooks *env, bool *exists);

/* Runs fn inside a savepoint of its own, the backup part's bookkeeping
 * made first (the call's first write): all of it or nothing. */
int dbc_backup_catalog_in_savepoint(dbc_ctx *ctx, int (*fn)(dbc_ctx *, void *), void *arg);
/* Records a backup (status verified or unverified) inside a savepoint of
 * its own; *id its row. */
int dbc_backup_catalog_add(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *kind,
                           const char *path, const dbc_backup_image *img, double duration_ms,
                           bool verified, const char *detail, int64_t *id);
/* The newest row of the module's own files (kind DBC_BACKUP_KIND_FILE; a
 * store's copy of one at a folder's path is not) recorded for path;
 * *found false when none. */
int dbc_backup_catalog_find(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                            dbc_backup_catalog_row *row, bool *found);
/* The newest row of a store's copy (kind DBC_BACKUP_KIND_FILE_COPY)
 * recorded for url; *found false when none. */
int dbc_backup_catalog_find_copy(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *url,
                                 dbc_backup_catalog_row *row, bool *found);
/* A verification's outcome: status verified (verified_at now) or failed
 * with why. */
int dbc_backup_catalog_mark(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, bool verified,
                            const char *why);
/* The keyed form of a content record (backup_content.h) read from doc, a
 * JSON object (backup_content_keyed.c); false when it is not that form. */
struct json_t;
bool dbc_backup_content_read_keyed(dbc_ctx *ctx, struct json_t *doc, dbc_backup_table **table,
                                   int64_t *tables);

/* The base of a new incremental backup: the newest verified backup of
 * this module whose page hashes and file SHA-256 the catalog keeps and
 * whose file is there; an error when there is none. */
int dbc_backup_find_base(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_backup_base *base);
/* The files backup id restores from, oldest (a full backup) first, with
 * the file SHA-256 each row records (NULL: none recorded). */
typedef struct dbc_backup_chain_t {
	char **path;
	char **sha256;
	/* where each link's row says it is published when path[i] is a copy
	 * of it elsewhere (NULL, or an entry NULL: path[i] itself) */
	char **published;
	int n;
} dbc_backup_chain_t;
int dbc_backup_chain(dbc_ctx *ctx, int64_t id, dbc_backup_chain_t *chain);
/* Writes at out (a new, empty file) the image path restores to without a
 * catalog: path opened (a sealed file with the key), then, while the link
 * is an incremental, the file of dir (NULL: path's folder) whose plain
 * bytes its header names, back to a full backup; the chain applied by
 * materialize. *links is the number of files used; *key_error as unseal's;
 * *record the newest link's own record (NULL: it carries none).
 * An error names the backup file of the link that failed. */
int dbc_backup_open_files(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                          const char *dir, const char *out, bool *key_error, int *links,
                          char **record);
/* The error's message with scratch (a scratch or image path) replaced by
 * file, the backup it holds. */
void dbc_backup_error_names(dbc_ctx *ctx, const char *scratch, const char *file);

/* Sealed backups (backup_seal.c). A method text ("full" or "incremental",
 * then "+zstd", "+encrypt" in any order) read into its parts; anything
 * that looks like a key is refused: keys never come from SQL text. */
int dbc_backup_parse_method(dbc_ctx *ctx, const char *method, bool *incremental, unsigned *seal);
/* A seal alone ("zstd", "encrypt", "zstd+encrypt"): a mark's backup, whose
 * kind the chain decides. */
int dbc_backup_parse_seal(dbc_ctx *ctx, const char *text, unsigned *seal);
/* The catalog's method text of a backup. */
const char *dbc_backup_method_text(bool incremental, unsigned seal);
/* Publishes the verified copy tmp as path: sealed (a second temporary
 * file, deleted on failure) when seal is not 0, and then tmp stays for
 * the caller to delete; copy's bytes and file SHA-256 become those of the
 * file on disk. */
int dbc_backup_publish(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *tmp, const char *path,
                       unsigned seal, dbc_backup_image *copy);
/* Opens a sealed backup into out (an empty file), checked against the
 * recorded SHA-256 want (NULL: none); *key_error as the hook's. */
int dbc_backup_unseal(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path, const char *want,
                      const char *out, bool *key_error);
/* A catalogued file (path: its row's) is this database's backup
 * published as path, by the origin it names (a sealed file's header, a
 * plain copy's own: the hook origin_mismatch): an error naming both when
 * not. */
int dbc_backup_check_origin(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path);
/* The same of a copy at path of the file its row names published. */
int dbc_backup_check_origin_as(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                               const char *published);
/* Every link of the chain checked by dbc_backup_check_origin, and its
 * sealed links opened into scratch files (dbc_backup_make_scratch), which
 * take their place (path and plain SHA-256); *scratch lists them for
 * dbc_backup_scratch_remove. */
int dbc_backup_unseal_chain(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_backup_chain_t *chain,
                            char ***scratch, int *nscratch, bool *key_error);
/* A file for plain bytes that never get a name: the engine's make_scratch
 * (nothing of it survives a kill), else make_temp's. */
int dbc_backup_make_scratch(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                            char **scratch_path);
void dbc_backup_scratch_remove(dbc_ctx *ctx, const dbc_backup_hooks *env, char **scratch, int n);

/* How long a temporary copy must have gone unwritten to be a leftover of a
 * killed backup (backup_create.c). */
int dbc_backup_stale_temp_ms(dbc_ctx *ctx, int64_t *ms);

#endif
