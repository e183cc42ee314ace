/*
 * migfiles.c — the migration files of --dir, read on this machine by the
 * core's own reader (core/migrate/migrate_files.c, the one dbmigrate_load
 * uses on the server: same layouts, names, pairing and script checks), then
 * registered through dbmigrate_add and dbmigrate_add_repeatable in the
 * caller's transaction. A folder with any bad file registers nothing.
 */
#include "cli.h"

#include "base/dbc.h"
#include "migrate/migrate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const dbc_dialect sqldbc_dialect, pgdbc_dialect;

static void *host_alloc(size_t n)
{
	return malloc(n);
}

/* The core reads files and text only: no callback of a database host is
 * reached by dbc_mig_read_dir, so only memory and the dialect are given. */
static const dbc_host pg_files_host = {.dialect = &pgdbc_dialect, .alloc = host_alloc, .free = free};
static const dbc_host sqlite_files_host = {.dialect = &sqldbc_dialect, .alloc = host_alloc,
                                           .free = free};

static void print_core_error(cli_out *out, dbc_ctx *ctx)
{
	cli_progress_end(out);
	fprintf(stderr, "dbcare: %s\n", ctx->message ? ctx->message : "unknown error");
	if (ctx->detail)
		fprintf(stderr, "DETAIL: %s\n", ctx->detail);
	if (ctx->hint)
		fprintf(stderr, "HINT: %s\n", ctx->hint);
}

static int add_one(cli_db *db, cli_opts *o, const dbc_mig_dir *dir, int i)
{
	const dbc_mig_file *f = &dir->files[i];
	if (f->kind == DBC_FILE_REPEATABLE) {
		const char *p[2] = {f->name, f->script};
		return cli_q(db, o, "SELECT dbmigrate_add_repeatable($1, $2)", 2, p, NULL);
	}
	const dbc_mig_file *down = dbc_mig_dir_down(dir, i);
	/* a golang-migrate down alone: its version's up does nothing, which
	 * dbmigrate_add refuses as an empty up script (as it refuses an empty
	 * up file): such a folder is registered with dbmigrate_load only */
	const char *p[4] = {f->version, f->name, f->lone_down ? "" : f->script,
	                    down ? down->script : NULL};
	return cli_q(db, o, "SELECT dbmigrate_add($1, $2, $3, $4)", 4, p, NULL);
}

int cli_register_files(cli_db *db, cli_opts *o, bool *found, int *nfiles)
{
	*found = false;
	*nfiles = 0;
	struct stat sb;
	if (stat(o->dir, &sb) != 0 && errno == ENOENT && !o->dir_given)
		return 0; /* no migrations/ here: only what is registered already */
	*found = true;
	dbc_ctx ctx;
	dbc_mig_dir dir;
	dbc_ctx_init(&ctx, db->drv == &cli_pg_driver ? &pg_files_host : &sqlite_files_host, NULL);
	int rc = 0;
	if (dbc_mig_read_dir(&ctx, ctx.host->dialect, o->dir, &dir) != DBC_OK ||
	    dbc_mig_dir_refuse(&ctx, &dir, o->dir) != DBC_OK) {
		print_core_error(&o->out, &ctx);
		rc = -1;
	}
	if (rc == 0 && dir.callbacks)
		cli_note(&o->out, "dbcare: Flyway callbacks are not run, skipped: %s", dir.callbacks);
	for (int i = 0; rc == 0 && i < dir.n; i++) {
		const dbc_mig_file *f = &dir.files[i];
		if (f->kind == DBC_FILE_DOWN && !f->lone_down)
			continue; /* registered with its up */
		rc = add_one(db, o, &dir, i);
		if (rc == 0)
			(*nfiles)++;
	}
	dbc_ctx_finish(&ctx);
	return rc;
}
