/*
 * fuzz_schema_diff.c — dbschema_diff's reader of snapshot JSON
 * (dbc_schema_diff) on two arbitrary documents: the input is split at its
 * first form feed into "from" and "to". Errors are fine; crashes, leaks of
 * jansson values and a non-empty diff of a valid snapshot with itself are not.
 */
#include "fuzz.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	char *split = strchr(text, '\f');
	const char *from = text, *to = text;
	if (split) {
		*split = '\0';
		to = split + 1;
	}
	dbc_rows rows;
	int rc = dbc_schema_diff(&ctx, from, to, &rows);
	FUZZ_ASSERT(rc == DBC_OK || ctx.failed, "a failure sets the error");
	if (rc == DBC_OK) {
		FUZZ_ASSERT(rows.ncol == 4, "four result columns");
		for (int r = 0; r < rows.nrows; r++) {
			const dbc_value *row = &rows.cells[r * 4];
			FUZZ_ASSERT(row[0].type == DBC_TEXT && row[1].type == DBC_TEXT &&
			                row[2].type == DBC_TEXT,
			            "object_type, object_name and change are text");
			FUZZ_ASSERT(strcmp(row[2].s, "added") == 0 || strcmp(row[2].s, "removed") == 0 ||
			                strcmp(row[2].s, "changed") == 0,
			            "change is added, removed or changed");
		}
		dbc_rows self;
		FUZZ_ASSERT(dbc_schema_diff(&ctx, from, from, &self) == DBC_OK && self.nrows == 0,
		            "a snapshot does not differ from itself");
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
