/*
 * container.c — the sealed backup file (container.h). Layout, integers
 * little-endian:
 *
 *   header  "DBCSEAL1" | version 1 (u8) | flags (u8) | 0 (u16) |
 *           chunk_size (u32) | nonce (12) | key id (8) | origin length
 *           (u16) | 0 (u16) | origin | header tag (16)
 *   chunk i stored length (u32) | plain length (u32) | kind (u8) |
 *           payload | tag (16)
 *
 * kind 0: the payload is the plain bytes; 1: a zstd frame of them; 2: the
 * end record, whose payload is the plain size (u64) and SHA-256 (32 raw
 * bytes). With AES the payload is encrypted (AES-256-GCM) with the nonce
 * whose last 8 bytes are xored with i (the header's tag uses i = 2^64-1),
 * and the tag is GCM's over the additional data header tag | i (u64) |
 * the chunk's 9 head bytes: each chunk is bound to this header (whose own
 * tag covers all its bytes) and to its place. Without AES the tags are the
 * first 16 bytes of SHA-256 over the same bytes and the payload: they
 * catch damage, not forgery (the catalog's SHA-256 of the file does).
 * The key id, the first 8 bytes of SHA-256 of a fixed text and the key,
 * tells a wrong key from a damaged header before anything is decrypted.
 *
 * why (raw heap: the chunk buffers are malloc'd and freed by each encode
 * or decode: this file has no dbc_ctx, the command links it too).
 */
#include "base/dbc.h"
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define VERSION       1
#define FIXED         40 /* header bytes before the origin */
#define TAG           16
#define HEAD          9 /* a chunk's stored length, plain length, kind */
#define END_LEN       40
#define CHUNK_DEFAULT (1u << 20)
#define CHUNK_MIN     4096u
#define CHUNK_MAX     (16u << 20)
#define KIND_RAW      0
#define KIND_ZSTD     1
#define KIND_END      2
#define ZSTD_LEVEL    3

static int fail(dbc_container_err *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void put_u16(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v, b[1] = (unsigned char)(v >> 8);
}
static void put_u32(unsigned char *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u16(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8;
}
static uint32_t get_u32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t get_u64(const unsigned char *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void hex_of(const unsigned char *md, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- keys */

int dbc_container_key_hex(const char *hex, dbc_container_key *key, dbc_container_err *err)
{
	size_t n = strlen(hex);
	while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
		n--;
	key->set = false;
	if (n != 2 * DBC_CONTAINER_KEY_LEN)
		return fail(err, "an encryption key is 64 hex digits (32 bytes), not %zu characters", n);
	for (size_t i = 0; i < DBC_CONTAINER_KEY_LEN; i++) {
		int hi = dbc_hex_digit((unsigned char)hex[2 * i]),
		    lo = dbc_hex_digit((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(err, "an encryption key is 64 hex digits (32 bytes)");
		key->bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	key->set = true;
	return 0;
}

bool dbc_others_can_replace(const struct stat *st)
{
	return (st->st_mode & (S_IWOTH | S_IWGRP)) || (st->st_uid != geteuid() && st->st_uid != 0);
}

int dbc_container_key_file(const char *path, dbc_container_key *key, dbc_container_err *err)
{
	key->set = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return fail(err, "cannot read the key file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, "the key file %s is not a regular file", path);
	}
	if (st.st_mode & S_IROTH) {
		close(fd);
		return fail(err, "the key file %s can be read by every user (chmod o-r it)", path);
	}
	/* one another user can replace (its mode, or being that user's) gives
	 * that user the key of the next backups: only this process's user,
	 * or root (a mounted secret), may own and write it */
	if (dbc_others_can_replace(&st)) {
		close(fd);
		return fail(err,
		            "the key file %s can be replaced by another user (chmod go-w it, and chown "
		            "it to the user that uses it)",
		            path);
	}
	char buf[2 * DBC_CONTAINER_KEY_LEN + 4];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n == DBC_CONTAINER_KEY_LEN && st.st_size == DBC_CONTAINER_KEY_LEN) {
		memcpy(key->bytes, buf, DBC_CONTAINER_KEY_LEN);
		key->set = true;
		return 0;
	}
	if (n < 0 || n >= (ssize_t)sizeof buf - 1)
		return fail(err, "the key file %s holds no key: 32 bytes, or 64 hex digits", path);
	buf[n] = '\0';
	if (dbc_container_key_hex(buf, key, NULL) != 0)
		return fail(err, "the key file %s holds no key: 32 bytes, or 64 hex digits", path);
	return 0;
}

int dbc_container_key_env(dbc_container_key *key, dbc_container_err *err)
{
	const char *file = getenv(DBC_CONTAINER_KEY_FILE_ENV);
	const char *hex = getenv(DBC_CONTAINER_KEY_ENV);
	key->set = false;
	if (file && file[0])
		return dbc_container_key_file(file, key, err);
	if (hex && hex[0]) {
		if (dbc_container_key_hex(hex, key, err) != 0)
			return fail(err, "the environment variable " DBC_CONTAINER_KEY_ENV
			                 " holds no key: 64 hex digits");
		return 0;
	}
	return 0;
}

static void key_id(const dbc_container_key *key, unsigned char out[8])
{
	static const char label[] = "dbcare sealed backup key id 1";
	unsigned char buf[sizeof label + DBC_CONTAINER_KEY_LEN], md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	memcpy(buf, label, sizeof label);
	memcpy(buf + sizeof label, key->bytes, DBC_CONTAINER_KEY_LEN);
	EVP_Digest(buf, sizeof buf, md, &len, EVP_sha256(), NULL);
	memcpy(out, md, 8);
}

/* ---- tags */

static void nonce_for(const unsigned char base[12], uint64_t i, unsigned char out[12])
{
	memcpy(out, base, 12);
	for (int k = 0; k < 8; k++)
		out[4 + k] ^= (unsigned char)(i >> (8 * k));
}

/* AES-256-GCM over in (n bytes) into out, with aad; encrypting writes
 * tag, decrypting checks it (0 when it matches). */
static int gcm(bool enc, const dbc_container_key *key, const unsigned char nonce[12],
               const unsigned char *aad, size_t aad_len, const unsigned char *in, size_t n,
               unsigned char *out, unsigned char tag[TAG])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok = c != NULL;
	ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key->bytes, nonce, enc ? 1 : 0) == 1;
	ok = ok && (aad_len == 0 || EVP_CipherUpdate(c, NULL, &len, aad, (int)aad_len) == 1);
	ok = ok && (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n) == 1);
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag) == 1;
	unsigned char none[16]; /* GCM's final writes nothing: somewhere valid */
	ok = ok && EVP_CipherFinal_ex(c, n ? out + len : none, &len) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* The keyless tag: SHA-256 of aad and data, first 16 bytes. */
static void plain_tag(const unsigned char *aad, size_t aad_len, const unsigned char *data, size_t n,
                      unsigned char tag[TAG])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	if (m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(m, aad, aad_len) == 1 && (n == 0 || EVP_DigestUpdate(m, data, n) == 1) &&
	    EVP_DigestFinal_ex(m, md, &len) == 1)
		memcpy(tag, md, TAG);
	else
		memset(tag, 0, TAG);
	EVP_MD_CTX_free(m);
}

/* ---- the header */

int dbc_container_parse_header(const unsigned char *buf, size_t n, dbc_container_header *h,
                               dbc_container_err *err)
{
	memset(h, 0, sizeof *h);
	if (n < 8)
		return 0;
	if (memcmp(buf, DBC_CONTAINER_MAGIC, 8) != 0)
		return fail(err, "it is not a sealed backup (no " DBC_CONTAINER_MAGIC " header)");
	if (n < FIXED)
		return 0;
	if (buf[8] != VERSION)
		return fail(err, "its format version %u is not one this dbcare reads (1)", buf[8]);
	h->flags = buf[9];
	if (h->flags & ~(DBC_CONTAINER_ZSTD | DBC_CONTAINER_AES) || get_u16(buf + 10) != 0 ||
	    get_u16(buf + 38) != 0)
		return fail(err, "its header is damaged (unknown flags)");
	h->chunk_size = get_u32(buf + 12);
	if (h->chunk_size < CHUNK_MIN || h->chunk_size > CHUNK_MAX)
		return fail(err, "its header is damaged (a chunk size of %u bytes)", h->chunk_size);
	memcpy(h->nonce, buf + 16, 12);
	memcpy(h->key_id, buf + 28, 8);
	size_t olen = get_u16(buf + 36);
	if (olen > DBC_CONTAINER_ORIGIN_MAX)
		return fail(err, "its header is damaged (an origin of %zu bytes)", olen);
	h->length = FIXED + olen + TAG;
	if (n < h->length)
		return 0;
	memcpy(h->origin, buf + FIXED, olen);
	h->origin[olen] = '\0';
	if (strlen(h->origin) != olen)
		return fail(err, "its header is damaged (a NUL in its origin)");
	return 1;
}

bool dbc_container_sniff(const char *path, dbc_container_header *h)
{
	unsigned char buf[FIXED + DBC_CONTAINER_ORIGIN_MAX + TAG];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	ssize_t n = 0, k;
	while ((size_t)n < sizeof buf && (k = read(fd, buf + n, sizeof buf - (size_t)n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += k;
	}
	close(fd);
	if (n < 8 || memcmp(buf, DBC_CONTAINER_MAGIC, 8) != 0)
		return false;
	if (h)
		return dbc_container_parse_header(buf, (size_t)n, h, NULL) == 1;
	return true;
}

/* ---- streams: every byte read or written is hashed */

typedef struct stream {
	int fd;
	EVP_MD_CTX *md;
	int64_t bytes;
} stream;

static int stream_open(stream *s, int fd)
{
	s->fd = fd;
	s->bytes = 0;
	s->md = EVP_MD_CTX_new();
	return s->md && EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static void stream_close(stream *s, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (hex && s->md && EVP_DigestFinal_ex(s->md, md, &len) == 1)
		hex_of(md, 32, hex);
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
}

/* Up to n bytes (fewer only at the end of the file); -1 on an error. */
static ssize_t stream_read(stream *s, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(s->fd, (unsigned char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	if (got && EVP_DigestUpdate(s->md, buf, got) != 1)
		return -1;
	s->bytes += (int64_t)got;
	return (ssize_t)got;
}

static int stream_write(stream *s, const void *buf, size_t n)
{
	if (n && EVP_DigestUpdate(s->md, buf, n) != 1)
		return -1;
	s->bytes += (int64_t)n;
	if (s->fd < 0)
		return 0;
	const unsigned char *b = buf;
	while (n > 0) {
		ssize_t k = write(s->fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k, n -= (size_t)k;
	}
	return 0;
}

/* ---- encode */

typedef struct sealer {
	stream out;
	unsigned flags;
	const dbc_container_key *key;
	unsigned char nonce[12];
	unsigned char header_tag[TAG];
	uint64_t index;
} sealer;

static void chunk_aad(const unsigned char header_tag[TAG], uint64_t i,
                      const unsigned char head[HEAD], unsigned char aad[TAG + 8 + HEAD])
{
	memcpy(aad, header_tag, TAG);
	put_u64(aad + TAG, i);
	memcpy(aad + TAG + 8, head, HEAD);
}

static int put_chunk(sealer *s, int kind, const unsigned char *payload, uint32_t stored,
                     uint32_t plain, unsigned char *scratch, dbc_container_err *err)
{
	unsigned char head[HEAD], aad[TAG + 8 + HEAD], tag[TAG], nonce[12];
	put_u32(head, stored);
	put_u32(head + 4, plain);
	head[8] = (unsigned char)kind;
	chunk_aad(s->header_tag, s->index, head, aad);
	const unsigned char *body = payload;
	if (s->flags & DBC_CONTAINER_AES) {
		nonce_for(s->nonce, s->index, nonce);
		if (gcm(true, s->key, nonce, aad, sizeof aad, payload, stored, scratch, tag) != 0)
			return fail(err, "the encryption failed");
		body = scratch;
	} else {
		plain_tag(aad, sizeof aad, payload, stored, tag);
	}
	if (stream_write(&s->out, head, HEAD) != 0 || stream_write(&s->out, body, stored) != 0 ||
	    stream_write(&s->out, tag, TAG) != 0)
		return fail(err, "could not write the sealed file: %s", strerror(errno));
	s->index++;
	return 0;
}

/* The header (magic, version, flags, chunk size, the nonce and key id
 * when encrypted, the origin) and its tag, written first; s->nonce and
 * s->header_tag are set for the chunks. 0, or -1 with err saying why. */
static int write_header(sealer *s, const char *origin, size_t olen, unsigned char *crypt,
                        dbc_container_err *err)
{
	unsigned char header[FIXED + DBC_CONTAINER_ORIGIN_MAX + TAG];
	memset(header, 0, FIXED);
	memcpy(header, DBC_CONTAINER_MAGIC, 8);
	header[8] = VERSION;
	header[9] = (unsigned char)s->flags;
	put_u32(header + 12, CHUNK_DEFAULT);
	if (s->flags & DBC_CONTAINER_AES) {
		if (RAND_bytes(s->nonce, sizeof s->nonce) != 1) {
			fail(err, "no random bytes for the nonce");
			return -1;
		}
		memcpy(header + 16, s->nonce, 12);
		key_id(s->key, header + 28);
	}
	put_u16(header + 36, (uint32_t)olen);
	memcpy(header + FIXED, origin ? origin : "", olen);
	size_t hlen = FIXED + olen;
	if (s->flags & DBC_CONTAINER_AES) {
		unsigned char nonce[12];
		nonce_for(s->nonce, UINT64_MAX, nonce);
		if (gcm(true, s->key, nonce, header, hlen, NULL, 0, crypt, s->header_tag) != 0) {
			fail(err, "the encryption failed");
			return -1;
		}
	} else {
		plain_tag(header, hlen, NULL, 0, s->header_tag);
	}
	memcpy(header + hlen, s->header_tag, TAG);
	if (stream_write(&s->out, header, hlen + TAG) != 0) {
		fail(err, "could not write the sealed file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int dbc_container_encode(int in_fd, int out_fd, unsigned flags, const dbc_container_key *key,
                         const char *origin, dbc_container_stop stop, void *stop_arg,
                         dbc_container_sums *sums, dbc_container_err *err)
{
	size_t olen = origin ? strlen(origin) : 0;
	if (flags & ~(DBC_CONTAINER_ZSTD | DBC_CONTAINER_AES))
		return fail(err, "unknown sealing flags");
	if ((flags & DBC_CONTAINER_AES) && !(key && key->set))
		return fail(err, "no encryption key");
	if (olen > DBC_CONTAINER_ORIGIN_MAX)
		return fail(err, "the origin text is longer than %d bytes", DBC_CONTAINER_ORIGIN_MAX);
	sealer s = {.flags = flags, .key = key};
	stream in = {0};
	size_t bound = ZSTD_compressBound(CHUNK_DEFAULT);
	/* why: three chunk buffers for the whole encode, freed below */
	unsigned char *plain = malloc(CHUNK_DEFAULT), *packed = malloc(bound),
	              *crypt = malloc(bound + TAG);
	ZSTD_CCtx *z = (flags & DBC_CONTAINER_ZSTD) ? ZSTD_createCCtx() : NULL;
	int rc = -1;
	if (!plain || !packed || !crypt || ((flags & DBC_CONTAINER_ZSTD) && !z) ||
	    stream_open(&s.out, out_fd) != 0 || stream_open(&in, in_fd) != 0) {
		fail(err, "out of memory");
		goto out;
	}
	if (write_header(&s, origin, olen, crypt, err) != 0)
		goto out;
	for (;;) {
		if (stop && stop(stop_arg)) {
			fail(err, "stopped");
			goto out;
		}
		ssize_t n = stream_read(&in, plain, CHUNK_DEFAULT);
		if (n < 0) {
			fail(err, "could not read the backup: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		int kind = KIND_RAW;
		const unsigned char *payload = plain;
		size_t stored = (size_t)n;
		if (z) {
			size_t c = ZSTD_compressCCtx(z, packed, bound, plain, (size_t)n, ZSTD_LEVEL);
			if (ZSTD_isError(c)) {
				fail(err, "zstd: %s", ZSTD_getErrorName(c));
				goto out;
			}
			if (c < (size_t)n) /* else the chunk is kept as it is */
				kind = KIND_ZSTD, payload = packed, stored = c;
		}
		if (put_chunk(&s, kind, payload, (uint32_t)stored, (uint32_t)n, crypt, err) != 0)
			goto out;
		if ((size_t)n < CHUNK_DEFAULT)
			break;
	}
	unsigned char end[END_LEN], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	put_u64(end, (uint64_t)in.bytes);
	if (EVP_DigestFinal_ex(in.md, md, &mdlen) != 1) {
		fail(err, "SHA-256 failed");
		goto out;
	}
	EVP_MD_CTX_free(in.md);
	in.md = NULL;
	memcpy(end + 8, md, 32);
	if (put_chunk(&s, KIND_END, end, END_LEN, 0, crypt, err) != 0)
		goto out;
	if (sums) {
		hex_of(md, 32, sums->plain_sha256);
		sums->plain_bytes = in.bytes;
		sums->sealed_bytes = s.out.bytes;
	}
	stream_close(&s.out, sums ? sums->sealed_sha256 : NULL);
	rc = 0;
out:
	stream_close(&s.out, NULL);
	stream_close(&in, NULL);
	ZSTD_freeCCtx(z);
	/* why: the buffers allocated above */
	free(plain);
	free(packed);
	free(crypt);
	return rc;
}

/* ---- decode */

/* Reads and checks the header (its tag: with the key when encrypted);
 * header_tag gets the tag the chunks are bound to. */
static int read_header(stream *in, const dbc_container_key *key, dbc_container_header *h,
                       unsigned char header_tag[TAG], dbc_container_err *err)
{
	unsigned char header[FIXED + DBC_CONTAINER_ORIGIN_MAX + TAG];
	ssize_t n = stream_read(in, header, FIXED);
	if (n < 0) {
		fail(err, "cannot read it: %s", strerror(errno));
		return -1;
	}
	int got = dbc_container_parse_header(header, (size_t)n, h, err);
	if (got == 0 && (size_t)n == FIXED) {
		size_t rest = h->length - FIXED;
		ssize_t k = stream_read(in, header + FIXED, rest);
		if (k < 0) {
			fail(err, "cannot read it: %s", strerror(errno));
			return -1;
		}
		got = dbc_container_parse_header(header, FIXED + (size_t)k, h, err);
	}
	if (got < 0)
		return -1;
	if (got == 0) {
		fail(err, "it is cut short (in its header)");
		return -1;
	}
	size_t hlen = h->length - TAG;
	if (h->flags & DBC_CONTAINER_AES) {
		unsigned char id[8], nonce[12];
		if (!key || !key->set) {
			if (err)
				err->key = true;
			fail(err, "it is encrypted and no key was given");
			return -1;
		}
		key_id(key, id);
		if (memcmp(id, h->key_id, 8) != 0) {
			if (err)
				err->key = true;
			fail(err, "it was encrypted with another key (a wrong key, or a damaged header)");
			return -1;
		}
		nonce_for(h->nonce, UINT64_MAX, nonce);
		memcpy(header_tag, header + hlen, TAG);
		if (gcm(false, key, nonce, header, hlen, NULL, 0, NULL, header_tag) != 0) {
			fail(err, "its header is damaged (its tag does not match)");
			return -1;
		}
	} else {
		plain_tag(header, hlen, NULL, 0, header_tag);
		if (memcmp(header_tag, header + hlen, TAG) != 0) {
			fail(err, "its header is damaged (its tag does not match)");
			return -1;
		}
	}
	return 0;
}

/* One chunk read back: its kind and lengths, and its body (in payload,
 * or decrypted into clear), authenticated. */
typedef struct opened_chunk {
	unsigned char *payload; /* room for the largest stored chunk and its tag */
	unsigned char *clear;   /* room for the largest stored chunk */
	int kind;
	uint32_t stored, plen;
	const unsigned char *body;
} opened_chunk;

/* Reads chunk i (its head, then its payload and tag) and checks its lengths
 * against the header and its tag (AES-GCM's, or the plain one); 0, or -1
 * with err saying why. */
static int open_chunk(stream *in, const dbc_container_header *h, const dbc_container_key *key,
                      const unsigned char *header_tag, uint64_t i, size_t bound, opened_chunk *c,
                      dbc_container_err *err)
{
	unsigned char head[HEAD], aad[TAG + 8 + HEAD], tag[TAG];
	ssize_t k = stream_read(in, head, HEAD);
	if (k != HEAD) {
		fail(err, k < 0 ? "cannot read it" : "it is cut short (chunk %llu, no end record)",
		     (unsigned long long)i);
		return -1;
	}
	uint32_t stored = get_u32(head), plen = get_u32(head + 4);
	int kind = head[8];
	bool sane = (kind == KIND_RAW && stored == plen && plen > 0 && plen <= h->chunk_size) ||
	            (kind == KIND_ZSTD && (h->flags & DBC_CONTAINER_ZSTD) && stored > 0 &&
	             stored <= bound && plen > 0 && plen <= h->chunk_size) ||
	            (kind == KIND_END && stored == END_LEN && plen == 0);
	if (!sane) {
		fail(err, "chunk %llu is damaged (its lengths or kind)", (unsigned long long)i);
		return -1;
	}
	k = stream_read(in, c->payload, (size_t)stored + TAG);
	if (k != (ssize_t)stored + TAG) {
		fail(err, k < 0 ? "cannot read it" : "it is cut short (in chunk %llu)",
		     (unsigned long long)i);
		return -1;
	}
	memcpy(tag, c->payload + stored, TAG);
	chunk_aad(header_tag, i, head, aad);
	c->kind = kind;
	c->stored = stored;
	c->plen = plen;
	c->body = c->payload;
	if (h->flags & DBC_CONTAINER_AES) {
		unsigned char nonce[12];
		nonce_for(h->nonce, i, nonce);
		if (gcm(false, key, nonce, aad, sizeof aad, c->payload, stored, c->clear, tag) != 0) {
			fail(err, "chunk %llu is damaged (its authentication tag does not match)",
			     (unsigned long long)i);
			return -1;
		}
		c->body = c->clear;
		return 0;
	}
	unsigned char want[TAG];
	plain_tag(aad, sizeof aad, c->payload, stored, want);
	if (memcmp(want, tag, TAG) != 0) {
		fail(err, "chunk %llu is damaged (its tag does not match)", (unsigned long long)i);
		return -1;
	}
	return 0;
}

int dbc_container_decode(int in_fd, int out_fd, const dbc_container_key *key,
                         dbc_container_stop stop, void *stop_arg, dbc_container_sums *sums,
                         dbc_container_err *err)
{
	stream in = {0}, out = {0};
	dbc_container_header h;
	if (err)
		err->key = false;
	unsigned char header_tag[TAG];
	unsigned char *payload = NULL, *clear = NULL, *plain = NULL;
	ZSTD_DCtx *z = NULL;
	int rc = -1;
	if (stream_open(&in, in_fd) != 0 || stream_open(&out, out_fd) != 0) {
		fail(err, "out of memory");
		goto out;
	}
	if (read_header(&in, key, &h, header_tag, err) != 0)
		goto out;
	size_t bound = ZSTD_compressBound(h.chunk_size);
	/* why: the chunk buffers of this decode, freed below */
	payload = malloc(bound + TAG);
	clear = malloc(bound);
	plain = malloc(h.chunk_size);
	z = ZSTD_createDCtx();
	if (!payload || !clear || !plain || !z) {
		fail(err, "out of memory");
		goto out;
	}
	EVP_MD_CTX *ph = EVP_MD_CTX_new();
	if (!ph || EVP_DigestInit_ex(ph, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ph);
		fail(err, "out of memory");
		goto out;
	}
	uint64_t total = 0;
	bool ended = false;
	for (uint64_t i = 0; !ended; i++) {
		if (stop && stop(stop_arg)) {
			fail(err, "stopped");
			break;
		}
		opened_chunk c = {.payload = payload, .clear = clear};
		if (open_chunk(&in, &h, key, header_tag, i, bound, &c, err) != 0)
			break;
		int kind = c.kind;
		uint32_t stored = c.stored, plen = c.plen;
		const unsigned char *body = c.body;
		if (kind == KIND_END) {
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned int mdlen = 0;
			if (EVP_DigestFinal_ex(ph, md, &mdlen) != 1 || get_u64(body) != total ||
			    memcmp(md, body + 8, 32) != 0) {
				fail(err, "its content does not match its end record");
				break;
			}
			if (sums)
				hex_of(md, 32, sums->plain_sha256);
			ended = true;
			break;
		}
		const unsigned char *bytes = body;
		if (kind == KIND_ZSTD) {
			size_t d = ZSTD_decompressDCtx(z, plain, h.chunk_size, body, stored);
			if (ZSTD_isError(d) || d != plen) {
				fail(err, "chunk %llu does not decompress to its length", (unsigned long long)i);
				break;
			}
			bytes = plain;
		}
		if (EVP_DigestUpdate(ph, bytes, plen) != 1 || stream_write(&out, bytes, plen) != 0) {
			fail(err, "could not write the opened backup: %s", strerror(errno));
			break;
		}
		total += plen;
	}
	EVP_MD_CTX_free(ph);
	if (!ended)
		goto out;
	unsigned char extra;
	ssize_t k = stream_read(&in, &extra, 1);
	if (k != 0) {
		fail(err, "it has bytes after its end record");
		goto out;
	}
	if (sums) {
		sums->plain_bytes = (int64_t)total;
		sums->sealed_bytes = in.bytes;
		stream_close(&in, sums->sealed_sha256);
	}
	rc = 0;
out:
	stream_close(&in, NULL);
	stream_close(&out, NULL);
	ZSTD_freeDCtx(z);
	/* why: the buffers allocated above */
	free(payload);
	free(clear);
	free(plain);
	return rc;
}

int dbc_container_peek(int in_fd, const dbc_container_key *key, dbc_container_sums *sums,
                       dbc_container_err *err)
{
	stream in = {0};
	dbc_container_header h;
	unsigned char header_tag[TAG];
	int rc = -1;
	if (err)
		err->key = false;
	if (stream_open(&in, in_fd) != 0)
		return fail(err, "out of memory");
	if (read_header(&in, key, &h, header_tag, err) != 0)
		goto out;
	size_t bound = ZSTD_compressBound(h.chunk_size);
	uint64_t total = 0;
	for (uint64_t i = 0;; i++) {
		unsigned char head[HEAD], aad[TAG + 8 + HEAD], body[END_LEN + TAG], tag[TAG];
		if (stream_read(&in, head, HEAD) != HEAD) {
			fail(err, "it is cut short (chunk %llu, no end record)", (unsigned long long)i);
			goto out;
		}
		uint32_t stored = get_u32(head), plen = get_u32(head + 4);
		int kind = head[8];
		if (kind != KIND_END) {
			if ((kind != KIND_RAW && kind != KIND_ZSTD) || stored == 0 || stored > bound ||
			    plen == 0 || plen > h.chunk_size ||
			    lseek(in_fd, (off_t)stored + TAG, SEEK_CUR) < 0) {
				fail(err, "chunk %llu is damaged (its lengths or kind)", (unsigned long long)i);
				goto out;
			}
			total += plen;
			continue;
		}
		if (stored != END_LEN || plen != 0 ||
		    stream_read(&in, body, END_LEN + TAG) != END_LEN + TAG) {
			fail(err, "its end record is damaged or cut short");
			goto out;
		}
		memcpy(tag, body + END_LEN, TAG);
		chunk_aad(header_tag, i, head, aad);
		unsigned char clear[END_LEN];
		const unsigned char *end = body;
		if (h.flags & DBC_CONTAINER_AES) {
			unsigned char nonce[12];
			nonce_for(h.nonce, i, nonce);
			if (gcm(false, key, nonce, aad, sizeof aad, body, END_LEN, clear, tag) != 0) {
				fail(err, "its end record is damaged (its tag does not match)");
				goto out;
			}
			end = clear;
		} else {
			unsigned char want[TAG];
			plain_tag(aad, sizeof aad, body, END_LEN, want);
			if (memcmp(want, tag, TAG) != 0) {
				fail(err, "its end record is damaged (its tag does not match)");
				goto out;
			}
		}
		if (get_u64(end) != total) {
			fail(err, "its end record does not match its chunks");
			goto out;
		}
		if (sums) {
			hex_of(end + 8, 32, sums->plain_sha256);
			sums->plain_bytes = (int64_t)total;
			sums->sealed_sha256[0] = '\0';
			sums->sealed_bytes = lseek(in_fd, 0, SEEK_CUR);
		}
		rc = 0;
		break;
	}
out:
	stream_close(&in, NULL);
	return rc;
}

int dbc_container_header_read(const char *path, const dbc_container_key *key,
                              dbc_container_header *h, dbc_container_err *err)
{
	stream in = {0};
	unsigned char header_tag[TAG];
	if (err)
		err->key = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(err, "cannot read it: %s", strerror(errno));
	int rc = stream_open(&in, fd) != 0 ? fail(err, "out of memory")
	                                   : read_header(&in, key, h, header_tag, err);
	stream_close(&in, NULL);
	close(fd);
	if (rc != 0)
		memset(h, 0, sizeof *h); /* nothing of a header that did not authenticate */
	return rc;
}

bool dbc_container_origin_split(char *origin, dbc_container_origin *o)
{
	char *nl = strchr(origin, '\n');
	*o = (dbc_container_origin){NULL, origin, NULL};
	if (!nl)
		return false;
	*nl = '\0';
	o->published = nl + 1;
	size_t n = strlen(DBC_CONTAINER_ORIGIN_ID);
	char *sp = strchr(origin, ' ');
	if (strncmp(origin, DBC_CONTAINER_ORIGIN_ID, n) == 0 && sp) {
		*sp = '\0';
		o->identity = origin + n;
		o->file = sp + 1;
	}
	return true;
}
