/*
 * archive_codec.h — how an archive batch's rows are stored in the archive
 * database (docs/retention.md, "Archives in another database"): the rows
 * are JSON lines (one object a row, '\n' between); codec "zstd" stores
 * them zstd-compressed and base64-encoded as text (dbcare's values carry
 * no bytes), codec "none" as they are. The order-independent content hash
 * both databases compare is computed here too.
 */
#ifndef DBC_ARCHIVE_CODEC_H
#define DBC_ARCHIVE_CODEC_H

#include "base/dbc.h"

#include <stdint.h>

/* Whether codec names a codec this build stores ("zstd", "none"). */
bool dbc_archive_codec_known(const char *codec);
/* The stored text of lines under codec (arena); NULL with the error set. */
char *dbc_archive_encode(dbc_ctx *ctx, const char *codec, const char *lines);
/* The JSON lines back from stored text (arena); NULL with a "dbcare:"
 * error when the text is not what codec writes (a damaged archive). */
char *dbc_archive_decode(dbc_ctx *ctx, const char *codec, const char *stored);

/* The content hash of a batch: the sum modulo 2^64 of the first 8 bytes
 * (big-endian) of each row line's SHA-256, so the order rows are read in
 * does not matter and one row lost, added or changed changes it. */
typedef struct dbc_rows_hash {
	uint64_t sum;
	int64_t rows;
} dbc_rows_hash;

/* Adds one row's line (n bytes) to h. */
int dbc_rows_hash_add(dbc_ctx *ctx, dbc_rows_hash *h, const char *line, size_t n);
/* Adds every line of lines ("" holds no row). */
int dbc_rows_hash_lines(dbc_ctx *ctx, dbc_rows_hash *h, const char *lines);
/* The hash as 16 hex digits (arena). */
char *dbc_rows_hash_text(dbc_ctx *ctx, const dbc_rows_hash *h);

/* 16 random bytes as 32 hex digits (arena): a batch's key, unique across
 * databases. */
char *dbc_archive_random_key(dbc_ctx *ctx);

#endif
