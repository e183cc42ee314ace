/*
 * fn_json.c — dbjson_* and dbcheck_json for PostgreSQL. Decoding and
 * encoding only; validation is core/jsonschema/. One C function serves the
 * jsonb, json and text overloads (the json and text ones are symbols of
 * their own, at the end): a jsonb document goes to the validator as a tree
 * (pg/json/json_doc.c), everything else as text (pgdbc_arg_json). Compiled
 * schemas are cached per backend (malloc memory, outside any query's).
 */
#include "pg/host/glue.h"

#include "jsonschema/jsonschema.h"
#include "pg/json/json_doc.h"

#include "catalog/pg_type.h"
#include "nodes/primnodes.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include <string.h>

static dbc_js_cache *backend_cache;

/* The backend's cache, made on first use; NULL (compile every time) when
 * there is no memory for it. */
static dbc_js_cache *cache(void)
{
	if (!backend_cache) {
		backend_cache = dbc_js_cache_new();
		dbc_js_cache_set_generation(backend_cache, pgdbc_json_registry_generation);
	}
	return backend_cache;
}

/* The schema argument's text. A CHECK passes the same jsonb schema row after
 * row and statement after statement; printing it as text costs more than
 * validating a document. So the backend keeps the texts of the last few
 * jsonb schemas, keyed by their bytes (the same bytes print as the same
 * text), in TopMemoryContext: a CHECK's schema is printed once per backend,
 * not once per statement (fn_extra lives for one statement only). */
#define SCHEMA_MEMOS 4

typedef struct schema_memo {
	Size len;
	char *raw;
	char *text;
} schema_memo;

static schema_memo schema_memos[SCHEMA_MEMOS]; /* most recently used first */

static const char *schema_text(pgdbc_call *call, int n)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	if (PG_ARGISNULL(n) || get_fn_expr_argtype(fcinfo->flinfo, n) != JSONBOID)
		return pgdbc_arg_json(call, n, "schema");
	struct varlena *raw = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(n));
	Size len = VARSIZE_ANY(raw);
	int hit = -1;
	for (int i = 0; i < SCHEMA_MEMOS && schema_memos[i].raw; i++)
		if (schema_memos[i].len == len && memcmp(schema_memos[i].raw, raw, len) == 0) {
			hit = i;
			break;
		}
	if (hit < 0) {
		const char *text = pgdbc_arg_json(call, n, "schema");
		/* allocate before dropping the oldest: an error leaves the memo whole */
		char *keep_raw = MemoryContextAlloc(TopMemoryContext, len);
		char *keep_text = MemoryContextStrdup(TopMemoryContext, text);
		memcpy(keep_raw, raw, len);
		hit = SCHEMA_MEMOS - 1;
		if (schema_memos[hit].raw) {
			pfree(schema_memos[hit].raw);
			pfree(schema_memos[hit].text);
		}
		schema_memos[hit] = (schema_memo){.len = len, .raw = keep_raw, .text = keep_text};
	}
	if (hit > 0) { /* to the front */
		schema_memo m = schema_memos[hit];
		memmove(&schema_memos[1], &schema_memos[0], sizeof(schema_memo) * (size_t)hit);
		schema_memos[0] = m;
	}
	return schema_memos[0].text;
}

/* What a dbjson_valid or dbjson_assert call site keeps for as long as its
 * expression lives (fn_extra, in fn_mcxt): the schema argument's text when
 * the argument is a constant of the expression (a CHECK's). Not a
 * parameter: PL/pgSQL keeps a simple expression's state from one execution
 * to the next, each with its own values. A CHECK then reads its schema
 * argument once a statement, not once a row. dbjson_errors keeps nothing
 * here: its fn_extra holds its result's shape (pg/host/call.c). */
typedef struct call_site {
	const char *schema;
} call_site;

static bool arg_is_const(FmgrInfo *fl, int n)
{
	if (!fl->fn_expr || !IsA(fl->fn_expr, FuncExpr))
		return false;
	List *args = ((FuncExpr *)fl->fn_expr)->args;
	if (n >= list_length(args))
		return false;
	Node *arg = list_nth(args, n);
	while (arg && IsA(arg, RelabelType))
		arg = (Node *)((RelabelType *)arg)->arg;
	return arg && IsA(arg, Const);
}

static const char *schema_arg(pgdbc_call *call, int n, bool keep)
{
	FmgrInfo *fl = call->fcinfo->flinfo;
	call_site *site = keep ? fl->fn_extra : NULL;
	if (site)
		return site->schema;
	const char *text = schema_text(call, n);
	if (keep && arg_is_const(fl, n)) {
		site = MemoryContextAlloc(fl->fn_mcxt, sizeof(call_site));
		site->schema = MemoryContextStrdup(fl->fn_mcxt, text);
		fl->fn_extra = site;
	}
	return text;
}

/* format_assertion, the optional third argument. */
static bool format_assertion(pgdbc_call *call, int n)
{
	return pgdbc_arg_given(call, n) && pgdbc_arg_bool(call, n, "format_assertion");
}

/* The document argument: a jsonb one as a tree (pg/json/json_doc.c), without
 * the text in between; json, text (or a non-UTF-8 database) as text. */
typedef struct doc_arg {
	const char *text;
	const dbc_js_doc *tree;
} doc_arg;

static int document_arg(pgdbc_call *call, int n, doc_arg *out)
{
	FunctionCallInfo fcinfo = call->fcinfo;
	out->text = NULL;
	out->tree = NULL;
	if (!PG_ARGISNULL(n) && get_fn_expr_argtype(fcinfo->flinfo, n) == JSONBOID) {
		if (pgdbc_jsonb_doc(&call->ctx, fcinfo, n, &out->tree) == DBC_OK && out->tree)
			return DBC_OK;
		/* A document the validator refuses (too deep, a number beyond a
		 * double): the text path says so, with the very message and in the
		 * very order (after the schema's own errors) it always has. */
		out->tree = NULL;
		dbc_error_clear(&call->ctx);
	}
	out->text = pgdbc_arg_json(call, n, "document");
	return DBC_OK;
}

/*
 * The validators are IMMUTABLE and run no SQL: they start with
 * pgdbc_begin_lean (no SPI connection, no read-only check), which matters
 * to a CHECK calling them once a row. Errors, memory and the schema cache
 * are as for every other call.
 */
Datum dbjson_valid(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	bool valid = false;
	doc_arg doc;
	int rc;
	pgdbc_begin_lean(&call, fcinfo);
	/* a jsonb document: the schema's compiled check first, over its
	 * stored layout with no tree built; what it leaves undecided (an
	 * invalid document among them) goes the usual way below */
	if (!PG_ARGISNULL(0) && !PG_ARGISNULL(1) &&
	    get_fn_expr_argtype(fcinfo->flinfo, 0) == JSONBOID) {
		int verdict = 0;
		rc = pgdbc_jsonb_valid_compiled(&call.ctx, fcinfo, 0, cache(), schema_arg(&call, 1, true),
		                                format_assertion(&call, 2), &verdict);
		if (rc != DBC_OK || verdict == 1)
			return pgdbc_return_bool(&call, rc, rc == DBC_OK);
	}
	rc = document_arg(&call, 0, &doc);
	if (rc == DBC_OK) {
		const char *schema = schema_arg(&call, 1, true);
		rc = dbc_js_valid_any(&call.ctx, cache(), doc.text, doc.tree, schema,
		                      format_assertion(&call, 2), &valid);
	}
	return pgdbc_return_bool(&call, rc, valid);
}

Datum dbjson_assert(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	doc_arg doc;
	int rc;
	pgdbc_begin_lean(&call, fcinfo);
	rc = document_arg(&call, 0, &doc);
	if (rc == DBC_OK) {
		const char *schema = schema_arg(&call, 1, true);
		rc = dbc_js_assert_any(&call.ctx, cache(), doc.text, doc.tree, schema,
		                       format_assertion(&call, 2));
	}
	return pgdbc_return_bool(&call, rc, true);
}

Datum dbjson_errors(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	doc_arg doc;
	int rc;
	pgdbc_begin_lean(&call, fcinfo);
	dbc_rows_init(&rows, &call.ctx, 4);
	rc = document_arg(&call, 0, &doc);
	if (rc == DBC_OK) {
		const char *schema = schema_arg(&call, 1, false);
		rc = dbc_js_errors_any(&call.ctx, cache(), doc.text, doc.tree, schema,
		                       format_assertion(&call, 2), &rows);
	}
	return pgdbc_return_rows(&call, rc, &rows);
}

Datum dbjson_schema_valid(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	bool valid = false;
	char *why;
	int rc;
	pgdbc_begin_lean(&call, fcinfo);
	const char *schema = schema_arg(&call, 0, false);
	rc = dbc_js_check(&call.ctx, schema, &valid, &why);
	return pgdbc_return_bool(&call, rc, valid);
}

Datum dbcheck_json(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_rows rows;
	int rc;
	pgdbc_begin(&call, fcinfo);
	if (!pgdbc_arg_given(&call, 0))
		pgdbc_error("22023", "argument \"table\" must not be NULL");
	Oid relid = PG_GETARG_OID(0);
	char *table = get_rel_name(relid);
	char *nsp = table ? get_namespace_name(get_rel_namespace(relid)) : NULL;
	if (!table || !nsp)
		pgdbc_error("42P01", "table with OID %u does not exist", relid);
	const char *column = pgdbc_arg_text(&call, 1, "column");
	const char *schema = pgdbc_arg_json(&call, 2, "schema");
	dbc_rows_init(&rows, &call.ctx, DBC_JS_SCAN_NCOLS);
	rc = dbc_js_scan(&call.ctx, cache(), nsp, table, column, schema, format_assertion(&call, 3),
	                 &rows);
	return pgdbc_return_rows(&call, rc, &rows);
}

/* The json and text overloads: the same code, each its own C symbol (the
 * API table gives every signature one). The argument readers take any of
 * the three types. */
Datum dbjson_valid_json(PG_FUNCTION_ARGS)
{
	return dbjson_valid(fcinfo);
}

Datum dbjson_valid_text(PG_FUNCTION_ARGS)
{
	return dbjson_valid(fcinfo);
}

Datum dbjson_assert_json(PG_FUNCTION_ARGS)
{
	return dbjson_assert(fcinfo);
}

Datum dbjson_assert_text(PG_FUNCTION_ARGS)
{
	return dbjson_assert(fcinfo);
}

Datum dbjson_errors_json(PG_FUNCTION_ARGS)
{
	return dbjson_errors(fcinfo);
}

Datum dbjson_errors_text(PG_FUNCTION_ARGS)
{
	return dbjson_errors(fcinfo);
}

/* The overloads with a registered schema's name (or a schema text) as
 * text beside a jsonb or json document. */
Datum dbjson_valid_jsonb_name(PG_FUNCTION_ARGS)
{
	return dbjson_valid(fcinfo);
}

Datum dbjson_valid_json_name(PG_FUNCTION_ARGS)
{
	return dbjson_valid(fcinfo);
}

Datum dbjson_assert_jsonb_name(PG_FUNCTION_ARGS)
{
	return dbjson_assert(fcinfo);
}

Datum dbjson_assert_json_name(PG_FUNCTION_ARGS)
{
	return dbjson_assert(fcinfo);
}

Datum dbjson_errors_jsonb_name(PG_FUNCTION_ARGS)
{
	return dbjson_errors(fcinfo);
}

Datum dbjson_errors_json_name(PG_FUNCTION_ARGS)
{
	return dbjson_errors(fcinfo);
}

Datum dbcheck_json_name(PG_FUNCTION_ARGS)
{
	return dbcheck_json(fcinfo);
}
