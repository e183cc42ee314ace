/*
 * json_doc.c — a jsonb argument handed to the validator as a tree, walked
 * with PostgreSQL's jsonb iterator: no printing as text, no parsing by
 * jansson (pg/json/fn_json.c's dbjson_* take it for jsonb documents). The core's
 * builder (dbc_js_build_*) gives the tree the meaning the text has; numbers
 * go to it as numeric_out prints them, which is the text jsonb's output
 * would hold.
 */
#include "pg/host/glue.h"
#include "json_doc.h"

#include "jsonschema/jsonschema.h"

#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

static int scalar(dbc_js_builder *b, const JsonbValue *v)
{
	switch (v->type) {
	case jbvNull:
		return dbc_js_build_null(b);
	case jbvBool:
		return dbc_js_build_bool(b, v->val.boolean);
	case jbvString:
		return dbc_js_build_string(b, v->val.string.val, (size_t)v->val.string.len);
	case jbvNumeric: {
		char *text =
		    DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		int rc = dbc_js_build_number(b, text);
		pfree(text);
		return rc;
	}
	default: /* jbvBinary cannot come: the walk is not told to skip nested ones */
		elog(ERROR, "dbcare: unexpected jsonb value type %d", (int)v->type);
		return DBC_ERROR;
	}
}

/* Every token through JsonbIteratorNext, the public reader. */
static int iterator_walk(dbc_js_builder *b, Jsonb *jb, bool raw_scalar)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbValue v;
	JsonbIteratorToken token;
	int rc = DBC_OK;
	unsigned tokens = 0;
	while (rc == DBC_OK && (token = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
		/* a cancel ends the walk of a big document at once (57014): a
		 * look every 256 tokens, not at each (a row's document has about
		 * a hundred) */
		if ((++tokens & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		switch (token) {
		case WJB_BEGIN_ARRAY:
			if (!raw_scalar)
				rc = dbc_js_build_open(b, false, (size_t)v.val.array.nElems);
			break;
		case WJB_BEGIN_OBJECT:
			rc = dbc_js_build_open(b, true, (size_t)v.val.object.nPairs);
			break;
		case WJB_END_ARRAY:
			if (!raw_scalar)
				rc = dbc_js_build_close(b);
			break;
		case WJB_END_OBJECT:
			rc = dbc_js_build_close(b);
			break;
		case WJB_KEY:
			rc = dbc_js_build_key(b, v.val.string.val, (size_t)v.val.string.len);
			break;
		case WJB_VALUE:
		case WJB_ELEM:
			rc = scalar(b, &v);
			break;
		default:
			break;
		}
	}
	return rc;
}

/* Hands b every token of jb: from its stored layout, or through the
 * iterator where that reader is off. */
static int jsonb_walk(dbc_ctx *ctx, dbc_js_builder *b, void *arg)
{
	Jsonb *jb = arg;
	(void)ctx;
	/* keys and strings stay in jb (detoasted for this call, which is as
	 * long as the document is used): not copied */
	dbc_js_build_borrow(b);
	bool done;
	int rc = pgdbc_jsonb_layout_walk(b, jb, &done);
	/* a scalar document is stored as a one-element array marked raw: its
	 * array tokens are not part of the document */
	if (!done)
		rc = iterator_walk(b, jb, JB_ROOT_IS_SCALAR(jb));
	return rc;
}

int pgdbc_jsonb_doc(dbc_ctx *ctx, FunctionCallInfo fcinfo, int n, const dbc_js_doc **out)
{
	*out = NULL;
	/* jsonb strings are in the database encoding; the validator reads
	 * UTF-8, and the text path checks it: only UTF-8 databases skip it */
	if (GetDatabaseEncoding() != PG_UTF8)
		return DBC_OK;
	dbc_js_builder *b = dbc_js_build_new(ctx);
	if (!b)
		return DBC_ERROR;
	int rc = jsonb_walk(ctx, b, PG_GETARG_JSONB_P(n));
	if (rc != DBC_OK)
		return rc;
	return dbc_js_build_finish(b, out);
}

int pgdbc_jsonb_valid_compiled(dbc_ctx *ctx, FunctionCallInfo fcinfo, int n, dbc_js_cache *cache,
                               const char *schema, bool format_assertion, int *verdict)
{
	*verdict = 0;
	if (GetDatabaseEncoding() != PG_UTF8)
		return DBC_OK;
	return dbc_js_valid_walk(ctx, cache, schema, format_assertion, jsonb_walk, PG_GETARG_JSONB_P(n),
	                         verdict);
}
