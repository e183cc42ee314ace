/*
 * sha256.h — SHA-256 over OpenSSL's libcrypto, rendered as lowercase hex.
 * Used for schema fingerprints and migration checksums alike.
 */
#ifndef DBC_SHA256_H
#define DBC_SHA256_H

#include "base/dbc.h"

#define DBC_SHA256_HEX_LEN 64

/* Writes 64 hex digits and a NUL into hex[65]. Returns DBC_OK or DBC_ERROR. */
int dbc_sha256_hex(dbc_ctx *ctx, const void *data, size_t len, char hex[DBC_SHA256_HEX_LEN + 1]);

#endif
