/*
 * sqlite_wal.c — the WAL file format (sqlite_wal.h): header, frames,
 * checksums. Pure reading: nothing here writes a WAL or takes a lock; the
 * caller holds what keeps the frames it reads from being overwritten.
 */
#include "pitr_wal.h"

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

/* Reads frame pos->frame + 1 into hdr and page; 1 when it is valid (pos
 * then moves onto it and *commit_size is its commit field), 0 when the
 * valid WAL ends before it, -1 on a read error. */
static int next_frame(int fd, const wal_header *h, wal_pos *pos, unsigned char *hdr,
                      unsigned char *page, uint32_t *commit_size)
{
	off_t off = frame_offset(h, pos->frame + 1);
	int r = read_at(fd, hdr, FRAME_HDR, off);
	if (r > 0)
		r = read_at(fd, page, h->page_size, off + FRAME_HDR);
	if (r <= 0)
		return r;
	if (be32(hdr + 8) != pos->salt1 || be32(hdr + 12) != pos->salt2 || be32(hdr) == 0)
		return 0;
	uint32_t s[2] = {pos->ck1, pos->ck2};
	wal_checksum(h->big_endian_ck, hdr, 8, s);
	wal_checksum(h->big_endian_ck, page, h->page_size, s);
	if (s[0] != be32(hdr + 16) || s[1] != be32(hdr + 20))
		return 0;
	pos->frame++;
	pos->ck1 = s[0];
	pos->ck2 = s[1];
	*commit_size = be32(hdr + 4);
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

/* The pages of the transaction being read: grown as frames come. */
typedef struct txn_buf {
	uint32_t n, cap;
	uint32_t *pgno;
	unsigned char *data;
} txn_buf;

static int txn_add(txn_buf *t, const wal_header *h, uint32_t pgno, const unsigned char *page)
{
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		uint32_t *p = realloc(t->pgno, cap * sizeof *p);
		if (!p)
			return -1;
		t->pgno = p;
		unsigned char *d = realloc(t->data, (size_t)cap * h->page_size);
		if (!d)
			return -1;
		t->data = d;
		t->cap = cap;
	}
	t->pgno[t->n] = pgno;
	memcpy(t->data + (size_t)t->n * h->page_size, page, h->page_size);
	t->n++;
	return 0;
}

int wal_scan(int fd, const wal_header *h, const wal_pos *from, wal_commit_fn fn, void *arg,
             wal_pos *end)
{
	unsigned char hdr[FRAME_HDR];
	unsigned char *page = malloc(h->page_size);
	txn_buf t = {0};
	wal_pos pos = *from;
	*end = *from;
	int rc = page ? 0 : -1;
	uint32_t commit_size = 0;
	while (rc == 0) {
		int r = next_frame(fd, h, &pos, hdr, page, &commit_size);
		if (r <= 0) {
			rc = r;
			break;
		}
		if (txn_add(&t, h, be32(hdr), page) != 0) {
			rc = -1;
			break;
		}
		if (commit_size == 0)
			continue;
		wal_commit c = {t.n, t.pgno, t.data, commit_size, pos};
		rc = fn(arg, &c);
		*end = pos;
		t.n = 0;
	}
	free(page);
	free(t.pgno);
	free(t.data);
	return rc;
}
