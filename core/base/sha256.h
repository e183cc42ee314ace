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

/* The same over data given in pieces (a file read in chunks): begin (NULL
 * with the error set), update any number of times, then finish, which
 * writes the digest and frees the state -- or abort, which only frees it. */
typedef struct dbc_sha256 dbc_sha256;
dbc_sha256 *dbc_sha256_begin(dbc_ctx *ctx);
int dbc_sha256_update(dbc_ctx *ctx, dbc_sha256 *h, const void *data, size_t len);
int dbc_sha256_finish(dbc_ctx *ctx, dbc_sha256 *h, char hex[DBC_SHA256_HEX_LEN + 1]);
void dbc_sha256_abort(dbc_sha256 *h);

/* One whole digest of data on a context from dbc_sha256_begin, which stays
 * usable for the next (many small digests without a context each: a row's
 * hash in a backup's content digest). md gets the 32 raw bytes. */
int dbc_sha256_digest(dbc_ctx *ctx, dbc_sha256 *h, const void *data, size_t len,
                      unsigned char md[32]);
/* dbc_sha256_hex on such a context (h NULL: dbc_sha256_hex itself). With
 * OpenSSL 3 a digest without one looks SHA-256 up in the provider store
 * again (an implicit fetch, about 6 k instructions); the context keeps
 * what it fetched until it is freed (dbc_sha256_abort). */
int dbc_sha256_hex_on(dbc_ctx *ctx, dbc_sha256 *h, const void *data, size_t len,
                      char hex[DBC_SHA256_HEX_LEN + 1]);

/* What the file digest hands on of each chunk it reads (in file order):
 * DBC_OK to go on, DBC_ERROR (with the error set) to stop. */
typedef int (*dbc_file_chunk_fn)(dbc_ctx *ctx, void *arg, const unsigned char *chunk, size_t n);
/* The one home of a file's SHA-256: the digest of what is left to read of
 * fd, read in chunks of 1 MB (never mapped: a file truncated meanwhile
 * would be a SIGBUS; any size in constant memory), each chunk also handed
 * to each (NULL: none). A failed read is the error "cannot read <what>:
 * <reason>" (DBC_SQLSTATE_BAD_STATE), errno kept as the read left it; fd
 * stays open. */
int dbc_file_sha256(dbc_ctx *ctx, int fd, const char *what, dbc_file_chunk_fn each, void *arg,
                    char hex[DBC_SHA256_HEX_LEN + 1]);
/* dbc_file_sha256 of the file at path, opened read-only and close-on-exec
 * (flags adds to that: O_NOFOLLOW where a link must not be followed) and
 * closed again. A failed open is the error "cannot read <what>: <reason>"
 * (DBC_SQLSTATE_BAD_ARGUMENT), errno kept as the open left it; what NULL
 * (a name that could not be made: out of memory, already set) is
 * DBC_ERROR. */
int dbc_path_sha256(dbc_ctx *ctx, const char *path, int flags, const char *what,
                    dbc_file_chunk_fn each, void *arg, char hex[DBC_SHA256_HEX_LEN + 1]);
/* dbc_path_sha256 on a context of its own over host, path naming itself,
 * for callers that report by errno: 0, or -1 with errno as the open, the
 * read or each left it (EIO when none set it: memory or libcrypto). */
int dbc_path_sha256_errno(const dbc_host *host, const char *path, int flags, dbc_file_chunk_fn each,
                          void *arg, char hex[DBC_SHA256_HEX_LEN + 1]);

#endif
