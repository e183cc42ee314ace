/*
 * pitr_log.c — the point-in-time log's records and files (pitr_log.h):
 * encoding, the SHA-256 that closes every record, segment names, times.
 * One file for both builds of the log's code (pitr_sqlite.h): the module's
 * capture and the command's capture, restore, status and prune read and
 * write the log through it alone. Heap memory (malloc): records and lists
 * outlive any SQL call.
 *
 * Built three ways (Makefile): into the SQLite module; with
 * DBC_PITR_LINKED into the command (PITR_SHARED); into the fuzz targets
 * (FUZZ_OBJS). It calls no SQLite routine, so nothing in it differs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include "pitr_log.h"
#include "pitr_crc32c.h"

#include "base/sha256.h"
#include "base/heap_grow.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REC_MAGIC    0x4b434244u /* "DBCK": closed by a CRC-32C */
#define REC_MAGIC_V1 0x52434244u /* "DBCR": closed by a SHA-256 (the first format) */
#define REC_HDR      20
#define COMMON       36 /* epoch, seq, db pages, WAL position */
#define MAX_PAYLOAD  ((size_t)1 << 31)
/* The latest time a record may carry: 9999-12-31 23:59:59.999 UTC (a
 * time the calendar prints in four digits); one before 1970 or after it
 * is damage, never a moment. */
#define MAX_TIME_MS INT64_C(253402300799999)

static const dbc_host *digest_host;

void pitr_log_use_host(const dbc_host *host)
{
	digest_host = host;
}

/* The raw SHA-256 of data (a record of the first format, only ever read)
 * on a context of its own, freed before it returns: the reader keeps no
 * state of its own between records, so no thread or connection that read
 * a log (a module's capture continuing an old log, on any thread) leaves
 * a context behind when it ends. */
static int rec_digest(const void *data, size_t len, unsigned char md[32])
{
	if (!digest_host)
		return -1;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, digest_host, NULL);
	dbc_sha256 *h = dbc_sha256_begin(&ctx);
	int rc = h && dbc_sha256_digest(&ctx, h, data, len, md) == DBC_OK ? 0 : -1;
	dbc_sha256_abort(h);
	dbc_ctx_finish(&ctx);
	return rc;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The check that closes a record whose magic is magic: its length, and
 * whether the n bytes at data are closed by check (1), are not (0), or
 * it cannot be computed (-1: no memory for a SHA-256). */
static size_t check_len(uint32_t magic)
{
	return magic == REC_MAGIC_V1 ? 32 : 4;
}

static int check_ok(uint32_t magic, const unsigned char *data, size_t n, const unsigned char *check)
{
	if (magic == REC_MAGIC)
		return pitr_crc32c(data, n) == get32(check);
	unsigned char md[32];
	if (rec_digest(data, n, md) != 0)
		return -1;
	return memcmp(md, check, 32) == 0;
}

void pitr_rec_free(pitr_rec *r)
{
	free(r->base_name);
	free(r->rows);
	free(r->pages);
	memset(r, 0, sizeof *r);
}

uint32_t pitr_commit_max_pages(size_t limit, uint32_t page_size)
{
	size_t page = 4 + (size_t)page_size;
	if (!limit || limit > MAX_PAYLOAD)
		limit = MAX_PAYLOAD;
	size_t n = limit > COMMON + 4 + page ? (limit - COMMON - 4) / page : 1;
	return n < UINT32_MAX ? (uint32_t)n : UINT32_MAX;
}

static size_t payload_len(const pitr_rec *r, const wal_commit *c, uint32_t page_size)
{
	if (r->type == PITR_REC_COMMIT)
		return COMMON + 4 + (size_t)c->npages * (4 + page_size);
	if (r->type == PITR_REC_BASE)
		return COMMON + 4 + 64 + 4 + strlen(r->base_name);
	if (r->type == PITR_REC_ROWS)
		return COMMON + strlen(r->rows);
	return COMMON;
}

static void put_payload(unsigned char *p, const pitr_rec *r, const wal_commit *c,
                        uint32_t page_size)
{
	put32(p, r->epoch);
	put64(p + 4, r->seq);
	put32(p + 12, r->db_pages);
	const uint32_t pos[5] = {r->pos.salt1, r->pos.salt2, r->pos.frame, r->pos.ck1, r->pos.ck2};
	for (int i = 0; i < 5; i++)
		put32(p + 16 + 4 * i, pos[i]);
	p += COMMON;
	if (r->type == PITR_REC_COMMIT) {
		put32(p, c->npages);
		p += 4;
		for (uint32_t i = 0; i < c->npages; i++) {
			put32(p, c->pgno[i]);
			memcpy(p + 4, c->data + (size_t)i * page_size, page_size);
			p += 4 + page_size;
		}
	} else if (r->type == PITR_REC_BASE) {
		size_t n = strlen(r->base_name);
		put32(p, r->page_size);
		memcpy(p + 4, r->base_sha, 64);
		put32(p + 68, (uint32_t)n);
		memcpy(p + 72, r->base_name, n);
	} else if (r->type == PITR_REC_ROWS) {
		memcpy(p, r->rows, strlen(r->rows));
	}
}

int pitr_write(int fd, off_t *len, const pitr_rec *r, const wal_commit *c, uint32_t page_size,
               pitr_buf *buf)
{
	size_t pl = payload_len(r, c, page_size), n = REC_HDR + pl + 4;
	if (n > buf->cap) {
		free(buf->p);
		buf->cap = 0;
		if (!(buf->p = malloc(n)))
			return -1;
		buf->cap = n;
	}
	unsigned char *b = buf->p;
	put32(b, REC_MAGIC);
	put32(b + 4, r->type | (r->behind ? PITR_REC_BEHIND : 0));
	put32(b + 8, (uint32_t)pl);
	put64(b + 12, (uint64_t)r->time_ms);
	put_payload(b + REC_HDR, r, c, page_size);
	put32(b + REC_HDR + pl, pitr_crc32c(b, REC_HDR + pl));
	int rc = 0;
	size_t done = 0;
	while (rc == 0 && done < n) {
		ssize_t w = pwrite(fd, b + done, n - done, *len + (off_t)done);
		if (w < 0 && errno != EINTR)
			rc = -1;
		else if (w > 0)
			done += (size_t)w;
	}
	if (buf->cap > WAL_BUFS_KEEP) { /* a large commit's: not kept */
		free(buf->p);
		*buf = (pitr_buf){0};
	}
	if (rc == 0)
		*len += (off_t)n;
	return rc;
}

/* Whether page_size is one SQLite can have (a power of two, 512 to 64 KiB). */
static bool page_size_valid(uint32_t page_size)
{
	return page_size >= 512 && page_size <= 65536 && (page_size & (page_size - 1)) == 0;
}

/* Whether the n bytes at name are a base's name a restore may open: a file
 * of the log directory itself (no '/', not "." or "..", nor hidden), in
 * printable ASCII. */
static bool base_name_valid(const unsigned char *name, size_t n)
{
	if (n == 0 || n > 255 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] > '~' || name[i] == '/')
			return false;
	return true;
}

/* Whether the 64 bytes at p are a SHA-256 in lowercase hex. */
static bool sha_hex_valid(const unsigned char *p)
{
	for (int i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* Whether the n bytes at p are row counts: "table<TAB>digits<LF>" lines
 * (a table name of anything but a tab, a newline or NUL). */
static bool rows_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t name = i, digits;
		while (i < n && p[i] != '\t' && p[i] != '\n' && p[i] != '\0')
			i++;
		if (i == name || i == n || p[i] != '\t')
			return false;
		for (digits = ++i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == digits || i - digits > 18 || i == n || p[i] != '\n')
			return false;
		i++;
	}
	return true;
}

/* Whether the n pages of a commit (u32 page number, page) are numbered
 * from 1: SQLite has no page 0 (a restore would write it before the file). */
static bool pages_valid(const unsigned char *p, uint32_t n, uint32_t page_size)
{
	for (uint32_t i = 0; i < n; i++)
		if (get32(p + (size_t)i * (4 + page_size)) == 0)
			return false;
	return true;
}

/* The n bytes at p as a string (malloc'd; NULL: out of memory). A
 * record's text runs to its payload's end with no terminator, and the
 * caller checked it holds no NUL; not strndup, whose strict checkers
 * (ASan's strict_string_checks) read its argument to a terminator. */
static char *bytes_dup(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* The payload of a record read whole and checked, into r; a commit's
 * pages stay where they are (r->pages_len set, r->pages left to the
 * caller, which hands over its buffer: no second copy of a commit that may
 * be the size of the database). What a restore relies on is checked here,
 * the one reader of the log (a log may come from anywhere): a record that
 * passes its check but breaks the format is damage all the same. */
static int parse_payload(const unsigned char *p, size_t pl, uint32_t page_size, pitr_rec *r)
{
	if (pl < COMMON)
		return -1;
	r->epoch = get32(p);
	r->seq = get64(p + 4);
	r->db_pages = get32(p + 12);
	r->pos = (wal_pos){get32(p + 16), get32(p + 20), get32(p + 24), get32(p + 28), get32(p + 32)};
	p += COMMON;
	pl -= COMMON;
	if (r->type == PITR_REC_COMMIT) {
		if (pl < 4 || page_size == 0 || r->db_pages == 0)
			return -1;
		r->npages = get32(p);
		if (pl - 4 != (size_t)r->npages * (4 + page_size) || r->npages == 0 ||
		    !pages_valid(p + 4, r->npages, page_size))
			return -1;
		r->pages_len = pl - 4;
	} else if (r->type == PITR_REC_BASE) {
		if (pl < 72 || pl - 72 != get32(p + 68) || !page_size_valid(get32(p)) || r->db_pages == 0 ||
		    !sha_hex_valid(p + 4) || !base_name_valid(p + 72, pl - 72) ||
		    !(r->base_name = bytes_dup(p + 72, pl - 72)))
			return -1;
		r->page_size = get32(p);
		memcpy(r->base_sha, p + 4, 64);
		r->base_sha[64] = '\0';
	} else if (r->type == PITR_REC_ROWS) {
		if (!rows_valid(p, pl) || !(r->rows = bytes_dup(p, pl)))
			return -1;
	} else if ((r->type != PITR_REC_HEARTBEAT && r->type != PITR_REC_RESUME) || pl != 0) {
		return -1;
	}
	return 0;
}

/* Whether a whole record with a matching check starts anywhere in the
 * n bytes of rest: then a record before it that fails is damage, not a
 * tail the file ends inside. */
static bool valid_record_within(const unsigned char *rest, size_t n)
{
	for (size_t i = 0; i + REC_HDR + 4 <= n; i++) {
		uint32_t magic = get32(rest + i);
		if (magic != REC_MAGIC && magic != REC_MAGIC_V1)
			continue;
		size_t pl = get32(rest + i + 8), ck = check_len(magic);
		if (pl > n - i - REC_HDR || ck > n - i - REC_HDR - pl)
			continue;
		if (check_ok(magic, rest + i, REC_HDR + pl, rest + i + REC_HDR + pl) != 0)
			return true; /* unreadable (no memory) counts as found */
	}
	return false;
}

/* A record at off that the file ends inside: -1 (a torn tail) unless a
 * valid record follows in what the file holds after off (-2, damage). */
static int classify_short(FILE *f, off_t off)
{
	if (fseeko(f, 0, SEEK_END) != 0)
		return -2;
	off_t end = ftello(f);
	if (end <= off + 1 || fseeko(f, off + 1, SEEK_SET) != 0)
		return end < 0 ? -2 : -1;
	size_t n = (size_t)(end - off - 1);
	unsigned char *rest = malloc(n);
	int rc = !rest || fread(rest, 1, n, f) != n || valid_record_within(rest, n) ? -2 : -1;
	free(rest);
	fseeko(f, end, SEEK_SET);
	return rc;
}

/* Reads the record at f's position whole, its header first, into *b
 * (malloc'd): 1, with *pl its payload's length, *magic its format and
 * *sound whether its check holds; 0 when f ends before a header; -1 when f
 * ends inside the record; -2 when its header is no record's; -3 without
 * memory. *b is NULL unless 1. */
static int read_whole(FILE *f, unsigned char **b, size_t *pl, uint32_t *magic, bool *sound)
{
	unsigned char h[REC_HDR];
	*b = NULL;
	size_t got = fread(h, 1, REC_HDR, f);
	if (got == 0 && feof(f))
		return 0;
	if (got != REC_HDR)
		return -1;
	*magic = get32(h);
	if ((*magic != REC_MAGIC && *magic != REC_MAGIC_V1) || get32(h + 8) > MAX_PAYLOAD)
		return -2;
	*pl = get32(h + 8);
	size_t ck = check_len(*magic);
	/* never more memory than the file holds: a length the file ends
	 * before (a torn tail, or damage that claims up to 2 GB) is not read */
	struct stat st;
	off_t at = ftello(f);
	if (at < 0 || fstat(fileno(f), &st) != 0 || st.st_size < at ||
	    (uint64_t)(st.st_size - at) < (uint64_t)*pl + ck)
		return -1;
	if (!(*b = malloc(REC_HDR + *pl + ck)))
		return -3;
	memcpy(*b, h, REC_HDR);
	if (fread(*b + REC_HDR, 1, *pl + ck, f) != *pl + ck) {
		free(*b);
		*b = NULL;
		return -1;
	}
	*sound = check_ok(*magic, *b, REC_HDR + *pl, *b + REC_HDR + *pl) == 1;
	return 1;
}

int pitr_read(FILE *f, uint32_t page_size, pitr_rec *r, off_t *off)
{
	unsigned char *b;
	size_t pl = 0;
	uint32_t magic = 0;
	bool sound = false;
	memset(r, 0, sizeof *r);
	*off = ftello(f);
	int got = read_whole(f, &b, &pl, &magic, &sound);
	if (got == 0)
		return 0;
	if (got == -1)
		return classify_short(f, *off);
	if (got != 1)
		return -2;
	r->type = get32(b + 4) & ~PITR_REC_BEHIND;
	r->behind = (get32(b + 4) & PITR_REC_BEHIND) != 0 && r->type == PITR_REC_COMMIT;
	r->time_ms = (int64_t)get64(b + 12);
	int rc = sound && r->time_ms >= 0 && r->time_ms <= MAX_TIME_MS ? 0 : -2;
	if (rc == 0)
		rc = parse_payload(b + REC_HDR, pl, page_size, r) == 0 ? 0 : -2;
	if (rc == 0 && r->type == PITR_REC_COMMIT) {
		/* the pages moved to the front of the record's own buffer */
		memmove(b, b + REC_HDR + COMMON + 4, r->pages_len);
		r->pages = b;
		b = NULL;
	}
	free(b);
	if (rc != 0)
		pitr_rec_free(r);
	return rc == 0 ? 1 : rc;
}

int pitr_record_intact(FILE *f)
{
	unsigned char *b;
	size_t pl;
	uint32_t magic;
	bool sound = false;
	int got = read_whole(f, &b, &pl, &magic, &sound);
	free(b);
	return got == 1 ? (sound ? 1 : -2) : got == -2 ? -2 : -1;
}

bool pitr_segment_magic(const void *m)
{
	return memcmp(m, PITR_SEG_MAGIC, 8) == 0 || memcmp(m, PITR_SEG_MAGIC_V2, 8) == 0 ||
	       memcmp(m, PITR_SEG_MAGIC_V1, 8) == 0;
}

bool pitr_segment_newer(const void *m)
{
	const char *s = m;
	return memcmp(s, "DBCLOG", 6) == 0 && s[6] >= '0' && s[6] <= '9' && s[7] >= '0' &&
	       s[7] <= '9' && memcmp(s, PITR_SEG_MAGIC, 8) > 0;
}

bool pitr_record_magic(const void *p)
{
	uint32_t magic = get32(p);
	return magic == REC_MAGIC || magic == REC_MAGIC_V1;
}

bool pitr_segment_first(const char *path, uint32_t *type, int64_t *time_ms)
{
	unsigned char h[8 + REC_HDR];
	FILE *f = pitr_file_fopen(path);
	bool found = f && fread(h, 1, sizeof h, f) == sizeof h && pitr_segment_magic(h) &&
	             pitr_record_magic(h + 8);
	if (f)
		fclose(f);
	if (found) {
		*type = get32(h + 12) & ~PITR_REC_BEHIND;
		*time_ms = (int64_t)get64(h + 20);
	}
	return found;
}

int pitr_read_header(FILE *f, pitr_rec *r, off_t *off)
{
	unsigned char h[REC_HDR + COMMON];
	memset(r, 0, sizeof *r);
	*off = ftello(f);
	size_t got = fread(h, 1, sizeof h, f);
	if (got == 0 && feof(f))
		return 0;
	if (got >= 4 && !pitr_record_magic(h))
		return -2;
	if (got != sizeof h)
		return -1;
	uint32_t len = get32(h + 8);
	if (len < COMMON || len > MAX_PAYLOAD)
		return -2;
	/* whole only if its last byte is there */
	off_t last = *off + REC_HDR + (off_t)len + (off_t)check_len(get32(h)) - 1;
	if (fseeko(f, last, SEEK_SET) != 0 || fgetc(f) == EOF) {
		fseeko(f, *off, SEEK_SET);
		return -1;
	}
	r->type = get32(h + 4) & ~PITR_REC_BEHIND;
	r->behind = (get32(h + 4) & PITR_REC_BEHIND) != 0 && r->type == PITR_REC_COMMIT;
	r->time_ms = (int64_t)get64(h + 12);
	if (r->time_ms < 0 || r->time_ms > MAX_TIME_MS)
		return -2;
	const unsigned char *p = h + REC_HDR;
	r->epoch = get32(p);
	r->seq = get64(p + 4);
	r->db_pages = get32(p + 12);
	r->pos = (wal_pos){get32(p + 16), get32(p + 20), get32(p + 24), get32(p + 28), get32(p + 32)};
	return 1;
}

bool pitr_segment_superseded(const char *path)
{
	if (!pitr_segment_open(path))
		return false;
	char *closed = strndup(path, strlen(path) - 5);
	bool twin = closed && access(closed, F_OK) == 0;
	free(closed);
	return twin;
}

uint64_t pitr_segment_seq(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return strtoull(b + 4, NULL, 10);
}

bool pitr_segment_open(const char *path)
{
	size_t n = strlen(path);
	return n > 5 && strcmp(path + n - 5, ".open") == 0;
}

static bool segment_name(const char *name)
{
	size_t n = strlen(name);
	if (strncmp(name, "log-", 4) != 0 || n < 12 || strspn(name + 4, "0123456789") != 8)
		return false;
	return strcmp(name + 12, ".dbclog") == 0 || strcmp(name + 12, ".dbclog.open") == 0;
}

static int by_seq(const void *a, const void *b)
{
	uint64_t x = pitr_segment_seq(*(char *const *)a), y = pitr_segment_seq(*(char *const *)b);
	return x < y ? -1 : x > y;
}

char **pitr_segments(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	/* NULL-terminated: room for each name and the NULL after it */
	size_t n = 0, cap = 0;
	char **list = NULL;
	if (!dbc_heap_reserve(&list, 1, &cap, sizeof *list, 17))
		list = NULL;
	struct dirent *e;
	while (list && (e = readdir(d))) {
		if (!segment_name(e->d_name))
			continue;
		if (!dbc_heap_reserve(&list, n + 2, &cap, sizeof *list, 17) ||
		    asprintf(&list[n], "%s/%s", dir, e->d_name) < 0)
			break;
		list[++n] = NULL;
	}
	closedir(d);
	if (list)
		qsort(list, n, sizeof *list, by_seq);
	return list;
}

void pitr_free_list(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

void pitr_time_text(int64_t ms, char buf[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	size_t n = 0;
	/* a time no record holds (log.progress, written by anyone): its
	 * milliseconds as they are, never a calendar it does not fit */
	if (ms < 0 || ms > MAX_TIME_MS || !gmtime_r(&s, &tm) ||
	    !(n = strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm))) {
		snprintf(buf, 32, "%lld ms", (long long)ms);
		return;
	}
	snprintf(buf + n, 32 - n, ".%03d", (int)(ms % 1000));
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

int pitr_time_parse(const char *s, int64_t *ms)
{
	struct tm tm = {0};
	int frac = 0, nfrac = 0, used = 0;
	char sep;
	if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &sep, &tm.tm_hour,
	           &tm.tm_min, &used) != 6 ||
	    (sep != ' ' && sep != 'T'))
		return -1;
	s += used;
	if (*s == ':') {
		int n = 0;
		if (sscanf(s, ":%2d%n", &tm.tm_sec, &n) != 1)
			return -1;
		s += n;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++, nfrac++)
				if (nfrac < 3)
					frac = frac * 10 + (*s - '0');
	}
	while (nfrac > 0 && nfrac < 3)
		frac *= 10, nfrac++;
	int offset_min = 0;
	const char *zone = s;
	if (*s == 'Z')
		s++;
	else if (*s == '+' || *s == '-') {
		/* an offset from UTC: +HH, +HHMM or +HH:MM */
		int hh = 0, mm = 0, n = 0, sign = *s == '-' ? -1 : 1;
		if (sscanf(s + 1, "%2d%n", &hh, &n) != 1 || n != 2)
			return -1;
		s += 3;
		if (*s == ':')
			s++;
		if (*s && (sscanf(s, "%2d%n", &mm, &n) != 1 || n != 2))
			return -1;
		s += *s ? 2 : 0;
		if (hh > 23 || mm > 59)
			return -1;
		offset_min = sign * (hh * 60 + mm);
	}
	if (strcmp(s, " UTC") == 0 && s == zone)
		s += 4; /* as dbcare prints its times */
	if (*s)
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > days_in_month(tm.tm_year, tm.tm_mon) || tm.tm_hour < 0 || tm.tm_hour > 23 ||
	    tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 59)
		return -2;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = ((int64_t)timegm(&tm) - offset_min * 60) * 1000 + frac;
	return 0;
}

int64_t pitr_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	/* rounded up: a commit made within the millisecond after T (a time
	 * given to the millisecond) is never stamped T */
	return (int64_t)t.tv_sec * 1000 + (t.tv_nsec + 999999) / 1000000;
}
