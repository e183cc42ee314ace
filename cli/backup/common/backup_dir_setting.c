/*
 * backup_dir_setting.c — backup.dir and backup.log.dir read for a command
 * given no PATH or DIR (backup_dir_setting.h).
 */
#include "backup_dir_setting.h"
#include "cli/store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_backup_dir_setting(cli_db *db, cli_opts *o, const char *key, char **dir)
{
	cli_rows r = {0};
	const char *p[1] = {key};
	*dir = NULL;
	if (cli_q(db, o, "SELECT dbcare_get($1)", 1, p, &r) != 0)
		return -1;
	const char *v = cli_cell(&r, 0, 0);
	int rc = 0;
	if (v && cli_store_is_url(v)) {
		if (o->copy_to && strcmp(o->copy_to, v) != 0) {
			cli_errorf("%s names the store %s and --copy-to %s another: give one destination "
			           "(empty %s, or leave out --copy-to)",
			           key, v, o->copy_to, key);
			rc = -1;
		} else if (!(o->copy_to = strdup(v))) {
			cli_errorf("out of memory");
			rc = -1;
		}
		/* o->copy_to lives as long as the command: the options' texts do */
	} else if (v && *v && !(*dir = strdup(v))) {
		cli_errorf("out of memory");
		rc = -1;
	}
	cli_rows_free(&r);
	return rc;
}
