/*
 * pitr_mark.c — a restore point (dbbackup_mark) as a place in the log:
 * the commit that wrote its row. The log holds pages, not rows, so the
 * place is found as SQLite reads it: a commit that wrote the row wrote a
 * page holding the label's bytes, so only such commits (candidates) can
 * be it; the images of the base and of each candidate, in log order, are
 * built in a scratch file and asked through the module
 * (dbbackup_marks()) whether the mark is there. The first candidate whose
 * image has it, in an epoch whose base has not, is the place: no commit
 * before it (in the base, a non-candidate, an earlier candidate) had the
 * row. A label that is also in the application's data only adds
 * candidates.
 */
#include "cli/driver/conn.h"
#include "pitr.h"

#include "base/heap_grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct candidate {
	uint32_t epoch;
	uint64_t seq;
} candidate;

typedef struct mark_scan {
	const char *label;
	size_t len;
	pitr_rec *bases; /* one per epoch, in log order */
	size_t nbases, bases_cap;
	candidate *c; /* every commit whose pages hold the label: many in a long log */
	size_t n, c_cap;
} mark_scan;

static int scan_record(void *arg, const pitr_rec *r)
{
	mark_scan *m = arg;
	if (r->type == PITR_REC_BASE) {
		if (!dbc_heap_reserve(&m->bases, m->nbases + 1, &m->bases_cap, sizeof *m->bases, 8))
			return -1;
		pitr_rec *b = m->bases;
		b[m->nbases] = *r;
		b[m->nbases].pages = NULL;
		b[m->nbases].rows = NULL;
		b[m->nbases].base_name = strdup(r->base_name);
		return b[m->nbases++].base_name ? 0 : -1;
	}
	if (r->type != PITR_REC_COMMIT || !memmem(r->pages, r->pages_len, m->label, m->len))
		return 0;
	if (!dbc_heap_reserve(&m->c, m->n + 1, &m->c_cap, sizeof *m->c, 16))
		return -1;
	m->c[m->n++] = (candidate){r->epoch, r->seq};
	return 0;
}

/* Whether the image at path (size db_pages) holds the mark: 1, 0, or -1
 * after saying why it could not be read. */
static int image_has(cli_opts *o, const char *path, const char *label)
{
	cli_target t = {0};
	char *err = NULL, *spec = NULL;
	cli_db *db = NULL;
	if (asprintf(&spec, "sqlite:%s", path) >= 0 && cli_target_parse(spec, &t, &err) == 0)
		db = cli_connect(&t, &(cli_connect_opts){.module = o->module}, &err);
	free(spec);
	free(t.spec);
	free(t.label);
	if (!db) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: cannot open the scratch image");
		free(err);
		return -1;
	}
	cli_rows r = {0};
	const char *p[1] = {label};
	/* only read: a module that would change the image (its bookkeeping
	 * upgraded) fails here instead of spoiling the pages still to come */
	int has = cli_exec(db, "PRAGMA query_only = 1") != 0 ? -1 : 0;
	if (has != 0)
		cli_print_db_error(&o->out, db);
	else if (db->drv->query(db, "SELECT count(*) FROM dbbackup_marks() WHERE label = $1", 1, p,
	                        &r) != 0)
		cli_error_clear(db); /* no whole bookkeeping in this image yet: no mark in it either */
	else
		has = cli_cell(&r, 0, 0) && strcmp(cli_cell(&r, 0, 0), "0") != 0;
	cli_rows_free(&r);
	cli_disconnect(db);
	return has;
}

/* The image at fd cut to its size, then asked. */
static int ask(cli_opts *o, const char *path, int fd, const pitr_rec *b, uint32_t db_pages,
               const char *label)
{
	if (ftruncate(fd, (off_t)db_pages * b->page_size) != 0) {
		cli_errorf("cannot size the scratch image %s: %s", path, strerror(errno));
		return -1;
	}
	return image_has(o, path, label);
}

/* Asked after each commit applied (pitr_apply_each): at a candidate, the
 * image is asked; 1 when it has the mark, 2 past the epoch's candidates. */
typedef struct epoch_walk {
	cli_opts *o;
	const mark_scan *m;
	const pitr_rec *b;
	const char *image;
	int fd;
	size_t *i;
	uint64_t found;
} epoch_walk;

static int at_commit(void *arg, uint64_t seq, uint32_t db_pages)
{
	epoch_walk *w = arg;
	const mark_scan *m = w->m;
	while (*w->i < m->n && m->c[*w->i].epoch == w->b->epoch && m->c[*w->i].seq < seq)
		(*w->i)++; /* a candidate the base holds already */
	if (*w->i >= m->n || m->c[*w->i].epoch != w->b->epoch)
		return 2;
	if (seq != m->c[*w->i].seq)
		return 0;
	(*w->i)++;
	int has = ask(w->o, w->image, w->fd, w->b, db_pages, m->label);
	if (has > 0)
		w->found = seq;
	return has;
}

/* The candidates of base b's epoch, from *i on, tried in order on an image
 * of b, the epoch's commits applied in one read of the log: 1 with *seq the
 * place, 0 when the base already has the mark or no candidate has it, -1 on
 * error. *before: the base has it. */
static int try_epoch(cli_opts *o, const char *dir, const mark_scan *m, const pitr_rec *b,
                     const char *image, int fd, size_t *i, uint64_t *seq, bool *before)
{
	if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0 || pitr_copy_base(dir, b, fd) != 0)
		return -1;
	int has = ask(o, image, fd, b, b->db_pages, m->label);
	if (has != 0) {
		*before = has > 0;
		return has > 0 ? 0 : -1;
	}
	epoch_walk w = {o, m, b, image, fd, i, 0};
	if (pitr_apply_each(dir, fd, b->epoch, b->seq, b->page_size, b->db_pages, at_commit, &w) < 0)
		return -1;
	if (!w.found) /* the epoch ended, or its candidates did: not in it */
		return 0;
	*seq = w.found;
	return 1;
}

/* The epochs with candidates, oldest first, until one gives the place. */
static int search(cli_opts *o, const char *dir, const mark_scan *m, const char *image, int fd,
                  uint32_t *epoch, uint64_t *seq, const char **before)
{
	size_t i = 0;
	for (size_t k = 0; k < m->nbases && i < m->n; k++) {
		const pitr_rec *b = &m->bases[k];
		while (i < m->n && m->c[i].epoch < b->epoch)
			i++; /* an epoch whose base is gone (pruned) */
		if (i == m->n || m->c[i].epoch != b->epoch)
			continue;
		bool had = false;
		int rc = try_epoch(o, dir, m, b, image, fd, &i, seq, &had);
		if (had && !*before)
			*before = b->base_name;
		if (rc != 0) {
			*epoch = b->epoch;
			return rc;
		}
		while (i < m->n && m->c[i].epoch == b->epoch)
			i++;
	}
	return 0;
}

int pitr_mark_find(cli_opts *o, const char *dir, const char *label, const char *beside,
                   uint32_t *epoch, uint64_t *seq)
{
	mark_scan m = {.label = label, .len = strlen(label)};
	char *image = NULL;
	const char *before = NULL;
	/* an empty label is in every page: no mark has it (dbbackup_mark refuses it) */
	int rc = !*label ? 1 : pitr_each_record(dir, scan_record, &m, true) == 0 ? 0 : -1;
	int fd = -1;
	if (rc == 0 && m.n > 0) {
		if (asprintf(&image, "%s.pitr-XXXXXX", beside) < 0 ||
		    (fd = cli_stop_mkstemp(CLI_STOP_IMAGE, image)) < 0) {
			cli_errorf("cannot create a scratch file beside %s: %s", beside, strerror(errno));
			rc = -1;
		} else {
			rc = search(o, dir, &m, image, fd, epoch, seq, &before);
			rc = rc > 0 ? 0 : rc < 0 ? -1 : 1;
		}
	} else if (rc == 0) {
		rc = 1;
	}
	if (rc == 1 && before)
		cli_errorf("the restore point \"%s\" was made before the log's base %s: the log cannot "
		           "restore to it (its own backup can: dbcare restore --to-mark \"%s\" on the "
		           "database)",
		           label, before, label);
	else if (rc == 1)
		cli_errorf("no restore point named \"%s\" in the log %s (dbbackup_mark makes one on "
		           "the database while its changes go to the log, by dbcare log or the module's "
		           "capture)",
		           label, dir);
	if (fd >= 0)
		close(fd);
	if (image) {
		pitr_remove_image(image);
		free(image);
	}
	for (size_t k = 0; k < m.nbases; k++)
		pitr_rec_free(&m.bases[k]);
	free(m.bases);
	free(m.c);
	return rc == 0 ? 0 : -1;
}
