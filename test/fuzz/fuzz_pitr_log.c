/*
 * fuzz_pitr_log.c — the point-in-time log's record reader (sqlite/
 * pitr_log.c) over any bytes: what `dbcare restore --to-time`, `dbcare log
 * status` and a capture continuing a log read from a log directory copied
 * from elsewhere or left on a damaged disk. The input's first byte says
 * how the rest is read: bit 0, its records' checks recomputed (each
 * "DBCK" record's CRC-32C, each "DBCR" record's SHA-256, where its length
 * fits: so the parser behind the check is reached, as by a log someone
 * wrote on purpose); the rest is the segment file, from its magic.
 *
 * Whatever the bytes: the file is read to an end (every step moves on),
 * no allocation is larger than the file, and every record the reader
 * gives is one a restore can apply without more checks: a base names a
 * file inside the log directory, has a page size SQLite can have, a
 * SHA-256 in hex and at least one page; a commit has at least one page,
 * its pages whole, none numbered 0; row counts are "table<TAB>digits<LF>"
 * lines; every time is a moment of the calendar (0 to year 9999) and
 * prints. The cheap header reader and the check alone agree with it. The
 * same bytes are read as log.progress too (pitr_end: log status and
 * restore --to-time latest compare the log's end with it).
 */
#include "fuzz.h"

#include "base/sha256.h"
#include "../sqlite/pitr/pitr_crc32c.h"
#include "../sqlite/pitr/pitr_end.h"
#include "../sqlite/pitr/pitr_log.h"

#include <string.h>
#include <unistd.h>

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Each record's check recomputed, from the segment's magic on, as long as
 * a record's stated length fits in what is left. */
static void fix_checks(dbc_ctx *ctx, uint8_t *seg, size_t n)
{
	size_t off = 8;
	while (off + 20 <= n) {
		uint32_t magic = get32(seg + off);
		size_t pl = get32(seg + off + 8);
		bool v1 = magic == 0x52434244u; /* "DBCR" */
		size_t ck = v1 ? 32 : 4;
		if (!pitr_record_magic(seg + off) || pl > n - off - 20 || ck > n - off - 20 - pl)
			return;
		uint8_t *check = seg + off + 20 + pl;
		if (v1) {
			dbc_sha256 *h = dbc_sha256_begin(ctx);
			FUZZ_ASSERT(h, "a SHA-256 context");
			dbc_sha256_digest(ctx, h, seg + off, 20 + pl, check);
			dbc_sha256_abort(h);
		} else {
			put32(check, pitr_crc32c(seg + off, 20 + pl));
		}
		off += 20 + pl + ck;
	}
}

static bool hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

static bool rows_lines(const char *rows)
{
	for (const char *p = rows; *p;) {
		const char *tab = strchr(p, '\t'), *end = tab ? strchr(tab, '\n') : NULL;
		if (!tab || !end || tab == p || end == tab + 1 ||
		    strspn(tab + 1, "0123456789") != (size_t)(end - tab - 1))
			return false;
		p = end + 1;
	}
	return true;
}

/* A time as the command prints it: a NUL-terminated text in its 32 bytes. */
static void check_time_text(int64_t ms)
{
	char buf[32];
	memset(buf, 'x', sizeof buf);
	pitr_time_text(ms, buf);
	FUZZ_ASSERT(memchr(buf, '\0', sizeof buf), "a time's text ends");
}

/* What a restore relies on in a record the reader gave. */
static void check_record(const pitr_rec *r, uint32_t page_size)
{
	FUZZ_ASSERT(r->time_ms >= 0 && r->time_ms <= INT64_C(253402300799999),
	            "a record's time is a moment of the calendar");
	check_time_text(r->time_ms);
	if (r->type == PITR_REC_BASE) {
		uint32_t ps = r->page_size;
		FUZZ_ASSERT(ps >= 512 && ps <= 65536 && (ps & (ps - 1)) == 0, "a base's page size");
		FUZZ_ASSERT(r->base_name && r->base_name[0] && r->base_name[0] != '.' &&
		                !strchr(r->base_name, '/'),
		            "a base's name: a file of the log directory");
		FUZZ_ASSERT(hex64(r->base_sha), "a base's SHA-256 in hex");
		FUZZ_ASSERT(r->db_pages >= 1, "a base of at least one page");
	} else if (r->type == PITR_REC_COMMIT) {
		size_t step = 4 + (size_t)page_size;
		FUZZ_ASSERT(page_size && r->pages_len == (size_t)r->npages * step, "a commit's pages");
		FUZZ_ASSERT(r->db_pages >= 1, "a commit leaves at least one page");
		for (uint32_t i = 0; i < r->npages; i++)
			FUZZ_ASSERT(get32(r->pages + i * step) != 0, "no page 0");
	} else if (r->type == PITR_REC_ROWS) {
		FUZZ_ASSERT(r->rows && rows_lines(r->rows), "row counts in lines");
	} else {
		FUZZ_ASSERT(r->type == PITR_REC_HEARTBEAT || r->type == PITR_REC_RESUME, "a known type");
	}
}

/* Every record by pitr_read; the header reader and the check alone agree
 * on each record it gives. */
static void read_all(FILE *f)
{
	pitr_rec r, h;
	off_t off, hoff, last = -1;
	uint32_t page_size = 0;
	int got;
	fseeko(f, 8, SEEK_SET);
	while ((got = pitr_read(f, page_size, &r, &off)) > 0) {
		FUZZ_ASSERT(off > last, "the reader moves on");
		last = off;
		check_record(&r, page_size);
		if (r.type == PITR_REC_BASE)
			page_size = r.page_size;
		off_t next = ftello(f);
		FUZZ_ASSERT(fseeko(f, off, SEEK_SET) == 0 && pitr_read_header(f, &h, &hoff) == 1,
		            "a record read whole has a header");
		FUZZ_ASSERT(h.type == r.type && h.time_ms == r.time_ms && h.seq == r.seq &&
		                h.epoch == r.epoch,
		            "the header reader agrees");
		FUZZ_ASSERT(fseeko(f, off, SEEK_SET) == 0 && pitr_record_intact(f) == 1,
		            "a record read whole is intact");
		fseeko(f, next, SEEK_SET);
		pitr_rec_free(&r);
	}
	FUZZ_ASSERT(got == 0 || got == -1 || got == -2, "an end, a torn tail or damage");
}

/* Every header by pitr_read_header, as log status reads them. */
static void read_headers(FILE *f)
{
	pitr_rec h;
	off_t off, last = -1;
	fseeko(f, 8, SEEK_SET);
	for (int i = 0; pitr_read_header(f, &h, &off) > 0; i++) {
		FUZZ_ASSERT(off > last, "the header reader moves on");
		FUZZ_ASSERT(h.time_ms >= 0 && h.time_ms <= INT64_C(253402300799999),
		            "a header's time is a moment of the calendar");
		last = off;
	}
}

static char dir[64];
static char path[96], progress[96];

/* The log directory's files and itself, at the process's end. */
static void remove_dir(void)
{
	unlink(path);
	unlink(progress);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 + 8)
		return 0;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	pitr_log_use_host(&unit_host);
	size_t n = size - 1;
	uint8_t *seg = malloc(n);
	FUZZ_ASSERT(seg, "memory");
	memcpy(seg, data + 1, n);
	if (data[0] & 1)
		fix_checks(&ctx, seg, n);
	/* one log directory for the process (in memory where there is
	 * /dev/shm), its files written again for each input */
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/fuzz_pitr_log-XXXXXX",
		         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		FUZZ_ASSERT(mkdtemp(dir), "a log directory");
		atexit(remove_dir);
	}
	snprintf(path, sizeof path, "%s/log-00000001.dbclog", dir);
	snprintf(progress, sizeof progress, "%s/log.progress", dir);
	/* the same bytes as the segment and as log.progress (its index of
	 * the newest record: "time epoch seq") */
	for (int i = 0; i < 2; i++) {
		FILE *w = fopen(i ? progress : path, "wb");
		FUZZ_ASSERT(w && fwrite(seg, 1, n, w) == n && fclose(w) == 0, "the log's files");
	}
	pitr_end e;
	pitr_end_begin(dir, &e);
	char gap[512];
	pitr_end_gap_text(&e, gap, sizeof gap);
	check_time_text(e.progress.time_ms);
	FILE *f = fopen(path, "rb");
	FUZZ_ASSERT(f, "the segment opens");
	if (pitr_segment_magic(seg)) {
		read_all(f);
		read_headers(f);
	}
	uint32_t type;
	int64_t t;
	(void)pitr_segment_first(path, &type, &t);
	fclose(f);
	free(seg);
	FUZZ_ASSERT(!ctx.failed, "no error left");
	dbc_ctx_finish(&ctx);
	return 0;
}
