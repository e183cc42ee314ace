/*
 * pitr_floor.c — the floor of capturing a WAL inside the writer, for
 * bench_pitr.py: a loadable extension whose WAL hook does the least a
 * capture can do after each commit, with none of what the log guarantees
 * (no record, no hash, no check of the frames, no control of checkpoints,
 * no sync): it copies the bytes the WAL gained since the last copy into a
 * file. Its cost over the writer alone is what any capture in the commit
 * pays at least; dbcare's capture is measured against it.
 *
 * Loaded, then `SELECT pitr_floor('/path/of/the/copy', 'design')` starts
 * it on the connection's main database, the copy made one of these ways
 * (the designs a capture in the writer's process could take):
 *   copy    in the commit's WAL hook: one pread, one write (the floor);
 *   range   in the hook, copy_file_range: the kernel copies from the page
 *           cache, no read into the process;
 *   batch8  in the hook, every 8th commit only (pread + write of the 8
 *           commits' bytes): the commits between are copied late;
 *   thread  a thread of the writer's process copies (pread + write); the
 *           hook only hands it the WAL's new end.
 * The WAL hook replaces SQLite's automatic checkpoint on the connection,
 * so the hook runs that checkpoint itself as SQLite would have (passive,
 * at 1,000 frames; everything copied first): the writer alone pays it too.
 */
#define _GNU_SOURCE /* copy_file_range */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { COPY, RANGE, BATCH, THREAD };

typedef struct floor_state {
	int design;
	int wal_fd, out_fd;
	uint32_t frame_size; /* 24-byte frame header + page; 0 until known */
	int64_t copied;      /* bytes of the WAL copied so far */
	int commits;         /* batch: commits since the last copy */
	unsigned char *buf;
	size_t cap;
	/* thread: the WAL's end to copy up to, handed over under mu */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t wake, idle;
	int64_t want;
	bool busy, quit;
} floor_state;

static void copy_to(floor_state *s, int64_t end)
{
	if (end < s->copied) /* the WAL started again after a checkpoint */
		s->copied = 0;
	size_t n = (size_t)(end - s->copied);
	if (!n)
		return;
	if (s->design == RANGE) {
		loff_t from = s->copied;
		ssize_t got = copy_file_range(s->wal_fd, &from, s->out_fd, NULL, n, 0);
		if (got > 0)
			s->copied += got;
		return;
	}
	if (n > s->cap) {
		unsigned char *b = realloc(s->buf, n);
		if (!b)
			return;
		s->buf = b;
		s->cap = n;
	}
	ssize_t got = pread(s->wal_fd, s->buf, n, s->copied);
	if (got > 0 && write(s->out_fd, s->buf, (size_t)got) == got)
		s->copied += got;
}

static void *copier(void *arg)
{
	floor_state *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->quit && s->want == s->copied)
			pthread_cond_wait(&s->wake, &s->mu);
		if (s->quit)
			break;
		int64_t end = s->want;
		s->busy = true;
		pthread_mutex_unlock(&s->mu);
		copy_to(s, end);
		pthread_mutex_lock(&s->mu);
		s->busy = false;
		if (s->want == s->copied)
			pthread_cond_broadcast(&s->idle);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The connection closes: its copier thread stopped (the extension's code
 * is unloaded with the connection), its files closed. */
static void stop(void *arg)
{
	floor_state *s = arg;
	if (s->design == THREAD) {
		pthread_mutex_lock(&s->mu);
		s->quit = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->th, NULL);
	}
	close(s->wal_fd);
	close(s->out_fd);
	free(s->buf);
	free(s);
}

static void nothing(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_null(ctx);
}

/* thread: the copier handed the WAL's new end; with wait, returns once it
 * has copied everything (before a checkpoint may start the WAL again). */
static void hand_over(floor_state *s, int64_t end, bool wait)
{
	pthread_mutex_lock(&s->mu);
	if (end < s->want && !s->busy)
		s->copied = 0; /* the WAL started again */
	s->want = end;
	pthread_cond_signal(&s->wake);
	while (wait && (s->want != s->copied || s->busy))
		pthread_cond_wait(&s->idle, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

static int on_wal(void *arg, sqlite3 *db, const char *schema, int frames)
{
	floor_state *s = arg;
	if (!s->frame_size) {
		unsigned char h[12];
		if (pread(s->wal_fd, h, sizeof h, 0) != (ssize_t)sizeof h)
			return SQLITE_OK;
		uint32_t ps = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];
		s->frame_size = 24 + (ps == 1 ? 65536 : ps);
	}
	int64_t end = 32 + (int64_t)frames * s->frame_size;
	bool ckpt = frames >= 1000;
	if (s->design == THREAD)
		hand_over(s, end, ckpt);
	else if (s->design != BATCH || ++s->commits >= 8 || ckpt) {
		copy_to(s, end);
		s->commits = 0;
	}
	if (ckpt)
		sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

static void start(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3 *db = sqlite3_context_db_handle(ctx);
	const char *out = (const char *)sqlite3_value_text(argv[0]);
	const char *how = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : "copy";
	static const char *const names[] = {"copy", "range", "batch8", "thread"};
	int design = -1;
	for (int i = 0; i < 4 && how; i++)
		if (strcmp(how, names[i]) == 0)
			design = i;
	if (design < 0) {
		sqlite3_result_error(ctx, "pitr_floor: unknown design", -1);
		return;
	}
	/* each writer its own state (the bench's rounds load it again and
	 * again in one process), freed when its connection closes (stop) */
	floor_state *s = calloc(1, sizeof *s);
	if (!s) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	*s = (floor_state){.design = design, .wal_fd = -1, .out_fd = -1};
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->idle, NULL);
	const char *file = sqlite3_db_filename(db, "main");
	char *wal = sqlite3_mprintf("%s-wal", file ? file : "");
	s->wal_fd = wal ? open(wal, O_RDONLY | O_CLOEXEC) : -1;
	sqlite3_free(wal);
	s->out_fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600) : -1;
	if (s->wal_fd < 0 || s->out_fd < 0) {
		sqlite3_result_error(ctx, "pitr_floor: cannot open the WAL or the copy", -1);
		return;
	}
	/* copy_file_range refuses an O_APPEND target */
	if (s->design == RANGE)
		fcntl(s->out_fd, F_SETFL, 0);
	if (s->design == THREAD && pthread_create(&s->th, NULL, copier, s) != 0) {
		sqlite3_result_error(ctx, "pitr_floor: cannot start the copier thread", -1);
		return;
	}
	/* a function of the connection whose destructor stops the copier */
	sqlite3_create_function_v2(db, "pitr_floor_state", 0, SQLITE_UTF8, s, nothing, NULL, NULL,
	                           stop);
	sqlite3_wal_hook(db, on_wal, s);
	sqlite3_result_int(ctx, 1);
}

int sqlite3_pitrfloor_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	(void)err;
	SQLITE_EXTENSION_INIT2(api);
	int rc = sqlite3_create_function(db, "pitr_floor", 1, SQLITE_UTF8, NULL, start, NULL, NULL);
	return rc == SQLITE_OK
	           ? sqlite3_create_function(db, "pitr_floor", 2, SQLITE_UTF8, NULL, start, NULL, NULL)
	           : rc;
}
