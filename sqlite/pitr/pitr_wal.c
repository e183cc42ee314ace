/*
 * pitr_wal.c — the WAL file format (pitr_wal.h): header, frames,
 * checksums. Pure reading: nothing here writes a WAL or takes a lock; the
 * caller holds what keeps the frames it reads from being overwritten.
 *
 * Built two ways (Makefile, PITR_SHARED): into the SQLite module, and with
 * DBC_PITR_LINKED into the command. It calls no SQLite routine, so nothing
 * in it differs.
 */
#include "pitr_wal.h"
#include "base/heap_grow.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAL_HDR   32
#define FRAME_HDR 24

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* SQLite's WAL checksum of n bytes (a multiple of 8), continuing s. */
static void wal_checksum(bool big, const unsigned char *p, size_t n, uint32_t s[2])
{
	uint32_t s0 = s[0], s1 = s[1];
	for (size_t i = 0; i < n; i += 8) {
		s0 += (big ? be32(p + i) : le32(p + i)) + s1;
		s1 += (big ? be32(p + i + 4) : le32(p + i + 4)) + s0;
	}
	s[0] = s0;
	s[1] = s1;
}

static int read_at(int fd, void *buf, size_t n, off_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

int wal_read_header(int fd, wal_header *h)
{
	unsigned char b[WAL_HDR];
	int r = read_at(fd, b, sizeof b, 0);
	if (r <= 0)
		return r;
	uint32_t magic = be32(b);
	if ((magic != 0x377f0682 && magic != 0x377f0683) || be32(b + 4) != 3007000)
		return 0;
	h->big_endian_ck = magic == 0x377f0683;
	uint32_t ps = be32(b + 8);
	h->page_size = ps == 1 ? 65536 : ps;
	if (h->page_size < 512 || h->page_size > 65536 || (h->page_size & (h->page_size - 1)))
		return 0;
	uint32_t s[2] = {0, 0};
	wal_checksum(h->big_endian_ck, b, 24, s);
	if (s[0] != be32(b + 24) || s[1] != be32(b + 28))
		return 0;
	h->start = (wal_pos){be32(b + 16), be32(b + 20), 0, s[0], s[1]};
	return 1;
}

static off_t frame_offset(const wal_header *h, uint32_t frame)
{
	return WAL_HDR + (off_t)(frame - 1) * (FRAME_HDR + h->page_size);
}

/* The WAL read ahead: frames are read in runs, one pread each, the first
 * of READ_FIRST frames (a small commit's in one call, little read past
 * the WAL's end: a WAL is not cut back when it starts again) and each next
 * twice as long, up to READ_MAX bytes. */
#define READ_FIRST 4
#define READ_MAX   ((size_t)1 << 20)

typedef struct wal_reader {
	int fd;
	unsigned char *buf;
	size_t cap, len, next; /* next: how much the next refill reads */
	off_t at;              /* the file offset of buf[0] */
} wal_reader;

/* n bytes at off, from the read-ahead (refilled when off+n is not in it):
 * a pointer into it, or NULL at the end of the file (*err set on a read
 * error). */
static const unsigned char *reader_at(wal_reader *r, off_t off, size_t n, bool *err)
{
	if (off >= r->at && off + (off_t)n <= r->at + (off_t)r->len)
		return r->buf + (off - r->at);
	size_t want = n > r->next ? n : r->next, longer;
	/* the next refill twice as long, by the growth rule, up to READ_MAX */
	if (dbc_grown_capacity(r->next, r->next + 1, 1, 0, &longer) && longer <= READ_MAX)
		r->next = longer;
	if (want > r->cap) {
		unsigned char *b = realloc(r->buf, want);
		if (!b) {
			*err = true;
			return NULL;
		}
		r->buf = b;
		r->cap = want;
	}
	r->len = 0;
	r->at = off;
	while (r->len < want) {
		ssize_t got = pread(r->fd, r->buf + r->len, want - r->len, off + (off_t)r->len);
		if (got < 0) {
			*err = true;
			return NULL;
		}
		if (got == 0)
			break;
		r->len += (size_t)got;
	}
	return r->len >= n ? r->buf : NULL;
}

/* Reads frame pos->frame + 1: 1 when it is valid (pos then moves onto it,
 * *hdr and *page point to it in the read-ahead, *commit_size is its commit
 * field), 0 when the valid WAL ends before it, -1 on a read error.
 * committed: the frame is one SQLite reported committed in this
 * generation (a WAL hook's count, the generation held by a reader): its
 * header's checksums are the chain SQLite computed, taken as they are
 * (the salts still checked); else the chain is computed and compared, as
 * SQLite's recovery does, to find where the valid WAL ends. */
static int next_frame(wal_reader *rd, const wal_header *h, wal_pos *pos, bool committed,
                      const unsigned char **hdr_out, const unsigned char **page_out,
                      uint32_t *commit_size)
{
	off_t off = frame_offset(h, pos->frame + 1);
	bool err = false;
	const unsigned char *hdr = reader_at(rd, off, FRAME_HDR + h->page_size, &err);
	if (!hdr)
		return err ? -1 : 0;
	const unsigned char *page = hdr + FRAME_HDR;
	if (be32(hdr + 8) != pos->salt1 || be32(hdr + 12) != pos->salt2 || be32(hdr) == 0)
		return 0;
	uint32_t s[2] = {pos->ck1, pos->ck2};
	if (committed) {
		s[0] = be32(hdr + 16);
		s[1] = be32(hdr + 20);
	} else {
		wal_checksum(h->big_endian_ck, hdr, 8, s);
		wal_checksum(h->big_endian_ck, page, h->page_size, s);
		if (s[0] != be32(hdr + 16) || s[1] != be32(hdr + 20))
			return 0;
	}
	pos->frame++;
	pos->ck1 = s[0];
	pos->ck2 = s[1];
	*commit_size = be32(hdr + 4);
	*hdr_out = hdr;
	*page_out = page;
	return 1;
}

bool wal_has(int fd, const wal_header *h, const wal_pos *pos)
{
	if (pos->salt1 != h->start.salt1 || pos->salt2 != h->start.salt2)
		return false;
	if (pos->frame == 0)
		return pos->ck1 == h->start.ck1 && pos->ck2 == h->start.ck2;
	unsigned char hdr[FRAME_HDR];
	if (read_at(fd, hdr, FRAME_HDR, frame_offset(h, pos->frame)) <= 0)
		return false;
	return be32(hdr + 8) == pos->salt1 && be32(hdr + 12) == pos->salt2 &&
	       be32(hdr + 16) == pos->ck1 && be32(hdr + 20) == pos->ck2;
}

bool wal_frame_after(int fd, const wal_header *h, uint32_t frame)
{
	/* the chain at frame: the checksums in its header (SQLite's own, of a
	 * frame it wrote), or the WAL header's before the first frame */
	uint32_t s[2] = {h->start.ck1, h->start.ck2};
	unsigned char at[FRAME_HDR];
	if (frame > 0) {
		if (read_at(fd, at, FRAME_HDR, frame_offset(h, frame)) <= 0)
			return false;
		s[0] = be32(at + 16);
		s[1] = be32(at + 20);
	}
	unsigned char *next = malloc(FRAME_HDR + h->page_size);
	if (!next)
		return true; /* not known: as if one did (the caller vouches for nothing) */
	bool after = read_at(fd, next, FRAME_HDR + h->page_size, frame_offset(h, frame + 1)) > 0 &&
	             be32(next + 8) == h->start.salt1 && be32(next + 12) == h->start.salt2;
	if (after) {
		wal_checksum(h->big_endian_ck, next, 8, s);
		wal_checksum(h->big_endian_ck, next + FRAME_HDR, h->page_size, s);
		after = s[0] == be32(next + 16) && s[1] == be32(next + 20);
	}
	free(next);
	return after;
}

/* The pages of the transaction being read: grown as frames come. */
typedef struct txn_buf {
	uint32_t n, cap;
	uint32_t *pgno;
	unsigned char *data;
} txn_buf;

/* Room for one more page, grown by dbc_reserve_with (a fresh scan starts
 * at first pages): two arrays of one room, not zeroed (only pages copied
 * in are read; zeroing would cost 256 KB a commit). */
static int txn_add(txn_buf *t, const wal_header *h, uint32_t first, uint32_t pgno,
                   const unsigned char *page)
{
	if (t->n == t->cap) {
		size_t need = (size_t)t->n + 1, pgno_cap = t->cap, data_cap = t->cap;
		if (!dbc_reserve_with(realloc, false, &t->pgno, need, &pgno_cap, sizeof *t->pgno, first) ||
		    !dbc_reserve_with(realloc, false, &t->data, need, &data_cap, h->page_size, first) ||
		    data_cap > UINT32_MAX)
			return -1;
		t->cap = (uint32_t)data_cap;
	}
	t->pgno[t->n] = pgno;
	memcpy(t->data + (size_t)t->n * h->page_size, page, h->page_size);
	t->n++;
	return 0;
}

void wal_bufs_free(wal_bufs *b)
{
	free(b->read);
	free(b->pgno);
	free(b->data);
	memset(b, 0, sizeof *b);
}

int wal_scan(int fd, const wal_header *h, const wal_pos *from, uint32_t upto, uint32_t max_pages,
             wal_commit_fn fn, void *arg, wal_pos *end)
{
	wal_bufs b = {0};
	int rc = wal_scan_kept(fd, h, from, upto, max_pages, &b, fn, arg, end);
	wal_bufs_free(&b);
	return rc;
}

int wal_scan_kept(int fd, const wal_header *h, const wal_pos *from, uint32_t upto,
                  uint32_t max_pages, wal_bufs *bufs, wal_commit_fn fn, void *arg, wal_pos *end)
{
	size_t frame = (size_t)FRAME_HDR + h->page_size;
	if (upto <= from->frame)
		upto = 0; /* nothing known after from: read ahead */
	size_t first = upto ? (upto - from->frame) * frame : READ_FIRST * frame;
	if (bufs->page_size != h->page_size) { /* sized for pages of another size */
		free(bufs->pgno);
		free(bufs->data);
		bufs->pgno = NULL, bufs->data = NULL, bufs->cap = 0;
		bufs->page_size = h->page_size;
	}
	wal_reader rd = {fd, bufs->read, bufs->read_cap, 0, first < READ_MAX ? first : READ_MAX, 0};
	uint32_t first_pages = upto && upto - from->frame < 1024 ? upto - from->frame : READ_FIRST;
	const unsigned char *hdr, *page;
	txn_buf t = {0, bufs->cap, bufs->pgno, bufs->data};
	wal_pos pos = *from;
	*end = *from;
	int rc = 0;
	uint32_t commit_size = 0, pages = 0;
	while (rc == 0) {
		int r = next_frame(&rd, h, &pos, upto && pos.frame < upto, &hdr, &page, &commit_size);
		if (r <= 0) {
			rc = r;
			break;
		}
		bool keep = !max_pages || pages < max_pages;
		pages++;
		if (keep && txn_add(&t, h, first_pages, be32(hdr), page) != 0) {
			rc = -1;
			break;
		}
		if (commit_size == 0)
			continue;
		wal_commit c = {pages, t.pgno, t.data, commit_size, pos};
		if (max_pages && pages > max_pages)
			c.pgno = NULL, c.data = NULL;
		rc = fn(arg, &c);
		*end = pos;
		t.n = pages = 0;
		if (upto && pos.frame >= upto)
			break;
	}
	/* kept for the next scan, unless a large one grew them */
	*bufs = (wal_bufs){rd.buf, rd.cap, t.pgno, t.data, t.cap, h->page_size};
	if (rd.cap + (size_t)t.cap * (h->page_size + 4) > WAL_BUFS_KEEP)
		wal_bufs_free(bufs);
	return rc;
}
