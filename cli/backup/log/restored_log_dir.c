/*
 * restored_log_dir.c — a SQLite database restored (from a backup, or from
 * a point-in-time log) must not capture into the production database's log:
 * backup.log.dir, which the restored file carries, is emptied in it, and
 * the restore says so (docs/backups.md, "Capture inside the application").
 */
#include "pitr.h"

#include "cli/driver/driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_restored_log_dir_clear(cli_db *db, cli_opts *o)
{
	/* called after a file restore (drv->restore_from), which only a
	 * driver with database files has */
	cli_rows r = {0};
	if (cli_q(db, o, "SELECT dbcare_get('backup.log.dir')", 0, NULL, &r) != 0) {
		cli_error_clear(db); /* no bookkeeping: no setting */
		return;
	}
	const char *dir = cli_cell(&r, 0, 0);
	if (dir && dir[0]) {
		cli_rows s = {0};
		if (cli_q(db, o, "SELECT dbcare_set('backup.log.dir', '')", 0, NULL, &s) != 0)
			fprintf(stderr,
			        "dbcare: WARNING: backup.log.dir (%s) could not be emptied in the restored "
			        "database: empty it before an application opens it\n",
			        dir);
		else
			fprintf(o->out.format == CLI_FMT_JSON || o->out.quiet ? stderr : stdout,
			        "backup.log.dir (%s) emptied in the restored database: it would capture "
			        "into that log; set a log directory of its own to capture it\n",
			        dir);
		cli_rows_free(&s);
	}
	cli_rows_free(&r);
}
