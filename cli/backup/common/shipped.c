/*
 * shipped.c — backups that leave the machine (shipped.h). An upload
 * starts only once the method has made, verified and catalogued the local
 * file, and publishes the object only once it is whole and checked
 * (cli/store/store.h): a kill or an error leaves the bucket with no
 * object a restore would pick. A fetch writes into a folder of its own,
 * never beside the database, and removes it on every path it sees.
 */
#include "shipped.h"
#include "shipped_chain.h"
#include "cli/common/files.h"
#include "cli/store/store.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where name is in s, as a catalog row names it (shipped.h); NULL when
 * out of memory or the folder is gone. */
static char *located(cli_store *s, const char *name)
{
	const char *label = cli_store_label(s);
	char abs[PATH_MAX], *out = NULL;
	if (!cli_store_is_url(label) && !realpath(label, abs))
		return NULL;
	const char *at = cli_store_is_url(label) ? label : abs;
	size_t n = strlen(at);
	if (asprintf(&out, "%s%s%s", at, n && at[n - 1] == '/' ? "" : "/", name) < 0)
		return NULL;
	return out;
}

int cli_backup_ship(cli_opts *o, const char *file, bool indexed, char **at)
{
	char err[1024];
	if (at)
		*at = NULL;
	cli_store *s = cli_store_open(o->copy_to, err, sizeof err);
	const char *slash = strrchr(file, '/');
	const char *name = slash ? slash + 1 : file;
	if (!s || cli_store_put_file(s, name, file, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		cli_store_close(s);
		return CLI_ERROR;
	}
	cli_note(&o->out, "uploaded %s to %s/%s (%s)", file, cli_store_label(s), name,
	         cli_store_checked_how(s));
	if (at && !(*at = located(s, name))) {
		cli_errorf("cannot name %s/%s for the catalog", cli_store_label(s), name);
		cli_store_close(s);
		return CLI_ERROR;
	}
	/* the index only spares a restore the rest of the folder: the backup
	 * in the store is whole without it */
	if (indexed && cli_backup_ship_refs(s, name, file, err, sizeof err) != 0)
		fprintf(stderr,
		        "%s\ndbcare: %s/%s is whole but not indexed by its SHA-256: a restore of a "
		        "chain on it fetches every backup of its folder\n",
		        err, cli_store_label(s), name);
	cli_store_close(s);
	return CLI_OK;
}

void cli_backup_ship_failed(cli_opts *o, const char *file)
{
	fprintf(stderr,
	        "dbcare: the backup %s stands, but it is not in %s: run the backup again once the "
	        "store answers\n",
	        file, o->copy_to);
}

/* The backups a prune's answer lists (its "deleted" or "would_delete")
 * deleted from s by their names, in its order (the newest first: an
 * incremental before its base), or listed (a dry run). 0, or -1 with
 * err. */
static int unship_each(cli_opts *o, cli_store *s, json_t *list, bool dry, char *err, size_t n)
{
	size_t i;
	json_t *b;
	int rc = 0;
	json_array_foreach(list, i, b)
	{
		const char *path = json_string_value(json_object_get(b, "path"));
		const char *slash = path ? strrchr(path, '/') : NULL;
		const char *name = slash ? slash + 1 : path;
		if (rc != 0 || !name || !cli_store_name_ok(name))
			continue;
		if (dry)
			printf("would delete %s/%s\n", cli_store_label(s), name);
		else if ((rc = cli_store_delete(s, name, err, n)) == 0)
			cli_note(&o->out, "deleted %s/%s", cli_store_label(s), name);
	}
	return rc;
}

int cli_backup_unship(cli_opts *o, const char *answer)
{
	char err[1024];
	json_t *doc = json_loads(answer, 0, NULL);
	json_t *deleted = json_object_get(doc, "deleted"),
	       *would = json_object_get(doc, "would_delete");
	cli_store *s = cli_store_open(o->copy_to, err, sizeof err);
	int rc = s ? 0 : -1;
	if (rc == 0 && (json_is_array(deleted) || json_is_array(would)))
		rc =
		    unship_each(o, s, json_is_array(deleted) ? deleted : would, !o->apply, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		fprintf(stderr,
		        "dbcare: backups prune deleted nothing in this database: run it again once %s "
		        "answers\n",
		        o->copy_to);
	}
	cli_store_close(s);
	json_decref(doc);
	return rc == 0 ? CLI_OK : CLI_ERROR;
}

char *cli_backup_copies_at(cli_opts *o)
{
	char err[1024];
	cli_store *s = cli_store_open(o->copy_to, err, sizeof err);
	char *at = s ? located(s, "") : NULL;
	if (!s)
		fprintf(stderr, "%s\n", err);
	else if (!at)
		cli_errorf("cannot name %s for the catalog", cli_store_label(s));
	cli_store_close(s);
	return at;
}

static int fetch_one(cli_store *s, const char *stage, const char *name, char **path, char *err,
                     size_t n)
{
	if (asprintf(path, "%s/%s", stage, name) < 0) {
		*path = NULL;
		snprintf(err, n, "dbcare: out of memory");
		return -1;
	}
	return cli_store_get_file(s, name, *path, err, n);
}

/* Each of names (the store's listing) not in stage yet fetched into it.
 * A listed name that cannot be a file of stage as it is
 * (cli_store_name_ok: "..", ".x", longer than 255 bytes) is another
 * writer's object, never fetched. 0, or -1 with err. */
static int fetch_absent(cli_store *s, const char *stage, char **names, size_t count, char *err,
                        size_t n)
{
	char *path = NULL;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < count; i++) {
		if (!cli_store_name_ok(names[i]))
			continue;
		if (asprintf(&path, "%s/%s", stage, names[i]) < 0) {
			snprintf(err, n, "dbcare: out of memory");
			return -1;
		}
		bool there = access(path, F_OK) == 0;
		free(path);
		path = NULL;
		if (!there)
			rc = fetch_one(s, stage, names[i], &path, err, n);
		free(path);
		path = NULL;
	}
	return rc;
}

/* name and, for an incremental backup, its chain's links fetched into
 * the folder stage: by the store's index of SHA-256s alone when every link
 * has one (shipped_chain.c), else with every other name of s's folder (a
 * chain uploaded before indexes). A listed name that cannot be a file of
 * stage as it is (cli_store_name_ok: "..", ".x", longer than 255 bytes)
 * is another writer's object, never fetched; name itself must be one.
 * 0, or -1 with err. */
static int fetch_into(cli_store *s, const char *stage, const char *name, char **file, char *err,
                      size_t n)
{
	char **names = NULL;
	size_t count = 0;
	if (!cli_store_name_ok(name)) {
		snprintf(err, n,
		         "dbcare: %s/%.*s cannot be fetched into a local file by its name (empty, "
		         "starting with '.' or longer than 255 bytes): copy it to a plain name",
		         cli_store_label(s), 300, name);
		return -1;
	}
	if (fetch_one(s, stage, name, file, err, n) != 0)
		return -1;
	if (!cli_page_set(*file))
		return 0;
	int rc = cli_store_list(s, &names, &count, err, n);
	int by_index = rc == 0 ? cli_backup_fetch_chain(s, stage, *file, names, count, err, n) : -1;
	if (by_index == 1)
		rc = fetch_absent(s, stage, names, count, err, n);
	cli_store_names_free(names, count);
	return rc == 0 && by_index >= 0 ? 0 : -1;
}

/* A new private folder (0700) in TMPDIR to fetch url into: 0, or -1
 * with err. */
static int stage_dir(const char *url, char **stage, char *err, size_t n)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	if (asprintf(stage, "%s/dbcare-fetch-XXXXXX", tmp) < 0 || !mkdtemp(*stage)) {
		snprintf(err, n, "dbcare: cannot make a folder in %s to fetch %s into", tmp, url);
		free(*stage);
		*stage = NULL;
		return -1;
	}
	return 0;
}

int cli_backup_fetch(const char *url, char **stage, char **file)
{
	char err[1024], *name = NULL;
	*stage = *file = NULL;
	cli_store *s = cli_store_open_object(url, &name, err, sizeof err);
	int rc = s ? 0 : -1;
	if (rc == 0)
		rc = stage_dir(url, stage, err, sizeof err);
	if (rc == 0)
		rc = fetch_into(s, *stage, name, file, err, sizeof err);
	cli_store_close(s);
	free(name);
	if (rc == 0)
		return CLI_OK;
	fprintf(stderr, "%s\n", err);
	cli_backup_fetched_drop(*stage, *file);
	*stage = *file = NULL;
	return CLI_ERROR;
}

int cli_backup_fetch_all(const char *url, char **stage)
{
	char err[1024], **names = NULL;
	size_t count = 0;
	*stage = NULL;
	cli_store *s = cli_store_open(url, err, sizeof err);
	int rc = s ? cli_store_list(s, &names, &count, err, sizeof err) : -1;
	if (rc == 0)
		rc = stage_dir(url, stage, err, sizeof err);
	if (rc == 0)
		rc = fetch_absent(s, *stage, names, count, err, sizeof err);
	cli_store_names_free(names, count);
	cli_store_close(s);
	if (rc == 0)
		return CLI_OK;
	fprintf(stderr, "%s\n", err);
	cli_backup_fetched_drop(*stage, NULL);
	*stage = NULL;
	return CLI_ERROR;
}

void cli_backup_fetched_drop(char *stage, char *file)
{
	if (stage)
		cli_remove_tree(stage, false);
	free(stage);
	free(file);
}
