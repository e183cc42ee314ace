/*
 * js_api.c — what the SQL functions do, over the cache: dbjson_valid,
 * dbjson_assert, dbjson_errors, dbjson_schema_valid. The glue only decodes
 * arguments and encodes the results.
 */
#include "jsonschema/js_private.h"

#include <stdlib.h>
#include <string.h>

static int schema_of(dbc_ctx *ctx, dbc_js_cache *cache, const char *text, bool format_assertion,
                     const dbc_jschema **out, dbc_jschema **owned)
{
	dbc_js_options opts = {.format_assertion = format_assertion, .check_meta = true};
	return dbc_js_schema_get(ctx, cache, text, &opts, out, owned);
}

/* The document as text or as a built tree, whichever was given. */
static int validate(dbc_ctx *ctx, const dbc_jschema *s, const char *text, const dbc_js_doc *doc,
                    bool *valid, dbc_js_error **errors, int *nerrors, int max_errors)
{
	if (doc)
		return dbc_jschema_validate_doc(ctx, s, doc, valid, errors, nerrors, max_errors);
	return dbc_jschema_validate(ctx, s, text, valid, errors, nerrors, max_errors);
}

int dbc_jsonschema_valid(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                         const char *schema, bool format_assertion, bool *valid)
{
	return dbc_jsonschema_valid_any(ctx, cache, document, NULL, schema, format_assertion, valid);
}

int dbc_jsonschema_valid_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                             const dbc_js_doc *doc, const char *schema, bool format_assertion,
                             bool *valid)
{
	const dbc_jschema *s;
	dbc_jschema *owned;
	if (schema_of(ctx, cache, schema, format_assertion, &s, &owned) != DBC_OK)
		return DBC_ERROR;
	int rc = validate(ctx, s, document, doc, valid, NULL, NULL, 0);
	dbc_jschema_free(owned);
	return rc;
}

/* "/items/2/price" for the message; the whole document is "(document)". */
static const char *where(const char *pointer)
{
	return *pointer ? pointer : "(document)";
}

int dbc_jsonschema_assert(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                          const char *schema, bool format_assertion)
{
	return dbc_jsonschema_assert_any(ctx, cache, document, NULL, schema, format_assertion);
}

int dbc_jsonschema_assert_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                              const dbc_js_doc *doc, const char *schema, bool format_assertion)
{
	const dbc_jschema *s;
	dbc_jschema *owned;
	bool valid;
	dbc_js_error *errors;
	int n;
	if (schema_of(ctx, cache, schema, format_assertion, &s, &owned) != DBC_OK)
		return DBC_ERROR;
	int rc = validate(ctx, s, document, doc, &valid, &errors, &n, DBC_JS_MAX_ERRORS);
	dbc_jschema_free(owned);
	if (rc != DBC_OK || valid)
		return rc;
	if (n == 0) /* cannot happen: a failure always records one error */
		return dbc_error(ctx, "23514", "the document does not match the schema");
	dbc_error(ctx, "23514", "%s: %s (%s at %s)", where(errors[0].instance_path), errors[0].message,
	          errors[0].keyword, errors[0].schema_path);
	if (n > 1)
		dbc_error_detail(ctx, "%d more error%s; dbjson_errors lists them all.", n - 1,
		                 n > 2 ? "s" : "");
	return DBC_ERROR;
}

int dbc_jsonschema_errors(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                          const char *schema, bool format_assertion, dbc_rows *out)
{
	return dbc_jsonschema_errors_any(ctx, cache, document, NULL, schema, format_assertion, out);
}

int dbc_jsonschema_errors_any(dbc_ctx *ctx, dbc_js_cache *cache, const char *document,
                              const dbc_js_doc *doc, const char *schema, bool format_assertion,
                              dbc_rows *out)
{
	const dbc_jschema *s;
	dbc_jschema *owned;
	bool valid;
	dbc_js_error *errors;
	int n;
	dbc_rows_init(out, ctx, 4);
	if (schema_of(ctx, cache, schema, format_assertion, &s, &owned) != DBC_OK)
		return DBC_ERROR;
	int rc = validate(ctx, s, document, doc, &valid, &errors, &n, DBC_JS_MAX_ERRORS);
	dbc_jschema_free(owned);
	for (int i = 0; rc == DBC_OK && i < n; i++) {
		dbc_value row[4] = {dbc_text(errors[i].instance_path), dbc_text(errors[i].schema_path),
		                    dbc_text(errors[i].keyword), dbc_text(errors[i].message)};
		rc = dbc_rows_add(out, row);
	}
	return rc;
}

/* Why text's draft's meta-schema refuses it (arena text), or NULL. */
int js_meta_refusal(dbc_ctx *ctx, const char *text, char **why)
{
	js_alloc a = {.ctx = ctx};
	js_val *doc;
	*why = NULL;
	if (js_parse(ctx, &a, text, "the schema", DBC_JS_MAX_SCHEMA_DEPTH, &doc) != DBC_OK)
		return DBC_ERROR;
	dbc_js_draft draft = DBC_JS_DRAFT2020;
	const js_val *declared = js_get(doc, "$schema");
	if (declared && (declared->kind != JV_STR || !js_draft_of_uri(declared->u.s, &draft))) {
		*why = dbc_printf(ctx, "$schema names no supported draft (4, 6, 7, 2019-09, 2020-12)");
		return DBC_OK;
	}
	/* the meta-schema, compiled for this call: it is small */
	char *meta_ref = dbc_printf(ctx, "{\"$ref\":\"%s\"}", js_meta_uri(draft));
	dbc_jschema *meta;
	if (!meta_ref || dbc_jschema_compile(ctx, meta_ref, NULL, &meta) != DBC_OK)
		return DBC_ERROR;
	dbc_js_error *errors;
	int n;
	bool valid;
	int rc = dbc_jschema_validate(ctx, meta, text, &valid, &errors, &n, 1);
	dbc_jschema_free(meta);
	if (rc == DBC_OK && !valid)
		*why = n ? dbc_printf(ctx, "%s: %s", where(errors[0].instance_path), errors[0].message)
		         : dbc_strdup(ctx, "refused by its meta-schema");
	return rc;
}

int dbc_jschema_check(dbc_ctx *ctx, const char *text, bool *valid, char **why)
{
	*valid = false;
	if (js_meta_refusal(ctx, text, why) != DBC_OK)
		return DBC_ERROR;
	if (*why)
		return DBC_OK;
	/* valid by its meta-schema; it must also compile (refs resolve, regexes) */
	dbc_jschema *compiled;
	if (dbc_jschema_compile(ctx, text, NULL, &compiled) != DBC_OK) {
		*why = dbc_strdup(ctx, ctx->message);
		dbc_error_clear(ctx);
		return DBC_OK;
	}
	dbc_jschema_free(compiled);
	*valid = true;
	return DBC_OK;
}
