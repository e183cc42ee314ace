/*
 * js_scan.c — dbcheck_json: how many stored values of a column a schema
 * refuses, before a constraint is added (PostgreSQL: ADD CONSTRAINT ... NOT
 * VALID, dbcheck_json, fix the rows, VALIDATE CONSTRAINT). One statement
 * reads the column; the values stream through the validator, so memory does
 * not grow with the table (beyond what the host's query keeps).
 */
#include "jsonschema/js_private.h"

#include "base/json.h"

#include <string.h>

#define SAMPLES        5
#define SAMPLE_EXCERPT 200

typedef struct scan_state {
	const dbc_js_schema *schema;
	int64_t rows, violations;
	json_t *sample;
} scan_state;

static int scan_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *cols)
{
	scan_state *st = arg;
	(void)ncol;
	if (cols[0].type != DBC_TEXT)
		return DBC_OK;
	if (++st->rows % 1000 == 0 && ctx->host->interrupted && ctx->host->interrupted(ctx))
		return DBC_ERROR;
	bool valid;
	dbc_js_error *errors;
	int n;
	if (cols[0].nul_len) {
		/* JSON text never holds a raw NUL byte (inside a string it is
		 * \u0000): the value is not JSON, as dbjson_valid on it says,
		 * whatever the part before the NUL would be */
		valid = false;
		errors = NULL;
		n = 0;
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "the document is not valid JSON: it contains a NUL byte");
	} else if (dbc_js_validate(ctx, st->schema, cols[0].s, &valid, &errors, &n, 1) != DBC_OK) {
		/* a value that is not JSON is a violation, not the end of the scan */
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_BAD_ARGUMENT) != 0)
			return DBC_ERROR;
		valid = false;
		errors = NULL;
		n = 0;
	}
	if (valid)
		return DBC_OK;
	st->violations++;
	if (json_array_size(st->sample) < SAMPLES) {
		const char *why =
		    n ? dbc_printf(ctx, "%s: %s",
		                   *errors[0].instance_path ? errors[0].instance_path : "(document)",
		                   errors[0].message)
		      : ctx->message;
		json_t *item = json_object();
		if (!item ||
		    !dbc_json_set(item, "value",
		                  dbc_json_str(dbc_excerpt(ctx, cols[0].s, SAMPLE_EXCERPT))) ||
		    !dbc_json_set(item, "error", dbc_json_str(why)) ||
		    json_array_append_new(st->sample, item)) {
			json_decref(item);
			return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		}
	}
	dbc_error_clear(ctx);
	return DBC_OK;
}

/* table, qualified by schema when given, each name quoted by the host. */
static char *quoted_table(dbc_ctx *ctx, const char *schema, const char *table)
{
	char *qt = ctx->host->quote_ident(ctx, table);
	if (!schema || !qt)
		return qt;
	char *qs = ctx->host->quote_ident(ctx, schema);
	return qs ? dbc_printf(ctx, "%s.%s", qs, qt) : NULL;
}

/* Runs the scan. Reading a relation runs what its owner wrote there (a
 * view's functions, a policy's expressions), so where the engine has roles
 * the scan runs inside the constraint checks' scope (dbc.h: check_enter):
 * the owner's rights in a security-restricted operation, never the
 * caller's. The caller must still be allowed to read the relation. */
static int scan_in_scope(dbc_ctx *ctx, const char *table_schema, const char *table, const char *sql,
                         scan_state *st)
{
	char *skip = NULL;
	if (!ctx->host->check_enter)
		return ctx->host->query(ctx, sql, 0, NULL, scan_row, st);
	if (ctx->host->check_enter(ctx, table_schema, table, false, &skip) != DBC_OK)
		return DBC_ERROR;
	if (skip)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "%s", skip);
	int rc = ctx->host->query(ctx, sql, 0, NULL, scan_row, st);
	ctx->host->check_leave(ctx, false);
	return rc;
}

int dbc_js_scan(dbc_ctx *ctx, dbc_js_cache *cache, const char *table_schema, const char *table,
                const char *column, const char *schema, bool format_assertion, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_JS_SCAN_NCOLS);
	dbc_js_options opts = {.format_assertion = format_assertion, .check_meta = true};
	scan_state st = {0};
	dbc_js_schema *owned = NULL;
	int rc = dbc_js_schema_get(ctx, cache, schema, &opts, &st.schema, &owned);
	if (rc != DBC_OK)
		return DBC_ERROR;
	char *qt = quoted_table(ctx, table_schema, table), *qc = ctx->host->quote_ident(ctx, column);
	char *sql = qt && qc ? dbc_printf(ctx, "SELECT CAST(%s AS TEXT) FROM %s WHERE %s IS NOT NULL",
	                                  qc, qt, qc)
	                     : NULL;
	st.sample = json_array();
	if (!sql || !st.sample)
		rc = ctx->failed ? DBC_ERROR : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	else
		rc = scan_in_scope(ctx, table_schema, table, sql, &st);
	if (rc == DBC_OK) {
		char *sample = st.violations ? dbc_json_dump(ctx, st.sample, DBC_JSON_REPORT) : NULL;
		dbc_value row[DBC_JS_SCAN_NCOLS] = {dbc_int(st.violations),
		                                    sample ? dbc_text(sample) : dbc_null()};
		rc = (st.violations && !sample) ? DBC_ERROR : dbc_rows_add(out, row);
	}
	json_decref(st.sample);
	dbc_js_free(owned);
	return rc;
}
