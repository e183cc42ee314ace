/*
 * backup_private.h — the catalog of backups (table "backups" of the
 * bookkeeping: dbcare.backups, dbcare_backups), shared by the files of
 * core/backup/.
 */
#ifndef DBC_BACKUP_PRIVATE_H
#define DBC_BACKUP_PRIVATE_H

#include "backup/backup.h"

/* One catalog row as the verification needs it. */
typedef struct dbc_backup_catalog_row {
	int64_t id;
	char *fingerprint;
	char *rows_digest;
	char *file_sha256; /* NULL: not recorded (another engine, an older row) */
} dbc_backup_catalog_row;

/* Whether the catalog exists yet (a read finds no backups until then). */
int dbc_backup_catalog_present(dbc_ctx *ctx, const dbc_backup_hooks *env, bool *exists);

/* Records a backup (status verified or unverified) inside a savepoint of
 * its own; *id its row. */
int dbc_backup_catalog_add(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *kind,
                           const char *path, const dbc_backup_image *img, double duration_ms,
                           bool verified, const char *detail, int64_t *id);
/* The newest row recorded for path; *found false when none. */
int dbc_backup_catalog_find(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                            dbc_backup_catalog_row *row, bool *found);
/* A verification's outcome: status verified (verified_at now) or failed
 * with why. */
int dbc_backup_catalog_mark(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, bool verified,
                            const char *why);
/* How long a temporary copy must have gone unwritten to be a leftover of a
 * killed backup (backup_create.c). */
int dbc_backup_stale_temp_ms(dbc_ctx *ctx, int64_t *ms);

#endif
