/*
 * archive_codec.c — the storage form of archive batches (archive_codec.h):
 * zstd through libzstd, base64 and SHA-256 and randomness through
 * libcrypto, which the core already links.
 */
#include "retain/archive_codec.h"

#include "base/sha256.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <zstd.h>

/* zstd's level 3 (its default): the batches are small and written once */
#define ZSTD_LEVEL 3

bool dbc_archive_codec_known(const char *codec)
{
	return codec && (strcmp(codec, "zstd") == 0 || strcmp(codec, "none") == 0);
}

static char *base64(dbc_ctx *ctx, const unsigned char *p, size_t n)
{
	if (n > (size_t)INT32_MAX / 2)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "an archive batch is too large"), NULL;
	char *out = dbc_alloc(ctx, 4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static int damaged(dbc_ctx *ctx, const char *what)
{
	return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "an archived batch is damaged: %s", what);
}

char *dbc_archive_encode(dbc_ctx *ctx, const char *codec, const char *lines)
{
	if (!dbc_archive_codec_known(codec)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "archive codec must be zstd or none, not \"%s\"",
		          codec ? dbc_excerpt(ctx, codec, DBC_EXCERPT) : "");
		return NULL;
	}
	if (strcmp(codec, "none") == 0)
		return dbc_strdup(ctx, lines);
	size_t n = strlen(lines), cap = ZSTD_compressBound(n);
	unsigned char *z = dbc_alloc(ctx, cap);
	if (!z)
		return NULL;
	size_t zn = ZSTD_compress(z, cap, lines, n, ZSTD_LEVEL);
	if (ZSTD_isError(zn)) {
		dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "zstd could not compress a batch: %s",
		          ZSTD_getErrorName(zn));
		return NULL;
	}
	return base64(ctx, z, zn);
}

char *dbc_archive_decode(dbc_ctx *ctx, const char *codec, const char *stored)
{
	if (!stored)
		return damaged(ctx, "it has no rows"), NULL;
	if (codec && strcmp(codec, "none") == 0)
		return dbc_strdup(ctx, stored);
	if (!codec || strcmp(codec, "zstd") != 0) {
		damaged(ctx, dbc_printf(ctx, "unknown codec \"%s\"", codec ? codec : ""));
		return NULL;
	}
	size_t n = strlen(stored);
	if (n % 4 != 0 || n > (size_t)INT32_MAX)
		return damaged(ctx, "its text is not base64"), NULL;
	unsigned char *z = dbc_alloc(ctx, n / 4 * 3 + 1);
	if (!z)
		return NULL;
	int zn = EVP_DecodeBlock(z, (const unsigned char *)stored, (int)n);
	if (zn < 0)
		return damaged(ctx, "its text is not base64"), NULL;
	/* EVP_DecodeBlock counts the padding's bytes as data */
	for (size_t i = n; i > 0 && stored[i - 1] == '='; i--)
		zn--;
	unsigned long long size = ZSTD_getFrameContentSize(z, (size_t)zn);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
	    size > (unsigned long long)INT32_MAX)
		return damaged(ctx, "it is not a zstd frame"), NULL;
	char *out = dbc_alloc(ctx, (size_t)size + 1);
	if (!out)
		return NULL;
	size_t got = ZSTD_decompress(out, (size_t)size, z, (size_t)zn);
	if (ZSTD_isError(got) || got != size)
		return damaged(ctx, "zstd cannot read it"), NULL;
	out[got] = '\0';
	if (strlen(out) != got)
		return damaged(ctx, "its rows hold a NUL byte"), NULL;
	return out;
}

int dbc_rows_hash_add(dbc_ctx *ctx, dbc_rows_hash *h, const char *line, size_t n)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (dbc_sha256_hex(ctx, line, n, hex) != DBC_OK)
		return DBC_ERROR;
	uint64_t v = 0;
	for (int i = 0; i < 16; i++)
		v = v << 4 | (uint64_t)(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
	h->sum += v; /* unsigned: wraps modulo 2^64 */
	h->rows++;
	return DBC_OK;
}

int dbc_rows_hash_lines(dbc_ctx *ctx, dbc_rows_hash *h, const char *lines)
{
	for (const char *p = lines; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (dbc_rows_hash_add(ctx, h, p, n) != DBC_OK)
			return DBC_ERROR;
		p += n + (end ? 1 : 0);
	}
	return DBC_OK;
}

char *dbc_rows_hash_text(dbc_ctx *ctx, const dbc_rows_hash *h)
{
	return dbc_printf(ctx, "%016llx", (unsigned long long)h->sum);
}

char *dbc_archive_random_key(dbc_ctx *ctx)
{
	unsigned char r[16];
	if (RAND_bytes(r, sizeof r) != 1) {
		dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no random bytes for an archive batch's key");
		return NULL;
	}
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (size_t i = 0; i < sizeof r; i++)
		dbc_buf_appendf(&b, "%02x", r[i]);
	return dbc_buf_finish(&b);
}
