/*
 * cmd_backup.c — backup, backups, backups prune. On SQLite the extension
 * makes, verifies and catalogues the copy (dbbackup_create); on PostgreSQL
 * the driver's dump (pg_dump -Fc) writes the file and dbbackup_record
 * catalogues it with the schema fingerprint read just before the dump.
 */
#include "cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void print_json_doc(cli_db *db, cli_opts *o, const char *key, const char *json)
{
	if (o->out.format == CLI_FMT_JSON) {
		fputs("{\"database\":", stdout);
		cli_json_string(stdout, db->label);
		fprintf(stdout, ",\"engine\":\"%s\",\"%s\":%s}\n", db->drv->engine, key,
		        json ? json : "null");
	} else if (!o->out.quiet) {
		printf("%s\n", json ? json : "");
	}
}

/* PostgreSQL: pg_dump to path (default <database>-<UTC time>.dump here),
 * then dbbackup_record('pg_dump', absolute path, bytes, fingerprint). */
static int dump_and_record(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (cli_q(db, o, "SELECT current_database(), dbschema_fingerprint()", 0, NULL, &r) != 0)
		return CLI_ERROR;
	char *fingerprint = strdup(cli_cell(&r, 0, 1) ? cli_cell(&r, 0, 1) : "");
	char *path = NULL;
	if (o->nargs > 0)
		path = strdup(o->args[0]);
	else {
		char stamp[32];
		time_t now = time(NULL);
		strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime(&now));
		if (asprintf(&path, "%s-%s.dump", cli_cell(&r, 0, 0), stamp) < 0)
			path = NULL;
	}
	cli_rows_free(&r);
	char *err = NULL;
	struct stat st;
	if (!path || !fingerprint) {
		free(path);
		free(fingerprint);
		return CLI_ERROR;
	}
	if (stat(path, &st) == 0) {
		cli_errorf("%s exists already: a backup never replaces a file", path);
		free(path);
		free(fingerprint);
		return CLI_ERROR;
	}
	cli_note(&o->out, "pg_dump to %s", path);
	if (db->drv->dump(db, path, &err) != 0) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: pg_dump failed");
		free(err);
		free(path);
		free(fingerprint);
		return CLI_ERROR;
	}
	char abs[PATH_MAX], bytes[32];
	if (!realpath(path, abs) || stat(abs, &st) != 0) {
		cli_errorf("cannot read the dump %s", path);
		free(path);
		free(fingerprint);
		return CLI_ERROR;
	}
	snprintf(bytes, sizeof bytes, "%lld", (long long)st.st_size);
	const char *p[3] = {abs, bytes, fingerprint};
	int rc = cli_q(db, o,
	               "SELECT json_build_object('id', dbbackup_record('pg_dump', $1, "
	               "CAST($2 AS bigint), $3), 'path', $1, 'bytes', CAST($2 AS bigint), "
	               "'fingerprint', $3)::text",
	               3, p, &r);
	free(path);
	free(fingerprint);
	if (rc != 0)
		return CLI_ERROR;
	print_json_doc(db, o, "backup", cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	return CLI_OK;
}

int cmd_backup(cli_db *db, cli_opts *o)
{
	if (db->drv->dump)
		return dump_and_record(db, o);
	cli_rows r = {0};
	const char *p[1] = {o->nargs > 0 ? o->args[0] : NULL};
	if (cli_q(db, o, o->nargs > 0 ? "SELECT dbbackup_create($1)" : "SELECT dbbackup_create()",
	          o->nargs > 0 ? 1 : 0, o->nargs > 0 ? p : NULL, &r) != 0)
		return CLI_ERROR;
	print_json_doc(db, o, "backup", cli_cell(&r, 0, 0));
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
	print_json_doc(db, o, "prune", cli_cell(&r, 0, 0));
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
