/*
 * pitr_wal.h — reading a SQLite WAL file as its documented file format
 * describes it (https://sqlite.org/fileformat2.html#walformat): the header,
 * and the frames of committed transactions, each checked the way SQLite's
 * own recovery checks them (the salts of the header, the cumulative
 * checksum). A frame that fails is where the valid WAL ends, as for SQLite:
 * frames written after the last commit (a transaction in progress, one
 * rolled back) are never handed on. Used by the log capture (pitr_capture.c).
 */
#ifndef DBCARE_SQLITE_WAL_H
#define DBCARE_SQLITE_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A place in a WAL: the generation (its header's salts) and a frame
 * (1-based; 0: before the first), with the cumulative checksum after it. */
typedef struct wal_pos {
	uint32_t salt1, salt2;
	uint32_t frame;
	uint32_t ck1, ck2;
} wal_pos;

typedef struct wal_header {
	bool big_endian_ck; /* magic 0x377f0683: checksums over big-endian words */
	uint32_t page_size;
	wal_pos start; /* frame 0: the header's salts and checksum */
} wal_header;

/* One committed transaction: its frames' pages in WAL order, npages of them
 * (pgno[i], data + i * page_size), the database size in pages after it, and
 * where it ends. pgno and data NULL: more pages than the scan's max_pages
 * (not kept: only counted). */
typedef struct wal_commit {
	uint32_t npages;
	const uint32_t *pgno;
	const unsigned char *data;
	uint32_t db_pages;
	wal_pos end;
} wal_commit;

/* Called for each commit in order; nonzero stops the scan with that value. */
typedef int (*wal_commit_fn)(void *arg, const wal_commit *c);

/* A scan's buffers kept by its caller from one scan to the next (a
 * capture's, which scans at every commit: no allocation a commit). Zeroed
 * to begin; wal_bufs_free. A scan that grew them past WAL_BUFS_KEEP bytes
 * (a commit of many pages, a VACUUM) frees them when it ends. */
#define WAL_BUFS_KEEP ((size_t)1 << 20)
typedef struct wal_bufs {
	unsigned char *read; /* the read-ahead */
	size_t read_cap;
	uint32_t *pgno; /* the transaction's pages */
	unsigned char *data;
	uint32_t cap;       /* pages pgno and data hold ... */
	uint32_t page_size; /* ... of this size */
} wal_bufs;
void wal_bufs_free(wal_bufs *b);

/* The header of the WAL open at fd: 1 when valid, 0 when there is none yet
 * or it does not check (a WAL being reset), -1 on a read error. */
int wal_read_header(int fd, wal_header *h);
/* The commits after from (a position of the generation of h), in order,
 * each handed to fn; *end is the last commit's end (from when none).
 * upto: 0, or the last frame of a commit known to be there (the count a
 * WAL hook is given): the frames up to it are read in one call and the
 * scan stops at the commit that ends there (frames after it wait for the
 * next scan); their checksums are SQLite's, not computed again (the
 * caller's reader holds that generation: no frame of it is rewritten).
 * max_pages: 0, or the most pages of one transaction kept (one with more
 * is handed on counted, its pages not kept). 0, fn's nonzero value, or -1
 * on a read error or out of memory. */
int wal_scan(int fd, const wal_header *h, const wal_pos *from, uint32_t upto, uint32_t max_pages,
             wal_commit_fn fn, void *arg, wal_pos *end);
/* The same with the caller's buffers (bufs, kept after it). */
int wal_scan_kept(int fd, const wal_header *h, const wal_pos *from, uint32_t upto,
                  uint32_t max_pages, wal_bufs *bufs, wal_commit_fn fn, void *arg, wal_pos *end);
/* Whether the frame at pos.frame of h's generation is there and ends with
 * pos's checksum (the chain the log continues is still in the WAL). */
bool wal_has(int fd, const wal_header *h, const wal_pos *pos);

/* Whether a frame of h's generation follows frame, written after it (by
 * another connection's transaction, committed or not): its salts are h's
 * and its checksum continues the chain from frame's. The chain tells it
 * from a frame a transaction that never committed (its connection killed,
 * or rolled back after spilling pages) left past the WAL's end: the next
 * commit wrote over the frames before it, so its chain does not continue
 * from theirs. One page read. */
bool wal_frame_after(int fd, const wal_header *h, uint32_t frame);

#endif
