/*
 * pages_copy.c — a module backup's copy in a store (--copy-to, or
 * backup.dir a store's URL), a catalog row of its own of kind
 * DBC_BACKUP_KIND_FILE_COPY (pages.h): uploaded with its chain's index
 * and recorded only once it is whole there, by the flow's own step
 * (backup_flow.h); verified from the store, its bytes held to the SHA-256
 * its row records and read by the module's dbbackup_verify.
 */
#include "pages.h"
#include "cli/backup/common/backup_flow.h"
#include "cli/backup/common/pg_backup.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int cli_module_ship(cli_db *db, cli_opts *o, const char *answer)
{
	json_t *doc = json_loads(answer ? answer : "", 0, NULL);
	const char *file = json_string_value(json_object_get(doc, "path"));
	json_t *id = json_object_get(doc, "id");
	char ids[32];
	cli_rows row = {0};
	int rc = CLI_ERROR;
	snprintf(ids, sizeof ids, "%lld", (long long)json_integer_value(id));
	if (!file || !json_is_integer(id))
		cli_errorf("the backup's result names no file to upload to %s", o->copy_to);
	/* the local row's SHA-256 and content: the object is those bytes */
	else if (cli_backup_row(db, o, ids, NULL, NULL, &row) == 0 && row.nrows == 1) {
		dbc_backup_made made = {
		    .fingerprint = (char *)json_string_value(json_object_get(doc, "fingerprint")),
		    .content = (char *)cli_cell(&row, 0, 4),
		    .location = (char *)file,
		    .bytes = json_integer_value(json_object_get(doc, "bytes")),
		    .duration_ms = json_number_value(json_object_get(doc, "duration_ms"))};
		snprintf(made.sha256, sizeof made.sha256, "%s",
		         cli_cell(&row, 0, 3) ? cli_cell(&row, 0, 3) : "");
		rc = cli_backup_ship_recorded(db, o, DBC_BACKUP_KIND_FILE_COPY, &made, true);
	} else if (row.nrows == 0) {
		cli_errorf("backup %s is not in the catalog: it is not uploaded", file);
	}
	cli_rows_free(&row);
	json_decref(doc);
	return rc;
}

/* The fetched object (row's path) against the SHA-256 its row records,
 * then read by the module as a file no row names (its chain's links
 * fetched beside it). */
static int copy_check(cli_db *db, cli_opts *o, const cli_rows *row, char **failed, int *tables)
{
	bool oom = false;
	char *doc = NULL;
	const char *file = cli_cell(row, 0, 2);
	*failed = cli_file_mismatch(file, cli_cell(row, 0, 3), &oom);
	if (oom) {
		cli_errorf("out of memory");
		return -1;
	}
	if (!cli_cell(row, 0, 3))
		*failed = strdup("its row records no SHA-256 to hold the object to");
	if (*failed)
		return 0;
	if (cli_module_verify(db, o, &(cli_backup_ref){file, NULL, NULL}, failed, &doc) != 0)
		return -1;
	json_t *result = json_loads(doc ? doc : "", 0, NULL);
	*tables = (int)json_integer_value(json_object_get(result, "tables"));
	json_decref(result);
	free(doc);
	return 0;
}

int cli_module_copy_verify(cli_db *db, cli_opts *o, const cli_backup_ref *b, char **why, char **doc)
{
	return cli_backup_verify_marked(db, o, b->row, b->stored, copy_check, why, doc);
}
