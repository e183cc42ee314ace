/*
 * sha256.c — the one place that talks to libcrypto. EVP is the supported
 * interface in OpenSSL 3 (the low-level SHA256_* calls are deprecated there).
 */
#include "base/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

static int failed(dbc_ctx *ctx)
{
	return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "SHA-256 computation failed in libcrypto");
}

static void to_hex(const unsigned char *md, char hex[DBC_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[64] = '\0';
}

/* EVP_sha256() looks the implementation up at every digest (OpenSSL 3: an
 * implicit fetch). Not cached in a static: the SQLite module is unloaded
 * with each connection that loaded it (a fetched digest left in a static
 * is then lost, LeakSanitizer's asan suite), and freeing it in a
 * destructor would race OpenSSL's own exit-time cleanup. */
static const EVP_MD *sha256_md(void)
{
	return EVP_sha256();
}

int dbc_sha256_hex(dbc_ctx *ctx, const void *data, size_t len, char hex[DBC_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, sha256_md(), NULL) != 1 || mdlen != 32)
		return failed(ctx);
	to_hex(md, hex);
	return DBC_OK;
}

/* dbc_sha256 is libcrypto's digest context itself. */
dbc_sha256 *dbc_sha256_begin(dbc_ctx *ctx)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		failed(ctx);
		return NULL;
	}
	return (dbc_sha256 *)md;
}

int dbc_sha256_update(dbc_ctx *ctx, dbc_sha256 *h, const void *data, size_t len)
{
	return EVP_DigestUpdate((EVP_MD_CTX *)h, data, len) == 1 ? DBC_OK : failed(ctx);
}

int dbc_sha256_finish(dbc_ctx *ctx, dbc_sha256 *h, char hex[DBC_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok = EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
	if (!ok)
		return failed(ctx);
	to_hex(md, hex);
	return DBC_OK;
}

void dbc_sha256_abort(dbc_sha256 *h)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

int dbc_sha256_digest(dbc_ctx *ctx, dbc_sha256 *h, const void *data, size_t len,
                      unsigned char md[32])
{
	unsigned int mdlen = 0;
	EVP_MD_CTX *m = (EVP_MD_CTX *)h;
	if (EVP_DigestInit_ex(m, NULL, NULL) != 1 || EVP_DigestUpdate(m, data, len) != 1 ||
	    EVP_DigestFinal_ex(m, md, &mdlen) != 1 || mdlen != 32)
		return failed(ctx);
	return DBC_OK;
}

int dbc_sha256_hex_on(dbc_ctx *ctx, dbc_sha256 *h, const void *data, size_t len,
                      char hex[DBC_SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	if (!h)
		return dbc_sha256_hex(ctx, data, len, hex);
	if (dbc_sha256_digest(ctx, h, data, len, md) != DBC_OK)
		return DBC_ERROR;
	to_hex(md, hex);
	return DBC_OK;
}

int dbc_file_sha256(dbc_ctx *ctx, int fd, const char *what, dbc_file_chunk_fn each, void *arg,
                    char hex[DBC_SHA256_HEX_LEN + 1])
{
	size_t size = 1 << 20;
	unsigned char *chunk = dbc_alloc(ctx, size);
	dbc_sha256 *h = chunk ? dbc_sha256_begin(ctx) : NULL;
	int rc = h ? DBC_OK : DBC_ERROR;
	for (ssize_t n; rc == DBC_OK;) {
		n = read(fd, chunk, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "cannot read %s: %s", what, strerror(err));
			errno = err;
		} else if (n == 0) {
			break;
		} else {
			rc = dbc_sha256_update(ctx, h, chunk, (size_t)n);
			if (rc == DBC_OK && each)
				rc = each(ctx, arg, chunk, (size_t)n);
		}
	}
	if (rc != DBC_OK) {
		if (h)
			dbc_sha256_abort(h);
		return DBC_ERROR;
	}
	return dbc_sha256_finish(ctx, h, hex);
}

int dbc_path_sha256(dbc_ctx *ctx, const char *path, int flags, const char *what,
                    dbc_file_chunk_fn each, void *arg, char hex[DBC_SHA256_HEX_LEN + 1])
{
	if (!what)
		return DBC_ERROR;
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	if (fd < 0) {
		int err = errno;
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "cannot read %s: %s", what, strerror(err));
		errno = err;
		return DBC_ERROR;
	}
	int rc = dbc_file_sha256(ctx, fd, what, each, arg, hex);
	int err = errno;
	close(fd);
	errno = err;
	return rc;
}

int dbc_path_sha256_errno(const dbc_host *host, const char *path, int flags, dbc_file_chunk_fn each,
                          void *arg, char hex[DBC_SHA256_HEX_LEN + 1])
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, host, NULL);
	errno = 0;
	int rc = dbc_path_sha256(&ctx, path, flags, path, each, arg, hex);
	int err = rc == DBC_OK ? 0 : errno ? errno : EIO;
	dbc_ctx_finish(&ctx);
	errno = err;
	return rc == DBC_OK ? 0 : -1;
}
