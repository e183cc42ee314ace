/*
 * js_ref.c — what a $ref names, found at compile time: resources by URI,
 * anchors, JSON Pointer targets, and the text of a document not yet loaded
 * (the drafts' embedded meta-schemas; any other remote document is an error
 * unless the caller's options supply a loader: tests map the test suite's
 * remotes/ folder that way; there is no network).
 *
 * Invariant: this file finds and reads, it never compiles. The compiler
 * (js_compile.c) asks here and compiles what it gets on first use, so the
 * compiler depends on this file and never the other way round.
 */
#include "jsonschema/js_private.h"

#include <stdlib.h>
#include <string.h>

js_resource *dbc_js_find_resource(const dbc_js_schema *s, const char *uri)
{
	for (js_resource *r = s->resources; r; r = r->next)
		if (!strcmp(r->uri, uri))
			return r;
	return NULL;
}

js_node *dbc_js_find_anchor(const dbc_js_schema *s, const js_resource *res, const char *name)
{
	for (js_anchor *a = s->anchors; a; a = a->next)
		if (a->res == res && !strcmp(a->name, name))
			return a->node;
	return NULL;
}

js_node *dbc_js_find_dynamic_anchor(const dbc_js_schema *s, const js_resource *res,
                                    const char *name)
{
	for (js_anchor *a = s->anchors; a; a = a->next)
		if (a->dynamic && a->res == res && !strcmp(a->name, name))
			return a->node;
	return NULL;
}

/* Counts a document's text against DBC_JS_MAX_SCHEMA_BYTES: the compile's
 * own and every one a $ref loads. */
int dbc_js_count_text(js_compiler *c, const char *text)
{
	c->bytes += strlen(text);
	if (c->bytes <= DBC_JS_MAX_SCHEMA_BYTES)
		return DBC_OK;
	return dbc_error(
	    c->ctx, "54000",
	    "the schema is larger than %d bytes (with the documents its $refs load): a "
	    "compiled schema stays in memory in every session that uses it (docs/json.md, Limits)",
	    DBC_JS_MAX_SCHEMA_BYTES);
}

js_val *dbc_js_fetch_document(js_compiler *c, const char *doc, dbc_js_draft *draft)
{
	*draft = c->s->draft;
	const char *text = dbc_js_meta_text(doc, draft);
	char *remote = NULL;
	if (!text && c->opts->load_remote)
		text = remote = c->opts->load_remote(c->opts->load_arg, doc);
	if (!text) {
		dbc_error(c->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "the schema's $ref to %s cannot be resolved: no registered schema is known by "
		          "that URI (register it with dbjson_register(name, schema, uri); a reference "
		          "is never fetched from the network)",
		          dbc_excerpt(c->ctx, doc, 200));
		return NULL;
	}
	js_val *v;
	int rc = dbc_js_count_text(c, text);
	if (rc == DBC_OK)
		rc = dbc_js_parse(c->ctx, &c->a, text, "a referenced schema", DBC_JS_MAX_SCHEMA_DEPTH, &v);
	free(remote); /* why: load_remote's text is malloc'd (jsonschema.h) */
	return rc == DBC_OK ? v : NULL;
}

const js_val *dbc_js_pointer_target(dbc_ctx *ctx, const js_resource *res, const char *pointer)
{
	const js_val *target = res->root ? dbc_js_pointer(ctx, res->root->schema, pointer) : NULL;
	if (target && (target->kind == JV_OBJ || target->kind == JV_TRUE || target->kind == JV_FALSE))
		return target;
	return NULL;
}
