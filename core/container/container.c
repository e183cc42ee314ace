/*
 * container.c — the sealed backup file (container.h), written in format 2
 * and read in both (format 1's chunks: container_v1.c). Format 2's
 * layout, integers little-endian:
 *
 *   header  "DBCSEAL1" | version 2 (u8) | flags (u8) | 0 (u16) |
 *           chunk_size (u32) | secretstream header (24) | key id (8) |
 *           origin length (u16) | 0 (u16) | origin | header tag (17)
 *   chunk   stored length (u32) | plain length (u32) | kind (u8) |
 *           the secretstream message of the payload (stored + 17)
 *
 * kind 0: the payload is the plain bytes; 1: a zstd frame of them; 2: the
 * end record, whose payload is the plain size (u64) and SHA-256 (32 raw
 * bytes), the stream's one message tagged FINAL. The header tag is the
 * stream's first message, empty, with the header's bytes as additional
 * data; each chunk's message has its 9 head bytes as additional data.
 * libsodium's secretstream (XChaCha20-Poly1305) binds every message to the
 * stream's header and to its place: a chunk moved, dropped, taken from
 * another file or cut short fails. A file that is not encrypted is sealed
 * with the public key (all zeros): its tags catch damage, not forgery (the
 * catalog's SHA-256 of the file does), as format 1's SHA-256 tags did.
 * Format 1 shares the magic, the chunk heads and the end record; its
 * header holds a 12-byte nonce and its tags are 16 bytes.
 *
 * why (raw heap: the chunk buffers are malloc'd and freed by each encode
 * or decode: this file has no dbc_ctx, the command links it too).
 */
#include "base/dbc.h"
#include "container/container_format.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define STREAM_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define FIXED_V2      (16 + STREAM_HEADER + 12) /* header bytes before the origin */
#define FIXED_MAX     FIXED_V2
#define CHUNK_DEFAULT (1u << 20)
#define CHUNK_MIN     4096u
#define CHUNK_MAX     (16u << 20)
#define ZSTD_LEVEL    3
#define PUSH          crypto_secretstream_xchacha20poly1305_push
#define PULL          crypto_secretstream_xchacha20poly1305_pull
#define TAG_MESSAGE   crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL     crypto_secretstream_xchacha20poly1305_TAG_FINAL

/* The key of a file that is not encrypted: known to everyone. */
static const dbc_container_key public_key = {{0}, true};

__attribute__((format(printf, 2, 3))) static int fail(dbc_container_err *err, const char *fmt, ...)
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
	sodium_bin2hex(out, 2 * n + 1, md, n);
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

/* The first 8 bytes of SHA-256 of a fixed text and the key: tells a wrong
 * key from a damaged header before anything is decrypted (both formats). */
static void key_id(const dbc_container_key *key, unsigned char out[8])
{
	static const char label[] = "dbcare sealed backup key id 1";
	unsigned char md[32];
	dbc_seal_sha256(label, sizeof label, key->bytes, DBC_CONTAINER_KEY_LEN, md);
	memcpy(out, md, 8);
}

/* ---- the header */

static size_t tag_len(unsigned version)
{
	return version == 1 ? DBC_SEAL_TAG_V1 : DBC_SEAL_TAG_V2;
}

int dbc_container_parse_header(const unsigned char *buf, size_t n, dbc_container_header *h,
                               dbc_container_err *err)
{
	memset(h, 0, sizeof *h);
	h->length = 9;
	if (n >= 8 && memcmp(buf, DBC_CONTAINER_MAGIC, 8) != 0)
		return fail(err, "it is not a sealed backup (no " DBC_CONTAINER_MAGIC " header)");
	if (n < 9)
		return 0;
	h->version = buf[8];
	if (h->version != 1 && h->version != DBC_CONTAINER_VERSION)
		return fail(err, "its format version %u is not one this dbcare reads (1, 2)", buf[8]);
	size_t nonce = h->version == 1 ? 12 : STREAM_HEADER, fixed = 16 + nonce + 12;
	h->length = fixed;
	if (n < fixed)
		return 0;
	h->flags = buf[9];
	if (h->flags & ~(DBC_CONTAINER_ZSTD | DBC_CONTAINER_ENCRYPT) || get_u16(buf + 10) != 0 ||
	    get_u16(buf + fixed - 2) != 0)
		return fail(err, "its header is damaged (unknown flags)");
	h->chunk_size = get_u32(buf + 12);
	if (h->chunk_size < CHUNK_MIN || h->chunk_size > CHUNK_MAX)
		return fail(err, "its header is damaged (a chunk size of %u bytes)", h->chunk_size);
	memcpy(h->nonce, buf + 16, nonce);
	memcpy(h->key_id, buf + 16 + nonce, 8);
	size_t olen = get_u16(buf + fixed - 4);
	if (olen > DBC_CONTAINER_ORIGIN_MAX)
		return fail(err, "its header is damaged (an origin of %zu bytes)", olen);
	h->length = fixed + olen + tag_len(h->version);
	if (n < h->length)
		return 0;
	memcpy(h->origin, buf + fixed, olen);
	h->origin[olen] = '\0';
	if (strlen(h->origin) != olen)
		return fail(err, "its header is damaged (a NUL in its origin)");
	return 1;
}

bool dbc_container_sniff(const char *path, dbc_container_header *h)
{
	unsigned char buf[FIXED_MAX + DBC_CONTAINER_ORIGIN_MAX + DBC_SEAL_TAG_V2];
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
	EVP_MD_CTX *md; /* OpenSSL's: libsodium's SHA-256 is several times slower */
	int64_t bytes;
} stream;

static int stream_open(stream *s, int fd)
{
	s->fd = fd;
	s->bytes = 0;
	s->md = EVP_MD_CTX_new();
	return s->md && EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* The SHA-256 of what went through s (md may be NULL: none); s closed. */
static int stream_close(stream *s, unsigned char md[32])
{
	int ok = !md || (s->md && EVP_DigestFinal_ex(s->md, md, NULL) == 1);
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
	return ok ? 0 : -1;
}

static void stream_sha256(stream *s, char hex[65])
{
	unsigned char md[32];
	stream_close(s, md);
	hex_of(md, sizeof md, hex);
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

/* ---- encode (format 2) */

typedef struct sealer {
	stream out;
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char *crypt; /* room for the largest payload and its tag */
} sealer;

/* One chunk: its head, then its payload's message (FINAL for the end). */
static int put_chunk(sealer *s, int kind, const unsigned char *payload, uint32_t stored,
                     uint32_t plain, dbc_container_err *err)
{
	unsigned char head[DBC_SEAL_HEAD];
	put_u32(head, stored);
	put_u32(head + 4, plain);
	head[8] = (unsigned char)kind;
	PUSH(&s->st, s->crypt, NULL, payload, stored, head, sizeof head,
	     kind == DBC_SEAL_KIND_END ? TAG_FINAL : TAG_MESSAGE);
	if (stream_write(&s->out, head, sizeof head) != 0 ||
	    stream_write(&s->out, s->crypt, stored + DBC_SEAL_TAG_V2) != 0)
		return fail(err, "could not write the sealed file: %s", strerror(errno));
	return 0;
}

/* The header (magic, version, flags, chunk size, the stream's header, the
 * key id when encrypted, the origin) and its tag, written first; s->st
 * starts the stream. 0, or -1 with err saying why. */
static int write_header(sealer *s, unsigned flags, const dbc_container_key *key, const char *origin,
                        size_t olen, dbc_container_err *err)
{
	unsigned char header[FIXED_V2 + DBC_CONTAINER_ORIGIN_MAX + DBC_SEAL_TAG_V2];
	memset(header, 0, FIXED_V2);
	memcpy(header, DBC_CONTAINER_MAGIC, 8);
	header[8] = DBC_CONTAINER_VERSION;
	header[9] = (unsigned char)flags;
	put_u32(header + 12, CHUNK_DEFAULT);
	crypto_secretstream_xchacha20poly1305_init_push(&s->st, header + 16, key->bytes);
	if (flags & DBC_CONTAINER_ENCRYPT)
		key_id(key, header + 16 + STREAM_HEADER);
	put_u16(header + FIXED_V2 - 4, (uint32_t)olen);
	memcpy(header + FIXED_V2, origin ? origin : "", olen);
	size_t hlen = FIXED_V2 + olen;
	PUSH(&s->st, header + hlen, NULL, NULL, 0, header, hlen, TAG_MESSAGE);
	if (stream_write(&s->out, header, hlen + DBC_SEAL_TAG_V2) != 0)
		return fail(err, "could not write the sealed file: %s", strerror(errno));
	return 0;
}

/* The chunks of in, then the end record; sums' plain side. */
static int put_chunks(sealer *s, stream *in, unsigned flags, dbc_container_stop stop,
                      void *stop_arg, dbc_container_sums *sums, dbc_container_err *err)
{
	size_t bound = ZSTD_compressBound(CHUNK_DEFAULT);
	/* why: two chunk buffers for the whole encode, freed below */
	unsigned char *plain = malloc(CHUNK_DEFAULT), *packed = malloc(bound);
	ZSTD_CCtx *z = (flags & DBC_CONTAINER_ZSTD) ? ZSTD_createCCtx() : NULL;
	int rc =
	    !plain || !packed || ((flags & DBC_CONTAINER_ZSTD) && !z) ? fail(err, "out of memory") : 0;
	for (ssize_t n = CHUNK_DEFAULT; rc == 0 && n == CHUNK_DEFAULT;) {
		if (stop && stop(stop_arg)) {
			rc = fail(err, "stopped");
			break;
		}
		if ((n = stream_read(in, plain, CHUNK_DEFAULT)) <= 0) {
			rc = n < 0 ? fail(err, "could not read the backup: %s", strerror(errno)) : 0;
			break;
		}
		int kind = DBC_SEAL_KIND_RAW;
		const unsigned char *payload = plain;
		size_t stored = (size_t)n;
		size_t c = z ? ZSTD_compressCCtx(z, packed, bound, plain, (size_t)n, ZSTD_LEVEL) : 0;
		if (z && ZSTD_isError(c))
			rc = fail(err, "zstd: %s", ZSTD_getErrorName(c));
		else if (z && c < (size_t)n) /* else the chunk is kept as it is */
			kind = DBC_SEAL_KIND_ZSTD, payload = packed, stored = c;
		if (rc == 0)
			rc = put_chunk(s, kind, payload, (uint32_t)stored, (uint32_t)n, err);
	}
	unsigned char end[DBC_SEAL_END_LEN];
	put_u64(end, (uint64_t)in->bytes);
	if (stream_close(in, end + 8) != 0 && rc == 0)
		rc = fail(err, "SHA-256 failed");
	if (rc == 0)
		rc = put_chunk(s, DBC_SEAL_KIND_END, end, DBC_SEAL_END_LEN, 0, err);
	if (rc == 0 && sums)
		hex_of(end + 8, 32, sums->plain_sha256), sums->plain_bytes = in->bytes;
	ZSTD_freeCCtx(z);
	/* why: the buffers allocated above */
	free(plain);
	free(packed);
	return rc;
}

int dbc_container_encode(int in_fd, int out_fd, unsigned flags, const dbc_container_key *key,
                         const char *origin, dbc_container_stop stop, void *stop_arg,
                         dbc_container_sums *sums, dbc_container_err *err)
{
	size_t olen = origin ? strlen(origin) : 0;
	if (flags & ~(DBC_CONTAINER_ZSTD | DBC_CONTAINER_ENCRYPT))
		return fail(err, "unknown sealing flags");
	if ((flags & DBC_CONTAINER_ENCRYPT) && !(key && key->set))
		return fail(err, "no encryption key");
	if (olen > DBC_CONTAINER_ORIGIN_MAX)
		return fail(err, "the origin text is longer than %d bytes", DBC_CONTAINER_ORIGIN_MAX);
	if (sodium_init() < 0)
		return fail(err, "libsodium could not start");
	sealer s;
	stream in;
	/* both opened whatever the first gives: both are closed below */
	bool out_opened = stream_open(&s.out, out_fd) == 0;
	bool opened = (stream_open(&in, in_fd) == 0) && out_opened;
	/* why: the buffer of the sealed messages, freed below */
	s.crypt = malloc(ZSTD_compressBound(CHUNK_DEFAULT) + DBC_SEAL_TAG_V2);
	int rc = !s.crypt || !opened
	             ? fail(err, "out of memory")
	             : write_header(&s, flags, flags & DBC_CONTAINER_ENCRYPT ? key : &public_key,
	                            origin, olen, err);
	if (rc == 0)
		rc = put_chunks(&s, &in, flags, stop, stop_arg, sums, err);
	if (rc == 0 && sums) {
		sums->sealed_bytes = s.out.bytes;
		stream_sha256(&s.out, sums->sealed_sha256);
	}
	stream_close(&s.out, NULL);
	stream_close(&in, NULL);
	sodium_memzero(&s.st, sizeof s.st);
	/* why: the buffer allocated above */
	free(s.crypt);
	return rc;
}

/* ---- decode (either format) */

/* Format 2's stream started from the header's, and its first message (the
 * header's tag, over its hlen bytes) pulled: 0, or -1 when it does not
 * authenticate. */
static int start_stream(dbc_seal_reader *r, const unsigned char *header, size_t hlen)
{
	unsigned char tag = 0;
	if (!(r->h->flags & DBC_CONTAINER_ENCRYPT))
		r->key = &public_key;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->v2, r->h->nonce, r->key->bytes) != 0 ||
	    PULL(&r->v2, NULL, NULL, &tag, header + hlen, DBC_SEAL_TAG_V2, header, hlen) != 0)
		return -1;
	return tag == TAG_MESSAGE ? 0 : -1;
}

/* Reads and checks the header (its tag: with the key when encrypted) and
 * starts r on it. 0, or -1 with err saying why (err->key: the key). */
static int read_header(stream *in, const dbc_container_key *key, dbc_container_header *h,
                       dbc_seal_reader *r, dbc_container_err *err)
{
	unsigned char header[FIXED_MAX + DBC_CONTAINER_ORIGIN_MAX + DBC_SEAL_TAG_V2];
	size_t have = 0;
	int got = 0;
	while (got == 0) {
		got = dbc_container_parse_header(header, have, h, err);
		if (got != 0)
			break;
		ssize_t k = stream_read(in, header + have, h->length - have);
		if (k < 0)
			return fail(err, "cannot read it: %s", strerror(errno));
		if (k == 0)
			return fail(err, "it is cut short (in its header)");
		have += (size_t)k;
	}
	if (got < 0)
		return -1;
	bool keyed = key && key->set;
	unsigned char id[8] = {0};
	if (keyed)
		key_id(key, id);
	if ((h->flags & DBC_CONTAINER_ENCRYPT) && (!keyed || memcmp(id, h->key_id, 8) != 0)) {
		if (err)
			err->key = true;
		return fail(err, keyed ? "it was encrypted with another key (a wrong key, or a damaged "
		                         "header)"
		                       : "it is encrypted and no key was given");
	}
	size_t hlen = h->length - tag_len(h->version);
	*r = (dbc_seal_reader){.h = h, .key = key};
	int bad = h->version == 1 ? dbc_seal_v1_header(r, header, hlen, header + hlen)
	                          : start_stream(r, header, hlen);
	return bad ? fail(err, "its header is damaged (its tag does not match)") : 0;
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

/* Chunk i's body authenticated by r: 0 when its tag matches. */
static int authenticate(dbc_seal_reader *r, uint64_t i, const unsigned char *head, opened_chunk *c)
{
	if (r->h->version == 1)
		return dbc_seal_v1_chunk(r, i, head, c->payload, c->stored, c->clear, &c->body);
	unsigned char tag;
	c->body = c->clear;
	return PULL(&r->v2, c->clear, NULL, &tag, c->payload, c->stored + DBC_SEAL_TAG_V2, head,
	            DBC_SEAL_HEAD) != 0 ||
	       (tag == TAG_FINAL) != (c->kind == DBC_SEAL_KIND_END);
}

/* Reads chunk i (its head, then its payload and tag) and checks its lengths
 * against the header and its tag; 0, or -1 with err saying why. */
static int open_chunk(stream *in, dbc_seal_reader *r, uint64_t i, size_t bound, opened_chunk *c,
                      dbc_container_err *err)
{
	unsigned char head[DBC_SEAL_HEAD];
	const dbc_container_header *h = r->h;
	ssize_t k = stream_read(in, head, DBC_SEAL_HEAD);
	if (k != DBC_SEAL_HEAD)
		return fail(err, k < 0 ? "cannot read it" : "it is cut short (chunk %llu, no end record)",
		            (unsigned long long)i);
	uint32_t stored = get_u32(head), plen = get_u32(head + 4);
	int kind = head[8];
	bool sane =
	    (kind == DBC_SEAL_KIND_RAW && stored == plen && plen > 0 && plen <= h->chunk_size) ||
	    (kind == DBC_SEAL_KIND_ZSTD && (h->flags & DBC_CONTAINER_ZSTD) && stored > 0 &&
	     stored <= bound && plen > 0 && plen <= h->chunk_size) ||
	    (kind == DBC_SEAL_KIND_END && stored == DBC_SEAL_END_LEN && plen == 0);
	if (!sane)
		return fail(err, "chunk %llu is damaged (its lengths or kind)", (unsigned long long)i);
	size_t want = (size_t)stored + tag_len(h->version);
	k = stream_read(in, c->payload, want);
	if (k != (ssize_t)want)
		return fail(err, k < 0 ? "cannot read it" : "it is cut short (in chunk %llu)",
		            (unsigned long long)i);
	c->kind = kind;
	c->stored = stored;
	c->plen = plen;
	if (authenticate(r, i, head, c) != 0)
		return fail(err, "chunk %llu is damaged (its authentication tag does not match)",
		            (unsigned long long)i);
	return 0;
}

/* The buffers and state of one decode. */
typedef struct opener {
	stream in, out;
	dbc_container_header h;
	dbc_seal_reader r;
	size_t bound;
	unsigned char *payload, *clear, *plain;
	ZSTD_DCtx *z;
} opener;

/* The chunks up to the end record, written to o->out; the plain SHA-256
 * and size in sums. 0, or -1 with err saying why. */
static int open_chunks(opener *o, dbc_container_stop stop, void *stop_arg, dbc_container_sums *sums,
                       dbc_container_err *err)
{
	uint64_t total = 0;
	for (uint64_t i = 0;; i++) {
		if (stop && stop(stop_arg))
			return fail(err, "stopped");
		opened_chunk c = {.payload = o->payload, .clear = o->clear};
		if (open_chunk(&o->in, &o->r, i, o->bound, &c, err) != 0)
			return -1;
		if (c.kind == DBC_SEAL_KIND_END) {
			unsigned char md[32];
			if (stream_close(&o->out, md) != 0 || get_u64(c.body) != total ||
			    memcmp(md, c.body + 8, 32) != 0)
				return fail(err, "its content does not match its end record");
			if (sums)
				hex_of(md, 32, sums->plain_sha256), sums->plain_bytes = (int64_t)total;
			return 0;
		}
		const unsigned char *bytes = c.body;
		if (c.kind == DBC_SEAL_KIND_ZSTD) {
			size_t d = ZSTD_decompressDCtx(o->z, o->plain, o->h.chunk_size, c.body, c.stored);
			if (ZSTD_isError(d) || d != c.plen)
				return fail(err, "chunk %llu does not decompress to its length",
				            (unsigned long long)i);
			bytes = o->plain;
		}
		if (stream_write(&o->out, bytes, c.plen) != 0) /* hashed as written */
			return fail(err, "could not write the opened backup: %s", strerror(errno));
		total += c.plen;
	}
}

int dbc_container_decode(int in_fd, int out_fd, const dbc_container_key *key,
                         dbc_container_stop stop, void *stop_arg, dbc_container_sums *sums,
                         dbc_container_err *err)
{
	opener o = {0};
	if (err)
		err->key = false;
	if (sodium_init() < 0)
		return fail(err, "libsodium could not start");
	/* both opened whatever the first gives: both are closed below */
	bool in_opened = stream_open(&o.in, in_fd) == 0;
	bool opened = (stream_open(&o.out, out_fd) == 0) && in_opened;
	if (!opened || read_header(&o.in, key, &o.h, &o.r, err) != 0) {
		stream_close(&o.in, NULL);
		stream_close(&o.out, NULL);
		return opened ? -1 : fail(err, "out of memory");
	}
	o.bound = ZSTD_compressBound(o.h.chunk_size);
	/* why: the chunk buffers of this decode, freed below */
	o.payload = malloc(o.bound + DBC_SEAL_TAG_V2);
	o.clear = malloc(o.bound);
	o.plain = malloc(o.h.chunk_size);
	o.z = ZSTD_createDCtx();
	int rc = !o.payload || !o.clear || !o.plain || !o.z
	             ? fail(err, "out of memory")
	             : open_chunks(&o, stop, stop_arg, sums, err);
	unsigned char extra;
	if (rc == 0 && stream_read(&o.in, &extra, 1) != 0)
		rc = fail(err, "it has bytes after its end record");
	if (rc == 0 && sums) {
		sums->sealed_bytes = o.in.bytes;
		stream_sha256(&o.in, sums->sealed_sha256);
	}
	stream_close(&o.in, NULL);
	stream_close(&o.out, NULL);
	sodium_memzero(&o.r, sizeof o.r);
	ZSTD_freeDCtx(o.z);
	/* why: the buffers allocated above */
	free(o.payload);
	free(o.clear);
	free(o.plain);
	return rc;
}

int dbc_container_peek(int in_fd, const dbc_container_key *key, dbc_container_sums *sums,
                       dbc_container_err *err)
{
	int rc = dbc_container_decode(in_fd, -1, key, NULL, NULL, sums, err);
	if (rc == 0 && sums)
		sums->sealed_sha256[0] = '\0';
	return rc;
}

int dbc_container_header_read(const char *path, const dbc_container_key *key,
                              dbc_container_header *h, dbc_container_err *err)
{
	stream in;
	dbc_seal_reader r;
	if (err)
		err->key = false;
	if (sodium_init() < 0)
		return fail(err, "libsodium could not start");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(err, "cannot read it: %s", strerror(errno));
	int rc =
	    stream_open(&in, fd) != 0 ? fail(err, "out of memory") : read_header(&in, key, h, &r, err);
	stream_close(&in, NULL);
	sodium_memzero(&r, sizeof r);
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
