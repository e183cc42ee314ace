/*
 * cmd_backup.c — backup, backups, backups prune. On SQLite the extension
 * makes, verifies and catalogues the copy (dbbackup_create); on PostgreSQL
 * the driver's dump (pg_dump -Fc) writes the file and dbbackup_record
 * catalogues it with the schema fingerprint read just before the dump.
 */
#include "cli/cli.h"
#include "pg_backup.h"
#include "pgbackrest.h"
#include "sealed.h"

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

/* PostgreSQL: pg_dump to path (default <database>-<UTC time>.dump here),
 * then dbbackup_record('pg_dump', absolute path, bytes, fingerprint). The
 * fingerprint is read in a REPEATABLE READ transaction whose snapshot
 * pg_dump dumps (pg_export_snapshot, pg_dump --snapshot): DDL committed
 * between the two cannot make the recorded schema differ from the dump's.
 * The transaction stays open, holding no lock, until pg_dump is done,
 * exempt from idle_in_transaction_session_timeout (a server setting that
 * would end it, and the snapshot with it, while pg_dump runs). */
static int dump_and_record(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (cli_q(db, o, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL) != 0)
		return CLI_ERROR;
	if (cli_q(db, o, "SET LOCAL idle_in_transaction_session_timeout = 0", 0, NULL, NULL) != 0 ||
	    cli_q(db, o, "SELECT current_database(), dbschema_fingerprint(), pg_export_snapshot()", 0,
	          NULL, &r) != 0) {
		cli_rollback(db);
		return CLI_ERROR;
	}
	char *fingerprint = strdup(cli_cell(&r, 0, 1) ? cli_cell(&r, 0, 1) : "");
	char *snapshot = strdup(cli_cell(&r, 0, 2) ? cli_cell(&r, 0, 2) : "");
	char *database = cli_cell(&r, 0, 0) ? strdup(cli_cell(&r, 0, 0)) : NULL;
	char *identity = NULL; /* named in a sealed dump's header (core/container) */
	char *path = o->nargs > 0 ? strdup(o->args[0])
	                          : default_dump_name(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "");
	cli_rows_free(&r);
	char *err = NULL, *contents = NULL;
	char *plain = NULL; /* a sealed dump's plain file, until it is sealed */
	bool sealing = o->compress || o->key_file;
	char sha[65];
	struct stat st;
	int rc = CLI_ERROR;
	bool in_snapshot = true; /* until the COMMIT below */
	if (!path || !fingerprint || !snapshot ||
	    (sealing && cli_pg_database_identity(db, o, &identity) != 0))
		goto out;
	/* lstat: a symlink at the name is a file there (the dump's link()
	 * refuses it too, whatever appears meanwhile) */
	if (lstat(path, &st) == 0) {
		cli_errorf("%s exists already: a backup never replaces a file", path);
		goto out;
	}
	/* what verification compares a restored copy with, read in the
	 * snapshot the dump is taken in */
	if (cli_pg_contents(db, o, &contents) != 0)
		goto out;
	/* sealed (--compress zstd, --encrypt-key-file): pg_dump writes the
	 * plain dump into a scratch file without a name on the target's file
	 * system (a kill leaves none of it), sealed into the target's name
	 * below */
	if (sealing && !(plain = cli_scratch_beside(path)))
		goto out;
	cli_note(&o->out, "pg_dump to %s", sealing ? "a scratch file" : path);
	if (db->drv->dump(db, sealing ? plain : path, snapshot, &err) != 0) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: pg_dump failed");
		free(err);
		goto out;
	}
	in_snapshot = false;
	if (cli_q(db, o, "COMMIT", 0, NULL, NULL) != 0)
		goto out;
	if (sealing) {
		long long sealed_bytes;
		int sealed = cli_seal_dump(plain, path, database ? database : "", identity,
		                           o->compress != NULL, o->key_file != NULL, sha, &sealed_bytes);
		cli_scratch_release(plain);
		plain = NULL;
		if (sealed != 0)
			goto out;
	}
	char abs[PATH_MAX], bytes[32];
	if (!realpath(path, abs) || stat(abs, &st) != 0) {
		cli_errorf("cannot read the dump %s", path);
		goto out;
	}
	snprintf(bytes, sizeof bytes, "%lld", (long long)st.st_size);
	if (!sealing && cli_file_sha256(abs, sha) != 0) {
		cli_errorf("cannot read the dump %s: %s", abs, strerror(errno));
		goto out;
	}
	/* one transaction: the row has its hash and content or is not there */
	const char *p[3] = {abs, bytes, fingerprint};
	if (cli_q(db, o, "BEGIN", 0, NULL, NULL) != 0)
		goto out;
	cli_rows id = {0};
	int failed =
	    cli_q(db, o, "SELECT dbbackup_record('pg_dump', $1, CAST($2 AS bigint), $3)", 3, p, &id);
	const char *u[3] = {sha, contents, cli_cell(&id, 0, 0)};
	failed = failed ||
	         cli_q(db, o,
	               "UPDATE dbcare.backups SET sha256 = $1, content = CAST($2 AS jsonb)"
	               " WHERE id = CAST($3 AS bigint)"
	               " RETURNING json_build_object('id', id, 'path', path, 'bytes', bytes,"
	               " 'fingerprint', fingerprint, 'sha256', sha256,"
	               " 'tables', (SELECT count(*) FROM jsonb_object_keys(content)))::text",
	               3, u, &r) != 0 ||
	         cli_q(db, o, "COMMIT", 0, NULL, NULL) != 0;
	cli_rows_free(&id);
	if (failed) {
		cli_rollback(db);
		cli_rows_free(&r);
		goto out;
	}
	cli_print_json_doc(db, o, "backup", cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	rc = CLI_OK;
out:
	if (in_snapshot)
		cli_rollback(db);       /* ends the snapshot's transaction on a failure */
	cli_scratch_release(plain); /* a failed dump's; a sealed one's went above */
	free(path);
	free(fingerprint);
	free(snapshot);
	free(database);
	free(identity);
	free(contents);
	return rc;
}

int cmd_backup(cli_db *db, cli_opts *o)
{
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
