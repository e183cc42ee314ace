/*
 * pages_base.c — the base an incremental backup to a store builds on
 * (pages.h): the module builds on the newest verified backup of kind
 * 'file' (core/backup/backup_chain.c) and needs its file at the path its
 * row names. With the destination a store's URL (--copy-to, or backup.dir)
 * that file is a cache of the copy in the store: kept when its SHA-256 is
 * its row's, else the copy fetched back (held to the same SHA-256) and put
 * at the path, so a chain goes on from the bucket alone, whatever happened
 * to the local files. The increment itself is uploaded and recorded by
 * cli_module_ship, only once whole in the store.
 *
 * Invariant: nothing is put at the base's path but bytes whose SHA-256 is
 * the one its catalog row records; the file appears there whole (renamed
 * from a temporary name in its folder) or not at all.
 */
#include "pages.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* path's folder made (mode 0700, its parents too) when it is gone: the
 * working folder of an earlier run, removed since. 0, or -1 with errno. */
static int make_folder_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	if ((size_t)(slash - path) >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The object url (the base's copy, recorded with sha256) fetched to a
 * temporary name beside path, checked, and renamed to path. CLI_OK, or
 * CLI_ERROR after saying why (nothing left at path or beside it). */
static int fetch_base(const char *url, const char *sha256, const char *path)
{
	char err[1024], *name = NULL, *tmp = NULL, *why = NULL;
	bool oom = false;
	int rc = CLI_ERROR;
	cli_store *s = cli_store_open_object(url, &name, err, sizeof err);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return CLI_ERROR;
	}
	if (make_folder_of(path) != 0)
		cli_errorf("cannot make the folder of %s to fetch its base into: %s", path,
		           strerror(errno));
	else if (asprintf(&tmp, "%s.fetch-%ld", path, (long)getpid()) < 0)
		cli_errorf("out of memory");
	else if (unlink(tmp), cli_store_get_file(s, name, tmp, err, sizeof err) != 0)
		fprintf(stderr, "%s\n", err);
	else if ((why = cli_file_mismatch(tmp, sha256, &oom)) || oom)
		cli_errorf("the object %s is not the base backup its catalog row records: %s; the "
		           "row records SHA-256 %s: no incremental backup is built on it (take a "
		           "full one)",
		           url, why ? why : "out of memory", sha256);
	else if (rename(tmp, path) != 0)
		cli_errorf("cannot put the base fetched from %s at %s: %s", url, path, strerror(errno));
	else
		rc = CLI_OK;
	if (tmp && rc != CLI_OK)
		unlink(tmp);
	free(why);
	free(tmp);
	free(name);
	cli_store_close(s);
	return rc;
}

/* The newest verified module backup's row (id, kind, path, sha256, ...:
 * cli_backup_row's), the base dbbackup_create builds on; no row: none. */
static int base_row(cli_db *db, cli_opts *o, cli_rows *row)
{
	cli_rows newest = {0};
	int rc = cli_q(db, o,
	               "SELECT CAST(id AS text) FROM dbbackup_list() WHERE kind = 'file' AND "
	               "status = 'verified' ORDER BY id DESC LIMIT 1",
	               0, NULL, &newest);
	if (rc == 0 && newest.nrows == 1)
		rc = cli_backup_row(db, o, cli_cell(&newest, 0, 0), NULL, NULL, row);
	cli_rows_free(&newest);
	return rc;
}

/* The base at path, its row recording sha, fetched back from its copy in
 * o->copy_to (the object of its name there whose row records the same
 * SHA-256); why: what is wrong with the local file (NULL: it is gone).
 * CLI_OK, or CLI_ERROR after saying why. */
static int from_store(cli_db *db, cli_opts *o, const char *path, const char *sha, const char *why)
{
	const char *slash = strrchr(path, '/');
	size_t n = strlen(o->copy_to);
	char *url = NULL;
	if (asprintf(&url, "%s%s%s", o->copy_to, n && o->copy_to[n - 1] == '/' ? "" : "/", slash + 1) <
	    0) {
		cli_errorf("out of memory");
		return CLI_ERROR;
	}
	cli_rows copy = {0};
	int rc = cli_backup_row(db, o, NULL, url, NULL, &copy) != 0 ? CLI_ERROR : CLI_OK;
	const char *copy_sha = copy.nrows == 1 ? cli_cell(&copy, 0, 3) : NULL;
	if (rc == CLI_OK && (!copy_sha || strcmp(copy_sha, sha) != 0)) {
		cli_errorf("the base of this incremental backup, %s, is %s, and %s holds no copy of it "
		           "recorded in the catalog: take a full backup (without --incremental), "
		           "which begins a chain the store holds",
		           path, why ? "not the file its row records" : "gone", o->copy_to);
		rc = CLI_ERROR;
	} else if (rc == CLI_OK && why) {
		/* a changed local file is no base: the store's copy takes its place */
		cli_note(&o->out, "the base backup %s %s: fetched again from %s", path, why, url);
		if (unlink(path) != 0) {
			cli_errorf("cannot remove the changed base %s: %s", path, strerror(errno));
			rc = CLI_ERROR;
		}
	}
	if (rc == CLI_OK)
		rc = fetch_base(url, sha, path);
	if (rc == CLI_OK)
		cli_note(&o->out, "fetched the base backup %s into %s (SHA-256 checked)", url, path);
	free(url);
	cli_rows_free(&copy);
	return rc;
}

/* The base at path, its row recording sha: the local file, the cache,
 * when it is the row's bytes, else the store's copy. */
static int stage(cli_db *db, cli_opts *o, const char *path, const char *sha)
{
	bool oom = false, here = access(path, F_OK) == 0;
	char *why = here ? cli_file_mismatch(path, sha, &oom) : NULL;
	int rc = CLI_OK;
	if (oom) {
		cli_errorf("out of memory");
		rc = CLI_ERROR;
	} else if (here && !why) {
		cli_note(&o->out, "the base backup %s is its catalog row's (SHA-256 checked)", path);
	} else {
		rc = from_store(db, o, path, sha, why);
	}
	free(why);
	return rc;
}

int cli_module_stage_base(cli_db *db, cli_opts *o)
{
	cli_rows base = {0};
	int rc = base_row(db, o, &base) != 0 ? CLI_ERROR : CLI_OK;
	const char *path = cli_cell(&base, 0, 2), *sha = cli_cell(&base, 0, 3);
	/* none, or a row without its SHA-256: the module says what it lacks */
	if (rc == CLI_OK && base.nrows == 1 && path && sha && path[0] == '/')
		rc = stage(db, o, path, sha);
	cli_rows_free(&base);
	return rc;
}
