/*
 * capi_pitr_thread.c — threads that load the module, capture and end leave
 * nothing of the point-in-time log's reader behind. A connection on a
 * thread of its own captures a few commits into ./log and closes; its
 * segment is then turned into a segment of the first format ("DBCLOG01",
 * records closed by their SHA-256), open, as a capture of an earlier dbcare
 * killed while writing it would leave it. Then, THREADS times, a thread
 * opens a connection with the module, whose capture reads that segment
 * (each record's SHA-256 checked), closes it, continues the epoch with a
 * commit of its own, closes the connection and ends; the next thread makes
 * the first format again from what the last one closed. Every thread's
 * commit must be in the log. What a thread's reading left allocated when
 * it ended (the SHA-256 context the reader once kept per thread) is for
 * the tool it runs under to find: valgrind in
 * test/script/sqlite_pitr_thread_leak.sh, LSan with the sanitized module
 * in test/harness/asan_suite.sh.
 *
 *   capi_pitr_thread MODULE
 */
#include <openssl/sha.h>
#include <limits.h>
#include <sqlite3.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define THREADS 3

static const char *module;
static char log_dir[4096]; /* ./log, absolute */

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "FAIL: %s: %s\n", what, detail ? detail : "");
	exit(1);
}

static void run(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail(sql, err);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A connection with the module, capturing into ./log: one commit, closed. */
static void *capture_one(void *arg)
{
	sqlite3 *db;
	char *err = NULL;
	if (sqlite3_open("app.db", &db) != SQLITE_OK)
		fail("open", sqlite3_errmsg(db));
	sqlite3_enable_load_extension(db, 1);
	if (sqlite3_load_extension(db, module, NULL, &err) != SQLITE_OK)
		fail("load", err);
	char *set = sqlite3_mprintf("SELECT dbcare_set('backup.log.dir', %Q)", log_dir);
	run(db, set);
	sqlite3_free(set);
	char sql[96];
	snprintf(sql, sizeof sql, "INSERT INTO t (v) VALUES ('thread %d')", *(int *)arg);
	run(db, sql);
	if (sqlite3_close(db) != SQLITE_OK)
		fail("close", "busy");
	return NULL;
}

static void on_thread(int n)
{
	pthread_t t;
	if (pthread_create(&t, NULL, capture_one, &n) != 0 || pthread_join(t, NULL) != 0)
		fail("thread", "cannot run one");
}

/* log/log-<seq>.dbclog, the newest closed segment, rewritten in the first
 * format as log/log-<seq>.dbclog.open, its record (log-<seq>.json) gone. */
static void to_first_format(void)
{
	char path[64] = "", open_path[80], json[64];
	for (int seq = 1; seq < 100; seq++) {
		char p[64];
		snprintf(p, sizeof p, "log/log-%08d.dbclog", seq);
		if (access(p, F_OK) == 0)
			snprintf(path, sizeof path, "%s", p);
	}
	if (!path[0])
		fail("log", "no closed segment");
	FILE *f = fopen(path, "rb");
	static unsigned char in[1 << 20], out[1 << 20];
	size_t n = f ? fread(in, 1, sizeof in, f) : 0, o = 8, off = 8;
	if (f)
		fclose(f);
	if (n < 8 || n == sizeof in || memcmp(in, "DBCLOG03", 8) != 0)
		fail(path, "not a segment of this format");
	memcpy(out, "DBCLOG01", 8);
	while (off + 20 <= n) {
		size_t pl = get32(in + off + 8);
		memcpy(out + o, in + off, 20 + pl);
		memcpy(out + o, "DBCR", 4);
		out[o + 7] &= 0x7f; /* no behind bit in the first format */
		SHA256(out + o, 20 + pl, out + o + 20 + pl);
		o += 20 + pl + 32;
		off += 20 + pl + 4;
	}
	snprintf(open_path, sizeof open_path, "%s.open", path);
	snprintf(json, sizeof json, "%.*s.json", (int)strlen(path) - 7, path);
	f = fopen(open_path, "wb");
	if (!f || fwrite(out, 1, o, f) != o || fclose(f) != 0)
		fail(open_path, "cannot write");
	if (unlink(path) != 0 || unlink(json) != 0)
		fail(path, "cannot remove the closed segment and its record");
}

/* The rows of t, from a connection without the module. */
static int rows(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;
	if (sqlite3_open("app.db", &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		fail("usage", "capi_pitr_thread MODULE");
	module = argv[1];
	sqlite3 *db;
	if (sqlite3_open("app.db", &db) != SQLITE_OK)
		fail("open", sqlite3_errmsg(db));
	run(db, "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
	sqlite3_close(db);
	if (mkdir("log", 0700) != 0 || !realpath("log", log_dir))
		fail("mkdir", "log");
	on_thread(0);
	for (int i = 1; i <= THREADS; i++) {
		to_first_format();
		on_thread(i);
		/* the old segment was read whole (else the capture refuses) and
		 * closed again: its record is back */
		char json[32];
		snprintf(json, sizeof json, "log/log-%08d.json", i);
		if (access(json, F_OK) != 0)
			fail(json, "the segment of the first format was not closed by the capture");
	}
	if (rows() != THREADS + 1)
		fail("rows", "a thread's commit is missing");
	printf("ok: %d threads read a log of the first format and ended\n", THREADS);
	return 0;
}
