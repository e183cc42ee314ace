/*
 * migrate_checksum.h — normalisation and checksums of migration scripts.
 * The stored checksum carries its algorithm tag ("v1:sha256:<64 hex>") so a
 * later normalisation can be told apart from a changed script.
 */
#ifndef DBC_MIGRATE_CHECKSUM_H
#define DBC_MIGRATE_CHECKSUM_H

#include "base/dbc.h"

#define DBC_CHECKSUM_TAG "v1:sha256:"

/* v1 normalisation: leading UTF-8 BOMs dropped, CRLF and lone CR turned
 * into LF, white space at the very end dropped. Everything else counts. */
char *dbc_script_normalise(dbc_ctx *ctx, const char *script);

/* Checksum of the normalised script: "v1:sha256:<hex>". */
int dbc_script_checksum(dbc_ctx *ctx, const char *script, char **out);

/* True when stored was computed by this version's algorithm (same tag); a
 * checksum with another tag cannot be compared and is recomputed instead. */
bool dbc_checksum_current(const char *stored);

#endif
