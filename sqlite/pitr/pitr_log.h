/*
 * pitr_log.h — the SQLite point-in-time log: its files and records
 * (docs/backups.md, "Back to any moment").
 *
 * A log directory holds
 *   base-<UTC time>.db   full copies of the database, each taken at an
 *                        exact place in the WAL (a 'B' record names it);
 *   log-<seq>.dbclog     closed segments, each with log-<seq>.json
 *                        (first and last commit time, SHA-256, base);
 *   log-<seq>.dbclog.open the segment being written (at most one, unless
 *                        a capture was killed: the next capture closes it).
 *
 * A segment is the magic "DBCLOG03" and records, each
 *   u32 magic "DBCK", u32 type (its top bit: PITR_REC_BEHIND), u32
 *   payload length, i64 time (ms since the epoch, UTC: when the capture
 *   saw it), payload, then the CRC-32C (u32) of everything before it in
 *   the record;
 * all integers little-endian. "DBCLOG02" (earlier builds) is the same
 * without the behind bit (a poll that fell behind is not told apart);
 * a segment of the first format is "DBCLOG01", its records "DBCR" closed
 * by the SHA-256 (32 bytes) of everything before it: both still read,
 * never written. The CRC
 * finds a damaged or torn record; what proves a segment unchanged is its
 * SHA-256 in log-<seq>.json (or its seal), as for any backup. Types:
 *   'B' a base: epoch, seq, db pages, WAL position, page size, the base
 *       file's SHA-256 (hex) and name;
 *   'C' a commit: epoch, seq, db pages after it, WAL position, n pages,
 *       then n times (u32 page number, page); with PITR_REC_BEHIND, a
 *       commit seen late: read by a poll that took its time after its
 *       read, without the write lock (a commit made in between is read
 *       only by the next poll), or that fell behind: it stopped before the
 *       WAL's end (16 MB a poll), or began long after the poll before it
 *       (the capture stalled): commits made before its time may be unread
 *       or seen late, so from the last whole poll before it to the next
 *       one the log covers no moment (pitr_cover.c, in the command);
 *       in the module's capture, also a commit of another connection
 *       (pitr_capture.c: unknown_moment), stamped with the newest record's
 *       time: the log covers no moment from just before that record to
 *       the next record whose time is exact;
 *   'H' a heartbeat: epoch, seq: every commit made before time is in the
 *       log (the capture found nothing newer after it);
 *   'S' a capture resumed the epoch: time is the last moment seen before it
 *       stopped; commits in the records right after it (before any other
 *       record) were made at some moment between that and their own time;
 *   'R' row counts: epoch, seq, then "table<TAB>rows<LF>" for every table
 *       (by name) of the database as it was right after commit seq.
 * An epoch is a run of the log without a gap: it begins with a base, its
 * commits follow one another (seq + 1 each). A capture that cannot prove
 * that no commit went by unseen (it was stopped and the WAL was reset
 * meanwhile) begins a new epoch with a new base.
 */
#ifndef DBCARE_PITR_LOG_H
#define DBCARE_PITR_LOG_H

#include "pitr_wal.h"

#include "base/dbc.h"
#include "base/sha256.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define PITR_SEG_MAGIC    "DBCLOG03"
#define PITR_SEG_MAGIC_V2 "DBCLOG02"
#define PITR_SEG_MAGIC_V1 "DBCLOG01"
/* The type's top bit: the record's poll fell behind (a commit's only). */
#define PITR_REC_BEHIND    0x80000000u
#define PITR_REC_BASE      'B'
#define PITR_REC_COMMIT    'C'
#define PITR_REC_HEARTBEAT 'H'
#define PITR_REC_ROWS      'R'
#define PITR_REC_RESUME    'S'

typedef struct pitr_rec {
	uint32_t type; /* without PITR_REC_BEHIND: that is behind */
	bool behind;
	int64_t time_ms;
	uint32_t epoch;
	uint64_t seq;
	uint32_t db_pages;
	wal_pos pos;
	/* 'B' */
	uint32_t page_size;
	char base_sha[65];
	char *base_name; /* malloc'd */
	/* 'R': "table<TAB>rows<LF>"..., malloc'd */
	char *rows;
	/* 'C': npages pages, read into pages (u32 pgno + page each) */
	uint32_t npages;
	unsigned char *pages;
	size_t pages_len;
} pitr_rec;

void pitr_rec_free(pitr_rec *r);

/* The host whose errors the records' SHA-256 reports through (memory
 * only): set once, before the first record is read or written. */
void pitr_log_use_host(const dbc_host *host);

/* The most pages of page_size one commit record holds: its payload at
 * most limit bytes (0, or more than the format's 2 GB: 2 GB; smaller:
 * tests only). A larger commit is never written (pitr_capture.c takes a
 * new base after it instead). */
uint32_t pitr_commit_max_pages(size_t limit, uint32_t page_size);

/* A record's buffer kept by the writer from one record to the next (no
 * allocation a commit); zeroed to begin, free(p) at the end. One that grew
 * past WAL_BUFS_KEEP (a large commit) is freed after the record. */
typedef struct pitr_buf {
	unsigned char *p;
	size_t cap;
} pitr_buf;

/* Appends a record to the segment open at fd (its length is *len, moved
 * on); c gives a commit's pages; buf: the writer's buffer. 0 or -1 (errno). */
int pitr_write(int fd, off_t *len, const pitr_rec *r, const wal_commit *c, uint32_t page_size,
               pitr_buf *buf);

/* Reads the next record of f: 1 with *r filled, 0 at the end of the file,
 * -1 when the file ends inside the record and nothing valid follows (a
 * torn tail: what a killed writer leaves), -2 when what follows is not a
 * valid record otherwise (damage: never to be cut away); *off: where it
 * starts. page_size: of the commits' pages (0 until a base gave it). */
int pitr_read(FILE *f, uint32_t page_size, pitr_rec *r, off_t *off);

/* The next record of f as its header alone (r: type, behind, time,
 * epoch, seq, db pages, WAL position; no payload read, nothing checked:
 * a cheap look, for log status, health and the capture's start): 1, 0 at
 * the end of the file, -1 when the file ends inside the record (f left at
 * its start), -2 when what follows is no record; *off: where it starts. */
int pitr_read_header(FILE *f, pitr_rec *r, off_t *off);

/* Whether the record at f's position is whole and passes its check (the
 * CRC-32C, or the first format's SHA-256), its payload not parsed: 1; -1
 * when the file ends inside it (or no memory), -2 when it fails. */
int pitr_record_intact(FILE *f);

/* Whether the 8 bytes at m open a segment this dbcare reads (any of its
 * formats); pitr_segment_newer: one of a later format (a newer dbcare
 * wrote it). */
bool pitr_segment_magic(const void *m);
bool pitr_segment_newer(const void *m);
/* Whether the 4 bytes at p are a record's magic (either format). */
bool pitr_record_magic(const void *p);
/* The type and time of the first record of the plain segment at path
 * (either format; its header only, nothing checked). false when it has no
 * whole header of one or is no plain segment (a sealed one). */
bool pitr_segment_first(const char *path, uint32_t *type, int64_t *time_ms);

/* The one way a file of a log is opened to be read (pitr_file.c): never
 * through a symbolic link (ELOOP), never waiting on a FIFO, and only a
 * regular file (anything else: ENODEV); its size into *size (NULL: not
 * wanted). An fd, or -1 with errno. */
int pitr_file_open(const char *path, off_t *size);
/* The same as a stdio stream ("rb"). */
FILE *pitr_file_fopen(const char *path);
/* What a failed pitr_file_open's errno means, as words for an error. */
const char *pitr_file_strerror(int err);
/* The SHA-256 (hex) of the log's file at path, opened by pitr_file_open,
 * each chunk also handed to each (NULL: none); read no further than limit
 * bytes (its recorded size; -1: its size when opened): a larger file, or
 * one that grows while it is read, fails with EFBIG. 0, or -1 (errno). */
int pitr_file_sha256(const dbc_host *host, const char *path, off_t limit, dbc_file_chunk_fn each,
                     void *arg, char hex[65]);

/* A log's JSON file (a segment's record) read through pitr_file_open:
 * NULL with errno (ENOENT: none) and, when err, why in err->text. */
json_t *pitr_file_json(const char *path, json_error_t *err);

/* Whether the log folder dir is one only this user (or root) owns and
 * may write (dbc_others_can_replace: the rule of key files): another
 * user's could lock the capture out and put any log there for a restore.
 * 0, or -1 with why (a sentence naming the folder and the remedy). */
int pitr_dir_trusted(const char *dir, char *why, size_t len);

/* The segment files of dir, by sequence number, closed and open
 * ("DIR/log-<seq>.dbclog[.open]", malloc'd, NULL-terminated); NULL on
 * error (errno). */
char **pitr_segments(const char *dir);
void pitr_free_list(char **list);
/* Whether the open segment path has a closed twin (its capture was killed
 * after sealing it): the closed one holds the same records. */
bool pitr_segment_superseded(const char *path);
/* The sequence number in a segment's name. */
uint64_t pitr_segment_seq(const char *path);
bool pitr_segment_open(const char *path);

/* "2026-11-24 11:19:13.123" (UTC) of ms since the epoch, into buf[32]. */
void pitr_time_text(int64_t ms, char buf[32]);
/* Parses an ISO-8601 time, UTC unless it ends with an offset
 * ("YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z|+HH[[:]MM]|-HH[[:]MM]| UTC]", the
 * last as pitr_time_text's times are printed); 0, -1 (not such a time) or
 * -2 (no moment of the calendar: 2026-02-30, 10:00:60). */
int pitr_time_parse(const char *s, int64_t *ms);
/* Now in ms since the epoch, rounded up (records are stamped with it). */
int64_t pitr_now_ms(void);

#endif
