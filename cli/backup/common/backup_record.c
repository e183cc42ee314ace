/*
 * backup_record.c — the record step of the backup flow on the command's
 * side (core/backup/backup_tool.h): one dbbackup_record call with all the
 * flow learnt, the answer read back through dbbackup_entry; and running
 * the flow with the command's files, printing its answer or its error.
 */
#include "backup_flow.h"
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

int cli_backup_record(dbc_ctx *ctx, void *arg, const char *kind, const dbc_backup_made *made,
                      char **json, bool *maybe_recorded)
{
	cli_backup_record_arg *a = arg;
	char bytes[32], ms[32];
	snprintf(bytes, sizeof bytes, "%lld", (long long)made->bytes);
	snprintf(ms, sizeof ms, "%.0f", made->duration_ms);
	const char *p[11] = {kind,
	                     made->location,
	                     made->bytes >= 0 ? bytes : NULL,
	                     made->fingerprint,
	                     cell_or_null(made->sha256),
	                     made->content,
	                     made->label,
	                     made->wal_start,
	                     made->wal_stop,
	                     made->duration_ms >= 0 ? ms : NULL,
	                     NULL};
	cli_rows id = {0}, r = {0};
	/* one call: the row has everything or is not there */
	int failed = cli_q(a->db, a->o,
	                   "SELECT dbbackup_record($1, $2, CAST($3 AS bigint), $4, sha256 => $5,"
	                   " content => CAST($6 AS jsonb), label => $7, wal_start => $8,"
	                   " wal_stop => $9, duration_ms => CAST($10 AS double precision))",
	                   10, p, &id) != 0;
	/* once written, a failed answer does not undo the row */
	*maybe_recorded = !failed || may_have_committed(a->db->error.sqlstate);
	/* read back in a statement of its own (a STABLE function sees the
	 * statement's snapshot) */
	const char *e[2] = {cli_cell(&id, 0, 0), a->extra ? *a->extra : NULL};
	failed = failed || cli_q(a->db, a->o, a->answer_sql, a->extra ? 2 : 1, e, &r) != 0;
	if (!failed && cli_cell(&r, 0, 0))
		*json = dbc_strdup(ctx, cli_cell(&r, 0, 0));
	cli_rows_free(&id);
	cli_rows_free(&r);
	return failed ? cli_backup_fail(ctx, NULL) : *json ? DBC_OK : DBC_ERROR;
}

int cli_backup_run(cli_db *db, cli_opts *o, const dbc_backup_tool *tool, const char *answer_sql,
                   char *const *extra, const char *path, unsigned seal)
{
	cli_backup_record_arg ra = {db, o, answer_sql, extra};
	dbc_backup_recorder rec = {&ra, cli_backup_record};
	dbc_ctx ctx;
	char *json = NULL;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	int rc = dbc_backup_tool_run(&ctx, tool, &cli_backup_files, &rec, path, seal, &json);
	if (rc == DBC_OK)
		cli_print_json_doc(db, o, "backup", json);
	else if (ctx.message && ctx.message[0]) /* empty: said already */
		cli_errorf("%s", ctx.message);
	else if (!ctx.message)
		cli_errorf("out of memory");
	dbc_ctx_finish(&ctx);
	return rc == DBC_OK ? CLI_OK : CLI_ERROR;
}
