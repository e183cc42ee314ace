/*
 * pitr_remote.c — a point-in-time log named by a store URL (s3://BUCKET/
 * PREFIX, where `dbcare log --copy-to` ships it: pitr_ship.c) restored,
 * drilled, its status read and pruned from the store alone: the log is
 * fetched into a private folder (cli_backup_fetch_all) and the one
 * implementation of each runs there, so a log in a bucket is read by the
 * same rules as one on disk. A log named by a folder goes straight through.
 *
 * Invariant of the prune: the store loses exactly the files the prune of
 * the fetched copy deleted, and in its order (a closed segment before its
 * record, the segments before the bases), so a prune killed halfway
 * leaves a log that still restores to every moment it kept.
 */
#include "pitr.h"

#include "cli/backup/common/shipped.h"
#include "cli/store/store.h"
#include "base/heap_grow.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* dir as a folder to read: itself, or a URL's log fetched into *stage
 * (NULL: nothing fetched). 0, or -1 after saying why. */
static int local_dir(cli_opts *o, const char *where, const char **dir, char **stage)
{
	*stage = NULL;
	*dir = where;
	if (!cli_store_is_url(where))
		return 0;
	if (cli_backup_fetch_all(where, stage) != CLI_OK)
		return -1;
	cli_note(&o->out, "fetched the log of %s into %s", where, *stage);
	*dir = *stage;
	return 0;
}

/* One of the log's readers, run on a folder. */
typedef int (*pitr_reader)(cli_db *db, cli_opts *o, const char *dir);

/* run on where's log: the folder itself, or the URL's log fetched into a
 * private folder, dropped again on every path. */
static int run_at(cli_db *db, cli_opts *o, const char *where, pitr_reader run)
{
	const char *dir;
	char *stage;
	if (local_dir(o, where, &dir, &stage) != 0)
		return CLI_ERROR;
	int rc = run(db, o, dir);
	cli_backup_fetched_drop(stage, NULL);
	return rc;
}

static int status_reader(cli_db *db, cli_opts *o, const char *dir)
{
	(void)db;
	return cli_pitr_status(o, dir);
}

int cli_pitr_restore_at(cli_db *db, cli_opts *o, const char *where)
{
	return run_at(db, o, where, cli_pitr_restore);
}

int cli_pitr_drill_at(cli_db *db, cli_opts *o, const char *where)
{
	return run_at(db, o, where, cli_pitr_drill);
}

int cli_pitr_status_at(cli_opts *o, const char *where)
{
	return run_at(NULL, o, where, status_reader);
}

/* The order the prune deletes in (pitr_prune.c): closed segments, their
 * records, then the rest (bases). */
static int drop_rank(const char *name)
{
	size_t len = strlen(name);
	if (len > 7 && strcmp(name + len - 7, ".dbclog") == 0)
		return 0;
	return len > 5 && strcmp(name + len - 5, ".json") == 0 ? 1 : 2;
}

static int by_drop_order(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int rx = drop_rank(x), ry = drop_rank(y);
	return rx != ry ? rx - ry : strcmp(x, y);
}

/* The names in stage, the copy as fetched, before the prune runs on it,
 * sorted (cli_store_names_has): a file the store lists later and this
 * list lacks was shipped meanwhile (a running `dbcare log --copy-to`) and
 * is never the prune's to delete. NULL with *n = 0 when the folder cannot
 * be read. */
static char **fetched_names(const char *stage, size_t *n)
{
	char **names = NULL;
	size_t cap = 0;
	*n = 0;
	DIR *d = opendir(stage);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		if (!dbc_heap_reserve(&names, *n + 1, &cap, sizeof *names, 64) ||
		    !(names[*n] = strdup(e->d_name)))
			break;
		(*n)++;
	}
	if (d)
		closedir(d);
	cli_store_names_sort(names, *n);
	return names;
}

/* The names the store lists that were fetched (before[0..nbefore)) and
 * that the prune removed from the copy in stage, deleted from the store,
 * in the prune's order. 0, or -1 after saying why. */
static int drop_in_store(cli_opts *o, const char *url, const char *stage, char **before,
                         size_t nbefore)
{
	char err[1024], **names = NULL, *path = NULL;
	size_t count = 0, gone = 0;
	struct stat st;
	cli_store *s = cli_store_open(url, err, sizeof err);
	int rc = s ? cli_store_list(s, &names, &count, err, sizeof err) : -1;
	for (size_t i = 0; rc == 0 && i < count; i++) {
		if (!cli_store_name_ok(names[i]) || asprintf(&path, "%s/%s", stage, names[i]) < 0)
			continue;
		bool kept = lstat(path, &st) == 0 || !cli_store_names_has(before, nbefore, names[i]);
		free(path);
		if (!kept) { /* moved to the front: the names to delete */
			char *t = names[gone];
			names[gone++] = names[i], names[i] = t;
		}
	}
	if (rc == 0)
		qsort(names, gone, sizeof *names, by_drop_order);
	for (size_t i = 0; rc == 0 && i < gone; i++) {
		rc = cli_store_delete(s, names[i], err, sizeof err);
		if (rc == 0)
			cli_note(&o->out, "deleted %s/%s", cli_store_label(s), names[i]);
	}
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		cli_errorf("log prune: %s keeps files the prune removes: run it again once the store "
		           "answers",
		           url);
	}
	cli_store_names_free(names, count);
	cli_store_close(s);
	return rc;
}

int cli_pitr_prune_at(cli_opts *o, const char *where)
{
	const char *dir;
	char *stage;
	if (local_dir(o, where, &dir, &stage) != 0)
		return CLI_ERROR;
	if (stage)
		cli_note(&o->out, "log prune: what it names in %s is the file of the same name in %s",
		         stage, where);
	size_t nbefore = 0;
	char **before = stage ? fetched_names(stage, &nbefore) : NULL;
	int rc = cli_pitr_prune(o, dir);
	if (rc == CLI_OK && stage && o->apply && drop_in_store(o, where, stage, before, nbefore) != 0)
		rc = CLI_ERROR;
	cli_store_names_free(before, nbefore);
	cli_backup_fetched_drop(stage, NULL);
	return rc;
}
