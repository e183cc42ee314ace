/*
 * fuzz_backup_content.c — the catalog's content record (core/backup/
 * backup_content.c), read back from a row anyone who can write the
 * database may have edited: any text either reads as a list of tables
 * with a version, every hash DBC_BACKUP_CONTENT_HEX digits, or as none
 * (NULL, no error left set). A record that reads is written again the way
 * the catalog writes it, and that text reads back to the same tables,
 * counts, hashes and version.
 */
#include "fuzz.h"
#include "backup/backup_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	int64_t n = 0;
	int version = 0;
	dbc_backup_table *t = dbc_backup_content_parse(&ctx, text, &n, &version);
	FUZZ_ASSERT(!ctx.failed, "reading a record leaves no error set");
	FUZZ_ASSERT(t || n == 0, "no tables without a list");
	if (t) {
		FUZZ_ASSERT(n > 0 && version >= 1, "a list read has tables and a version");
		for (int64_t i = 0; i < n; i++)
			FUZZ_ASSERT(t[i].name && strlen(t[i].hash) == DBC_BACKUP_CONTENT_HEX,
			            "every table has a name and a whole hash");
		dbc_backup_image img = {.table = t, .tables = n, .content_version = version};
		char *again = dbc_backup_content_text(&ctx, &img);
		FUZZ_ASSERT(again, "a record read can be written");
		int64_t m = 0;
		int v2 = 0;
		dbc_backup_table *u = dbc_backup_content_parse(&ctx, again, &m, &v2);
		FUZZ_ASSERT(u && m == n && v2 == version, "it reads back whole, same version");
		for (int64_t i = 0; i < n; i++)
			FUZZ_ASSERT(strcmp(t[i].name, u[i].name) == 0 && t[i].rows == u[i].rows &&
			                strcmp(t[i].hash, u[i].hash) == 0 && !t[i].windows == !u[i].windows &&
			                (!t[i].windows || strcmp(t[i].windows, u[i].windows) == 0),
			            "the same tables, counts, hashes and windows");
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
