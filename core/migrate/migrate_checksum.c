/*
 * migrate_checksum.c — the v1 normalisation and SHA-256 checksum of scripts,
 * so a file checked out with CRLF, saved with a BOM or trimmed by an editor
 * keeps the checksum it was applied with.
 */
#include "migrate/migrate_checksum.h"
#include "base/sha256.h"

#include <string.h>

char *dbc_script_normalise(dbc_ctx *ctx, const char *script)
{
	const char *p = script;
	/* every leading BOM, or normalising twice would drop a second one */
	while ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	       (unsigned char)p[2] == 0xBF)
		p += 3;
	size_t n = strlen(p);
	char *out = dbc_alloc(ctx, n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else
			out[o++] = p[i];
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t' || out[o - 1] == '\n' ||
	                 out[o - 1] == '\f' || out[o - 1] == '\v'))
		o--;
	out[o] = '\0';
	return out;
}

int dbc_script_checksum(dbc_ctx *ctx, const char *script, char **out)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	char *norm = dbc_script_normalise(ctx, script);
	if (!norm || dbc_sha256_hex(ctx, norm, strlen(norm), hex) != DBC_OK)
		return DBC_ERROR;
	*out = dbc_printf(ctx, DBC_CHECKSUM_TAG "%s", hex);
	return *out ? DBC_OK : DBC_ERROR;
}

bool dbc_checksum_current(const char *stored)
{
	return stored && strncmp(stored, DBC_CHECKSUM_TAG, strlen(DBC_CHECKSUM_TAG)) == 0;
}
