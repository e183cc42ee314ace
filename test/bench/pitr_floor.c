/*
 * pitr_floor.c — the floor of capturing a WAL inside the writer, for
 * bench_pitr.py: a loadable extension whose WAL hook does the least a
 * capture can do after each commit, with none of what the log guarantees
 * (no record, no hash, no check of the frames, no control of checkpoints,
 * no sync): it reads the bytes the WAL gained since the last call, with
 * one pread, and appends them to a file, with one write. Its cost over the
 * writer alone is what any capture in the commit pays at least; dbcare's
 * capture is measured against it.
 *
 * Loaded, then `SELECT pitr_floor('/path/of/the/copy')` starts it on the
 * connection's main database. The WAL hook replaces SQLite's automatic
 * checkpoint on the connection, so the hook runs that checkpoint itself as
 * SQLite would have (passive, at 1,000 frames): the writer alone pays it too.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct floor_state {
	int wal_fd, out_fd;
	uint32_t frame_size; /* 24-byte frame header + page; 0 until known */
	int64_t copied;      /* bytes of the WAL copied so far */
	unsigned char *buf;
	size_t cap;
} floor_state;

static floor_state st = {-1, -1, 0, 0, NULL, 0};

static int on_wal(void *arg, sqlite3 *db, const char *schema, int frames)
{
	(void)arg;
	if (!st.frame_size) {
		unsigned char h[12];
		if (pread(st.wal_fd, h, sizeof h, 0) != (ssize_t)sizeof h)
			return SQLITE_OK;
		uint32_t ps = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];
		st.frame_size = 24 + (ps == 1 ? 65536 : ps);
	}
	int64_t end = 32 + (int64_t)frames * st.frame_size;
	if (end < st.copied) /* the WAL started again after a checkpoint */
		st.copied = 0;
	size_t n = (size_t)(end - st.copied);
	if (n > st.cap) {
		unsigned char *b = realloc(st.buf, n);
		if (!b)
			return SQLITE_OK;
		st.buf = b;
		st.cap = n;
	}
	ssize_t got = pread(st.wal_fd, st.buf, n, st.copied);
	if (got > 0 && write(st.out_fd, st.buf, (size_t)got) == got)
		st.copied += got;
	if (frames >= 1000)
		sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

static void start(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3 *db = sqlite3_context_db_handle(ctx);
	const char *out = (const char *)sqlite3_value_text(argv[0]);
	const char *file = sqlite3_db_filename(db, "main");
	char *wal = sqlite3_mprintf("%s-wal", file ? file : "");
	st.wal_fd = wal ? open(wal, O_RDONLY | O_CLOEXEC) : -1;
	sqlite3_free(wal);
	st.out_fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600) : -1;
	if (st.wal_fd < 0 || st.out_fd < 0) {
		sqlite3_result_error(ctx, "pitr_floor: cannot open the WAL or the copy", -1);
		return;
	}
	st.frame_size = 0;
	st.copied = 0;
	sqlite3_wal_hook(db, on_wal, NULL);
	sqlite3_result_int(ctx, 1);
}

int sqlite3_pitrfloor_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
	(void)err;
	SQLITE_EXTENSION_INIT2(api);
	return sqlite3_create_function(db, "pitr_floor", 1, SQLITE_UTF8, NULL, start, NULL, NULL);
}
