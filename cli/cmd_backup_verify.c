/*
 * cmd_backup_verify.c — dbcare verify BACKUP: re-verifies a catalogued
 * backup and marks its catalog row verified or failed (with the reason).
 * SQLite: dbbackup_verify. PostgreSQL, a dump the command made: the file's
 * SHA-256 against the one recorded (a byte changed since the backup fails),
 * then the dump restored into a scratch database, whose per-table row
 * counts and content hashes must equal those read at the backup's
 * snapshot (a lost row fails where the file reads back whole). A
 * pgBackRest backup: pgbackrest.c. The scratch database is dropped on
 * every path.
 */
#include "pg_backup.h"
#include "pgbackrest.h"
#include "sealed.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Marks the row; why NULL: verified. */
int cli_backup_mark(cli_db *db, cli_opts *o, const char *id, const char *why)
{
	const char *p[2] = {id, why};
	return cli_q(db, o,
	             why ? "UPDATE dbcare.backups SET status = 'failed', verified_at = NULL,"
	                   " detail = $2 WHERE id = CAST($1 AS bigint)"
	                 : "UPDATE dbcare.backups SET status = 'verified', verified_at = now(),"
	                   " detail = NULL WHERE id = CAST($1 AS bigint)",
	             why ? 2 : 1, p, NULL);
}

/* The content of the dump as restored into a scratch database: *now
 * (malloc'd), or -1 after printing why (*why set when it is the dump's
 * fault rather than the server's). */
static int restored_contents(cli_db *db, cli_opts *o, const char *file, char **now, char **why)
{
	char *scratch = NULL, *err = NULL;
	*now = NULL;
	if (cli_pg_scratch_create(db, o, &scratch) != 0) {
		cli_errorf("verification needs a scratch database (CREATEDB) to restore the dump into");
		return -1;
	}
	int rc = -1;
	cli_note(&o->out, "restoring %s into the scratch database %s", file, scratch);
	if (cli_pg_restore_into(db, file, scratch, &err) != 0) {
		*why = err ? strdup(err + strlen("dbcare: ")) : strdup("pg_restore failed");
		free(err);
		goto out;
	}
	cli_db *s = cli_pg_scratch_connect(db, scratch);
	if (!s)
		goto out;
	if (cli_q(s, o, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL) == 0) {
		rc = cli_pg_contents(s, o, now);
		cli_rollback(s);
	}
	cli_disconnect(s);
out:
	cli_pg_scratch_drop(db, o, scratch);
	free(scratch);
	return rc;
}

static int verify_dump(cli_db *db, cli_opts *o, const cli_rows *row, char **why, int *tables)
{
	const char *path = cli_cell(row, 0, 2), *sha = cli_cell(row, 0, 3);
	const char *contents = cli_cell(row, 0, 4);
	if (sha) {
		char now[65];
		if (cli_file_sha256(path, now) != 0) {
			if (asprintf(why, "its file cannot be read: %s", strerror(errno)) < 0)
				*why = NULL;
			return 0;
		}
		if (strcmp(now, sha) != 0) {
			*why = strdup("its content differs from the dump that was recorded (the file's "
			              "SHA-256)");
			return 0;
		}
	}
	if (!contents) {
		cli_note(&o->out, "%s was recorded without its content: only its SHA-256 was checked",
		         path);
		return 0;
	}
	char *now = NULL, *opened = NULL;
	/* a sealed dump: opened (its SHA-256 checked above) into a private
	 * temporary file, which pg_restore reads */
	if (cli_is_sealed(path) && !(opened = cli_unseal_to_temp(path, NULL, why)))
		return *why ? 0 : -1;
	int restored = restored_contents(db, o, opened ? opened : path, &now, why);
	if (opened)
		unlink(opened);
	free(opened);
	if (restored != 0)
		return *why ? 0 : -1;
	int rc = cli_pg_contents_compare(contents, now, why);
	if (rc == 0 && !*why) {
		json_t *doc = json_loads(now, 0, NULL);
		*tables = (int)json_object_size(doc);
		json_decref(doc);
	}
	free(now);
	if (rc != 0)
		cli_errorf("the recorded content of %s does not parse", path);
	return rc;
}

static int verify_sqlite(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	const char *p[1] = {o->args[0]};
	if (cli_q(db, o, "SELECT dbbackup_verify($1)", 1, p, &r) != 0)
		return CLI_ERROR;
	cli_progress_end(&o->out);
	cli_print_json_doc(db, o, "verify", cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	return CLI_OK;
}

int cli_verify_backup(cli_db *db, cli_opts *o)
{
	if (!db->drv->dump)
		return verify_sqlite(db, o);
	const char *arg = o->args[0];
	char abs[PATH_MAX];
	const char *p[2] = {realpath(arg, abs) ? abs : arg, arg};
	cli_rows row = {0};
	if (cli_q(db, o,
	          "SELECT id, kind, path, sha256, content::text, label FROM dbcare.backups"
	          " WHERE path = $1 OR label = $2 ORDER BY id DESC LIMIT 1",
	          2, p, &row) != 0)
		return CLI_ERROR;
	if (row.nrows == 0) {
		cli_errorf("no catalogued backup at %s (dbcare backups lists them)", arg);
		cli_rows_free(&row);
		return CLI_ERROR;
	}
	const char *id = cli_cell(&row, 0, 0), *kind = cli_cell(&row, 0, 1);
	const char *path = cli_cell(&row, 0, 2);
	char *why = NULL;
	int tables = -1, rc;
	if (strcmp(kind, "pg_dump") == 0)
		rc = verify_dump(db, o, &row, &why, &tables);
	else if (strcmp(kind, "pgbackrest") == 0)
		rc = cli_pgbackrest_verify(db, o, path, &why, &tables);
	else {
		cli_errorf("backup %s was recorded by %s: dbcare verifies the backups it makes "
		           "(pg_dump, pgbackrest)",
		           path, kind);
		rc = -1;
	}
	int exit = CLI_ERROR;
	if (rc == 0 && cli_backup_mark(db, o, id, why) == 0) {
		if (why) {
			cli_errorf("backup %s failed verification: %s", path, why);
		} else {
			char *doc = NULL;
			if (asprintf(&doc, "{\"id\":%s,\"kind\":\"%s\",\"verified\":true,\"tables\":%d}", id,
			             kind, tables) >= 0)
				cli_print_json_doc(db, o, "verify", doc);
			free(doc);
			exit = CLI_OK;
		}
	}
	free(why);
	cli_rows_free(&row);
	return exit;
}
