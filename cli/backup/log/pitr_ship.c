/*
 * pitr_ship.c — `dbcare log --copy-to DEST`: the log's finished files
 * shipped to a destination of the object store (cli/store/store.h:
 * s3://BUCKET/PREFIX or a folder) while the capture runs, so that a lost
 * host loses at most the segment being written (one --segment-interval)
 * and the upload of the last one closed.
 *
 * Invariants:
 *   - Only a file the capture has published by its rename is shipped:
 *     log.identity, a base (base-<time>.db), a closed segment's record
 *     (log-<seq>.json) and the closed segment (log-<seq>.dbclog). Each is
 *     never written again under its name, so a name in the store is the
 *     file whole (the store's put is atomic and checked).
 *   - A closed segment is shipped only after its record: the store never
 *     holds a closed segment a restore would find without its record. A
 *     record without its segment (a kill between the two) is read by
 *     nobody until the segment follows at the next run.
 *   - What the store holds is listed once at the start; a run shipping
 *     into a store a killed run left ships only what is missing.
 *   - A failed upload is said once and tried again at the next scan; the
 *     capture goes on (its local log stays whole).
 */
#include "pitr.h"

#include "base/clock.h"
#include "base/heap_grow.h"
#include "cli/store/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The store is looked at again at most this often while nothing closes. */
#define SCAN_MS 250

struct pitr_ship {
	cli_opts *o;
	cli_store *s;
	const char *dir;
	char **have; /* the names the store holds, sorted */
	size_t nhave, cap;
	double scanned_ms;
	bool failing; /* the last upload failed: said, not again until one works */
	uint64_t shipped;
};

static bool has(const pitr_ship *sh, const char *name)
{
	return cli_store_names_has(sh->have, sh->nhave, name);
}

static bool ends_with(const char *s, size_t len, const char *tail)
{
	size_t t = strlen(tail);
	return len > t && strcmp(s + len - t, tail) == 0;
}

/* 1: a record or the identity (shipped in the first pass), 2: a closed
 * segment (the second), 0: nothing the log has finished. */
static int finished_kind(const char *name)
{
	size_t len = strlen(name);
	if (!cli_store_name_ok(name))
		return 0;
	if (strcmp(name, "log.identity") == 0 ||
	    (strncmp(name, "base-", 5) == 0 && ends_with(name, len, ".db")) ||
	    (strncmp(name, "log-", 4) == 0 && ends_with(name, len, ".json")))
		return 1;
	return strncmp(name, "log-", 4) == 0 && ends_with(name, len, ".dbclog") ? 2 : 0;
}

static int remember(pitr_ship *sh, const char *name)
{
	if (!dbc_heap_reserve(&sh->have, sh->nhave + 1, &sh->cap, sizeof *sh->have, 64))
		return -1;
	char *copy = strdup(name);
	if (!copy)
		return -1;
	size_t at = sh->nhave;
	while (at > 0 && strcmp(sh->have[at - 1], copy) > 0)
		at--;
	memmove(sh->have + at + 1, sh->have + at, (sh->nhave - at) * sizeof *sh->have);
	sh->have[at] = copy;
	sh->nhave++;
	return 0;
}

pitr_ship *pitr_ship_open(cli_opts *o, const char *dir, const char *dest)
{
	char err[1024];
	pitr_ship *sh = calloc(1, sizeof *sh);
	if (!sh) {
		cli_errorf("out of memory");
		return NULL;
	}
	sh->o = o;
	sh->dir = dir;
	sh->s = cli_store_open(dest, err, sizeof err);
	if (!sh->s || cli_store_list(sh->s, &sh->have, &sh->nhave, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		cli_errorf("log: %s does not answer: nothing captured (run dbcare log again once it "
		           "does)",
		           dest);
		pitr_ship_close(sh);
		return NULL;
	}
	sh->cap = sh->nhave;
	return sh;
}

/* name of the log uploaded: 0, or -1 (said once until one works). */
static int ship_one(pitr_ship *sh, const char *name)
{
	char err[1024], *path = NULL;
	if (asprintf(&path, "%s/%s", sh->dir, name) < 0) {
		cli_errorf("out of memory");
		return -1;
	}
	int rc = cli_store_put_file(sh->s, name, path, err, sizeof err);
	free(path);
	if (rc != 0) {
		if (!sh->failing) {
			fprintf(stderr, "%s\n", err);
			cli_errorf("log: %s/%s is not shipped to %s yet: the capture goes on and ships it "
			           "again every %d ms until the store takes it",
			           sh->dir, name, cli_store_label(sh->s), SCAN_MS);
		}
		sh->failing = true;
		return -1;
	}
	if (sh->failing)
		cli_note(&sh->o->out, "log: %s takes the log's files again", cli_store_label(sh->s));
	sh->failing = false;
	sh->shipped++;
	return remember(sh, name);
}

/* The finished files of the log of kind (finished_kind) the store lacks,
 * sorted: *names. */
static int missing(pitr_ship *sh, int kind, char ***names, size_t *n)
{
	DIR *d = opendir(sh->dir);
	size_t cap = 0;
	struct dirent *e;
	*names = NULL, *n = 0;
	if (!d) {
		cli_errorf("log: cannot read %s to ship it: %s", sh->dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (finished_kind(e->d_name) != kind || has(sh, e->d_name))
			continue;
		/* a closed segment waits for its record */
		char json[300];
		if (kind == 2 && (snprintf(json, sizeof json, "%.*s.json", (int)(strlen(e->d_name) - 7),
		                           e->d_name) >= (int)sizeof json ||
		                  !has(sh, json)))
			continue;
		if (!dbc_heap_reserve(names, *n + 1, &cap, sizeof **names, 16) ||
		    !((*names)[*n] = strdup(e->d_name))) {
			closedir(d);
			cli_errorf("out of memory");
			return -1;
		}
		(*n)++;
	}
	closedir(d);
	cli_store_names_sort(*names, *n);
	return 0;
}

int pitr_ship_poll(pitr_ship *sh, bool now)
{
	double t = dbc_monotonic_ms();
	if (!now && t - sh->scanned_ms < SCAN_MS)
		return 0;
	sh->scanned_ms = t;
	int rc = 0;
	/* records first, then the segments whose record the store holds */
	for (int kind = 1; kind <= 2 && rc == 0; kind++) {
		char **names;
		size_t n;
		if (missing(sh, kind, &names, &n) != 0)
			return -1;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = ship_one(sh, names[i]);
		cli_store_names_free(names, n);
	}
	return rc;
}

uint64_t pitr_ship_count(const pitr_ship *sh)
{
	return sh->shipped;
}

const char *pitr_ship_label(const pitr_ship *sh)
{
	return cli_store_label(sh->s);
}

void pitr_ship_close(pitr_ship *sh)
{
	if (!sh)
		return;
	cli_store_close(sh->s);
	cli_store_names_free(sh->have, sh->nhave);
	free(sh);
}
