/*
 * js_walk.h — a jansson value as PostgreSQL hands a jsonb to the validator
 * (pg/json/json_doc.c, json_doc_layout.c): read in place through an
 * accessor (core/jsonschema/js_access.h) by the schema's compiled check,
 * and built into the evaluator's tree token by token, the builder's calls
 * the jsonb readers make (dbc_js_build_ref over the accessor's build).
 */
#ifndef DBC_TEST_JS_WALK_H
#define DBC_TEST_JS_WALK_H

#include "jsonschema/js_access.h"
#include "jsonschema/jsonschema.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A jansson value as a host's document read in place: an object's members
 * in jsonb's order (by length, then bytes), as the accessor's contract
 * wants them. */
typedef struct js_view {
	json_t *v;
	size_t n;
	const char **keys; /* objects: their names, in jsonb's order */
	struct js_view *kids;
} js_view;

static int js_view_key_cmp(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	size_t la = strlen(a), lb = strlen(b);
	return la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
}

static void js_view_make(js_view *view, json_t *v)
{
	*view = (js_view){.v = v};
	if (json_is_object(v)) {
		view->n = json_object_size(v);
		view->keys = calloc(view->n + 1, sizeof(char *));
		view->kids = calloc(view->n + 1, sizeof(js_view));
		const char *key;
		json_t *m;
		size_t i = 0;
		json_object_foreach(v, key, m) view->keys[i++] = key;
		qsort(view->keys, view->n, sizeof(char *), js_view_key_cmp);
		for (i = 0; i < view->n; i++)
			js_view_make(&view->kids[i], json_object_get(v, view->keys[i]));
	} else if (json_is_array(v)) {
		view->n = json_array_size(v);
		view->kids = calloc(view->n + 1, sizeof(js_view));
		for (size_t i = 0; i < view->n; i++)
			js_view_make(&view->kids[i], json_array_get(v, i));
	}
}

static void js_view_free(js_view *view)
{
	for (size_t i = 0; view->kids && i < view->n; i++)
		js_view_free(&view->kids[i]);
	free(view->kids);
	free(view->keys);
}

static dbc_js_ref js_view_ref(const js_view *view)
{
	json_t *v = view->v;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return (dbc_js_ref){.at = view, .kind = DBC_JS_REF_OBJECT};
	case JSON_ARRAY:
		return (dbc_js_ref){.at = view, .kind = DBC_JS_REF_ARRAY};
	case JSON_STRING:
		return (dbc_js_ref){.at = json_string_value(v),
		                    .len = (uint32_t)json_string_length(v),
		                    .kind = DBC_JS_REF_STRING};
	case JSON_INTEGER:
	case JSON_REAL:
		return (dbc_js_ref){.at = view, .kind = DBC_JS_REF_NUMBER};
	case JSON_TRUE:
		return (dbc_js_ref){.kind = DBC_JS_REF_TRUE};
	case JSON_FALSE:
		return (dbc_js_ref){.kind = DBC_JS_REF_FALSE};
	default:
		return (dbc_js_ref){.kind = DBC_JS_REF_NULL};
	}
}

static int js_view_number(dbc_ctx *ctx, const dbc_js_ref *ref, dbc_js_number *out)
{
	json_t *v = ((const js_view *)ref->at)->v;
	if (json_is_integer(v)) {
		out->kind = DBC_JS_NUMBER_INT;
		out->i = (int64_t)json_integer_value(v);
		return DBC_OK;
	}
	/* as text, as the stored layout hands the numbers it cannot read by
	 * value */
	char *num = dbc_alloc(ctx, 64);
	if (!num)
		return DBC_ERROR;
	snprintf(num, 64, "%.17g", json_real_value(v));
	if (!strpbrk(num, ".eEn"))
		strcat(num, ".0");
	out->kind = DBC_JS_NUMBER_TEXT;
	out->text = num;
	return DBC_OK;
}

static uint32_t js_view_count(const dbc_js_ref *c)
{
	return (uint32_t)((const js_view *)c->at)->n;
}

static void js_view_open(const dbc_js_ref *c, dbc_js_cursor *cur)
{
	cur->p[0] = c->at;
	cur->u[0] = 0;
}

/* a batch of at most three: the core's walk across batches is run too */
static uint32_t js_view_next(dbc_js_cursor *cur, dbc_js_item *out, uint32_t max)
{
	const js_view *view = cur->p[0];
	uint32_t i = cur->u[0], got = 0;
	for (; i < view->n && got < max && got < 3; i++, got++)
		out[got] = (dbc_js_item){.key = view->keys ? view->keys[i] : NULL,
		                         .klen = view->keys ? (uint32_t)strlen(view->keys[i]) : 0,
		                         .val = js_view_ref(&view->kids[i])};
	cur->u[0] = i;
	return got;
}

static bool js_view_readable(const dbc_js_ref *ref, int depth)
{
	if (ref->kind != DBC_JS_REF_OBJECT && ref->kind != DBC_JS_REF_ARRAY)
		return true;
	const js_view *view = ref->at;
	for (size_t i = 0; view->kids && i < view->n; i++) {
		dbc_js_ref kid = js_view_ref(&view->kids[i]);
		if ((kid.kind == DBC_JS_REF_OBJECT || kid.kind == DBC_JS_REF_ARRAY) &&
		    (depth == 0 || !js_view_readable(&kid, depth - 1)))
			return false;
	}
	return true;
}

/* A number or a container: its jansson value, token by token. */
static int js_view_build(dbc_js_builder *b, const dbc_js_ref *ref)
{
	return js_walk_value(b, ((const js_view *)ref->at)->v);
}

static const dbc_js_access js_view_access = {
    .number = js_view_number,
    .count = js_view_count,
    .open = js_view_open,
    .next = js_view_next,
    .readable = js_view_readable,
    .build = js_view_build,
};

/* The evaluator's verdict on doc's tree as a host builds it
 * (dbc_js_build_ref, as pg/json/json_doc.c's pgdbc_jsonb_doc): 1 valid, 0
 * not, -1 an error. */
static int js_walk_evaluated(dbc_ctx *ctx, const dbc_js_schema *s, json_t *doc)
{
	js_view view;
	js_view_make(&view, doc);
	dbc_js_ref root = js_view_ref(&view);
	const dbc_js_doc *tree;
	bool valid = false;
	dbc_js_error *errors;
	int n;
	int rc = dbc_js_build_ref(ctx, &root, js_view_build, &tree) == DBC_OK &&
	                 dbc_js_validate_doc(ctx, s, tree, &valid, &errors, &n, 10) == DBC_OK
	             ? valid
	             : -1;
	js_view_free(&view);
	return rc;
}

/* dbc_js_valid_access of doc read in place (the verdict, -1 on an error). */
static int js_view_verdict(dbc_ctx *ctx, dbc_js_cache *cache, const char *schema,
                           bool format_assertion, json_t *doc)
{
	js_view view;
	js_view_make(&view, doc);
	dbc_js_ref root = js_view_ref(&view);
	int verdict = 0;
	if (dbc_js_valid_access(ctx, cache, schema, format_assertion, &js_view_access, &root,
	                        &verdict) != DBC_OK)
		verdict = -1;
	js_view_free(&view);
	return verdict;
}

#endif
