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
 * lines. The cheap header reader and the check alone agree with it.
 */
#include "fuzz.h"

#include "base/sha256.h"
#include "../sqlite/pitr_crc32c.h"
#include "../sqlite/pitr_log.h"

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

/* What a restore relies on in a record the reader gave. */
static void check_record(const pitr_rec *r, uint32_t page_size)
{
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
		last = off;
	}
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
	char path[] = "/tmp/fuzz_pitr_log-XXXXXX";
	int fd = mkstemp(path);
	FUZZ_ASSERT(fd >= 0 && write(fd, seg, n) == (ssize_t)n, "the segment file");
	close(fd);
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
	unlink(path);
	free(seg);
	FUZZ_ASSERT(!ctx.failed, "no error left");
	dbc_ctx_finish(&ctx);
	return 0;
}
