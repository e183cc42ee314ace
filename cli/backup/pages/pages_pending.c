/*
 * pages_pending.c — the backups waiting in backup.stage_dir for the store
 * backup.dir names (pages.h). The module does no network I/O: with
 * backup.dir a store's URL, a backup SQL makes (dbbackup_create() without
 * a path, dbbackup_mark(), migrate.backup_before) is written, verified and
 * catalogued in that folder, and waits there. Pending is read from the
 * catalog alone, never kept apart: a verified row of kind file whose path
 * is in the folder, with no row of kind file_copy for its object in the
 * store. Each is shipped by cli_module_ship, the upload --copy-to makes
 * (recorded only once whole and its checksum read back), oldest first: a
 * chain's base is in the store before the increments on it.
 */
#include "pages.h"
#include "backup/backup.h"

#include <stdlib.h>
#include <string.h>

int cli_module_stage_dir(cli_db *db, cli_opts *o, char **dir)
{
	cli_rows r = {0};
	const char *p[1] = {"backup.stage_dir"};
	*dir = NULL;
	if (cli_q(db, o, "SELECT dbcare_get($1)", 1, p, &r) != 0)
		return -1;
	/* v is empty or an absolute local path: backup.stage_dir's definition
	 * (kind DBC_SETTING_FOLDER) refuses anything else in the settings'
	 * validator (core/settings/settings.c, check_value), dbcare_set before
	 * storing and dbcare_get for a value stored by other means */
	const char *v = cli_cell(&r, 0, 0);
	int rc = 0;
	if (v && *v && !(*dir = strdup(v))) {
		cli_errorf("out of memory");
		rc = -1;
	}
	/* the folder as messages name it: no trailing slash (the setting
	 * refuses '/'; the query compares its own form) */
	for (size_t n = *dir ? strlen(*dir) : 0; n > 1 && (*dir)[n - 1] == '/'; n--)
		(*dir)[n - 1] = '\0';
	cli_rows_free(&r);
	return rc;
}

/* a pending backup's answer, as dbbackup_create gives it: what
 * cli_module_ship reads (duration_ms the backup's own, which its copy's row
 * records as --copy-to's does) */
static const char *const pending_sql =
    "SELECT json_object('path', b.path, 'id', b.id, 'fingerprint', b.fingerprint, "
    "'bytes', b.bytes, 'duration_ms', dbbackup_entry(b.id, NULL, NULL) ->> 'duration_ms') "
    "FROM dbbackup_list() b WHERE " DBC_BACKUP_WAITING_WHERE("dbbackup_list()", "$1",
                                                             "$2") " ORDER BY b.id";

int cli_module_ship_pending(cli_db *db, cli_opts *o, const char *stage)
{
	cli_rows r = {0};
	const char *p[2] = {stage, o->copy_to};
	if (cli_q(db, o, pending_sql, 2, p, &r) != 0)
		return CLI_ERROR;
	int rc = CLI_OK, shipped = 0;
	/* one failure stops the rest: they wait for the next run, in order */
	for (int i = 0; i < r.nrows && rc == CLI_OK; i++)
		if ((rc = cli_module_ship(db, o, cli_cell(&r, i, 0))) == CLI_OK)
			shipped++;
	if (r.nrows)
		cli_note(&o->out, "shipped %d of the %d backups waiting in %s to %s", shipped, r.nrows,
		         stage, o->copy_to);
	else
		cli_note(&o->out, "no backup waits in %s for %s", stage, o->copy_to);
	cli_rows_free(&r);
	return rc;
}
