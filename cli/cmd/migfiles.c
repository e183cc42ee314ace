/*
 * migfiles.c — the migration files of --dir, read on this machine by the
 * core's own reader (core/migrate/migrate_files.c, the one dbmigrate_load
 * uses on the server: same layouts, names, pairing and script checks), then
 * registered in the caller's transaction: on SQLite all in one call of
 * dbmigrate_add_all (one prepare of the registry's statements, instead of
 * one per migration), on PostgreSQL through dbmigrate_add and
 * dbmigrate_add_repeatable (each a round trip, which PostgreSQL's plan
 * cache keeps cheap). Both apply dbmigrate_add's rules. A folder with any
 * bad file registers nothing.
 */
#include "cli/cli.h"
#include "cli/common/files.h"

#include "base/dbc.h"
#include "migrate/migrate_checksum.h"
#include "migrate/migrate_script.h" /* statements of a script, for --commit-each */
#include "migrate/migrate.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void print_core_error(cli_out *out, dbc_ctx *ctx)
{
	cli_progress_end(out);
	fprintf(stderr, "dbcare: %s\n", ctx->message ? ctx->message : "unknown error");
	if (ctx->detail)
		fprintf(stderr, "DETAIL: %s\n", ctx->detail);
	if (ctx->hint)
		fprintf(stderr, "HINT: %s\n", ctx->hint);
}

static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (!strchr(" \t\r\n\f\v", *s))
			return false;
	return true;
}

static int add_all(cli_db *db, cli_opts *o, const dbc_migrate_dir *dir, cli_files_part part,
                   int only, int *nfiles);

static int add_one(cli_db *db, cli_opts *o, const dbc_migrate_dir *dir, int i)
{
	const dbc_migrate_file *f = &dir->files[i];
	const dbc_migrate_file *dn =
	    f->kind == DBC_FILE_REPEATABLE ? NULL : dbc_migrate_dir_down(dir, i);
	int one;
	/* an empty file: dbmigrate_add_all with the file named takes it as
	 * the no-op dbmigrate_load makes of it */
	if (f->lone_down || blank(f->script) || (dn && blank(dn->script)))
		return add_all(db, o, dir, CLI_FILES_ALL, i, &one);
	if (f->kind == DBC_FILE_REPEATABLE) {
		const char *p[2] = {f->name, f->script};
		return cli_q(db, o, "SELECT dbmigrate_add_repeatable($1, $2)", 2, p, NULL);
	}
	const dbc_migrate_file *down = dbc_migrate_dir_down(dir, i);
	/* a golang-migrate down alone: its version's up does nothing, which
	 * dbmigrate_add refuses as an empty up script (as it refuses an empty
	 * up file): such a folder is registered with dbmigrate_load only */
	const char *p[4] = {f->version, f->name, f->lone_down ? "" : f->script,
	                    down ? down->script : NULL};
	return cli_q(db, o, "SELECT dbmigrate_add($1, $2, $3, $4)", 4, p, NULL);
}

static bool in_part(const dbc_migrate_file *m, cli_files_part part)
{
	return part == CLI_FILES_ALL ||
	       (part == CLI_FILES_REPEATABLE) == (m->kind == DBC_FILE_REPEATABLE);
}

/* Every migration of dir as dbmigrate_add_all's JSON array (repeatables
 * without a version, a lone golang-migrate down over an empty up, which
 * dbmigrate_add's rules refuse as one); NULL when memory is short. */
static char *files_json(const dbc_migrate_dir *dir, cli_files_part part, int only, int *count)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	*count = 0;
	fputc('[', f);
	for (int i = 0; i < dir->n; i++) {
		const dbc_migrate_file *m = &dir->files[i];
		if ((m->kind == DBC_FILE_DOWN && !m->lone_down) || !in_part(m, part) ||
		    (only >= 0 && i != only))
			continue; /* registered with its up, or in the other part */
		const dbc_migrate_file *down =
		    m->kind == DBC_FILE_REPEATABLE ? NULL : dbc_migrate_dir_down(dir, i);
		fputs(*count ? ",{" : "{", f);
		/* from a folder: an empty file is a no-op migration, as
		 * dbmigrate_load registers it (dbmigrate_add refuses one) */
		fputs("\"file\":", f);
		cli_json_string(f, m->file);
		fputc(',', f);
		if (m->kind != DBC_FILE_REPEATABLE) {
			fputs("\"version\":", f);
			cli_json_string(f, m->version);
			fputc(',', f);
		}
		fputs("\"name\":", f);
		cli_json_string(f, m->name);
		fputs(",\"up\":", f);
		cli_json_string(f, m->lone_down ? "" : m->script);
		if (down) {
			fputs(",\"down\":", f);
			cli_json_string(f, down->script);
		}
		fputc('}', f);
		(*count)++;
	}
	fputc(']', f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* SQLite: the whole folder in one call. */
static int add_all(cli_db *db, cli_opts *o, const dbc_migrate_dir *dir, cli_files_part part,
                   int only, int *nfiles)
{
	int count = 0;
	char *json = files_json(dir, part, only, &count);
	if (!json) {
		cli_errorf("out of memory");
		return -1;
	}
	if (count == 0 && part != CLI_FILES_ALL) {
		free(json);
		return 0;
	}
	const char *p[1] = {json};
	/* text: PostgreSQL has a jsonb signature too */
	int rc = cli_q(db, o, "SELECT dbmigrate_add_all(CAST($1 AS text))", 1, p, NULL);
	free(json);
	if (rc == 0)
		*nfiles = count;
	return rc;
}

/* The folder as read once in this process, per dialect: a fleet's parent
 * reads it before forking (cli_preread_files), so each worker inherits the
 * parsed and checked files instead of reading them again per database. The
 * files are not hashed here: the extension normalises and checksums every
 * script it registers (it must not trust a client's checksum), so a
 * checksum made here would be computed twice and never read. Only a folder read
 * without error is kept: otherwise each database reports the error itself,
 * as a single run does. */
typedef struct read_folder {
	bool done;
	dbc_ctx ctx;
	dbc_migrate_dir dir;
} read_folder;

/* One folder per files host, a driver's (cli_driver.files_host): the
 * command has two drivers. */
static read_folder *folder_for(const dbc_host *host)
{
	static read_folder folders[2];
	static const dbc_host *hosts[2];
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	read_folder *rf = NULL;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; !rf && i < sizeof folders / sizeof *folders; i++)
		if (!hosts[i] || hosts[i] == host) {
			hosts[i] = host;
			rf = &folders[i];
		}
	pthread_mutex_unlock(&mu);
	return rf;
}

/* Reads the folder into rf; false (rf left unread) when the core refuses
 * it, with the core's error still in rf->ctx. */
static bool read_into(read_folder *rf, const dbc_host *host, const char *dir)
{
	dbc_ctx_init(&rf->ctx, host, NULL);
	rf->done = dbc_migrate_read_dir_unhashed(&rf->ctx, host->dialect, dir, &rf->dir) == DBC_OK &&
	           dbc_migrate_dir_refuse(&rf->ctx, &rf->dir, dir) == DBC_OK;
	return rf->done;
}

/* 0 with *dir set, or -1 after printing the core's error. Threads (serve's
 * refreshes and pages) read the folder once between them: a folder read
 * is never changed after. */
static int read_folder_once(cli_opts *o, const dbc_host *host, const dbc_migrate_dir **dir)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	read_folder *rf = folder_for(host);
	pthread_mutex_lock(&mu);
	bool ok = rf->done || read_into(rf, host, o->dir);
	if (!ok) {
		print_core_error(&o->out, &rf->ctx);
		dbc_ctx_finish(&rf->ctx);
	}
	pthread_mutex_unlock(&mu);
	if (!ok)
		return -1;
	*dir = &rf->dir;
	return 0;
}

void cli_preread_files(cli_opts *o, const dbc_host *host)
{
	struct stat sb;
	read_folder *rf = folder_for(host);
	if (stat(o->dir, &sb) != 0 || rf->done)
		return; /* each database says so (or registers nothing) itself */
	if (!read_into(rf, host, o->dir))
		dbc_ctx_finish(&rf->ctx); /* each database reports the error itself */
}

int cli_register_files(cli_db *db, cli_opts *o, bool *found, int *nfiles)
{
	return cli_register_files_part(db, o, CLI_FILES_ALL, found, nfiles);
}

int cli_register_files_part(cli_db *db, cli_opts *o, cli_files_part part, bool *found, int *nfiles)
{
	*found = false;
	*nfiles = 0;
	struct stat sb;
	if (stat(o->dir, &sb) != 0 && errno == ENOENT && !o->dir_given)
		return 0; /* no migrations/ here: only what is registered already */
	*found = true;
	const dbc_migrate_dir *dir = NULL;
	if (read_folder_once(o, db->drv->files_host, &dir) != 0)
		return -1;
	if (dir->callbacks && part != CLI_FILES_REPEATABLE)
		cli_note(&o->out, "dbcare: Flyway callbacks are not run, skipped: %s", dir->callbacks);
	if (db->drv->register_folder_at_once)
		return add_all(db, o, dir, part, -1, nfiles);
	int rc = 0;
	for (int i = 0; rc == 0 && i < dir->n; i++) {
		const dbc_migrate_file *f = &dir->files[i];
		if ((f->kind == DBC_FILE_DOWN && !f->lone_down) || !in_part(f, part))
			continue; /* registered with its up, or in the other part */
		rc = add_one(db, o, dir, i);
		if (rc == 0)
			(*nfiles)++;
	}
	return rc;
}

/* The folder as dbmigrate_pending reads it: {"version": V} for a versioned
 * file (an up, or a down without its up), {"name": N, "checksum": C} for a
 * repeatable one (the core's checksum of its script). NULL after saying
 * why. */
static char *folder_json(const dbc_migrate_dir *dir, const dbc_host *host)
{
	json_t *list = json_array();
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, host, NULL);
	for (int i = 0; list && i < dir->n; i++) {
		const dbc_migrate_file *f = &dir->files[i];
		char *sum = NULL;
		json_t *item = NULL;
		if (f->kind == DBC_FILE_REPEATABLE) {
			if (dbc_script_checksum(&ctx, f->script, &sum) != DBC_OK)
				break;
			item = json_pack("{s:s, s:s}", "name", f->name, "checksum", sum);
		} else if (f->version && (f->kind != DBC_FILE_DOWN || f->lone_down))
			item = json_pack("{s:s}", "version", f->version);
		else
			continue; /* a down with its up, or a file of no version */
		if (!item || json_array_append_new(list, item) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	bool complete = list && !ctx.failed;
	char *text = complete ? json_dumps(list, JSON_COMPACT) : NULL;
	if (!text)
		cli_errorf("cannot list the migration folder: %s",
		           ctx.message ? ctx.message : "out of memory");
	dbc_ctx_finish(&ctx);
	json_decref(list);
	return text;
}

int cli_pending_files(cli_db *db, cli_opts *o, bool *found, int *pending)
{
	*pending = 0;
	*found = false;
	char *files = NULL;
	struct stat sb;
	if (stat(o->dir, &sb) == 0 || errno != ENOENT || o->dir_given) {
		*found = true;
		const dbc_host *host = db->drv->files_host;
		const dbc_migrate_dir *dir = NULL;
		if (read_folder_once(o, host, &dir) != 0 || !(files = folder_json(dir, host)))
			return -1;
	}
	/* the core counts, reading only (never registering) */
	cli_rows r = {0};
	const char *p[1] = {files};
	int rc = db->drv->query(db, "SELECT dbmigrate_pending($1)", 1, p, &r);
	if (rc == 0)
		*pending = cli_cell(&r, 0, 0) ? atoi(cli_cell(&r, 0, 0)) : 0;
	cli_rows_free(&r);
	free(files);
	return rc;
}

/* The folder's file of a versioned migration (as read for this engine),
 * NULL when the folder has none. version is the registry's canonical form
 * ("1"), so it is compared with a file's canonical one, not as written
 * ("001"). */
static const dbc_migrate_file *file_of(const dbc_migrate_dir *dir, const char *version)
{
	for (int i = 0; dir && i < dir->n; i++)
		if (dir->files[i].kind == DBC_FILE_UP && dir->files[i].canon &&
		    strcmp(dir->files[i].canon, version) == 0)
			return &dir->files[i];
	return NULL;
}

const char *cli_file_of(cli_db *db, const char *version)
{
	read_folder *rf = folder_for(db->drv->files_host);
	const dbc_migrate_file *f = rf->done && version ? file_of(&rf->dir, version) : NULL;
	return f ? f->file : NULL;
}

char *cli_folder_layouts(cli_db *db)
{
	read_folder *rf = folder_for(db->drv->files_host);
	char *text = NULL;
	size_t len = 0;
	if (!rf->done || !rf->dir.layouts)
		return NULL;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	for (int k = 0; k < DBC_LAYOUT_COUNT; k++)
		if (rf->dir.layouts & (1u << k))
			fprintf(f, "%s%s", ftell(f) ? "; " : "", dbc_migrate_layout_order((dbc_file_layout)k));
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int cli_run_outside_tx(cli_db *db, cli_opts *o, const char *version, bool *ran)
{
	const dbc_host *host = db->drv->files_host;
	read_folder *rf = folder_for(host);
	const dbc_migrate_file *f = rf->done ? file_of(&rf->dir, version) : NULL;
	cli_rows r = {0};
	*ran = false;
	if (!f) {
		cli_progress_end(&o->out);
		cli_errorf("migration %s runs outside a transaction and its file is not in %s", version,
		           o->dir);
		fprintf(stderr,
		        "HINT: Put its file back in %s, or run the script of dbcare script in "
		        "psql or sqlite3.\n",
		        o->dir);
		return -1;
	}
	const char *p[3] = {"versioned", version, NULL};
	if (cli_q(db, o,
	          "SELECT checksum FROM dbmigrate_status() WHERE kind = 'versioned' AND version = $1",
	          1, &p[1], &r) != 0)
		return -1;
	char *checksum = cli_cell(&r, 0, 0) ? strdup(cli_cell(&r, 0, 0)) : NULL;
	cli_rows_free(&r);
	p[2] = checksum;
	/* checks the migration is due and unchanged, records it as started */
	int rc = cli_q(db, o, "SELECT dbmigrate_step_begin($1, $2, $3)", 3, p, &r);
	free(checksum);
	if (rc != 0)
		return -1;
	const char *go = cli_cell(&r, 0, 0);
	bool run = go && (strcmp(go, "t") == 0 || strcmp(go, "true") == 0 || strcmp(go, "1") == 0);
	cli_rows_free(&r);
	if (!run)
		return 0;
	dbc_ctx ctx;
	dbc_script_info info;
	dbc_ctx_init(&ctx, host, NULL);
	if (dbc_script_analyse(&ctx, host->dialect, f->script, &info) != DBC_OK) {
		print_core_error(&o->out, &ctx);
		dbc_ctx_finish(&ctx);
		return -1;
	}
	/* each statement at top level, in order; the first error stops the
	 * migration, which stays recorded as failed (docs/migrations.md) */
	for (int i = 0; rc == 0 && i < info.nstmts; i++) {
		char *sql = strndup(info.stmts[i].text, info.stmts[i].len);
		rc = sql ? cli_q(db, o, sql, 0, NULL, NULL) : -1;
		if (rc != 0)
			fprintf(stderr,
			        "CONTEXT: while applying migration %s outside a transaction, "
			        "statement starting at line %d\n",
			        version, info.stmts[i].line);
		free(sql);
	}
	dbc_ctx_finish(&ctx);
	if (rc == 0)
		rc = cli_q(db, o, "SELECT dbmigrate_step_end($1, $2)", 2, p, NULL);
	*ran = rc == 0;
	return rc;
}
