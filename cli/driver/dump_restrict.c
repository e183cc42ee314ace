/*
 * dump_restrict.c — the same schema gives the same schema.sql: a stable
 * key in pg_dump's "\restrict KEY" / "\unrestrict KEY" lines.
 *
 * pg_dump from 15.14 on writes "\restrict KEY" before anything of the
 * database and "\unrestrict KEY" at the end, KEY random on every run, so
 * that no text the server returns can end psql's restricted mode (in which
 * a restore runs no meta-command) by guessing KEY. Random, it makes a
 * committed schema.sql differ on every dump. KEY is replaced here by the
 * SHA-256 of the script with the key taken out of those two lines: equal
 * schemas give equal files, and the server still cannot put the key in its
 * text, since the key is the hash of a text that would then contain it.
 * Only lines that are exactly "\restrict KEY" or "\unrestrict KEY" with the
 * key of the first "\restrict" line (pg_dump's own, written before any
 * server text) change; a script without one (older pg_dump) stays as it is.
 */
#include "driver.h"
#include "cli/common/output.h"
#include "cli/common/tool.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SCRIPT_BYTES (1L << 30)

static char *read_all(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	struct stat sb;
	char *buf = NULL;
	if (f && fstat(fileno(f), &sb) == 0 && sb.st_size < MAX_SCRIPT_BYTES &&
	    (buf = malloc((size_t)sb.st_size + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)sb.st_size, f);
		buf[*len] = '\0';
		if (ferror(f)) {
			free(buf);
			buf = NULL;
		}
	}
	if (f)
		fclose(f);
	return buf;
}

/* The key of line (to its end at eol) when it is "<word> KEY" with KEY
 * alphanumeric, else NULL; *klen its length. */
static const char *line_key(const char *line, const char *eol, const char *word, size_t *klen)
{
	size_t w = strlen(word);
	if ((size_t)(eol - line) <= w + 1 || memcmp(line, word, w) != 0 || line[w] != ' ')
		return NULL;
	const char *k = line + w + 1;
	for (const char *p = k; p < eol; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return NULL;
	*klen = (size_t)(eol - k);
	return k;
}

/* Writes text to out (a NULL out only measures), each key line's key
 * replaced by with ("" takes it out); returns the length written. */
static size_t render(const char *text, size_t len, const char *key, size_t klen, const char *with,
                     char *out)
{
	size_t n = 0, wlen = strlen(with);
	for (const char *line = text; line < text + len;) {
		const char *nl = memchr(line, '\n', (size_t)(text + len - line));
		const char *eol = nl ? nl : text + len, *next = nl ? nl + 1 : eol;
		size_t got = 0;
		const char *k = line_key(line, eol, "\\restrict", &got);
		if (!k)
			k = line_key(line, eol, "\\unrestrict", &got);
		bool swap = k && got == klen && memcmp(k, key, klen) == 0;
		size_t head = swap ? (size_t)(k - line) - (wlen ? 0 : 1) : (size_t)(next - line);
		if (out)
			memcpy(out + n, line, head);
		n += head;
		if (swap) {
			if (out)
				memcpy(out + n, with, wlen);
			n += wlen;
			if (out)
				memcpy(out + n, eol, (size_t)(next - eol));
			n += (size_t)(next - eol);
		}
		line = next;
	}
	return n;
}

static int stable_key(const char *text, size_t len, const char *key, size_t klen, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n = render(text, len, key, klen, "", NULL);
	char *masked = malloc(n + 1);
	if (!masked)
		return -1;
	render(text, len, key, klen, "", masked);
	int ok = EVP_Digest(masked, n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
	free(masked);
	for (unsigned i = 0; ok && i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	return ok ? 0 : -1;
}

int cli_dump_stable_restrict_key(const char *file, char **err)
{
	size_t len = 0, klen = 0;
	char *text = read_all(file, &len);
	if (!text) {
		*err = cli_fmt_err("could not read the schema dump", NULL, strerror(errno));
		return -1;
	}
	const char *key = NULL;
	for (const char *line = text; line < text + len && !key;) {
		const char *nl = memchr(line, '\n', (size_t)(text + len - line));
		const char *eol = nl ? nl : text + len;
		key = line_key(line, eol, "\\restrict", &klen);
		line = nl ? nl + 1 : eol;
	}
	int rc = 0;
	if (key) {
		char hex[65];
		char *out = NULL;
		FILE *f = NULL;
		size_t n = 0;
		rc = stable_key(text, len, key, klen, hex);
		if (rc == 0 && (out = malloc((n = render(text, len, key, klen, hex, NULL)) + 1)) == NULL)
			rc = -1;
		if (rc == 0) {
			render(text, len, key, klen, hex, out);
			rc = (f = fopen(file, "wb")) && fwrite(out, 1, n, f) == n ? 0 : -1;
			if (f && fclose(f) != 0)
				rc = -1;
		}
		if (rc != 0)
			*err =
			    cli_fmt_err("could not write the schema dump's stable key", NULL, strerror(errno));
		free(out);
	}
	free(text);
	return rc;
}
