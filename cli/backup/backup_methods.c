/*
 * backup_methods.c — the table of backup methods (backup_methods.h) and
 * its look-ups: on PostgreSQL pgBackRest where a stanza is named, pg_dump
 * otherwise; on SQLite the module's dbbackup_create, dbbackup_verify and
 * dbbackup_drill, and its backups' copies in a store (pages_copy.c).
 */
#include "backup_methods.h"
#include "cli/backup/pages/pages.h"
#include "cli/backup/pg_dump/pg_dump.h"
#include "cli/backup/pgbackrest/pgbackrest.h"
#include "cli/backup/common/backup_dir_setting.h"
#include "cli/backup/common/stop_cleanup.h"
#include "cli/common/stop_signals.h"
#include "cli/store/store.h"
#include "backup/backup_name.h"
#include "backup/backup_tool.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pgbackrest_chosen(cli_db *db, cli_opts *o, char **stanza)
{
	*stanza = NULL;
	if (cli_pgbackrest_stanza(db, o, stanza) != 0)
		return -1;
	return *stanza != NULL;
}

static const char *pgbackrest_refuses(const cli_opts *o, char *buf, size_t n)
{
	if (o->ship)
		return "--ship uploads the SQLite backups waiting in backup.stage_dir";
	if (o->copy_to)
		return "--copy-to is for pg_dump and SQLite backups: a pgBackRest backup goes "
		       "into the bucket or container named as its PATH (dbcare backup "
		       "s3://BUCKET/PREFIX or azure://CONTAINER/PREFIX)";
	if (o->compress || o->key_file)
		return "pgBackRest compresses and encrypts its repository itself "
		       "(compress-type, repo1-cipher-type in its configuration): --compress "
		       "and --encrypt-key-file are for pg_dump and SQLite backups";
	if (o->incremental && o->backup_type && strcmp(o->backup_type, "incr") != 0) {
		snprintf(buf, n, "--incremental and --type %s: one kind of backup at a time",
		         o->backup_type);
		return buf;
	}
	return NULL;
}

static int pgbackrest_run(cli_db *db, cli_opts *o, const char *stanza)
{
	if (o->incremental)
		o->backup_type = "incr";
	return cli_pgbackrest_backup(db, o, stanza);
}

/* the method of its driver when no row before it is */
static int fallback_chosen(cli_db *db, cli_opts *o, char **target)
{
	(void)db, (void)o;
	*target = NULL;
	return 1;
}

/* A store's URL given as PATH (dbcare backup s3://BUCKET/PREFIX/NAME): a
 * pg_dump or SQLite backup is made whole on this disk before it leaves, so
 * the refusal names the command that makes NAME here and uploads it to
 * the URL's folder, plus the way of another method (also). NULL when PATH
 * is no store's URL. */
static const char *path_names_store(const cli_opts *o, const char *also, char *buf, size_t n)
{
	if (o->nargs == 0 || !cli_store_is_url(o->args[0]))
		return NULL;
	const char *url = o->args[0], *bucket = strstr(url, "://");
	const char *slash = bucket ? strrchr(bucket + 3, '/') : NULL;
	/* s3://B/P/NAME: NAME and s3://B/P; a URL without a name: words */
	bool named = slash && slash[1];
	snprintf(buf, n,
	         "PATH %s names a store: a backup is made on this disk, then uploaded: dbcare backup "
	         "%s --copy-to %.*s (or backup.dir set to the URL, no PATH)%s",
	         url, named ? slash + 1 : "NAME", named ? (int)(slash - url) : 3, named ? url : "URL",
	         also);
	return buf;
}

static const char *pg_dump_refuses(const cli_opts *o, char *buf, size_t n)
{
	const char *url = path_names_store(
	    o, "; a pgBackRest repository there: name its stanza with --stanza", buf, n);
	if (url)
		return url;
	if (o->ship)
		return "--ship uploads the SQLite backups waiting in backup.stage_dir";
	if (o->backup_type)
		return "--type is pgBackRest's: name its stanza with --stanza or the setting "
		       "backup.pgbackrest.stanza";
	/* an incremental backup of PostgreSQL is pgBackRest's incr: a
	 * pg_dump is always whole, never silently in its place */
	if (o->incremental)
		return "--incremental on PostgreSQL is pgBackRest's incremental backup: name "
		       "its stanza with --stanza or the setting backup.pgbackrest.stanza "
		       "(a pg_dump is always a whole dump)";
	return NULL;
}

static const char *module_refuses(const cli_opts *o, char *buf, size_t n)
{
	const char *url = path_names_store(o, "", buf, n);
	if (url)
		return url;
	if (o->stanza || o->backup_type)
		return "--stanza and --type are for PostgreSQL backups through pgBackRest";
	return NULL;
}

/* Without PATH, the backup's path under dbbackup_create's default name
 * (core/backup/backup_name.h: the database file's name without its
 * extension, the time), named here so that a stop can interrupt the
 * backup until it is published (pages_stop.c): in backup.dir's folder,
 * or, backup.dir a store's URL (then o->copy_to), in backup.stage_dir
 * (*stage, the backups waiting there shipped first), else in the working
 * directory. *path NULL: PATH given, or backup.dir empty (the module says
 * so). 0, or -1 after saying why. */
static int module_default_path(cli_db *db, cli_opts *o, char **path, char **stage)
{
	char *dir = NULL;
	const char *before = o->copy_to;
	*path = *stage = NULL;
	if (o->nargs > 0)
		return 0;
	if (cli_backup_dir_setting(db, o, "backup.dir", &dir) != 0)
		return -1;
	bool store = o->copy_to != before;
	if ((!store && !dir) || (store && cli_module_stage_dir(db, o, stage) != 0)) {
		free(dir);
		return store ? -1 : 0;
	}
	cli_rows r = {0};
	char name[PATH_MAX + 64];
	size_t len;
	if (cli_q(db, o, "SELECT file FROM pragma_database_list WHERE name = 'main'", 0, NULL, &r) !=
	    0) {
		free(dir);
		return -1;
	}
	const char *stem = dbc_backup_file_stem(cli_cell(&r, 0, 0), &len);
	const char *in = store ? (*stage ? *stage : "") : dir;
	if (dbc_backup_default_name(name, sizeof name, in, stem, len, ".db") != 0)
		cli_errorf("the folder %s is too long a path for a backup's name: give PATH", in);
	else if (!(*path = strdup(name)))
		cli_errorf("out of memory");
	else if (store)
		cli_note(&o->out, "backup.dir is %s: the backup is made %s as %s, then uploaded",
		         o->copy_to, *stage ? "in backup.stage_dir" : "here", *path);
	cli_rows_free(&r);
	free(dir);
	return *path ? 0 : -1;
}

/* --ship: only the backups waiting in backup.stage_dir uploaded to
 * backup.dir's store (or --copy-to's), nothing made. */
static int module_ship_only(cli_db *db, cli_opts *o)
{
	char *dir = NULL, *stage = NULL;
	if (o->nargs > 0) {
		cli_errorf("--ship makes no backup, it uploads those waiting in backup.stage_dir: "
		           "give no PATH");
		return CLI_ERROR;
	}
	if (cli_backup_dir_setting(db, o, "backup.dir", &dir) != 0)
		return CLI_ERROR;
	free(dir);
	if (cli_module_stage_dir(db, o, &stage) != 0)
		return CLI_ERROR;
	int rc = CLI_ERROR;
	if (!o->copy_to || !cli_store_is_url(o->copy_to))
		cli_errorf("--ship uploads to the store backup.dir names, and it names none (set it to "
		           "s3://BUCKET/PREFIX or azure://CONTAINER/PREFIX, or give --copy-to URL)");
	else if (!stage)
		cli_errorf("--ship uploads the backups waiting in backup.stage_dir, and it is not set");
	else
		rc = cli_module_ship_pending(db, o, stage);
	free(stage);
	return rc;
}

/* The backup's upload to o->copy_to, not started when a stop signal came
 * as it was recorded (stop_cleanup.h: a step boundary); the command then
 * ends of the signal. */
static int upload_unless_stopped(cli_db *db, cli_opts *o, const char *answer, bool staged)
{
	int sig = cli_stop_at_boundary();
	if (!sig)
		return cli_module_ship(db, o, answer);
	cli_errorf("%s came as the backup was recorded: it is made and recorded, but its copy to %s "
	           "was not made; %s",
	           cli_stop_signal_name(sig), o->copy_to,
	           staged ? "it waits in backup.stage_dir, which dbcare backup --ship uploads"
	                  : "run dbcare backup --copy-to again for another backup and its copy");
	return CLI_ERROR;
}

/* The module makes, verifies and catalogues the copy (dbbackup_create);
 * sealed, it reads the key from the environment (the key file's path, put
 * there by --encrypt-key-file), never from SQL. */
static int module_run(cli_db *db, cli_opts *o, const char *target)
{
	cli_rows r = {0};
	char method[64], *here = NULL, *stage = NULL;
	(void)target;
	if (o->ship)
		return module_ship_only(db, o);
	if (module_default_path(db, o, &here, &stage) != 0)
		return CLI_ERROR;
	/* what waits goes first (a chain's base before what builds on it);
	 * a store that fails leaves it waiting, and this backup beside it */
	int waiting = stage ? cli_module_ship_pending(db, o, stage) : CLI_OK;
	bool staged = stage != NULL;
	free(stage);
	/* an incremental to a store goes on from the store's chain: its base
	 * is here as its row records it, or fetched back */
	if (o->incremental && o->copy_to && cli_store_is_url(o->copy_to) &&
	    cli_module_stage_base(db, o) != CLI_OK) {
		free(here);
		return CLI_ERROR;
	}
	snprintf(method, sizeof method, "%s%s%s", o->incremental ? "incremental" : "full",
	         o->compress ? "+zstd" : "", o->key_file ? "+encrypt" : "");
	const char *p[2] = {o->nargs > 0 ? o->args[0] : here, method};
	int made = cli_module_backup_create(db, o, p, &r);
	free(here);
	if (made != 0)
		return CLI_ERROR;
	cli_progress_end(&o->out); /* the pages copied, drawn from SQLite's log */
	/* the copy is whole, verified and catalogued: only now may it leave,
	 * its object a row of its own once whole in the store */
	int rc = o->copy_to ? upload_unless_stopped(db, o, cli_cell(&r, 0, 0), staged) : CLI_OK;
	cli_print_json_doc(db, o, "backup", cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	return rc == CLI_OK ? waiting : rc;
}

/* a store's copy of a module backup is recorded by the module's own row's
 * backup (module_run), never made on its own */
static int never_chosen(cli_db *db, cli_opts *o, char **target)
{
	(void)db, (void)o;
	*target = NULL;
	return 0;
}

static int pgbackrest_restore_to(cli_db *db, cli_opts *o)
{
	return cli_pgbackrest_restore(db, o);
}

/* The first row that takes a command line runs (cmd_backup.c): pgBackRest
 * before pg_dump, which takes any. */
static const cli_backup_method methods[] = {
    {.kind = "pgbackrest",
     .driver = &cli_pg_driver,
     .chosen = pgbackrest_chosen,
     .refuses = pgbackrest_refuses,
     .make = pgbackrest_run,
     .verify = cli_pgbackrest_verify_row,
     .drill = cli_pgbackrest_drill,
     .restore_to = pgbackrest_restore_to},
    {.kind = "pg_dump",
     .driver = &cli_pg_driver,
     .chosen = fallback_chosen,
     .refuses = pg_dump_refuses,
     .make = cli_pg_dump_backup,
     .files_alone = true,
     .verify = cli_pg_dump_verify,
     .drill = cli_pg_dump_drill,
     .restore = cli_pg_dump_restore},
    {.kind = "file",
     .driver = &cli_sqlite_driver,
     .finds_own_row = true,
     .prunes = true,
     .keeps_log = true,
     .mark_names_backup = true,
     .chosen = fallback_chosen,
     .refuses = module_refuses,
     .make = module_run,
     .verify = cli_module_verify,
     .drill = cli_module_drill,
     .restore = cli_module_restore,
     .restore_to = cli_module_restore_to},
    {.kind = DBC_BACKUP_KIND_FILE_COPY,
     .driver = &cli_sqlite_driver,
     .chosen = never_chosen,
     .refuses = module_refuses,
     .verify = cli_module_copy_verify},
    {.kind = NULL},
};

static bool does(const cli_backup_method *m, cli_backup_ask what)
{
	switch (what) {
	case CLI_BACKUP_VERIFY:
		return m->verify != NULL;
	case CLI_BACKUP_DRILL:
		return m->drill != NULL;
	case CLI_BACKUP_RESTORE:
		return m->restore != NULL;
	case CLI_BACKUP_RESTORE_TO:
		return m->restore_to != NULL;
	case CLI_BACKUP_PRUNE:
		return m->prunes;
	case CLI_BACKUP_LOG:
		return m->keeps_log;
	case CLI_BACKUP_FILES_ALONE:
		return m->files_alone;
	}
	return false;
}

const cli_backup_method *cli_backup_method_next(const cli_db *db, const cli_backup_method *after)
{
	for (const cli_backup_method *m = after ? after + 1 : methods; m->kind; m++)
		if (m->driver == db->drv)
			return m;
	return NULL;
}

const cli_backup_method *cli_backup_method_for(const cli_db *db, const char *kind,
                                               cli_backup_ask what)
{
	for (const cli_backup_method *m = cli_backup_method_next(db, NULL); m;
	     m = cli_backup_method_next(db, m))
		if ((!kind || strcmp(m->kind, kind) == 0) && does(m, what))
			return m;
	return NULL;
}

const cli_backup_method *cli_backup_method_own_rows(const cli_db *db)
{
	for (const cli_backup_method *m = cli_backup_method_next(db, NULL); m;
	     m = cli_backup_method_next(db, m))
		if (m->finds_own_row)
			return m;
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *cli_backup_kinds(const cli_db *db, cli_backup_ask what, char *buf, size_t n)
{
	const char *kinds[16];
	size_t count = 0, used = 0;
	for (const cli_backup_method *m = cli_backup_method_next(db, NULL); m && count < 16;
	     m = cli_backup_method_next(db, m))
		if (does(m, what))
			kinds[count++] = m->kind;
	/* sorted: the text does not follow the order `backup` chooses in */
	qsort(kinds, count, sizeof *kinds, by_name);
	buf[0] = '\0';
	for (size_t i = 0; i < count && used < n; i++) {
		int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", kinds[i]);
		used += w > 0 ? (size_t)w : 0;
	}
	return buf;
}
