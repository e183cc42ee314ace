/*
 * migrate_files.h — migration file names: Flyway (V<version>__<name>.sql,
 * U<version>__<name>.sql, R__<name>.sql) and golang-migrate
 * (<version>_<name>.up.sql / .down.sql). '_' in names reads as a space.
 */
#ifndef DBC_MIGRATE_FILES_H
#define DBC_MIGRATE_FILES_H

#include "dbc.h"

typedef enum { DBC_FILE_UP, DBC_FILE_DOWN, DBC_FILE_REPEATABLE } dbc_file_kind;

typedef struct dbc_mig_file {
	char *file; /* the file name */
	dbc_file_kind kind;
	char *version; /* as written; NULL for repeatables */
	char *canon;   /* canonical version */
	char *name;
	char *script; /* normalised contents */
	char *checksum;
	bool no_transaction;
} dbc_mig_file;

/* Parses a file name. Returns false (with *why set to a static reason) when
 * it matches neither convention. */
bool dbc_mig_parse_filename(dbc_ctx *ctx, const char *file, dbc_mig_file *out, const char **why);

#endif
