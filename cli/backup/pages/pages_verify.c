/*
 * pages_verify.c — dbcare verify BACKUP of the module's own backups: its
 * dbbackup_verify, which finds and marks the catalog row itself
 * (pages.h).
 */
#include "pages.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The module's dbbackup_verify of b->arg (an incremental backup as its
 * chain's image, each link against its SHA-256), which marks the row
 * itself. Reporting itself, its error is the command's; otherwise the
 * error is the reason, for the backup's line (*doc, doc not NULL: the
 * answer of a verified file, malloc'd). */
int cli_module_verify(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why, char **doc)
{
	cli_rows r = {0};
	const char *p[1] = {b->arg};
	if (!why) {
		if (cli_q(db, o, "SELECT dbbackup_verify($1)", 1, p, &r) != 0)
			return -1;
		cli_progress_end(&o->out);
		if (doc)
			*doc = cli_cell(&r, 0, 0) ? strdup(cli_cell(&r, 0, 0)) : NULL;
		cli_rows_free(&r);
		return 0;
	}
	*why = NULL;
	if (db->drv->query(db, "SELECT dbbackup_verify($1)", 1, p, &r) != 0) {
		const char *m = db->error.message ? db->error.message : "unknown error";
		const char *tail = strstr(m, " failed verification: ");
		const char *text = tail ? tail + strlen(" failed verification: ") : m;
		if (strncmp(text, "dbcare: ", 8) == 0)
			text += 8;
		*why = strndup(text, strcspn(text, "\n"));
		cli_error_clear(db);
		return 0;
	}
	json_t *result = json_loads(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "", 0, NULL);
	if (!json_is_true(json_object_get(result, "verified")))
		*why = strdup("not verified");
	else if (doc)
		*doc = strdup(cli_cell(&r, 0, 0));
	json_decref(result);
	cli_rows_free(&r);
	return 0;
}
