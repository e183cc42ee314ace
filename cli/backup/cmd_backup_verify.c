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

#include "cli/common/tool.h"

#include <errno.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
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

/* What the dump's dbcare objects need (issue: an audited or soft-deleted
 * table's triggers call dbcare.audit_trigger / dbcare.softdelete_row,
 * which only their owner may call, in a schema the scratch role has no
 * USAGE on): EXECUTE on exactly the functions its triggers name, and only
 * those that are trigger functions of the extension dbcare, and USAGE on
 * the schema dbcare. Nothing else of dbcare's: its tables stay unreadable
 * and its other functions uncallable (no grant to PUBLIC is made). */
static int grant_trigger_functions(cli_db *v, cli_opts *o, const cli_pg_scratch *s,
                                   const cli_pg_toc *t)
{
	size_t len = 3;
	for (int i = 0; i < t->nfns; i++)
		len += strlen(t->dbcare_fns[i]) + 1;
	char *names = malloc(len), *w = names;
	if (!names)
		return -1;
	*w++ = '{';
	for (int i = 0; i < t->nfns; i++)
		w += sprintf(w, "%s%s", i ? "," : "", t->dbcare_fns[i]);
	strcpy(w, "}");
	const char *p[2] = {names, s->name};
	cli_rows r = {0};
	int rc = cli_q(v, o,
	               "SELECT pg_catalog.format('GRANT EXECUTE ON FUNCTION dbcare.%I() TO %I',"
	               "  p.proname, CAST($2 AS text))"
	               " FROM pg_catalog.pg_proc p"
	               " JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass"
	               "  AND d.objid = p.oid AND d.deptype = 'e'"
	               " JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbcare'"
	               " WHERE p.pronamespace = 'dbcare'::regnamespace AND p.pronargs = 0"
	               "  AND p.prorettype = 'pg_catalog.trigger'::regtype"
	               "  AND p.proname = ANY (CAST($1 AS text[]))"
	               " UNION ALL SELECT pg_catalog.format('GRANT USAGE ON SCHEMA dbcare TO %I', "
	               "CAST($2 AS text))"
	               " ORDER BY 1",
	               2, p, &r);
	for (int i = 0; rc == 0 && i < r.nrows; i++)
		rc = cli_q(v, o, cli_cell(&r, i, 0), 0, NULL, NULL);
	cli_rows_free(&r);
	free(names);
	return rc;
}

/* The dump's extensions, made in the scratch database by the verifier
 * (the scratch role may not; the dump's objects need them), into the
 * schemas the first restore step made, still empty: only an extension the
 * server has, its name and schema quoted. */
static int make_extensions(cli_db *db, cli_opts *o, const cli_pg_scratch *s, const cli_pg_toc *t)
{
	if (t->next == 0)
		return 0;
	cli_db *v = cli_pg_scratch_connect(db, s, false);
	int rc = v ? 0 : -1;
	for (int i = 0; rc == 0 && i < t->next && !cli_tool_held_signal(); i++) {
		cli_rows r = {0};
		const char *p[1] = {t->ext[i]};
		rc =
		    cli_q(v, o, "SELECT FROM pg_catalog.pg_available_extensions WHERE name = $1", 1, p, &r);
		if (rc == 0 && r.nrows == 0) {
			cli_errorf("the dump needs the extension %s, which this server does not have",
			           t->ext[i]);
			rc = -1;
		}
		cli_rows_free(&r);
		PGconn *c = (PGconn *)v->handle;
		char *name = PQescapeIdentifier(c, t->ext[i], strlen(t->ext[i]));
		char *schema = PQescapeIdentifier(c, t->ext_schema[i], strlen(t->ext_schema[i]));
		char *sql = NULL;
		if (rc == 0 &&
		    (!name || !schema ||
		     asprintf(&sql, "CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s", name, schema) < 0 ||
		     cli_q(v, o, sql, 0, NULL, NULL) != 0))
			rc = -1;
		free(sql);
		PQfreemem(name);
		PQfreemem(schema);
	}
	if (rc == 0 && t->nfns > 0)
		rc = grant_trigger_functions(v, o, s, t);
	cli_disconnect(v);
	return rc;
}

/* Reads the restored content as the scratch role, which owns every table:
 * forced row security, which would filter its owner too (and run the
 * policies), is turned off first (the copy is thrown away). */
static int read_restored(cli_db *rs, cli_opts *o, cli_restored_check check, char **now, char **why)
{
	cli_rows r = {0};
	if (cli_q(rs, o,
	          "SELECT pg_catalog.format('ALTER TABLE %I.%I NO FORCE ROW LEVEL SECURITY',"
	          " n.nspname, c.relname) FROM pg_catalog.pg_class c"
	          " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	          " WHERE c.relforcerowsecurity",
	          0, NULL, &r) != 0)
		return -1;
	int rc = 0;
	for (int i = 0; rc == 0 && i < r.nrows; i++)
		rc = cli_q(rs, o, cli_cell(&r, i, 0), 0, NULL, NULL);
	cli_rows_free(&r);
	if (rc == 0 && (rc = cli_q(rs, o, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL,
	                           NULL)) == 0) {
		rc = cli_pg_contents(rs, o, now);
		if (rc == 0 && check)
			rc = check(rs, o, why);
		cli_rollback(rs);
	}
	return rc;
}

/* The restore steps (pg_backup.h): schemas as the scratch role, the
 * extensions as the verifier (with the grants the dump's dbcare triggers
 * need), the rest as the scratch role; then the read.
 * -1 after printing why, *why set when it is the dump's fault. */
static int restore_and_read(cli_db *db, cli_opts *o, const char *file, const cli_pg_toc *t,
                            const cli_pg_scratch *s, cli_restored_check check, char **now,
                            char **why)
{
	char *err = NULL;
	/* the role logs in (a clear error when the server does not let it) */
	cli_db *rs = cli_pg_scratch_connect(db, s, true);
	if (!rs)
		return -1;
	cli_note(&o->out, "restoring %s into the scratch database %s as the role %s", file, s->name,
	         s->name);
	int rc = -1;
	if ((t->nschemas == 0 || cli_pg_restore_into(db, s, file, t->schemas, &err) == 0) &&
	    !cli_tool_held_signal() && make_extensions(db, o, s, t) == 0 && !cli_tool_held_signal() &&
	    cli_pg_restore_into(db, s, file, t->rest, &err) == 0 && !cli_tool_held_signal())
		rc = read_restored(rs, o, check, now, why);
	else if (err && !cli_tool_stop_signal())
		*why = strdup(err + strlen("dbcare: "));
	else if (err)
		fprintf(stderr, "%s\n", err);
	free(err);
	cli_disconnect(rs);
	return rc;
}

/* The content of the dump as restored into a scratch database: *now
 * (malloc'd), or -1 after printing why (*why set when it is the dump's
 * fault rather than the server's). The scratch database and role are
 * dropped on every path; a signal is acted on after the step that runs. */
static int restored_contents(cli_db *db, cli_opts *o, const char *file, cli_restored_check check,
                             char **now, char **why)
{
	cli_pg_toc toc;
	cli_pg_scratch s = {0};
	char *err = NULL;
	int rc = -1;
	*now = NULL;
	/* a signal between the steps of the restore: the steps stop, the
	 * scratch database and role are dropped, then it fails */
	cli_signal_hold hold;
	cli_tool_hold_signals(&hold);
	if (cli_pg_toc_read(file, &toc, &err) != 0) {
		if (err && !cli_tool_stop_signal())
			*why = strdup(err + strlen("dbcare: "));
		else if (err)
			fprintf(stderr, "%s\n", err);
	} else if (!cli_tool_held_signal() && cli_pg_scratch_create(db, o, &s) == 0 &&
	           !cli_tool_held_signal())
		rc = restore_and_read(db, o, file, &toc, &s, check, now, why);
	cli_pg_scratch_drop(db, o, &s);
	cli_pg_toc_free(&toc);
	free(err);
	cli_tool_release_signals(&hold);
	if (cli_tool_held_signal() || cli_tool_stop_signal()) {
		cli_errorf("verification was stopped by a signal; the scratch database and role are "
		           "dropped");
		free(*why);
		*why = NULL;
		free(*now);
		*now = NULL;
		rc = -1;
	}
	return rc;
}

/* *why: how the sealed dump at path is not this database's (NULL: it
 * is). -1 after printing an error reading what this database is. */
static int sealed_origin(cli_db *db, cli_opts *o, const char *path, char **why)
{
	cli_rows r = {0};
	char *identity = NULL;
	if (cli_pg_database_identity(db, o, &identity) != 0 ||
	    cli_q(db, o, "SELECT current_database()", 0, NULL, &r) != 0) {
		free(identity);
		return -1;
	}
	*why = cli_sealed_origin_mismatch(path, path, identity, cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	free(identity);
	return 0;
}

int cli_verify_dump(cli_db *db, cli_opts *o, const cli_rows *row, cli_restored_check check,
                    char **why, int *tables, char **content)
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
	/* a sealed dump is the one the row names: published under its path
	 * (another database's copied over it, row and all, names its own),
	 * taken from this database (its identity: another's published under
	 * the very same path names another) */
	if (cli_is_sealed(path) && sealed_origin(db, o, path, why) != 0)
		return -1;
	if (*why)
		return 0;
	if (!contents) {
		cli_note(&o->out, "%s was recorded without its content: only its SHA-256 was checked",
		         path);
		return 0;
	}
	char *now = NULL, *opened = NULL;
	/* a sealed dump: opened (its SHA-256 checked above) into a scratch
	 * file without a name, which pg_restore reads */
	if (cli_is_sealed(path) && !(opened = cli_unseal_to_temp(path, NULL, why)))
		return *why ? 0 : -1;
	int restored = restored_contents(db, o, opened ? opened : path, check, &now, why);
	cli_scratch_release(opened);
	if (restored != 0)
		return *why ? 0 : -1;
	/* a content difference first; else what check found */
	char *checked = *why;
	*why = NULL;
	int rc = cli_pg_contents_compare(contents, now, why);
	if (rc == 0 && !*why)
		*why = checked;
	else
		free(checked);
	if (rc == 0 && !*why) {
		json_t *doc = json_loads(now, 0, NULL);
		*tables = (int)json_object_size(doc);
		json_decref(doc);
	}
	if (content)
		*content = now;
	else
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

const char cli_backup_row_sql[] =
    "SELECT id, kind, path, sha256, content::text, label FROM dbcare.backups";

/* Verifies the backup of row (a row of cli_backup_row_sql) and marks it: 0 with *why
 * NULL (verified, *tables read) or set (failed); -1 after printing an
 * error that is not the backup's (the row is left as it was). */
static int verify_row(cli_db *db, cli_opts *o, const cli_rows *row, char **why, int *tables)
{
	const char *id = cli_cell(row, 0, 0), *kind = cli_cell(row, 0, 1);
	const char *path = cli_cell(row, 0, 2);
	int rc;
	*why = NULL;
	*tables = -1;
	if (strcmp(kind, "pg_dump") == 0)
		rc = cli_verify_dump(db, o, row, NULL, why, tables, NULL);
	else if (strcmp(kind, "pgbackrest") == 0)
		rc = cli_pgbackrest_verify(db, o, path, why, tables);
	else {
		cli_errorf("backup %s was recorded by %s: dbcare verifies the backups it makes "
		           "(pg_dump, pgbackrest)",
		           path, kind);
		rc = -1;
	}
	return rc == 0 && cli_backup_mark(db, o, id, *why) == 0 ? 0 : -1;
}

int cli_verify_backup(cli_db *db, cli_opts *o)
{
	if (!db->drv->dump)
		return verify_sqlite(db, o);
	const char *arg = o->args[0];
	char abs[PATH_MAX];
	const char *p[2] = {realpath(arg, abs) ? abs : arg, arg};
	cli_rows row = {0};
	char *sql = NULL;
	if (asprintf(&sql, "%s WHERE path = $1 OR label = $2 ORDER BY id DESC LIMIT 1",
	             cli_backup_row_sql) < 0 ||
	    cli_q(db, o, sql, 2, p, &row) != 0) {
		free(sql);
		return CLI_ERROR;
	}
	free(sql);
	if (row.nrows == 0) {
		cli_errorf("no catalogued backup at %s (dbcare backups lists them)", arg);
		cli_rows_free(&row);
		return CLI_ERROR;
	}
	const char *id = cli_cell(&row, 0, 0), *kind = cli_cell(&row, 0, 1);
	const char *path = cli_cell(&row, 0, 2);
	char *why = NULL;
	int tables = -1, exit = CLI_ERROR;
	if (verify_row(db, o, &row, &why, &tables) == 0) {
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

/* SQLite: dbbackup_verify of each copy dbcare made (an incremental one as
 * its chain's image, each link against its SHA-256); its error is the
 * reason, and the row is failed by dbbackup_verify itself. */
static int verify_one_sqlite(cli_db *db, const char *path, char **why)
{
	cli_rows r = {0};
	const char *p[1] = {path};
	*why = NULL;
	if (db->drv->query(db, "SELECT dbbackup_verify($1)", 1, p, &r) != 0) {
		/* the reason goes on the backup's line */
		const char *m = db->error.message ? db->error.message : "unknown error";
		const char *tail = strstr(m, " failed verification: ");
		const char *text = tail ? tail + strlen(" failed verification: ") : m;
		if (strncmp(text, "dbcare: ", 8) == 0)
			text += 8;
		*why = strndup(text, strcspn(text, "\n"));
		cli_error_clear(db);
		return 0;
	}
	json_t *doc = json_loads(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "", 0, NULL);
	if (!json_is_true(json_object_get(doc, "verified")))
		*why = strdup("not verified");
	json_decref(doc);
	cli_rows_free(&r);
	return 0;
}

int cli_verify_all_backups(cli_db *db, cli_opts *o)
{
	bool pg = db->drv->dump != NULL;
	cli_rows list = {0};
	if (cli_q(
	        db, o,
	        pg ? "SELECT CAST(id AS text), path FROM dbcare.backups"
	             " WHERE kind IN ('pg_dump', 'pgbackrest') ORDER BY id"
	           : "SELECT CAST(id AS text), path FROM dbbackup_list WHERE kind = 'file' ORDER BY id",
	        0, NULL, &list) != 0)
		return CLI_ERROR;
	json_t *out = json_array();
	int bad = 0;
	for (int i = 0; i < list.nrows; i++) {
		const char *id = cli_cell(&list, i, 0), *path = cli_cell(&list, i, 1);
		cli_note(&o->out, "dbcare: verifying backup %d of %d: %s", i + 1, list.nrows, path);
		char *why = NULL, *sql = NULL;
		int tables = -1, rc = -1;
		if (!pg)
			rc = verify_one_sqlite(db, path, &why);
		else {
			cli_rows row = {0};
			const char *p[1] = {id};
			if (asprintf(&sql, "%s WHERE id = CAST($1 AS bigint)", cli_backup_row_sql) >= 0 &&
			    cli_q(db, o, sql, 1, p, &row) == 0 && row.nrows == 1)
				rc = verify_row(db, o, &row, &why, &tables);
			cli_rows_free(&row);
			free(sql);
		}
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
	if (list.nrows == 0)
		cli_note(&o->out, "dbcare: no catalogued backup to verify");
	cli_rows_free(&list);
	return bad ? CLI_ERROR : CLI_OK;
}
