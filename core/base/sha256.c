/*
 * sha256.c — the one place that talks to libcrypto. EVP is the supported
 * interface in OpenSSL 3 (the low-level SHA256_* calls are deprecated there).
 */
#include "base/sha256.h"

#include <openssl/evp.h>

int dbc_sha256_hex(dbc_ctx *ctx, const void *data, size_t len, char hex[DBC_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "SHA-256 computation failed in libcrypto");
	for (unsigned int i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[64] = '\0';
	return DBC_OK;
}
