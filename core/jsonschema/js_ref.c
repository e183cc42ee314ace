/*
 * js_ref.c — $ref resolution at compile time: anchors, resources by URI,
 * JSON Pointer fragments, the drafts' embedded meta-schemas. Any other
 * remote document is an error unless the caller's options supply a loader
 * (tests map the test suite's remotes/ folder that way); there is no network.
 */
#include "jsonschema/js_private.h"

#include <stdlib.h>
#include <string.h>

static js_resource *find_resource(const dbc_jschema *s, const char *uri)
{
	for (js_resource *r = s->resources; r; r = r->next)
		if (!strcmp(r->uri, uri))
			return r;
	return NULL;
}

static js_node *find_anchor(const dbc_jschema *s, const js_resource *res, const char *name)
{
	for (js_anchor *a = s->anchors; a; a = a->next)
		if (a->res == res && !strcmp(a->name, name))
			return a->node;
	return NULL;
}

js_node *js_find_dynamic_anchor(const dbc_jschema *s, const js_resource *res, const char *name)
{
	for (js_anchor *a = s->anchors; a; a = a->next)
		if (a->dynamic && a->res == res && !strcmp(a->name, name))
			return a->node;
	return NULL;
}

/* Brings the document at doc (no fragment) into the schema. */
static js_resource *load(js_compiler *c, const char *doc)
{
	dbc_js_draft draft = c->s->draft;
	const char *text = js_meta_text(doc, &draft);
	char *remote = NULL;
	if (!text && c->opts->load_remote)
		text = remote = c->opts->load_remote(c->opts->load_arg, doc);
	if (!text) {
		dbc_error(c->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "the schema's $ref to %s cannot be resolved: only references within the schema "
		          "and to the drafts' meta-schemas are supported (no network)",
		          dbc_excerpt(c->ctx, doc, 200));
		return NULL;
	}
	js_val *v;
	int rc = js_parse(c->ctx, &c->a, text, "a referenced schema", DBC_JS_MAX_SCHEMA_DEPTH, &v);
	free(remote); /* why: load_remote's text is malloc'd (jsonschema.h) */
	if (rc != DBC_OK)
		return NULL;
	if (!js_load_document(c, v, doc, draft))
		return NULL;
	return find_resource(c->s, doc);
}

js_node *js_resolve(js_compiler *c, const char *uri)
{
	const char *frag;
	char *doc = js_uri_strip_fragment(c->ctx, uri, &frag);
	if (!doc)
		return NULL;
	js_resource *res = find_resource(c->s, doc);
	if (!res && !(res = load(c, doc)))
		return NULL;
	js_node *n = NULL;
	if (*frag == '\0')
		n = res->root;
	else if (*frag != '/')
		n = find_anchor(c->s, res, frag);
	else {
		const js_val *target = res->root ? js_pointer(c->ctx, res->root->schema, frag) : NULL;
		if (target &&
		    (target->kind == JV_OBJ || target->kind == JV_TRUE || target->kind == JV_FALSE))
			n = js_compile_node(c, target, res, res->draft);
		if (c->ctx->failed)
			return NULL;
	}
	if (!n)
		dbc_error(c->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the schema's $ref %s points to nothing",
		          dbc_excerpt(c->ctx, uri, 200));
	return n;
}
