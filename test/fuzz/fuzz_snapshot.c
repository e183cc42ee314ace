/*
 * fuzz_snapshot.c — the canonical snapshot writer on a schema whose names and
 * texts come from a hostile database: the input's form-feed-separated fields
 * become tables, columns, types, defaults, CHECK expressions and indexes. The
 * snapshot must be valid JSON, read back by dbc_schema_diff as equal to
 * itself, and its fingerprint 64 hex digits.
 */
#include "fuzz.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	char *f[8] = {0};
	int nf = 0;
	for (char *p = text; nf < 8;) {
		f[nf++] = p;
		char *ff = strchr(p, '\f');
		if (!ff)
			break;
		*ff = '\0';
		p = ff + 1;
	}
	for (int i = nf; i < 8; i++)
		f[i] = f[i % nf];

	dbc_schema s;
	dbc_schema_init(&s, &ctx);
	dbc_table *t = dbc_schema_add_table(&s, NULL, f[0]);
	FUZZ_ASSERT(t, "table added");
	dbc_column *c = dbc_table_add_column(&ctx, t, f[1]);
	FUZZ_ASSERT(c, "column added");
	c->type = f[2];
	c->default_expr = f[3];
	dbc_column *c2 = dbc_table_add_column(&ctx, t, f[4]);
	FUZZ_ASSERT(c2, "second column added");
	dbc_constraint *k = dbc_table_add_constraint(&ctx, t, DBC_CON_CHECK, f[5]);
	FUZZ_ASSERT(k, "constraint added");
	k->expr = f[6];
	dbc_constraint *fk = dbc_table_add_constraint(&ctx, t, DBC_CON_FOREIGN_KEY, f[7]);
	FUZZ_ASSERT(fk, "foreign key added");
	fk->ref_table = f[0];
	dbc_strlist_add(&ctx, &fk->columns, f[1]);
	dbc_strlist_add(&ctx, &fk->ref_columns, f[4]);
	dbc_index *ix = dbc_schema_add_index(&s, NULL, f[7]);
	FUZZ_ASSERT(ix, "index added");
	ix->table = f[0];
	ix->predicate = f[6];
	dbc_strlist_add(&ctx, &ix->keys, f[1]);
	dbc_object *v = dbc_schema_add_object(&s, "view", NULL, f[5]);
	FUZZ_ASSERT(v, "view added");
	v->definition = f[3];

	char *json = NULL;
	if (dbc_schema_snapshot_json(&s, &json) == DBC_OK) {
		FUZZ_ASSERT(json, "snapshot text");
		dbc_rows rows;
		FUZZ_ASSERT(dbc_schema_diff(&ctx, json, json, &rows) == DBC_OK, "the snapshot reads back");
		FUZZ_ASSERT(rows.nrows == 0, "the snapshot equals itself");
		char *hex = NULL;
		FUZZ_ASSERT(dbc_schema_fingerprint_of(&ctx, json, &hex) == DBC_OK && hex &&
		                strlen(hex) == 64,
		            "fingerprint is 64 hex digits");
	} else {
		/* duplicate names (a column twice, an index named like a constraint) may be refused */
		FUZZ_ASSERT(ctx.failed && ctx.message, "a refusal says why");
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
