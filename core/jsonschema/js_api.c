/*
 * js_api.c — what the SQL functions do, over the cache: dbjson_valid,
 * dbjson_assert, dbjson_errors (dbjson_schema_valid: js_meta_check.c). The
 * glue only decodes arguments and encodes the results.
 */
#include "jsonschema/js_private.h"

#include <stdlib.h>
#include <string.h>

static int schema_of(dbc_ctx *ctx, dbc_js_cache *cache, const char *text, bool format_assertion,
                     const dbc_js_schema **out, dbc_js_schema **owned)
{
	dbc_js_options opts = {.format_assertion = format_assertion, .check_meta = true};
	return dbc_js_schema_get(ctx, cache, text, &opts, out, owned);
}

/* The document as text or as a built tree, whichever was given. */
static int validate(dbc_ctx *ctx, const dbc_js_schema *s, const char *text, const dbc_js_doc *doc,
                    bool *valid, dbc_js_error **errors, int *nerrors, int max_errors)
{
	if (doc)
		return dbc_js_validate_doc(ctx, s, doc, valid, errors, nerrors, max_errors);
	return dbc_js_validate(ctx, s, text, valid, errors, nerrors, max_errors);
}

/* dbjson_valid of text of len bytes or of a built tree, whichever was given. */
static int valid_of(dbc_ctx *ctx, dbc_js_cache *cache, const char *text, size_t len,
                    const dbc_js_doc *doc, const char *schema, bool format_assertion, bool *valid)
{
	const dbc_js_schema *s;
	dbc_js_schema *owned;
	if (schema_of(ctx, cache, schema, format_assertion, &s, &owned) != DBC_OK)
		return DBC_ERROR;
	int rc = doc ? dbc_js_validate_doc(ctx, s, doc, valid, NULL, NULL, 0)
	             : dbc_js_validate_n(ctx, s, text, len, valid, NULL, NULL, 0);
	dbc_js_free(owned);
	return rc;
}

int dbc_js_valid(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, const char *schema,
                 bool format_assertion, bool *valid)
{
	return valid_of(ctx, cache, document, strlen(document), NULL, schema, format_assertion, valid);
}

int dbc_js_valid_n(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, size_t document_len,
                   const char *schema, bool format_assertion, bool *valid)
{
	return valid_of(ctx, cache, document, document_len, NULL, schema, format_assertion, valid);
}

int dbc_js_valid_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, const dbc_js_doc *doc,
                     const char *schema, bool format_assertion, bool *valid)
{
	return valid_of(ctx, cache, document, doc ? 0 : strlen(document), doc, schema, format_assertion,
	                valid);
}

int dbc_js_assert(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, const char *schema,
                  bool format_assertion)
{
	return dbc_js_assert_any(ctx, cache, document, NULL, schema, format_assertion);
}

int dbc_js_assert_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                      const dbc_js_doc *doc, const char *schema, bool format_assertion)
{
	const dbc_js_schema *s;
	dbc_js_schema *owned;
	bool valid;
	dbc_js_error *errors;
	int n;
	if (schema_of(ctx, cache, schema, format_assertion, &s, &owned) != DBC_OK)
		return DBC_ERROR;
	int rc = validate(ctx, s, document, doc, &valid, &errors, &n, DBC_JS_MAX_ERRORS);
	dbc_js_free(owned);
	if (rc != DBC_OK || valid)
		return rc;
	if (n == 0) /* cannot happen: a failure always records one error */
		return dbc_error(ctx, "23514", "the document does not match the schema");
	dbc_error(ctx, "23514", "%s: %s (%s at %s)", dbc_js_where(errors[0].instance_path),
	          errors[0].message, errors[0].keyword, errors[0].schema_path);
	if (n > 1)
		dbc_error_detail(ctx, "%d more error%s; dbjson_errors lists them all.", n - 1,
		                 n > 2 ? "s" : "");
	return DBC_ERROR;
}

int dbc_js_errors(dbc_ctx *ctx, dbc_js_cache *cache, const char *document, const char *schema,
                  bool format_assertion, dbc_rows *out)
{
	return dbc_js_errors_any(ctx, cache, document, NULL, schema, format_assertion, out);
}

int dbc_js_errors_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                      const dbc_js_doc *doc, const char *schema, bool format_assertion,
                      dbc_rows *out)
{
	const dbc_js_schema *s;
	dbc_js_schema *owned;
	bool valid;
	dbc_js_error *errors;
	int n;
	dbc_rows_init(out, ctx, 4);
	if (schema_of(ctx, cache, schema, format_assertion, &s, &owned) != DBC_OK)
		return DBC_ERROR;
	int rc = validate(ctx, s, document, doc, &valid, &errors, &n, DBC_JS_MAX_ERRORS);
	dbc_js_free(owned);
	/* the paths and messages are in ctx's arena and the keywords are static:
	 * the rows keep them where they are */
	for (int i = 0; rc == DBC_OK && i < n; i++) {
		dbc_value row[4] = {dbc_text(errors[i].instance_path), dbc_text(errors[i].schema_path),
		                    dbc_text(errors[i].keyword), dbc_text(errors[i].message)};
		rc = dbc_rows_add_kept(out, row);
	}
	return rc;
}
