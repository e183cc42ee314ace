/*
 * pitr_image.c — the restore's image (pitr.h): a base copied into a
 * scratch file (a sealed one opened first, its SHA-256 checked against
 * the log's record), the commits of a stretch of its epoch applied page by
 * page, the scratch file removed with what opening it leaves.
 */
#include "pitr.h"
#include "cli/common/files.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/backup/common/sealed.h"

#include "base/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct apply_arg {
	uint32_t epoch;
	uint64_t after, upto;
	int fd;
	uint32_t page_size, db_pages;
	pitr_applied_fn then; /* NULL: none */
	void *then_arg;
	bool base_seen; /* the epoch's base was read */
} apply_arg;

static int apply_record(void *arg, const pitr_rec *r)
{
	apply_arg *a = arg;
	/* the epoch's commits follow one another: past upto, or past the
	 * epoch (a new base), nothing more is applied */
	if ((r->type == PITR_REC_COMMIT && r->epoch == a->epoch && r->seq > a->upto) ||
	    (r->type == PITR_REC_BASE && r->epoch != a->epoch && a->base_seen))
		return PITR_WALK_STOP;
	if (r->type == PITR_REC_BASE && r->epoch == a->epoch)
		a->base_seen = true;
	if (r->type != PITR_REC_COMMIT || r->epoch != a->epoch || r->seq <= a->after ||
	    r->seq > a->upto)
		return 0;
	size_t step = 4 + (size_t)a->page_size;
	for (uint32_t i = 0; i < r->npages; i++) {
		const unsigned char *e = r->pages + i * step;
		uint32_t pgno =
		    (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
		if (pwrite(a->fd, e + 4, a->page_size, (off_t)(pgno - 1) * a->page_size) !=
		    (ssize_t)a->page_size) {
			cli_errorf("cannot write the restored image: %s", strerror(errno));
			return -1;
		}
	}
	a->db_pages = r->db_pages;
	if (a->then)
		return a->then(a->then_arg, r->seq, a->db_pages);
	return r->seq == a->upto ? PITR_WALK_STOP : 0;
}

/* The base's database copied from in to fd; a sealed base opened first
 * (into a scratch file without a name). */
static int copy_plain(const char *path, int in, int fd)
{
	char *scratch = NULL, *why = NULL, buf[1 << 16];
	int src = in;
	if (cli_is_sealed(path)) {
		if (!(scratch = cli_unseal_to_temp(path, &why))) {
			if (why)
				cli_errorf("cannot open the sealed base %s: %s", path, why);
			free(why);
			return -1;
		}
		src = open(scratch, O_RDONLY | O_CLOEXEC);
	}
	ssize_t n;
	int rc = src >= 0 ? 0 : -1;
	while (rc == 0 && (n = read(src, buf, sizeof buf)) != 0)
		rc = n > 0 && write(fd, buf, (size_t)n) == n ? 0 : -1;
	if (rc != 0)
		cli_errorf("cannot copy the base %s: %s", path, strerror(errno));
	if (scratch) {
		if (src >= 0)
			close(src);
		cli_scratch_release(scratch);
	}
	return rc;
}

int pitr_apply_from(const char *dir, uint64_t from, int fd, uint32_t epoch, uint64_t after,
                    uint64_t upto, uint32_t page_size, uint32_t *db_pages)
{
	if (upto <= after)
		return 0;
	apply_arg a = {epoch, after, upto, fd, page_size, *db_pages, NULL, NULL, false};
	pitr_walk w = {.from = from};
	int rc = pitr_walk_records(dir, &w, apply_record, &a, false);
	*db_pages = a.db_pages;
	return rc;
}

int pitr_apply(const char *dir, int fd, uint32_t epoch, uint64_t after, uint64_t upto,
               uint32_t page_size, uint32_t *db_pages)
{
	return pitr_apply_from(dir, 0, fd, epoch, after, upto, page_size, db_pages);
}

static int write_chunk(dbc_ctx *ctx, void *arg, const unsigned char *chunk, size_t n)
{
	(void)ctx;
	return write(*(int *)arg, chunk, n) == (ssize_t)n ? DBC_OK : DBC_ERROR;
}

int pitr_apply_each(const char *dir, int fd, uint32_t epoch, uint64_t after, uint32_t page_size,
                    uint32_t db_pages, pitr_applied_fn then, void *arg)
{
	apply_arg a = {epoch, after, UINT64_MAX, fd, page_size, db_pages, then, arg, false};
	return pitr_each_record(dir, apply_record, &a, false);
}

int pitr_copy_base(const char *dir, const pitr_rec *b, int fd)
{
	char *path = NULL, sha[65];
	if (asprintf(&path, "%s/%s", dir, b->base_name) < 0)
		return -1;
	/* a plain base is copied to fd as its SHA-256 is taken (one read of
	 * it; the copy is only used once sha matches); a sealed one is opened
	 * to its plain bytes once its SHA-256 matches */
	/* the base is vetted (pitr_file_open) before anything else opens it;
	 * a plain one is read no further than the pages its record names */
	int in = pitr_file_open(path, NULL), rc = -1;
	bool plain = in >= 0 && !cli_is_sealed(path);
	off_t size = plain ? (off_t)b->db_pages * b->page_size : -1;
	if (in < 0 ||
	    pitr_file_sha256(cli_text_host(), path, size, plain ? write_chunk : NULL, &fd, sha) != 0)
		cli_errorf("cannot read the base %s: %s", path, pitr_file_strerror(errno));
	else if (strcmp(sha, b->base_sha) != 0)
		cli_errorf("the base %s is not the file the log names (SHA-256 %s, the log: %s)", path, sha,
		           b->base_sha);
	else
		rc = plain ? 0 : copy_plain(path, in, fd);
	if (in >= 0)
		close(in);
	free(path);
	return rc;
}

void pitr_remove_image(const char *image)
{
	char *side = NULL;
	unlink(image);
	cli_stop_track(CLI_STOP_IMAGE, NULL);
	for (int i = 0; i < 2; i++)
		if (asprintf(&side, "%s%s", image, i ? "-shm" : "-wal") >= 0) {
			unlink(side);
			free(side);
		}
}
