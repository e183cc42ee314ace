/*
 * js_walk.h — a jansson value handed to the validator's builder token by
 * token, as PostgreSQL's walk of a jsonb hands it over (pg/json/json_doc.c,
 * json_doc_layout.c):
 * the unit tests' host walk for the compiled check fed by tokens
 * (core/jsonschema/js_check.c) and for the tree the evaluator gets from the
 * same tokens.
 */
#ifndef DBC_TEST_JS_WALK_H
#define DBC_TEST_JS_WALK_H

#include "jsonschema/jsonschema.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int js_walk_value(dbc_js_builder *b, json_t *v)
{
	char num[64];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		if (dbc_js_build_open(b, true, json_object_size(v)) != DBC_OK)
			return DBC_ERROR;
		const char *key;
		json_t *m;
		json_object_foreach(v, key, m)
		{
			if (dbc_js_build_key(b, key, strlen(key)) != DBC_OK || js_walk_value(b, m) != DBC_OK)
				return DBC_ERROR;
		}
		return dbc_js_build_close(b);
	}
	case JSON_ARRAY: {
		if (dbc_js_build_open(b, false, json_array_size(v)) != DBC_OK)
			return DBC_ERROR;
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item)
		{
			if (js_walk_value(b, item) != DBC_OK)
				return DBC_ERROR;
		}
		return dbc_js_build_close(b);
	}
	case JSON_STRING:
		return dbc_js_build_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		/* by value, as PostgreSQL's stored layout hands most numbers over
		 * (dbc_js_build_int); reals as text, as it hands the others */
		return dbc_js_build_int(b, (int64_t)json_integer_value(v));
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		if (!strpbrk(num, ".eEn"))
			strcat(num, ".0");
		return dbc_js_build_number(b, num);
	case JSON_TRUE:
		return dbc_js_build_bool(b, true);
	case JSON_FALSE:
		return dbc_js_build_bool(b, false);
	default:
		return dbc_js_build_null(b);
	}
}

/* A dbc_js_walk_fn over a json_t. */
static int js_walk(dbc_ctx *ctx, dbc_js_builder *b, void *arg)
{
	(void)ctx;
	return js_walk_value(b, arg);
}

/* The evaluator's verdict on the tree the same walk builds: 1 valid, 0
 * not, -1 an error. */
static int js_walk_evaluated(dbc_ctx *ctx, const dbc_js_schema *s, json_t *doc)
{
	dbc_js_builder *b = dbc_js_build_new(ctx);
	const dbc_js_doc *tree;
	bool valid = false;
	dbc_js_error *errors;
	int n;
	if (!b || js_walk_value(b, doc) != DBC_OK || dbc_js_build_finish(b, &tree) != DBC_OK ||
	    dbc_js_validate_doc(ctx, s, tree, &valid, &errors, &n, 10) != DBC_OK)
		return -1;
	return valid;
}

#endif
