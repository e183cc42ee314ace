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
#include "backup_flow.h"
#include "pg_backup.h"
#include "sealed.h"

#include <stdlib.h>
#include <string.h>

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
	(void)made;
	cli_note(&t->o->out, "pg_dump to %s", t->sealing ? "a scratch file" : t->target);
	if (t->db->drv->dump(t->db, file, t->snapshot, &err) == 0)
		return DBC_OK;
	return cli_backup_fail(ctx, err ? err : strdup("dbcare: pg_dump failed"));
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
