/*
 * health_file.c — the health report as the command shows it: a report of
 * the database, not of the command's own connection. The module judges it
 * so (scope 'database': on SQLite `PRAGMA foreign_keys` is a setting of
 * each connection, and dbcare's connection says nothing of the
 * application's, so foreign_keys_enforced is skipped, saying why); the
 * command shows the score, the status, the worst check and the exposition
 * as the module wrote them and never grades or edits them again. An extension older than
 * 0.3.9 on PostgreSQL (its functions take no scope yet; its checks judge
 * nothing per connection there) is asked the old way.
 */
#include "cli/cli.h"
#include "health_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_health_read(cli_db *db, const char *mode, const char *label, char **report, char **metrics)
{
	static const char *const sql[2][3] = {
	    {"SELECT dbhealth_report($1, 'database', $2)",
	     "SELECT dbhealth_metrics($1, 'database', $2)",
	     "SELECT dbhealth_report($1, 'database', $2), dbhealth_metrics($1, 'database', $2)"},
	    {"SELECT dbhealth_report($1)", "SELECT dbhealth_metrics($1)",
	     "SELECT dbhealth_report($1), dbhealth_metrics($1)"}};
	int which = report && metrics ? 2 : report ? 0 : 1;
	const char *p[2] = {mode, label};
	cli_rows r = {0};
	int rc = db->drv->query(db, sql[0][which], 2, p, &r);
	/* an extension older than the scoped report (undefined function:
	 * SQLSTATE 42883, which only PostgreSQL sets) */
	if (rc != 0 && strcmp(db->error.sqlstate, "42883") == 0) {
		cli_error_clear(db);
		rc = db->drv->query(db, sql[1][which], 1, p, &r);
	}
	if (rc != 0)
		return -1;
	int col = 0;
	if (report)
		*report = cli_cell(&r, 0, col) ? strdup(cli_cell(&r, 0, col)) : NULL;
	col += report != NULL;
	if (metrics)
		*metrics = strdup(cli_cell(&r, 0, col) ? cli_cell(&r, 0, col) : "");
	cli_rows_free(&r);
	if ((report && !*report) || (metrics && !*metrics)) {
		cli_error_set(db, NULL, "dbcare: the health report is empty", NULL, NULL);
		return -1;
	}
	return 0;
}
