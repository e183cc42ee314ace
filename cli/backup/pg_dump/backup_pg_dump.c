/*
 * backup_pg_dump.c — pg_dump as a tool of the backup flow
 * (core/backup/backup_tool.h). The copy's moment is a REPEATABLE READ
 * transaction whose snapshot pg_dump dumps (pg_export_snapshot, pg_dump
 * --snapshot): the schema fingerprint and the content recorded are read in
 * it, so DDL or writes committed meanwhile cannot make the record differ
 * from the dump. The transaction stays open, holding no lock, until
 * pg_dump is done, exempt from idle_in_transaction_session_timeout (a
 * server setting that would end it, and the snapshot with it, while
 * pg_dump runs). Read back: pg_restore reads the whole archive.
 */
#include "pg_dump.h"
#include "cli/backup/common/backup_dir_setting.h"
#include "cli/backup/common/backup_flow.h"
#include "cli/backup/backup_methods.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/backup/common/sealed.h"
#include "cli/backup/common/upload_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int begin(dbc_ctx *ctx, void *arg, dbc_backup_made *made)
{
	cli_pg_dump_tool *t = arg;
	cli_rows r = {0};
	char *contents = NULL, *identity = NULL;
	if (cli_q(t->db, t->o, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL) != 0)
		return cli_backup_fail(ctx, NULL);
	/* the identity a sealed header names (core/container/origin.c), read
	 * before cli_pg_contents pins search_path to pg_catalog */
	if (t->sealing && cli_pg_database_identity(t->db, t->o, &identity) != 0) {
		cli_rollback(t->db);
		return cli_backup_fail(ctx, NULL);
	}
	int rc = cli_q(t->db, t->o, "SET LOCAL idle_in_transaction_session_timeout = 0", 0, NULL,
	               NULL) != 0 ||
	                 cli_q(t->db, t->o,
	                       "SELECT current_database(), dbschema_fingerprint(), "
	                       "pg_export_snapshot()",
	                       0, NULL, &r) != 0 ||
	                 /* what verification compares a restored copy with */
	                 cli_pg_contents(t->db, t->o, &contents) != 0
	             ? DBC_ERROR
	             : DBC_OK;
	if (rc == DBC_OK) {
		made->database = dbc_strdup(ctx, cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "");
		made->fingerprint = dbc_strdup(ctx, cli_cell(&r, 0, 1) ? cli_cell(&r, 0, 1) : "");
		made->content = dbc_strdup(ctx, contents);
		if (identity && !(made->identity = dbc_strdup(ctx, identity)))
			rc = DBC_ERROR;
		t->snapshot = strdup(cli_cell(&r, 0, 2) ? cli_cell(&r, 0, 2) : "");
		if (!made->database || !made->fingerprint || !made->content || !t->snapshot)
			rc = DBC_ERROR;
	}
	cli_rows_free(&r);
	free(contents);
	free(identity);
	if (rc != DBC_OK) {
		cli_rollback(t->db);
		free(t->snapshot);
		t->snapshot = NULL;
		return ctx->failed ? DBC_ERROR : cli_backup_fail(ctx, NULL);
	}
	return DBC_OK;
}

static int copy(dbc_ctx *ctx, void *arg, const char *file, dbc_backup_made *made)
{
	cli_pg_dump_tool *t = arg;
	char *err = NULL;
	cli_note(&t->o->out, "pg_dump to %s", t->sealing ? "a scratch file" : t->target);
	if (t->db->drv->dump(t->db, file, t->snapshot, t->o->compress, &err) != 0)
		return cli_backup_fail(ctx, err ? err : strdup("dbcare: pg_dump failed"));
	/* what a restore or verification from the file alone compares with,
	 * read in the dump's snapshot (dump_record.h); inside the seal */
	cli_dump_record rec = {.database = made->database,
	                       .identity = made->identity,
	                       .fingerprint = made->fingerprint,
	                       .content = made->content};
	if (cli_dump_record_append(file, &rec, &err) == 0)
		return DBC_OK;
	return cli_backup_fail(ctx, err ? err : strdup("dbcare: cannot write the dump's record"));
}

/* COMMIT once the dump is made (the snapshot is no longer needed), else
 * ROLLBACK */
static int end(dbc_ctx *ctx, void *arg, bool ok)
{
	cli_pg_dump_tool *t = arg;
	free(t->snapshot);
	t->snapshot = NULL;
	if (!ok) {
		cli_rollback(t->db);
		return DBC_OK;
	}
	return cli_q(t->db, t->o, "COMMIT", 0, NULL, NULL) == 0 ? DBC_OK : cli_backup_fail(ctx, NULL);
}

static int read_back(dbc_ctx *ctx, void *arg, const char *file, dbc_backup_made *made)
{
	(void)arg, (void)made;
	char *err = NULL;
	if (cli_pg_dump_read_back(file, &err) == 0)
		return DBC_OK;
	return cli_backup_fail(ctx, err ? err : strdup("dbcare: pg_restore could not read the dump"));
}

void cli_pg_dump_tool_init(dbc_backup_tool *tool, cli_pg_dump_tool *arg, cli_db *db, cli_opts *o,
                           const char *target)
{
	*arg = (cli_pg_dump_tool){
	    .db = db, .o = o, .sealing = o->compress || o->key_file, .target = target};
	*tool = (dbc_backup_tool){.kind = "pg_dump",
	                          .writes_file = true,
	                          .arg = arg,
	                          .begin = begin,
	                          .copy = copy,
	                          .end = end,
	                          .read_back = read_back};
}

/* The default dump name <database>-<UTC time>.dump, one file in dir
 * (backup.dir; NULL: the current directory) whatever the database is
 * called: a '/' (a database
 * name may hold one) becomes '_', and so does a leading '.' or '-' (no
 * hidden file, nothing that reads as an option). */
static char *default_dump_name(const char *dir, const char *database)
{
	char stamp[32], *name = NULL, *path = NULL;
	time_t now = time(NULL);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime(&now));
	if (asprintf(&name, "%s-%s.dump", database, stamp) < 0)
		return NULL;
	size_t n = strlen(database);
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || (i == 0 && (name[i] == '.' || name[i] == '-')))
			name[i] = '_';
	/* in backup.dir when set (a folder) */
	size_t d = dir ? strlen(dir) : 0;
	if (!d)
		return name;
	if (asprintf(&path, "%s%s%s", dir, dir[d - 1] == '/' ? "" : "/", name) < 0)
		path = NULL;
	free(name);
	return path;
}

/* The answer of a pg_dump backup, over dbbackup_entry's row ($1: its id). */
static const char dump_answer_sql[] =
    "SELECT json_build_object('id', e->'id', 'path', e->'path', 'bytes', e->'bytes',"
    " 'fingerprint', e->'fingerprint', 'sha256', e->'sha256',"
    " 'tables', CASE pg_catalog.jsonb_typeof(e->'content'->'tables') WHEN 'array'"
    "  THEN pg_catalog.jsonb_array_length(e->'content'->'tables')"
    "  ELSE (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(e->'content')) END)::text"
    " FROM (SELECT dbbackup_entry(CAST($1 AS bigint)) AS e) AS recorded";

/* pg_dump to path (default <database>-<UTC time>.dump here), through
 * the backup flow (core/backup/backup_tool.h, the tool above): read back,
 * sealed when asked, published, recorded with dbbackup_record; with
 * --copy-to uploaded too, the object a row of its own (backup_flow.h).
 * Without PATH and with backup.dir a store's URL: made in an upload's
 * stage (upload_stage.h), never kept here, the object the one row. */
int cli_pg_dump_backup(cli_db *db, cli_opts *o, const char *target)
{
	(void)target;
	cli_rows r = {0};
	char *path = NULL, *dir = NULL;
	const char *given = o->copy_to;
	cli_upload_stage stage = {NULL, NULL};
	/* without PATH: backup.dir's folder, else the working directory (a
	 * store's URL there is the upload's destination, as --copy-to) */
	if (o->nargs > 0)
		path = strdup(o->args[0]);
	else if (cli_backup_dir_setting(db, o, "backup.dir", &dir) == 0 &&
	         cli_q(db, o, "SELECT current_database()", 0, NULL, &r) == 0)
		path = default_dump_name(dir, cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "");
	cli_rows_free(&r);
	free(dir);
	if (!path)
		return CLI_ERROR;
	bool staged = o->nargs == 0 && o->copy_to && o->copy_to != given;
	if (staged) {
		int made = cli_upload_stage_make(&stage, path);
		free(path);
		if (made != 0)
			return CLI_ERROR;
		path = strdup(stage.file);
	}
	unsigned seal =
	    (o->compress ? DBC_BACKUP_SEAL_ZSTD : 0u) | (o->key_file ? DBC_BACKUP_SEAL_ENCRYPT : 0u);
	dbc_backup_tool tool;
	cli_pg_dump_tool arg;
	cli_pg_dump_tool_init(&tool, &arg, db, o, path);
	int rc =
	    path ? cli_backup_run(db, o, &tool, dump_answer_sql, NULL, path, seal, staged) : CLI_ERROR;
	cli_upload_stage_drop(&stage);
	free(path);
	return rc;
}
