/*
 * backup_record.c — the record step of the backup flow on the command's
 * side (core/backup/backup_tool.h): one dbbackup_record call with all the
 * flow learnt (and, with --copy-to or backup.dir a store's URL, one for
 * the object uploaded, recorded only once it is whole in the store), the
 * answer read back through dbbackup_entry; and running
 * the flow with the command's files, printing its answer or its error.
 */
#include "backup_flow.h"
#include "shipped.h"
#include "stop_cleanup.h"
#include "cli/common/files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cell_or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

/* Whether a statement run alone (autocommit) that failed with sqlstate
 * may have committed all the same: an error of the statement rolled it
 * back, but a connection lost (no SQLSTATE, class 08), the session ended
 * by the server (57P) or a completion unknown (40003) may come after its
 * COMMIT. */
static bool may_have_committed(const char *sqlstate)
{
	return !sqlstate[0] || strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "57P", 3) == 0 ||
	       strcmp(sqlstate, "40003") == 0;
}

/* One dbbackup_record of made at location: 0 (*id its id), or -1 with
 * *maybe_recorded whether the row may be there all the same. */
static int record_at(cli_backup_record_arg *a, const char *kind, const dbc_backup_made *made,
                     const char *location, cli_rows *id, bool *maybe_recorded)
{
	char bytes[32], ms[32];
	snprintf(bytes, sizeof bytes, "%lld", (long long)made->bytes);
	snprintf(ms, sizeof ms, "%.0f", made->duration_ms);
	const char *p[11] = {kind,
	                     location,
	                     made->bytes >= 0 ? bytes : NULL,
	                     made->fingerprint,
	                     cell_or_null(made->sha256),
	                     made->content,
	                     made->label,
	                     made->wal_start,
	                     made->wal_stop,
	                     made->duration_ms >= 0 ? ms : NULL,
	                     NULL};
	/* one call: the row has everything or is not there; arguments by
	 * position, the one statement both engines run (verified: true, no
	 * detail; content's type the function's own) */
	int failed = cli_q(a->db, a->o,
	                   "SELECT dbbackup_record($1, $2, CAST($3 AS bigint), $4, true, NULL, $5, $6,"
	                   " $7, $8, $9, CAST($10 AS double precision))",
	                   10, p, id) != 0;
	/* once written, a failed answer does not undo the row */
	*maybe_recorded = !failed || may_have_committed(a->db->error.sqlstate);
	return failed ? -1 : 0;
}

/* The file made uploaded to o->copy_to, and its object recorded once it
 * is whole there (shipped.h): 0 (*id the object's row), or -1 after
 * saying why, *maybe_recorded as record_at's (false: nothing recorded). */
static int record_copy(cli_backup_record_arg *a, const char *kind, const dbc_backup_made *made,
                       bool indexed, cli_rows *id, bool *maybe_recorded)
{
	char *at = NULL;
	*maybe_recorded = false;
	if (cli_backup_ship(a->o, made->location, indexed, &at) != CLI_OK) {
		if (!a->staged)
			cli_backup_ship_failed(a->o, made->location);
		return -1;
	}
	int rc = record_at(a, kind, made, at, id, maybe_recorded);
	if (rc == 0)
		cli_note(&a->o->out, "recorded %s as backup %s", at, cli_cell(id, 0, 0));
	else
		cli_errorf("%s is whole in the store but not recorded: run the backup again", at);
	free(at);
	return rc;
}

int cli_backup_ship_recorded(cli_db *db, cli_opts *o, const char *kind, const dbc_backup_made *made,
                             bool indexed)
{
	cli_backup_record_arg a = {db, o, NULL, NULL, false, false};
	cli_rows id = {0};
	bool maybe;
	int rc = record_copy(&a, kind, made, indexed, &id, &maybe);
	cli_rows_free(&id);
	return rc == 0 ? CLI_OK : CLI_ERROR;
}

/* The transaction's COMMIT, the backup's commit point (cli_stop_commit):
 * -1 only when it is known not committed; a COMMIT whose outcome is
 * unknown (*unknown) keeps the file, which a stop signal then leaves. */
typedef struct commit_arg {
	cli_backup_record_arg *a;
	bool unknown;
} commit_arg;

static int commit_row(void *arg)
{
	commit_arg *c = arg;
	if (cli_q(c->a->db, c->a->o, "COMMIT", 0, NULL, NULL) == 0)
		return 0;
	c->unknown = may_have_committed(c->a->db->error.sqlstate);
	return c->unknown ? 0 : -1;
}

/* The local file's row, in a transaction of its own whose COMMIT runs
 * with the stop signals held (stop_cleanup.h): a stop signal before it
 * removes the published file and ends dbcare (the server rolls the row
 * back with the session); one during it finds the backup recorded and is
 * dropped. So a stop leaves the file and its row, or neither. */
static int record_local(cli_backup_record_arg *a, const char *kind, const dbc_backup_made *made,
                        cli_rows *id, bool *maybe_recorded)
{
	commit_arg c = {a, false};
	*maybe_recorded = false;
	if (cli_q(a->db, a->o, "BEGIN", 0, NULL, NULL) != 0)
		return -1;
	if (record_at(a, kind, made, made->location, id, maybe_recorded) != 0) {
		/* not committed, whatever the error: the transaction is open */
		*maybe_recorded = false;
		(void)cli_q(a->db, a->o, "ROLLBACK", 0, NULL, NULL);
		return -1;
	}
	*maybe_recorded = false;
	if (cli_stop_commit(CLI_STOP_BACKUP_FILE, commit_row, &c) != 0)
		return -1;
	*maybe_recorded = true;
	return c.unknown ? -1 : 0;
}

int cli_backup_record(dbc_ctx *ctx, void *arg, const char *kind, const dbc_backup_made *made,
                      char **json, bool *maybe_recorded)
{
	cli_backup_record_arg *a = arg;
	cli_rows id = {0}, copy = {0}, r = {0};
	bool copy_maybe = false;
	/* staged: the store's object is the one row, recorded once whole
	 * there; else the local file's row first, then its copy's */
	int failed = a->staged ? record_copy(a, kind, made, false, &id, maybe_recorded) != 0
	                       : record_local(a, kind, made, &id, maybe_recorded) != 0;
	if (!failed && !a->staged && a->o->copy_to)
		a->copy_failed = record_copy(a, kind, made, false, &copy, &copy_maybe) != 0;
	/* read back in a statement of its own (a STABLE function sees the
	 * statement's snapshot) */
	const char *e[2] = {cli_cell(&id, 0, 0), a->extra ? *a->extra : NULL};
	failed = failed || cli_q(a->db, a->o, a->answer_sql, a->extra ? 2 : 1, e, &r) != 0;
	if (!failed && cli_cell(&r, 0, 0))
		*json = dbc_strdup(ctx, cli_cell(&r, 0, 0));
	cli_rows_free(&id);
	cli_rows_free(&copy);
	cli_rows_free(&r);
	return failed ? cli_backup_fail(ctx, NULL) : *json ? DBC_OK : DBC_ERROR;
}

int cli_backup_run(cli_db *db, cli_opts *o, const dbc_backup_tool *tool, const char *answer_sql,
                   char *const *extra, const char *path, unsigned seal, bool staged)
{
	cli_backup_record_arg ra = {db, o, answer_sql, extra, staged, false};
	dbc_backup_recorder rec = {&ra, cli_backup_record};
	dbc_ctx ctx;
	char *json = NULL;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	int rc = dbc_backup_tool_run(&ctx, tool, &cli_backup_files, &rec, path, seal, &json);
	/* recorded, removed or kept as maybe recorded: no longer the stop's */
	cli_stop_track(CLI_STOP_BACKUP_FILE, NULL);
	if (rc == DBC_OK)
		cli_print_json_doc(db, o, "backup", json);
	else if (ctx.message && ctx.message[0]) /* empty: said already */
		cli_errorf("%s", ctx.message);
	else if (!ctx.message)
		cli_errorf("out of memory");
	dbc_ctx_finish(&ctx);
	return rc == DBC_OK && !ra.copy_failed ? CLI_OK : CLI_ERROR;
}
