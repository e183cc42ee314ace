/*
 * backup_methods.c — the table of backup methods (backup_methods.h):
 * pgBackRest where a stanza is named, pg_dump otherwise on an engine whose
 * own tool dumps (PostgreSQL), the module's dbbackup_create where the
 * extension makes its backups (SQLite).
 */
#include "backup_methods.h"
#include "pgbackrest.h"

#include <stdio.h>
#include <string.h>

static int pgbackrest_chosen(cli_db *db, cli_opts *o, char **stanza)
{
	*stanza = NULL;
	if (!db->drv->dump)
		return 0;
	if (cli_pgbackrest_stanza(db, o, stanza) != 0)
		return -1;
	return *stanza != NULL;
}

static const char *pgbackrest_refuses(const cli_opts *o, char *buf, size_t n)
{
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

static int pg_dump_chosen(cli_db *db, cli_opts *o, char **target)
{
	(void)o;
	*target = NULL;
	return db->drv->dump != NULL;
}

static const char *pg_dump_refuses(const cli_opts *o, char *buf, size_t n)
{
	(void)buf, (void)n;
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

static int module_chosen(cli_db *db, cli_opts *o, char **target)
{
	(void)o;
	*target = NULL;
	return db->drv->dump == NULL;
}

static const char *module_refuses(const cli_opts *o, char *buf, size_t n)
{
	(void)buf, (void)n;
	if (o->stanza || o->backup_type)
		return "--stanza and --type are for PostgreSQL backups through pgBackRest";
	return NULL;
}

/* The module makes, verifies and catalogues the copy (dbbackup_create);
 * sealed, it reads the key from the environment (the key file's path, put
 * there by --encrypt-key-file), never from SQL. */
static int module_run(cli_db *db, cli_opts *o, const char *target)
{
	cli_rows r = {0};
	char method[64];
	(void)target;
	snprintf(method, sizeof method, "%s%s%s", o->incremental ? "incremental" : "full",
	         o->compress ? "+zstd" : "", o->key_file ? "+encrypt" : "");
	const char *p[2] = {o->nargs > 0 ? o->args[0] : NULL, method};
	if (cli_q(db, o, "SELECT dbbackup_create($1, $2)", 2, p, &r) != 0)
		return CLI_ERROR;
	cli_progress_end(&o->out); /* the pages copied, drawn from SQLite's log */
	cli_print_json_doc(db, o, "backup", cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	return CLI_OK;
}

const cli_backup_method cli_backup_methods[] = {
    {"pgbackrest", pgbackrest_chosen, pgbackrest_refuses, pgbackrest_run},
    {"pg_dump", pg_dump_chosen, pg_dump_refuses, cli_pg_dump_backup},
    {"file", module_chosen, module_refuses, module_run},
    {NULL, NULL, NULL, NULL},
};
