/*
 * fuzz_ddl_text.c — the DDL text readers and normaliser (core/schema/ddl_text.c,
 * core/schema/ddl_columns.c) on arbitrary text: CREATE TABLE constraint and column
 * extraction, CREATE INDEX keys, index predicates, and
 * dbc_sql_normalise, which must be idempotent (a normalised text normalises
 * to itself, or fingerprints would depend on how often text was normalised).
 */
#include "schema/ddl_text.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *sql = fuzz_cstr(&ctx, data, size);

	dbc_ddl_table t;
	if (dbc_ddl_parse_table(&ctx, sql, &t) == DBC_OK) {
		FUZZ_ASSERT(t.n >= 0 && t.n <= t.cap, "constraint count within capacity");
		for (int i = 0; i < t.n; i++) {
			const dbc_ddl_constraint *c = &t.items[i];
			for (int k = 0; k < c->columns.n; k++)
				FUZZ_ASSERT(c->columns.items[k] != NULL, "column names are set");
			if (c->expr)
				FUZZ_ASSERT(strlen(c->expr) <= size,
				            "a CHECK expression is no longer than its source");
			if (c->on_conflict) {
				FUZZ_ASSERT(strlen(c->on_conflict) <= size, "an ON CONFLICT word is in its source");
				for (const char *q = c->on_conflict; *q; q++)
					FUZZ_ASSERT(!(*q >= 'A' && *q <= 'Z'), "an ON CONFLICT word is in lower case");
			}
			if (c->kind == DBC_CON_NOT_NULL)
				FUZZ_ASSERT(c->columns.n == 1, "a NOT NULL is on one column");
		}
	}
	dbc_error_clear(&ctx);

	dbc_ddl_columns cols;
	if (dbc_ddl_parse_columns(&ctx, sql, &cols) == DBC_OK && cols.sure) {
		int pk = 0;
		for (int i = 0; i < cols.n; i++) {
			const dbc_ddl_column *c = &cols.items[i];
			FUZZ_ASSERT(c->name != NULL, "column names are set");
			FUZZ_ASSERT(c->pk >= 0 && c->pk <= cols.n, "a key position is within the columns");
			pk += c->pk > 0;
			if (c->default_expr)
				FUZZ_ASSERT(strlen(c->default_expr) <= size,
				            "a DEFAULT is no longer than its source");
		}
		FUZZ_ASSERT(pk <= cols.n, "no more key columns than columns");
	}
	dbc_error_clear(&ctx);

	dbc_ddl_index ix;
	if (dbc_ddl_parse_index(&ctx, sql, &ix) == DBC_OK && ix.sure) {
		FUZZ_ASSERT(ix.table != NULL && ix.nkeys > 0, "an understood index has a table and keys");
		for (int k = 0; k < ix.nkeys; k++)
			FUZZ_ASSERT(ix.keys[k].column != NULL, "key columns are set");
	}
	dbc_error_clear(&ctx);

	char *pred = dbc_ddl_index_predicate(&ctx, sql);
	if (pred)
		FUZZ_ASSERT(strlen(pred) <= size, "a predicate is no longer than its source");

	char *once = dbc_sql_normalise(&ctx, sql);
	if (once) {
		FUZZ_ASSERT(strlen(once) <= size, "normalising never grows the text");
		char *twice = dbc_sql_normalise(&ctx, once);
		FUZZ_ASSERT(twice && strcmp(once, twice) == 0, "normalising is idempotent");
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
