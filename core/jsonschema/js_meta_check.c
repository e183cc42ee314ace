/*
 * js_meta_check.c — a schema checked against its draft's meta-schema: the
 * public compile (which refuses, when the options ask, a schema its
 * meta-schema refuses) and dbjson_schema_valid's answer.
 *
 * Invariant: checking a schema compiles the meta-schema and validates the
 * schema with it, so this file sits above both the compiler (js_compile.c)
 * and the validator (js_validate.c); neither of them calls back here (the
 * compiler never validates), so the files of the folder depend one way.
 */
#include "jsonschema/js_private.h"

/* Why text's draft's meta-schema refuses it (arena text), or NULL. */
int dbc_js_meta_refusal(dbc_ctx *ctx, const char *text, char **why)
{
	js_alloc a = {.ctx = ctx};
	js_val *doc;
	*why = NULL;
	if (dbc_js_parse(ctx, &a, text, "the schema", DBC_JS_MAX_SCHEMA_DEPTH, &doc) != DBC_OK)
		return DBC_ERROR;
	dbc_js_draft draft = DBC_JS_DRAFT2020;
	const js_val *declared = dbc_js_get(doc, "$schema");
	if (declared && (declared->kind != JV_STR || !dbc_js_draft_of_uri(declared->u.s, &draft))) {
		*why = dbc_printf(ctx, "$schema names no supported draft (4, 6, 7, 2019-09, 2020-12)");
		return DBC_OK;
	}
	/* the meta-schema, compiled for this call: it is small */
	char *meta_ref = dbc_printf(ctx, "{\"$ref\":\"%s\"}", dbc_js_meta_uri(draft));
	dbc_js_schema *meta;
	if (!meta_ref || dbc_js_compile_schema(ctx, meta_ref, NULL, &meta) != DBC_OK)
		return DBC_ERROR;
	dbc_js_error *errors;
	int n;
	bool valid;
	int rc = dbc_js_validate(ctx, meta, text, &valid, &errors, &n, 1);
	dbc_js_free(meta);
	if (rc == DBC_OK && !valid)
		*why =
		    n ? dbc_printf(ctx, "%s: %s", dbc_js_where(errors[0].instance_path), errors[0].message)
		      : dbc_strdup(ctx, "refused by its meta-schema");
	return rc;
}

int dbc_js_compile(dbc_ctx *ctx, const char *text, const dbc_js_options *opts, dbc_js_schema **out)
{
	*out = NULL;
	if (opts && opts->check_meta) {
		char *why;
		if (dbc_js_meta_refusal(ctx, text, &why) != DBC_OK)
			return DBC_ERROR;
		if (why) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the schema is not a valid JSON Schema: %s",
			          why);
			dbc_error_hint(ctx, "dbjson_schema_valid checks a schema before it is used.");
			return DBC_ERROR;
		}
	}
	return dbc_js_compile_schema(ctx, text, opts, out);
}

int dbc_js_check(dbc_ctx *ctx, const char *text, bool *valid, char **why)
{
	*valid = false;
	if (dbc_js_meta_refusal(ctx, text, why) != DBC_OK)
		return DBC_ERROR;
	if (*why)
		return DBC_OK;
	/* valid by its meta-schema; it must also compile (refs resolve, regexes) */
	dbc_js_schema *compiled;
	if (dbc_js_compile_schema(ctx, text, NULL, &compiled) != DBC_OK) {
		*why = dbc_strdup(ctx, ctx->message);
		dbc_error_clear(ctx);
		return DBC_OK;
	}
	dbc_js_free(compiled);
	*valid = true;
	return DBC_OK;
}
