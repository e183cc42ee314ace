/*
 * backup_marks_list.c — dbbackup_marks(): the restore points dbbackup_mark
 * made (backup_mark.c), oldest first, with what a restore to each stops
 * at: the file of the backup taken for it (SQLite) or its LSN
 * (PostgreSQL). What `dbcare restore --to-mark` reads.
 */
#include "backup/backup_private.h"

typedef struct marks_args {
	dbc_rows *out;
} marks_args;

static int take_mark(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	marks_args *m = arg;
	if (ncol != DBC_BACKUP_MARKS_NCOLS)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected restore point row");
	return dbc_rows_add(m->out, c);
}

int dbc_backup_marks(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_rows *out)
{
	bool exists;
	dbc_rows_init(out, ctx, DBC_BACKUP_MARKS_NCOLS);
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	const char *p = ctx->host->book_prefix;
	const char *created = dbc_printf(ctx, ctx->host->dialect->time_iso, "m.created_at");
	char *sql = created ? dbc_printf(ctx,
	                                 "SELECT m.label, %s, m.fingerprint, m.backup_id, b.path, m.lsn"
	                                 " FROM %sbackup_marks AS m LEFT JOIN %sbackups AS b"
	                                 " ON b.id = m.backup_id ORDER BY m.id",
	                                 created, p, p)
	                    : NULL;
	marks_args m = {out};
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_mark, &m) : DBC_ERROR;
}
