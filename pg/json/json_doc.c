/*
 * json_doc.c — a jsonb argument handed to the validator, read through
 * PostgreSQL's public jsonb iterator where the stored layout is not read
 * (json_doc_layout.c): as a tree (pg/json/fn_json.c's dbjson_* take it for
 * jsonb documents) and in place by the schema's compiled check, with no
 * printing as text and no parsing by jansson. The core's builder
 * (dbc_js_build_*) gives the tree the meaning the text has; numbers go to
 * it as numeric_out prints them, which is the text jsonb's output would
 * hold.
 */
#include "pg/host/glue.h"
#include "json_doc.h"

#include "jsonschema/js_access.h"
#include "jsonschema/jsonschema.h"

#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include <string.h>

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

/* Every token of container c through JsonbIteratorNext, the public reader
 * (never a scalar document's one-element array: its value is the root's
 * ref, document_ref). */
static int iterator_walk(dbc_js_builder *b, JsonbContainer *c)
{
	JsonbIterator *it = JsonbIteratorInit(c);
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
			rc = dbc_js_build_open(b, false, (size_t)v.val.array.nElems);
			break;
		case WJB_BEGIN_OBJECT:
			rc = dbc_js_build_open(b, true, (size_t)v.val.object.nPairs);
			break;
		case WJB_END_ARRAY:
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

/*
 * The document's accessor (core/jsonschema/js_access.h) over the public API
 * alone, where the stored layout is not read (dbcare.jsonb_layout off, a
 * PostgreSQL other than 15): the compiled check reads one container at a
 * time with JsonbIteratorNext skipping the nested ones, which come as
 * references to their containers, and a tree is built from a ref
 * (public_build: the whole document's too). A ref's at is a container's
 * JsonbContainer, a string's bytes or a number's Numeric.
 */
static dbc_js_ref value_ref(const JsonbValue *v)
{
	switch (v->type) {
	case jbvBinary:
		return (dbc_js_ref){.at = v->val.binary.data,
		                    .kind = JsonContainerIsObject(v->val.binary.data) ? DBC_JS_REF_OBJECT
		                                                                      : DBC_JS_REF_ARRAY};
	case jbvString:
		return (dbc_js_ref){
		    .at = v->val.string.val, .len = (uint32)v->val.string.len, .kind = DBC_JS_REF_STRING};
	case jbvNumeric:
		return (dbc_js_ref){.at = v->val.numeric, .kind = DBC_JS_REF_NUMBER};
	case jbvBool:
		return (dbc_js_ref){.kind = v->val.boolean ? DBC_JS_REF_TRUE : DBC_JS_REF_FALSE};
	case jbvNull:
		return (dbc_js_ref){.kind = DBC_JS_REF_NULL};
	default:
		elog(ERROR, "dbcare: unexpected jsonb value type %d", (int)v->type);
		return (dbc_js_ref){0};
	}
}

/* The ref of jb's document: its root container, or the value of a scalar
 * document (stored as a one-element array marked raw, not part of it). */
static dbc_js_ref document_ref(Jsonb *jb)
{
	JsonbValue scalar_doc;
	if (JB_ROOT_IS_SCALAR(jb) && JsonbExtractScalar(&jb->root, &scalar_doc))
		return value_ref(&scalar_doc);
	return (dbc_js_ref){.at = &jb->root,
	                    .kind = JB_ROOT_IS_OBJECT(jb) ? DBC_JS_REF_OBJECT : DBC_JS_REF_ARRAY};
}

/* A number as numeric_out prints it (the text jsonb's output holds). */
static char *number_text(const dbc_js_ref *v)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, PointerGetDatum(v->at)));
}

static int public_number(dbc_ctx *ctx, const dbc_js_ref *v, dbc_js_number *out)
{
	(void)ctx;
	out->kind = DBC_JS_NUMBER_TEXT;
	out->text = number_text(v);
	return DBC_OK;
}

static uint32_t public_count(const dbc_js_ref *c)
{
	return JsonContainerSize((const JsonbContainer *)c->at);
}

/* cur: p[0] the iterator over the container (NULL once it has ended) */
static void public_open(const dbc_js_ref *c, dbc_js_cursor *cur)
{
	cur->p[0] = JsonbIteratorInit((JsonbContainer *)c->at);
}

static uint32_t public_next(dbc_js_cursor *cur, dbc_js_item *out, uint32_t max)
{
	JsonbIterator *it = (JsonbIterator *)cur->p[0];
	uint32_t got = 0;
	while (it && got < max) {
		JsonbValue v;
		JsonbIteratorToken t = JsonbIteratorNext(&it, &v, true);
		if (t == WJB_BEGIN_OBJECT || t == WJB_BEGIN_ARRAY)
			continue;
		out[got].key = NULL;
		out[got].klen = 0;
		if (t == WJB_KEY) {
			out[got].key = v.val.string.val;
			out[got].klen = (uint32)v.val.string.len;
			t = JsonbIteratorNext(&it, &v, true);
		}
		if (t != WJB_VALUE && t != WJB_ELEM)
			break; /* the container's end */
		out[got++].val = value_ref(&v);
	}
	cur->p[0] = it;
	return got;
}

/* Whether the number's text reads as a double: fewer than 309 digits
 * before its point (js_build.c refuses one beyond a double's range). */
static bool number_readable(const dbc_js_ref *v)
{
	char *text = number_text(v);
	const char *digits = text + (*text == '-');
	bool ok = strcspn(digits, ".") < 309;
	pfree(text);
	return ok;
}

static bool public_readable(const dbc_js_ref *v, int depth)
{
	if (v->kind == DBC_JS_REF_NUMBER)
		return number_readable(v);
	if (v->kind < DBC_JS_REF_ARRAY)
		return true;
	JsonbIterator *it = JsonbIteratorInit((JsonbContainer *)v->at);
	JsonbValue jv;
	JsonbIteratorToken t;
	int level = 0;
	unsigned tokens = 0;
	while ((t = JsonbIteratorNext(&it, &jv, false)) != WJB_DONE) {
		if ((++tokens & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		if ((t == WJB_BEGIN_ARRAY || t == WJB_BEGIN_OBJECT) && ++level > depth + 1)
			return false;
		if (t == WJB_END_ARRAY || t == WJB_END_OBJECT)
			level--;
		if ((t == WJB_VALUE || t == WJB_ELEM) && jv.type == jbvNumeric) {
			dbc_js_ref num = value_ref(&jv);
			if (!number_readable(&num))
				return false;
		}
	}
	return true;
}

/* Number or container v into b: the number as numeric_out prints it,
 * the container token by token. */
static int public_build(dbc_js_builder *b, const dbc_js_ref *v)
{
	if (v->kind != DBC_JS_REF_NUMBER)
		return iterator_walk(b, (JsonbContainer *)v->at);
	char *text = number_text(v);
	int rc = dbc_js_build_number(b, text);
	pfree(text);
	return rc;
}

static const dbc_js_access public_access = {
    .number = public_number,
    .count = public_count,
    .open = public_open,
    .next = public_next,
    .readable = public_readable,
    .build = public_build,
};

int pgdbc_jsonb_valid_compiled(dbc_ctx *ctx, FunctionCallInfo fcinfo, int n, dbc_js_cache *cache,
                               const char *schema, bool format_assertion, int *verdict)
{
	*verdict = 0;
	if (GetDatabaseEncoding() != PG_UTF8)
		return DBC_OK;
	bool done;
	Jsonb *jb = PG_GETARG_JSONB_P(n);
	int rc = pgdbc_jsonb_layout_valid(ctx, cache, schema, format_assertion, jb, verdict, &done);
	if (done)
		return rc;
	dbc_js_ref root = document_ref(jb);
	return dbc_js_valid_access(ctx, cache, schema, format_assertion, &public_access, &root,
	                           verdict);
}

int pgdbc_jsonb_doc(dbc_ctx *ctx, FunctionCallInfo fcinfo, int n, const dbc_js_doc **out)
{
	*out = NULL;
	/* jsonb strings are in the database encoding; the validator reads
	 * UTF-8, and the text path checks it: only UTF-8 databases skip it */
	if (GetDatabaseEncoding() != PG_UTF8)
		return DBC_OK;
	/* keys and strings stay in jb (detoasted for this call, which is as
	 * long as the document is used): the tree borrows them */
	bool done;
	Jsonb *jb = PG_GETARG_JSONB_P(n);
	int rc = pgdbc_jsonb_layout_doc(ctx, jb, out, &done);
	if (done)
		return rc;
	dbc_js_ref root = document_ref(jb);
	return dbc_js_build_ref(ctx, &root, public_build, out);
}
