/*
 * cmd_backup.c — backup, backups, backups prune. On SQLite the extension
 * makes, verifies and catalogues the copy (dbbackup_create); on PostgreSQL
 * the core's backup flow (core/backup/backup_tool.h) runs the tool the
 * command plugs in: the driver's dump (pg_dump -Fc) or pgBackRest.
 */
#include "backup_flow.h"
#include "cli/cli.h"
#include "pg_backup.h"
#include "pgbackrest.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The default dump name <database>-<UTC time>.dump, one file in the
 * current directory whatever the database is called: a '/' (a database
 * name may hold one) becomes '_', and so does a leading '.' or '-' (no
 * hidden file, nothing that reads as an option). */
static char *default_dump_name(const char *database)
{
	char stamp[32], *path = NULL;
	time_t now = time(NULL);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime(&now));
	if (asprintf(&path, "%s-%s.dump", database, stamp) < 0)
		return NULL;
	size_t n = strlen(database);
	for (size_t i = 0; i < n; i++)
		if (path[i] == '/' || (i == 0 && (path[i] == '.' || path[i] == '-')))
			path[i] = '_';
	return path;
}

/* The answer of a pg_dump backup, over dbbackup_entry's row ($1: its id). */
static const char dump_answer_sql[] =
    "SELECT json_build_object('id', e->'id', 'path', e->'path', 'bytes', e->'bytes',"
    " 'fingerprint', e->'fingerprint', 'sha256', e->'sha256',"
    " 'tables', (SELECT count(*) FROM jsonb_object_keys(e->'content')))::text"
    " FROM (SELECT dbbackup_entry(CAST($1 AS bigint)) AS e) AS recorded";

/* PostgreSQL: pg_dump to path (default <database>-<UTC time>.dump here),
 * through the backup flow (core/backup/backup_tool.h, the tool in
 * backup_pg_dump.c): read back, sealed when asked, published, recorded
 * with dbbackup_record. */
static int dump_and_record(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	char *path = NULL;
	if (o->nargs > 0)
		path = strdup(o->args[0]);
	else if (cli_q(db, o, "SELECT current_database()", 0, NULL, &r) == 0)
		path = default_dump_name(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "");
	cli_rows_free(&r);
	if (!path)
		return CLI_ERROR;
	unsigned seal =
	    (o->compress ? DBC_BACKUP_SEAL_ZSTD : 0u) | (o->key_file ? DBC_BACKUP_SEAL_ENCRYPT : 0u);
	dbc_backup_tool tool;
	cli_pg_dump_tool arg;
	cli_pg_dump_tool_init(&tool, &arg, db, o, path);
	int rc = cli_backup_run(db, o, &tool, dump_answer_sql, NULL, path, seal);
	free(path);
	return rc;
}

int cmd_backup(cli_db *db, cli_opts *o)
{
	/* without --db: a log's drill, from its files alone (CMD_FILES_ALONE) */
	if (!db && !(o->nargs == 1 && strcmp(o->args[0], "drill") == 0 && o->log_dir))
		return CLI_NEEDS_DB;
	/* dbcare backup drill [BACKUP] (a backup named drill: ./drill) */
	if (o->nargs > 0 && strcmp(o->args[0], "drill") == 0)
		return cli_backup_drill(db, o);
	if (o->nargs > 1) {
		cli_errorf("usage: dbcare backup [PATH] | backup drill [BACKUP]");
		return CLI_USAGE;
	}
	if (db->drv->dump) {
		/* pgBackRest where a stanza is named, pg_dump otherwise */
		char *stanza = NULL;
		if (cli_pgbackrest_stanza(db, o, &stanza) != 0)
			return CLI_ERROR;
		if (stanza && (o->compress || o->key_file)) {
			cli_errorf("pgBackRest compresses and encrypts its repository itself "
			           "(compress-type, repo1-cipher-type in its configuration): --compress "
			           "and --encrypt-key-file are for pg_dump and SQLite backups");
			free(stanza);
			return CLI_USAGE;
		}
		if (!stanza && o->backup_type) {
			cli_errorf("--type is pgBackRest's: name its stanza with --stanza or the setting "
			           "backup.pgbackrest.stanza");
			return CLI_USAGE;
		}
		/* an incremental backup of PostgreSQL is pgBackRest's incr: a
		 * pg_dump is always whole, never silently in its place */
		if (o->incremental && !stanza) {
			cli_errorf("--incremental on PostgreSQL is pgBackRest's incremental backup: name "
			           "its stanza with --stanza or the setting backup.pgbackrest.stanza "
			           "(a pg_dump is always a whole dump)");
			return CLI_USAGE;
		}
		if (o->incremental && o->backup_type && strcmp(o->backup_type, "incr") != 0) {
			cli_errorf("--incremental and --type %s: one kind of backup at a time", o->backup_type);
			free(stanza);
			return CLI_USAGE;
		}
		if (o->incremental)
			o->backup_type = "incr";
		int rc = stanza ? cli_pgbackrest_backup(db, o, stanza) : dump_and_record(db, o);
		free(stanza);
		return rc;
	}
	if (o->stanza || o->backup_type) {
		cli_errorf("--stanza and --type are for PostgreSQL backups through pgBackRest");
		return CLI_USAGE;
	}
	cli_rows r = {0};
	/* sealed: the module reads the key from the environment (the key
	 * file's path, put there by --encrypt-key-file), never from SQL */
	char method[64];
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

static int prune(cli_db *db, cli_opts *o)
{
	if (o->keep < 0 && o->days < 0) {
		cli_errorf("backups prune needs --keep N, --days D or both");
		return CLI_USAGE;
	}
	if (db->drv->dump) {
		cli_errorf("backups prune is for SQLite: on PostgreSQL the tool that made a backup "
		           "(pg_dump's job, pgBackRest, barman) removes it");
		return CLI_ERROR;
	}
	char keep[16], days[16];
	snprintf(keep, sizeof keep, "%d", o->keep);
	snprintf(days, sizeof days, "%d", o->days);
	const char *p[2] = {o->keep >= 0 ? keep : NULL, o->days >= 0 ? days : NULL};
	cli_rows r = {0};
	if (cli_q(db, o,
	          o->apply ? "SELECT dbbackup_prune(CAST($1 AS integer), CAST($2 AS integer), false)"
	                   : "SELECT dbbackup_prune(CAST($1 AS integer), CAST($2 AS integer), true)",
	          2, p, &r) != 0)
		return CLI_ERROR;
	cli_print_json_doc(db, o, "prune", cli_cell(&r, 0, 0));
	if (!o->apply)
		cli_note(&o->out, "a dry run: nothing deleted (--apply deletes)");
	cli_rows_free(&r);
	return CLI_OK;
}

int cmd_backups(cli_db *db, cli_opts *o)
{
	if (o->nargs == 1 && strcmp(o->args[0], "prune") == 0)
		return prune(db, o);
	if (o->nargs != 0 || o->keep >= 0 || o->days >= 0 || o->apply) {
		cli_errorf("usage: dbcare backups | backups prune --keep N [--days D] [--apply]");
		return CLI_USAGE;
	}
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT id, kind, path, created_at, bytes, fingerprint, verified_at, status, "
	          "\"exists\" FROM dbbackup_list() ORDER BY id",
	          0, NULL, &r) != 0)
		return CLI_ERROR;
	cli_bool_column(&r, "exists"); /* SQLite has no boolean: the same JSON on both */
	if (o->out.format == CLI_FMT_JSON) {
		fputs("{\"database\":", stdout);
		cli_json_string(stdout, db->label);
		fprintf(stdout, ",\"engine\":\"%s\",\"backups\":", db->drv->engine);
		cli_json_rows(stdout, &r);
		fputs("}\n", stdout);
	} else if (!o->out.quiet || o->out.format == CLI_FMT_PLAIN) {
		cli_print_rows(&o->out, stdout, &r);
	}
	cli_rows_free(&r);
	return CLI_OK;
}
