/*
 * backup_dispatch.c — verify, drill and restore of a backup, whatever made
 * it: each finds the backup's method in the table (backup_methods.c), by
 * the kind of its catalog row, or the database's method that finds its
 * rows itself (the SQLite module), and calls the method's hook. Nothing
 * here asks which engine the database is on, nor knows a kind by name.
 */
#include "backup_methods.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/backup/pgbackrest/pgbackrest.h"
#include "cli/backup/log/pitr.h"
#include "cli/backup/common/shipped.h"
#include "cli/store/store.h"
#include "cli/common/files.h"

#include <jansson.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The method that takes arg, a file no catalog row names, from the file
 * alone (its own record: the catalog went with the database); NULL when
 * arg is no regular file or no method of db does. */
static const cli_backup_method *file_alone(const cli_db *db, const char *arg)
{
	struct stat st;
	if (!arg || stat(arg, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	return cli_backup_method_for(db, NULL, CLI_BACKUP_FILES_ALONE);
}

/* BACKUP's catalog row read, where its method does not find it itself;
 * *m its method. 0, or -1 after printing why not. */
static int find_method(cli_db *db, cli_opts *o, const char *arg, cli_rows *row,
                       const cli_backup_method **m)
{
	if ((*m = cli_backup_method_own_rows(db)))
		return 0;
	char kinds[128];
	char *abs = cli_resolved_path(arg); /* a deleted file too: the catalog's name */
	int found = cli_backup_row(db, o, NULL, abs ? abs : arg, arg, row);
	free(abs);
	if (found != 0)
		return -1;
	if (row->nrows == 0 && (*m = file_alone(db, arg)))
		return 0;
	if (row->nrows == 0) {
		cli_errorf("no catalogued backup at %s (dbcare backups lists them)", arg);
		return -1;
	}
	if (!(*m = cli_backup_method_for(db, cli_cell(row, 0, 1), CLI_BACKUP_VERIFY))) {
		cli_errorf("backup %s was recorded by %s: dbcare verifies the backups it makes (%s)",
		           cli_cell(row, 0, 2), cli_cell(row, 0, 1),
		           cli_backup_kinds(db, CLI_BACKUP_VERIFY, kinds, sizeof kinds));
		return -1;
	}
	return 0;
}

/* Why the object fetched from url into file is not the backup the
 * catalog row naming url records (malloc'd; NULL: it is, or no row names
 * url, or the row records no SHA-256): another file uploaded under the
 * same name never stands in for the backup its row describes. *oom set
 * when the answer could not be made. */
static char *fetched_mismatch(cli_db *db, cli_opts *o, const char *url, const char *file, bool *oom)
{
	cli_rows row = {0};
	char *why = NULL, *out = NULL;
	*oom = false;
	if (cli_backup_row(db, o, NULL, url, NULL, &row) != 0) {
		/* a database without dbcare's catalog (a new one restored into
		 * from the bucket alone): no row to hold the object to */
		cli_error_clear(db);
		cli_rows_free(&row);
		return NULL;
	}
	const char *sha = row.nrows == 1 ? cli_cell(&row, 0, 3) : NULL;
	if (sha && (why = cli_file_mismatch(file, sha, oom)) &&
	    asprintf(&out,
	             "the object %s is not the backup its catalog row %s records: %s; the row "
	             "records SHA-256 %s (another file uploaded under its name?)",
	             url, cli_cell(&row, 0, 0), why, sha) < 0) {
		out = NULL;
		*oom = true;
	}
	free(why);
	cli_rows_free(&row);
	return out;
}

/* A BACKUP named by a store URL (s3://...) in o's argument at: fetched
 * into a private folder, held to the SHA-256 of the catalog row naming
 * the URL when db has one (fetched_mismatch), and the argument (and
 * --from, unless given) pointed there for the hook, which sees a file
 * alone. 0, or -1 after printing why (nothing fetched is left); *stage
 * NULL when nothing fetched. */
static int fetched(cli_db *db, cli_opts *o, int at, char **stage, char **file)
{
	*stage = *file = NULL;
	if (o->nargs <= at || !cli_store_is_url(o->args[at]))
		return 0;
	if (cli_backup_fetch(o->args[at], stage, file) != CLI_OK)
		return -1;
	cli_note(&o->out, "fetched %s into %s", o->args[at], *stage);
	bool oom;
	char *forged = fetched_mismatch(db, o, o->args[at], *file, &oom);
	if (forged || oom) {
		cli_errorf("%s", forged ? forged : "out of memory");
		free(forged);
		cli_backup_fetched_drop(*stage, *file);
		*stage = *file = NULL;
		return -1;
	}
	o->args[at] = *file;
	if (!o->from_dir)
		o->from_dir = *stage;
	return 0;
}

/* A catalog row (cli_backup_row's) naming an object in a store: the
 * object fetched (with what its restore needs) and the row's path pointed
 * at the fetched file for the method's hook, which reads a file; *path
 * the row's own, put back by row_unfetch. 0 (nothing to do for a file),
 * or -1 after printing why. */
static int row_fetch(cli_opts *o, cli_rows *row, char **stage, char **file, char **path)
{
	char **cell = &row->cells[2];
	*stage = *file = *path = NULL;
	if (row->nrows == 0 || row->ncols < 3 || !*cell || !cli_store_is_url(*cell))
		return 0;
	if (cli_backup_fetch(*cell, stage, file) != CLI_OK)
		return -1;
	cli_note(&o->out, "fetched %s into %s", *cell, *stage);
	*path = *cell;
	*cell = *file;
	return 0;
}

static void row_unfetch(cli_rows *row, char *stage, char *file, char *path)
{
	if (path)
		row->cells[2] = path;
	cli_backup_fetched_drop(stage, file);
}

static int verify_one(cli_db *db, cli_opts *o);

/* verify URL of an object a catalog row names: the row's check, on the
 * object fetched. 1 when no row names url. */
static int verify_catalogued_object(cli_db *db, cli_opts *o, const char *url)
{
	cli_rows row = {0};
	const cli_backup_method *m = NULL;
	char *stage, *file, *path, *doc = NULL;
	int rc = cli_backup_row(db, o, NULL, url, NULL, &row) != 0 ? CLI_ERROR : 1;
	if (rc == 1 && row.nrows == 1 &&
	    (m = cli_backup_method_for(db, cli_cell(&row, 0, 1), CLI_BACKUP_VERIFY))) {
		rc = CLI_ERROR;
		if (row_fetch(o, &row, &stage, &file, &path) == 0) {
			if (m->verify(db, o, &(cli_backup_ref){url, &row, path}, NULL, &doc) == 0) {
				if (doc)
					cli_print_json_doc(db, o, "verify", doc);
				rc = CLI_OK;
			}
			row_unfetch(&row, stage, file, path);
		}
	}
	free(doc);
	cli_rows_free(&row);
	return rc;
}

int cli_verify_backup(cli_db *db, cli_opts *o)
{
	char *stage, *file;
	/* a store's object a row names is checked against its row (on SQLite
	 * too: a module backup's copy has a row of its own) */
	if (o->nargs > 0 && cli_store_is_url(o->args[0])) {
		int rc = verify_catalogued_object(db, o, o->args[0]);
		if (rc != 1)
			return rc;
	}
	if (fetched(db, o, 0, &stage, &file) != 0)
		return CLI_ERROR;
	int rc = verify_one(db, o);
	cli_backup_fetched_drop(stage, file);
	return rc;
}

static int verify_one(cli_db *db, cli_opts *o)
{
	cli_rows row = {0};
	const cli_backup_method *m = NULL;
	char *doc = NULL;
	int exit = CLI_ERROR;
	if (find_method(db, o, o->args[0], &row, &m) == 0 && m->verify) {
		cli_backup_ref b = {o->args[0], row.nrows ? &row : NULL, NULL};
		if (m->verify(db, o, &b, NULL, &doc) == 0) {
			if (doc)
				cli_print_json_doc(db, o, "verify", doc);
			exit = CLI_OK;
		}
	} else if (m) {
		cli_errorf("no hook verifies the %s backups of this database", m->kind);
	}
	free(doc);
	cli_rows_free(&row);
	return exit;
}

/* One backup's result: a line on stdout, or an element of out (JSON). */
static void result(cli_opts *o, json_t *out, const char *path, const char *state, const char *why)
{
	if (o->out.format == CLI_FMT_JSON) {
		json_array_append_new(
		    out, json_pack("{s:s, s:s, s:s?}", "path", path, "status", state, "detail", why));
		return;
	}
	printf("%s %s%s%s\n", state, path, why ? ": " : "", why ? why : "");
	fflush(stdout);
}

/* The listed backup id at path verified by m: 0 (*why the reason it
 * failed, or NULL), -1 after printing an error. */
static int verify_listed(cli_db *db, cli_opts *o, const cli_backup_method *m, const char *id,
                         const char *path, char **why)
{
	cli_rows row = {0};
	char *stage = NULL, *file = NULL, *saved = NULL;
	int rc = -1;
	*why = NULL;
	if (m->finds_own_row)
		rc = m->verify(db, o, &(cli_backup_ref){path, NULL, NULL}, why, NULL);
	else if (cli_backup_row(db, o, id, NULL, NULL, &row) == 0 && row.nrows == 1 &&
	         row_fetch(o, &row, &stage, &file, &saved) == 0) /* a store's: from the store */
		rc = m->verify(db, o, &(cli_backup_ref){path, &row, saved}, why, NULL);
	row_unfetch(&row, stage, file, saved);
	cli_rows_free(&row);
	return rc;
}

int cli_verify_all_backups(cli_db *db, cli_opts *o)
{
	cli_rows list = {0};
	/* every backup a method of this database verifies, by its kind */
	if (cli_q(db, o, "SELECT CAST(id AS text), path, kind FROM dbbackup_list() ORDER BY id", 0,
	          NULL, &list) != 0)
		return CLI_ERROR;
	int total = 0, n = 0, bad = 0;
	for (int i = 0; i < list.nrows; i++)
		total += cli_backup_method_for(db, cli_cell(&list, i, 2), CLI_BACKUP_VERIFY) != NULL;
	json_t *out = json_array();
	for (int i = 0; i < list.nrows; i++) {
		const cli_backup_method *m =
		    cli_backup_method_for(db, cli_cell(&list, i, 2), CLI_BACKUP_VERIFY);
		if (!m)
			continue;
		const char *id = cli_cell(&list, i, 0), *path = cli_cell(&list, i, 1);
		cli_note(&o->out, "dbcare: verifying backup %d of %d: %s", ++n, total, path);
		char *why = NULL;
		int rc = verify_listed(db, o, m, id, path, &why);
		if (rc != 0 || why)
			bad++;
		result(o, out, path,
		       rc != 0 ? "error"
		       : why   ? "failed"
		               : "verified",
		       rc != 0 ? "the error above" : why);
		free(why);
	}
	if (o->out.format == CLI_FMT_JSON) {
		char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		cli_print_json_doc(db, o, "verify", text);
		free(text);
	}
	json_decref(out);
	if (total == 0)
		cli_note(&o->out, "dbcare: no catalogued backup to verify");
	cli_rows_free(&list);
	return bad ? CLI_ERROR : CLI_OK;
}

/* The catalog row drilled: BACKUP's (a path or a pgBackRest label), else
 * the newest backup dbcare made that a method of this database drills;
 * *m that method. */
static int find_row(cli_db *db, cli_opts *o, const char *arg, cli_rows *row,
                    const cli_backup_method **m)
{
	char *abs = NULL, kinds[128];
	cli_rows list = {0};
	const char *newest = NULL;
	int rc = 0;
	if (!arg)
		rc = cli_q(db, o, "SELECT CAST(id AS text), kind FROM dbbackup_list() ORDER BY id DESC", 0,
		           NULL, &list);
	for (int i = 0; rc == 0 && !newest && i < list.nrows; i++)
		if (cli_backup_method_for(db, cli_cell(&list, i, 1), CLI_BACKUP_DRILL))
			newest = cli_cell(&list, i, 0);
	if (rc == 0)
		rc = arg ? cli_backup_row(db, o, NULL, (abs = cli_resolved_path(arg)) ? abs : arg, arg, row)
		         : cli_backup_row(db, o, newest, NULL, NULL, row);
	free(abs);
	cli_rows_free(&list);
	if (rc == 0 && row->nrows == 0 && arg && (*m = file_alone(db, arg)))
		return 0;
	if (rc == 0 && row->nrows == 0) {
		cli_errorf(arg ? "no catalogued backup at %s (dbcare backups lists them)"
		               : "no catalogued backup to drill (dbcare backup makes one)%s",
		           arg ? arg : "");
		rc = -1;
	}
	if (rc == 0 && !(*m = cli_backup_method_for(db, cli_cell(row, 0, 1), CLI_BACKUP_DRILL))) {
		cli_errorf("backup %s was recorded by %s: the drill restores the backups dbcare makes "
		           "(%s)",
		           cli_cell(row, 0, 2), cli_cell(row, 0, 1),
		           cli_backup_kinds(db, CLI_BACKUP_DRILL, kinds, sizeof kinds));
		rc = -1;
	}
	return rc;
}

int cli_backup_drill(cli_db *db, cli_opts *o)
{
	if (o->incremental || o->compress || o->stanza || o->backup_type) {
		cli_errorf("usage: dbcare backup drill [BACKUP] [--encrypt-key-file F] | drill --log DIR");
		return CLI_USAGE;
	}
	if (o->log_dir) {
		if (o->nargs > 1 || (db && !cli_backup_method_for(db, NULL, CLI_BACKUP_LOG))) {
			cli_errorf("backup drill --log DIR drills a SQLite point-in-time log, alone");
			return CLI_USAGE;
		}
		return cli_pitr_drill_at(db, o, o->log_dir);
	}
	/* a store's copy is fetched first (an incremental with its chain's
	 * links): the module drills it against its own row, named by its URL
	 * (core/backup/backup_drill.c), a dump against its own record */
	const cli_backup_method *m = cli_backup_method_own_rows(db);
	char *stage, *file;
	const char *url = o->nargs > 1 && cli_store_is_url(o->args[1]) ? o->args[1] : NULL;
	if (fetched(db, o, 1, &stage, &file) != 0)
		return CLI_ERROR;
	const char *arg = o->nargs > 1 ? o->args[1] : NULL;
	cli_rows row = {0};
	int rc = CLI_ERROR;
	char *obj_stage = NULL, *obj_file = NULL, *saved = NULL;
	if (m || find_row(db, o, arg, &row, &m) == 0) {
		if (!m->drill)
			cli_errorf("no hook drills the %s backups of this database", m->kind);
		/* the newest row naming a store's object: drilled from the store */
		else if (row_fetch(o, &row, &obj_stage, &obj_file, &saved) == 0)
			rc = m->drill(db, o,
			              &(cli_backup_ref){arg, row.nrows ? &row : NULL, saved ? saved : url});
	}
	row_unfetch(&row, obj_stage, obj_file, saved);
	cli_rows_free(&row);
	cli_backup_fetched_drop(stage, file);
	return rc;
}

/* restore FILE, or to a time or mark: the hook of the first method of the
 * database's driver that restores so (backup_methods.c). */
int cmd_restore(cli_db *db, cli_opts *o)
{
	if (o->to_time && o->to_mark) {
		cli_errorf("--to-time and --to-mark: one target at a time");
		return CLI_USAGE;
	}
	/* no --db: only a pgBackRest repository (--stanza names one) restores
	 * alone, its server gone with the disaster; everything else restores
	 * into a database */
	if (!db)
		return (o->to_time || o->to_mark) && o->stanza && o->nargs == 1
		           ? cli_pgbackrest_restore(NULL, o)
		           : CLI_NEEDS_DB;
	bool to = o->to_time || o->to_mark;
	const cli_backup_method *m =
	    cli_backup_method_for(db, NULL, to ? CLI_BACKUP_RESTORE_TO : CLI_BACKUP_RESTORE);
	bool mark_alone = o->to_mark && m && m->mark_names_backup;
	if (o->nargs != 1 && !(mark_alone && o->nargs == 0)) {
		cli_errorf("usage: dbcare restore FILE | --to-mark LABEL [DIR] | --to-time TIME DIR "
		           "(SQLite: DIR a dbcare log; PostgreSQL: pgBackRest)");
		return CLI_USAGE;
	}
	if (!m) {
		cli_errorf("no backup method of this database restores %s",
		           to ? "to a time or a restore point" : "a file");
		return CLI_ERROR;
	}
	if (to)
		return m->restore_to(db, o);
	char *stage, *file;
	if (fetched(db, o, 0, &stage, &file) != 0)
		return CLI_ERROR;
	int rc = m->restore(db, o, o->args[0]);
	cli_backup_fetched_drop(stage, file);
	return rc;
}
