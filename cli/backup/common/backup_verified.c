/*
 * backup_verified.c — a catalogued backup verified by its method's check
 * and its catalog row marked verified or failed (with the reason), for the
 * methods whose rows the command reads (pg_dump, pgBackRest): the row read
 * through dbbackup_entry, the mark through dbbackup_verified.
 */
#include "pg_backup.h"

#include <stdio.h>
#include <stdlib.h>

/* Marks the row through dbbackup_verified; why NULL: verified. */
static int cli_backup_mark(cli_db *db, cli_opts *o, const char *id, const char *why)
{
	const char *p[2] = {id, why};
	return cli_q(db, o, "SELECT dbbackup_verified(CAST($1 AS bigint), $2)", 2, p, NULL);
}

int cli_backup_row(cli_db *db, cli_opts *o, const char *id, const char *path, const char *label,
                   cli_rows *row)
{
	const char *p[3] = {id, path, label};
	/* a JSON null is no content (SQL NULL), as the column's */
	return cli_q(db, o,
	             "SELECT e->>'id', e->>'kind', e->>'path', e->>'sha256',"
	             " CAST(NULLIF(e->'content', 'null') AS text), e->>'label'"
	             " FROM (SELECT dbbackup_entry(CAST($1 AS bigint), $2, $3) AS e) AS found"
	             " WHERE e IS NOT NULL",
	             3, p, row);
}

int cli_backup_verify_marked(cli_db *db, cli_opts *o, const cli_rows *row, const char *stored,
                             cli_row_check check, char **why, char **doc)
{
	const char *id = cli_cell(row, 0, 0), *kind = cli_cell(row, 0, 1);
	const char *path = stored ? stored : cli_cell(row, 0, 2);
	char *failed = NULL;
	int tables = -1;
	if (check(db, o, row, &failed, &tables) != 0 || cli_backup_mark(db, o, id, failed) != 0) {
		free(failed);
		return -1;
	}
	if (doc && !failed &&
	    asprintf(doc, "{\"id\":%s,\"kind\":\"%s\",\"verified\":true,\"tables\":%d}", id, kind,
	             tables) < 0)
		*doc = NULL;
	if (why) {
		*why = failed;
		return 0;
	}
	if (failed)
		cli_errorf("backup %s failed verification: %s", path, failed);
	free(failed);
	return failed ? -1 : 0;
}
