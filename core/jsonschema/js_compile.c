/*
 * js_compile.c — the schema compiler: reads the draft from $schema (default
 * 2020-12), turns every subschema into a js_node with its keywords looked up
 * once, registers resources ($id) and anchors, compiles regular expressions,
 * then resolves every reference. A schema that compiles has no dangling
 * $ref and no invalid pattern: validation cannot meet either later.
 * why (raw heap, the whole file): a compiled schema outlives the call that
 * compiled it (the glue's cache keeps it per backend or connection), so it is
 * built on the heap and its pool, never in the call's arena; dbc_js_free
 * frees it.
 */
#include "jsonschema/js_private.h"
#include "base/heap_grow.h"

#include <stdlib.h>
#include <string.h>

const char *const dbc_js_keyword_names[KW_COUNT] = {
    [KW_TYPE] = "type",
    [KW_ENUM] = "enum",
    [KW_CONST] = "const",
    [KW_MULTIPLE_OF] = "multipleOf",
    [KW_MAXIMUM] = "maximum",
    [KW_EXCL_MAXIMUM] = "exclusiveMaximum",
    [KW_MINIMUM] = "minimum",
    [KW_EXCL_MINIMUM] = "exclusiveMinimum",
    [KW_MAX_LENGTH] = "maxLength",
    [KW_MIN_LENGTH] = "minLength",
    [KW_PATTERN] = "pattern",
    [KW_FORMAT] = "format",
    [KW_ITEMS] = "items",
    [KW_PREFIX_ITEMS] = "prefixItems",
    [KW_ADDITIONAL_ITEMS] = "additionalItems",
    [KW_UNEVALUATED_ITEMS] = "unevaluatedItems",
    [KW_CONTAINS] = "contains",
    [KW_MAX_CONTAINS] = "maxContains",
    [KW_MIN_CONTAINS] = "minContains",
    [KW_MAX_ITEMS] = "maxItems",
    [KW_MIN_ITEMS] = "minItems",
    [KW_UNIQUE_ITEMS] = "uniqueItems",
    [KW_PROPERTIES] = "properties",
    [KW_PATTERN_PROPERTIES] = "patternProperties",
    [KW_ADDITIONAL_PROPERTIES] = "additionalProperties",
    [KW_UNEVALUATED_PROPERTIES] = "unevaluatedProperties",
    [KW_PROPERTY_NAMES] = "propertyNames",
    [KW_MAX_PROPERTIES] = "maxProperties",
    [KW_MIN_PROPERTIES] = "minProperties",
    [KW_REQUIRED] = "required",
    [KW_DEPENDENCIES] = "dependencies",
    [KW_DEPENDENT_REQUIRED] = "dependentRequired",
    [KW_DEPENDENT_SCHEMAS] = "dependentSchemas",
    [KW_ALL_OF] = "allOf",
    [KW_ANY_OF] = "anyOf",
    [KW_ONE_OF] = "oneOf",
    [KW_NOT] = "not",
    [KW_IF] = "if",
    [KW_THEN] = "then",
    [KW_ELSE] = "else",
    [KW_REF] = "$ref",
    [KW_DYNAMIC_REF] = "$dynamicRef",
    [KW_RECURSIVE_REF] = "$recursiveRef",
};

/* Whether keyword k belongs to draft d. */
static bool in_draft(js_keyword k, dbc_js_draft d)
{
	switch (k) {
	case KW_CONST:
	case KW_CONTAINS:
	case KW_PROPERTY_NAMES:
		return d >= DBC_JS_DRAFT6;
	case KW_IF:
	case KW_THEN:
	case KW_ELSE:
		return d >= DBC_JS_DRAFT7;
	case KW_DEPENDENCIES:
		return d <= DBC_JS_DRAFT7;
	case KW_DEPENDENT_REQUIRED:
	case KW_DEPENDENT_SCHEMAS:
	case KW_UNEVALUATED_ITEMS:
	case KW_UNEVALUATED_PROPERTIES:
	case KW_MAX_CONTAINS:
	case KW_MIN_CONTAINS:
		return d >= DBC_JS_DRAFT2019;
	case KW_RECURSIVE_REF:
		return d == DBC_JS_DRAFT2019;
	case KW_ADDITIONAL_ITEMS:
		return d <= DBC_JS_DRAFT2019;
	case KW_PREFIX_ITEMS:
	case KW_DYNAMIC_REF:
		return d >= DBC_JS_DRAFT2020;
	default:
		return true;
	}
}

static int bad_schema(js_compiler *c, const char *fmt, const char *arg)
{
	return dbc_error(c->ctx, DBC_SQLSTATE_BAD_ARGUMENT, fmt, arg);
}

static int keep_regex(js_compiler *c, js_regex *re)
{
	dbc_js_schema *s = c->s;
	size_t cap = (size_t)s->capregex;
	if (!dbc_heap_reserve(&s->regexes, (size_t)s->nregex + 1, &cap, sizeof *s->regexes, 8)) {
		dbc_js_regex_free(re);
		return dbc_error(c->ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	s->capregex = (int)cap;
	s->regexes[s->nregex++] = re;
	return DBC_OK;
}

static js_regex *regex_of(js_compiler *c, const char *text, size_t n)
{
	char *why;
	js_regex *re = dbc_js_regex_compile(c->ctx, text, n, &why);
	if (!re) {
		if (!c->ctx->failed)
			dbc_error(c->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "the schema's regular expression %s is invalid: %s",
			          dbc_excerpt(c->ctx, text, DBC_EXCERPT), why);
		return NULL;
	}
	return keep_regex(c, re) == DBC_OK ? re : NULL;
}

js_resource *dbc_js_add_resource(js_compiler *c, const char *uri, dbc_js_draft draft)
{
	for (js_resource *r = c->s->resources; r; r = r->next)
		if (!strcmp(r->uri, uri))
			return r;
	js_resource *r = dbc_js_alloc_bytes(&c->a, sizeof(js_resource));
	if (!r || !(r->uri = dbc_js_alloc_strn(&c->a, uri, strlen(uri))))
		return NULL;
	r->draft = draft;
	r->next = c->s->resources;
	c->s->resources = r;
	return r;
}

int dbc_js_add_anchor(js_compiler *c, js_resource *res, const char *name, js_node *node,
                      bool dynamic)
{
	js_anchor *a = dbc_js_alloc_bytes(&c->a, sizeof(js_anchor));
	if (!a || !(a->name = dbc_js_alloc_strn(&c->a, name, strlen(name))))
		return DBC_ERROR;
	a->res = res;
	a->node = node;
	a->dynamic = dynamic;
	a->next = c->s->anchors;
	c->s->anchors = a;
	return DBC_OK;
}

static bool is_true(const js_val *v)
{
	return v && v->kind == JV_TRUE;
}

/* The draft a $schema value names; false for one this validator lacks. */
static int draft_of(js_compiler *c, const js_val *schema_kw, dbc_js_draft *draft)
{
	if (!schema_kw)
		return DBC_OK;
	if (schema_kw->kind != JV_STR || !dbc_js_draft_of_uri(schema_kw->u.s, draft))
		return bad_schema(
		    c,
		    "the schema's $schema %s names no supported draft (4, 6, 7, 2019-09, "
		    "2020-12)",
		    schema_kw->kind == JV_STR ? dbc_excerpt(c->ctx, schema_kw->u.s, DBC_EXCERPT) : "value");
	return DBC_OK;
}

/* $id / id and anchors of an object; may start a new resource (*res). */
static int identify(js_compiler *c, const js_val *v, js_node *node, js_resource **res,
                    dbc_js_draft *draft, bool root)
{
	const js_val *id = dbc_js_get(v, *draft == DBC_JS_DRAFT4 ? "id" : "$id");
	/* drafts 4-7: $ref makes every sibling, $id included, ignored */
	if (*draft <= DBC_JS_DRAFT7 && dbc_js_get(v, "$ref"))
		id = NULL;
	if (id && id->kind == JV_STR) {
		char *abs = dbc_js_uri_resolve(c->ctx, (*res) ? (*res)->uri : NULL, id->u.s);
		const char *frag;
		char *doc = abs ? dbc_js_uri_strip_fragment(c->ctx, abs, &frag) : NULL;
		if (!doc)
			return DBC_ERROR;
		if (*frag && *draft <= DBC_JS_DRAFT7 && (!*res || !strcmp(doc, (*res)->uri))) {
			/* "#name": a location-independent name in the current resource */
			if (dbc_js_add_anchor(c, *res, frag, node, false) != DBC_OK)
				return DBC_ERROR;
		} else {
			if (draft_of(c, dbc_js_get(v, "$schema"), draft) != DBC_OK)
				return DBC_ERROR;
			js_resource *r = dbc_js_add_resource(c, doc, *draft);
			if (!r)
				return DBC_ERROR;
			if (!r->root)
				r->root = node;
			*res = r;
			if (*frag && dbc_js_add_anchor(c, r, frag, node, false) != DBC_OK)
				return DBC_ERROR;
		}
	} else if (root && draft_of(c, dbc_js_get(v, "$schema"), draft) != DBC_OK)
		return DBC_ERROR;
	if (*draft >= DBC_JS_DRAFT2019) {
		const js_val *anchor = dbc_js_get(v, "$anchor");
		if (anchor && anchor->kind == JV_STR &&
		    dbc_js_add_anchor(c, *res, anchor->u.s, node, false) != DBC_OK)
			return DBC_ERROR;
	}
	if (*draft == DBC_JS_DRAFT2020) {
		const js_val *dyn = dbc_js_get(v, "$dynamicAnchor");
		if (dyn && dyn->kind == JV_STR &&
		    dbc_js_add_anchor(c, *res, dyn->u.s, node, true) != DBC_OK)
			return DBC_ERROR;
	}
	if (*draft == DBC_JS_DRAFT2019 && is_true(dbc_js_get(v, "$recursiveAnchor")) && *res &&
	    (*res)->root == node)
		(*res)->recursive_anchor = true;
	return DBC_OK;
}

static int compile_child(js_compiler *c, const js_val *v, js_resource *res, dbc_js_draft draft)
{
	if (v->kind != JV_OBJ && v->kind != JV_TRUE && v->kind != JV_FALSE)
		return DBC_OK; /* not a schema: the keyword is ignored (see js_validate.c) */
	return dbc_js_compile_node(c, v, res, draft) ? DBC_OK : DBC_ERROR;
}

static int compile_array(js_compiler *c, const js_val *v, js_resource *res, dbc_js_draft draft)
{
	if (!v || v->kind != JV_ARR)
		return v ? compile_child(c, v, res, draft) : DBC_OK;
	for (size_t i = 0; i < v->n; i++)
		if (compile_child(c, v->u.items[i], res, draft) != DBC_OK)
			return DBC_ERROR;
	return DBC_OK;
}

static int compile_map(js_compiler *c, const js_val *v, js_resource *res, dbc_js_draft draft,
                       bool regex_keys)
{
	if (!v || v->kind != JV_OBJ)
		return DBC_OK;
	for (size_t i = 0; i < v->n; i++) {
		js_member *m = &v->u.members[i];
		if (regex_keys && !(m->re = regex_of(c, m->key, m->klen)))
			return DBC_ERROR;
		if (compile_child(c, m->val, res, draft) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int compile_children(js_compiler *c, js_node *n, js_resource *res)
{
	dbc_js_draft d = n->draft;
	const js_val *const *kw = n->kw;
	static const js_keyword single[] = {KW_ADDITIONAL_ITEMS,
	                                    KW_UNEVALUATED_ITEMS,
	                                    KW_CONTAINS,
	                                    KW_ADDITIONAL_PROPERTIES,
	                                    KW_UNEVALUATED_PROPERTIES,
	                                    KW_PROPERTY_NAMES,
	                                    KW_NOT,
	                                    KW_IF,
	                                    KW_THEN,
	                                    KW_ELSE};
	for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
		if (kw[single[i]] && compile_child(c, kw[single[i]], res, d) != DBC_OK)
			return DBC_ERROR;
	static const js_keyword arrays[] = {KW_ITEMS, KW_PREFIX_ITEMS, KW_ALL_OF, KW_ANY_OF, KW_ONE_OF};
	for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
		if (compile_array(c, kw[arrays[i]], res, d) != DBC_OK)
			return DBC_ERROR;
	if (compile_map(c, kw[KW_PROPERTIES], res, d, false) != DBC_OK ||
	    compile_map(c, kw[KW_PATTERN_PROPERTIES], res, d, true) != DBC_OK ||
	    compile_map(c, kw[KW_DEPENDENT_SCHEMAS], res, d, false) != DBC_OK ||
	    compile_map(c, kw[KW_DEPENDENCIES], res, d, false) != DBC_OK ||
	    compile_map(c, dbc_js_get(n->schema, "definitions"), res, d, false) != DBC_OK ||
	    compile_map(c, dbc_js_get(n->schema, "$defs"), res, d, false) != DBC_OK)
		return DBC_ERROR;
	const js_val *pattern = kw[KW_PATTERN];
	if (pattern && pattern->kind == JV_STR &&
	    !(((js_val *)pattern)->re = regex_of(c, pattern->u.s, pattern->n)))
		return DBC_ERROR;
	return DBC_OK;
}

static int push_pending(js_compiler *c, js_node *n)
{
	if (dbc_grow(c->ctx, &c->pending, c->npending, &c->cappending, sizeof(js_node *), 16) != DBC_OK)
		return DBC_ERROR;
	c->pending[c->npending++] = n;
	return DBC_OK;
}

/* The instance kinds a type name surely admits, as bits 1 << js_kind; 0
 * for a name that is no type. A real admitted by "integer" only is left to
 * the whole evaluation (whether it counts depends on its value and draft). */
static unsigned kinds_of_type(const js_val *t)
{
	if (t->kind != JV_STR)
		return 0;
#define IS(name) (t->n == sizeof(name) - 1 && !memcmp(t->u.s, name, t->n))
	if (IS("null"))
		return 1u << JV_NULL;
	if (IS("boolean"))
		return 1u << JV_FALSE | 1u << JV_TRUE;
	if (IS("string"))
		return 1u << JV_STR;
	if (IS("array"))
		return 1u << JV_ARR;
	if (IS("object"))
		return 1u << JV_OBJ;
	if (IS("number"))
		return 1u << JV_INT | 1u << JV_REAL;
	if (IS("integer"))
		return 1u << JV_INT;
	return 0;
#undef IS
}

/* The instance kinds (bits 1 << js_kind) keyword k reads, when it reads
 * only some: a string's length, pattern and format; a number's bounds; an
 * array's items and counts; an object's members, names and counts. 0 for
 * every other keyword: it may read an instance of any kind (enum, const,
 * the in-place applicators, the references). */
static unsigned kinds_keyword_reads(js_keyword k)
{
	switch (k) {
	case KW_MAX_LENGTH:
	case KW_MIN_LENGTH:
	case KW_PATTERN:
	case KW_FORMAT:
		return 1u << JV_STR;
	case KW_MULTIPLE_OF:
	case KW_MAXIMUM:
	case KW_EXCL_MAXIMUM:
	case KW_MINIMUM:
	case KW_EXCL_MINIMUM:
		return 1u << JV_INT | 1u << JV_REAL;
	case KW_ITEMS:
	case KW_PREFIX_ITEMS:
	case KW_ADDITIONAL_ITEMS:
	case KW_UNEVALUATED_ITEMS:
	case KW_CONTAINS:
	case KW_MAX_CONTAINS:
	case KW_MIN_CONTAINS:
	case KW_MAX_ITEMS:
	case KW_MIN_ITEMS:
	case KW_UNIQUE_ITEMS:
		return 1u << JV_ARR;
	case KW_PROPERTIES:
	case KW_PATTERN_PROPERTIES:
	case KW_ADDITIONAL_PROPERTIES:
	case KW_UNEVALUATED_PROPERTIES:
	case KW_PROPERTY_NAMES:
	case KW_MAX_PROPERTIES:
	case KW_MIN_PROPERTIES:
	case KW_REQUIRED:
	case KW_DEPENDENCIES:
	case KW_DEPENDENT_REQUIRED:
	case KW_DEPENDENT_SCHEMAS:
		return 1u << JV_OBJ;
	default:
		return 0;
	}
}

/* The kinds n's "type" surely admits (kinds_of_type of each name; every
 * kind without a type keyword). */
static unsigned kinds_typed(const js_node *n)
{
	const js_val *t = n->kw[KW_TYPE];
	unsigned kinds = 0;
	if (!t)
		kinds = 0xff;
	else if (t->kind == JV_STR)
		kinds = kinds_of_type(t);
	else if (t->kind == JV_ARR)
		for (size_t i = 0; i < t->n; i++)
			kinds |= kinds_of_type(t->u.items[i]);
	return kinds;
}

/* n->bounds_kinds, once n->asserts_only_kinds is known. */
static void find_bounds_only(js_node *n)
{
	const js_val *const *kw = n->kw;
	if (!n->asserts_only_kinds || kw[KW_ENUM] || kw[KW_CONST])
		return;
	unsigned kinds = kinds_typed(n) & (1u << JV_INT | 1u << JV_REAL | 1u << JV_STR);
	if (kw[KW_MULTIPLE_OF] || kw[KW_EXCL_MAXIMUM] || kw[KW_EXCL_MINIMUM])
		kinds &= ~(1u << JV_INT | 1u << JV_REAL);
	if (kw[KW_PATTERN] || kw[KW_FORMAT])
		kinds &= ~(1u << JV_STR);
	n->bounds_kinds = (uint8_t)(kinds & n->asserts_only_kinds);
}

/* n->string_check, once n->asserts_only_kinds is known and its pattern
 * compiled. */
static void find_string_check(js_node *n)
{
	const js_val *const *kw = n->kw;
	const js_val *e = kw[KW_ENUM], *pat = kw[KW_PATTERN];
	if (!(n->asserts_only_kinds & (1u << JV_STR)) || !(kinds_typed(n) & (1u << JV_STR)) ||
	    kw[KW_CONST] || kw[KW_FORMAT] || (!e && !pat) || (e && e->kind != JV_ARR) ||
	    (pat && !js_regex_of(pat)))
		return;
	n->string_check = pat && !dbc_js_regex_literal(pat->re) ? JS_STRING_REGEX : JS_STRING_PLAIN;
}

/* n->asserts_only_kinds: the scalar kinds when every keyword of n is its
 * type, enum, const, format or one that reads only some kinds (a string's
 * length and pattern, a number's bounds, a container's keywords, which a
 * scalar passes), and nothing else is evaluated (a reference, an in-place
 * applicator); none otherwise. */
static void find_asserts_only(js_node *n)
{
	if (n->ref || n->dynamic_ref || n->applies_in_place || n->ref_only)
		return;
	for (int k = 0; k < KW_COUNT; k++)
		if (n->kw[k] && k != KW_TYPE && k != KW_ENUM && k != KW_CONST && k != KW_FORMAT &&
		    !kinds_keyword_reads((js_keyword)k))
			return;
	n->asserts_only_kinds = (uint8_t)(1u << JV_NULL | 1u << JV_TRUE | 1u << JV_FALSE |
	                                  1u << JV_INT | 1u << JV_REAL | 1u << JV_STR);
}

void dbc_js_node_find_leaf(js_node *n, bool format_asserts)
{
	n->leaf = false;
	n->leaf_kinds = 0;
	n->alts_kinds = 0;
	n->asserts_only_kinds = 0;
	n->bounds_kinds = 0;
	if (n->schema->kind == JV_TRUE) {
		n->leaf = true;
		n->leaf_kinds = 0xff;
		return;
	}
	if (n->schema->kind != JV_OBJ)
		return;
	find_asserts_only(n);
	find_bounds_only(n);
	/* a keyword of some kinds only takes those out of the leaf's kinds
	 * ({"type": ["object", "string"], "required": [...]} is a leaf for a
	 * string); allOf / anyOf / oneOf / not make it a node of alternatives
	 * (alts_kinds) for the kinds nothing else reads; any other keyword
	 * that may read any kind makes it neither */
	unsigned read = 0;
	bool alts = false;
	for (int k = 0; k < KW_COUNT; k++) {
		if (!n->kw[k] || k == KW_TYPE || (k == KW_FORMAT && !format_asserts))
			continue;
		unsigned kinds = kinds_keyword_reads((js_keyword)k);
		if (kinds)
			read |= kinds;
		else if (((k == KW_ALL_OF || k == KW_ANY_OF || k == KW_ONE_OF) &&
		          n->kw[k]->kind == JV_ARR && n->kw[k]->n > 0) ||
		         k == KW_NOT)
			alts = true;
		else
			return;
	}
	unsigned kinds = kinds_typed(n) & ~read;
	if (alts) {
		n->alts_kinds = (uint8_t)(kinds & ~(1u << JV_OBJ | 1u << JV_ARR));
		return;
	}
	n->leaf = kinds != 0;
	n->leaf_kinds = (uint8_t)kinds;
}

/* The kinds of instance n's own "type" may admit (every kind when it has
 * none): an instance of any other kind surely fails n's type keyword. A
 * real may be an integer (its value and draft decide), so "integer" admits
 * reals too; a name that is no type admits nothing, as has_type says.
 * surely: the kinds it admits whatever the value ("integer" no real). */
static uint8_t kinds_type_admits(const js_node *n, bool surely)
{
	const js_val *t = n->schema->kind == JV_OBJ ? n->kw[KW_TYPE] : NULL;
	if (n->schema->kind == JV_FALSE)
		return 0;
	if (!t || (t->kind != JV_STR && t->kind != JV_ARR))
		return 0xff;
	unsigned kinds = 0;
	for (size_t i = 0; i < (t->kind == JV_ARR ? t->n : 1); i++) {
		unsigned k = kinds_of_type(t->kind == JV_ARR ? t->u.items[i] : t);
		kinds |= !surely && k & (1u << JV_INT) ? k | 1u << JV_REAL : k;
	}
	return (uint8_t)kinds;
}

/* Whether n has any of the keywords ks (KW_COUNT ends the list). */
static bool has_any(const js_node *n, const js_keyword *ks)
{
	for (; *ks != KW_COUNT; ks++)
		if (n->kw[*ks])
			return true;
	return false;
}

/* n->assert_kinds, apply_kinds and uneval_kinds from n's keywords and type
 * (above). */
static void find_kinds_read(js_node *n, bool format_asserts)
{
	static const js_keyword number[] = {KW_MULTIPLE_OF, KW_MAXIMUM,      KW_EXCL_MAXIMUM,
	                                    KW_MINIMUM,     KW_EXCL_MINIMUM, KW_COUNT};
	static const js_keyword string[] = {KW_MAX_LENGTH, KW_MIN_LENGTH, KW_PATTERN, KW_COUNT};
	static const js_keyword array[] = {KW_MAX_ITEMS, KW_MIN_ITEMS, KW_UNIQUE_ITEMS, KW_COUNT};
	static const js_keyword object[] = {KW_MAX_PROPERTIES,     KW_MIN_PROPERTIES, KW_REQUIRED,
	                                    KW_DEPENDENT_REQUIRED, KW_DEPENDENCIES,   KW_COUNT};
	static const js_keyword items[] = {KW_ITEMS, KW_PREFIX_ITEMS, KW_ADDITIONAL_ITEMS, KW_CONTAINS,
	                                   KW_COUNT};
	static const js_keyword members[] = {KW_PROPERTIES, KW_PATTERN_PROPERTIES,
	                                     KW_ADDITIONAL_PROPERTIES, KW_PROPERTY_NAMES, KW_COUNT};
	unsigned kinds = n->kw[KW_TYPE] ? 0xffu & ~(unsigned)n->type_surely : 0;
	if (n->kw[KW_ENUM] || n->kw[KW_CONST])
		kinds = 0xff;
	if (has_any(n, number))
		kinds |= 1u << JV_INT | 1u << JV_REAL;
	if (has_any(n, string) || (format_asserts && n->kw[KW_FORMAT]))
		kinds |= 1u << JV_STR;
	if (has_any(n, array))
		kinds |= 1u << JV_ARR;
	if (has_any(n, object))
		kinds |= 1u << JV_OBJ;
	n->assert_kinds = (uint8_t)kinds;
	n->apply_kinds = (uint8_t)((has_any(n, items) ? 1u << JV_ARR : 0) |
	                           (has_any(n, members) ? 1u << JV_OBJ : 0));
	n->uneval_kinds = (uint8_t)((n->kw[KW_UNEVALUATED_ITEMS] ? 1u << JV_ARR : 0) |
	                            (n->kw[KW_UNEVALUATED_PROPERTIES] ? 1u << JV_OBJ : 0));
}

js_node *dbc_js_compile_node(js_compiler *c, const js_val *schema, js_resource *res,
                             dbc_js_draft draft)
{
	if (schema->kind != JV_OBJ && schema->kind != JV_TRUE && schema->kind != JV_FALSE) {
		dbc_error(c->ctx, DBC_SQLSTATE_INTERNAL, "internal error: a subschema that is no schema");
		return NULL;
	}
	if (schema->node)
		return schema->node;
	if (++c->nodes > DBC_JS_MAX_SCHEMA_NODES) {
		dbc_error(c->ctx, "54000",
		          "the schema has more than %d subschemas (with the documents its $refs load): "
		          "a compiled schema stays in memory in every session that uses it (docs/json.md, "
		          "Limits)",
		          DBC_JS_MAX_SCHEMA_NODES);
		return NULL;
	}
	js_node *n = dbc_js_alloc_bytes(&c->a, sizeof(js_node));
	if (!n)
		return NULL;
	((js_val *)schema)->node = n;
	n->schema = schema;
	if (schema->kind != JV_OBJ) {
		n->res = res;
		n->draft = draft;
		dbc_js_node_find_leaf(n, c->s->format_assertion);
		n->type_kinds = kinds_type_admits(n, false);
		return n;
	}
	if (identify(c, schema, n, &res, &draft, res == NULL) != DBC_OK)
		return NULL;
	n->res = res;
	n->draft = draft;
	for (int k = 0; k < KW_COUNT; k++)
		if (in_draft((js_keyword)k, draft))
			n->kw[k] = dbc_js_get(schema, dbc_js_keyword_names[k]);
	n->ref_only = draft <= DBC_JS_DRAFT7 && n->kw[KW_REF];
	n->applies_in_place = n->kw[KW_ALL_OF] || n->kw[KW_ANY_OF] || n->kw[KW_ONE_OF] ||
	                      n->kw[KW_NOT] || n->kw[KW_IF] || n->kw[KW_DEPENDENT_SCHEMAS] ||
	                      n->kw[KW_DEPENDENCIES];
	if (n->kw[KW_UNEVALUATED_ITEMS] || n->kw[KW_UNEVALUATED_PROPERTIES])
		c->s->uses_unevaluated = true;
	dbc_js_node_find_leaf(n, c->s->format_assertion);
	n->type_kinds = kinds_type_admits(n, false);
	n->type_surely = kinds_type_admits(n, true);
	find_kinds_read(n, c->s->format_assertion);
	if (n->ref_only) {
		/* the other keywords are ignored, but "definitions" still names subschemas */
		if (compile_map(c, dbc_js_get(schema, "definitions"), res, draft, false) != DBC_OK)
			return NULL;
	} else if (compile_children(c, n, res) != DBC_OK)
		return NULL;
	find_string_check(n); /* its pattern compiled with the children */
	if ((n->kw[KW_REF] || n->kw[KW_DYNAMIC_REF] || n->kw[KW_RECURSIVE_REF]) &&
	    push_pending(c, n) != DBC_OK)
		return NULL;
	return n;
}

js_node *dbc_js_load_document(js_compiler *c, const js_val *doc, const char *uri,
                              dbc_js_draft draft)
{
	if (doc->kind == JV_OBJ)
		if (draft_of(c, dbc_js_get(doc, "$schema"), &draft) != DBC_OK)
			return NULL;
	js_resource *res = dbc_js_add_resource(c, uri, draft);
	if (!res)
		return NULL;
	js_node *n = dbc_js_compile_node(c, doc, res, draft);
	if (n && !res->root)
		res->root = n;
	return n;
}

/* The node uri (absolute, maybe with a fragment) names. A document not yet
 * in the schema (a draft's meta-schema, or a remote the options load) is
 * fetched and compiled whole on first use; a JSON Pointer's target is
 * compiled the first time a $ref names it (dbc_js_compile_node returns the node
 * of a subschema compiled before). js_ref.c only finds: the compiling is
 * here. */
static js_node *ref_target(js_compiler *c, const char *uri)
{
	const char *frag;
	char *doc = dbc_js_uri_strip_fragment(c->ctx, uri, &frag);
	if (!doc)
		return NULL;
	js_resource *res = dbc_js_find_resource(c->s, doc);
	if (!res) {
		dbc_js_draft draft;
		js_val *v = dbc_js_fetch_document(c, doc, &draft);
		if (!v || !dbc_js_load_document(c, v, doc, draft) ||
		    !(res = dbc_js_find_resource(c->s, doc)))
			return NULL;
	}
	js_node *n = NULL;
	if (*frag == '\0')
		n = res->root;
	else if (*frag != '/')
		n = dbc_js_find_anchor(c->s, res, frag);
	else {
		const js_val *target = dbc_js_pointer_target(c->ctx, res, frag);
		if (target)
			n = dbc_js_compile_node(c, target, res, res->draft);
		if (c->ctx->failed)
			return NULL;
	}
	if (!n)
		dbc_error(c->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the schema's $ref %s points to nothing",
		          dbc_excerpt(c->ctx, uri, 200));
	return n;
}

/* Resolves one node's references (static targets). */
static int resolve_refs(js_compiler *c, js_node *n)
{
	const char *base = n->res ? n->res->uri : NULL;
	const js_val *ref = n->kw[KW_REF];
	if (ref && ref->kind == JV_STR) {
		char *uri = dbc_js_uri_resolve(c->ctx, base, ref->u.s);
		if (!uri || !(n->ref = ref_target(c, uri)))
			return DBC_ERROR;
	}
	const js_val *dyn = n->kw[KW_DYNAMIC_REF];
	if (dyn && dyn->kind == JV_STR) {
		char *uri = dbc_js_uri_resolve(c->ctx, base, dyn->u.s);
		if (!uri || !(n->dynamic_ref = ref_target(c, uri)))
			return DBC_ERROR;
		/* dynamic only when the static target carries a $dynamicAnchor of that name */
		const char *frag = strchr(uri, '#');
		if (frag && frag[1] && frag[1] != '/') {
			for (js_anchor *a = c->s->anchors; a; a = a->next)
				if (a->dynamic && a->node == n->dynamic_ref && !strcmp(a->name, frag + 1)) {
					n->dynamic_name = dbc_js_alloc_strn(&c->a, frag + 1, strlen(frag + 1));
					break;
				}
		}
	}
	const js_val *rec = n->kw[KW_RECURSIVE_REF];
	if (rec && rec->kind == JV_STR) {
		char *uri = dbc_js_uri_resolve(c->ctx, base, rec->u.s);
		if (!uri || !(n->dynamic_ref = ref_target(c, uri)))
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* Whether a node with a $ref asserts nothing else: evaluating it is
 * evaluating its target on the same instance. */
static bool pure_ref(const js_node *n)
{
	static const char *const inert[] = {"$ref",        "$id",         "id",       "$schema",
	                                    "$defs",       "definitions", "$comment", "title",
	                                    "description", "$anchor"};
	if (!n->ref)
		return false;
	if (n->ref_only || n->schema->kind != JV_OBJ)
		return n->ref_only;
	for (uint32_t i = 0; i < n->schema->n; i++) {
		bool known = false;
		for (size_t k = 0; k < sizeof inert / sizeof *inert && !known; k++)
			known = !strcmp(n->schema->u.members[i].key, inert[k]);
		if (!known)
			return false;
	}
	return true;
}

/* A chain of $refs through nodes that assert nothing else and that comes
 * back to a node of itself evaluates one instance forever: refused when
 * compiled, naming two of its references, rather than at the first
 * validation as evaluation too deep. Each node is walked once (ref_walk). */
static int refuse_ref_cycles(js_compiler *c)
{
	for (int i = 0; i < c->npending; i++) {
		js_node *start = c->pending[i], *p;
		for (p = start; p && pure_ref(p) && p->ref_walk == 0; p = p->ref)
			p->ref_walk = 1;
		if (p && p->ref_walk == 1)
			return dbc_error(c->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "the schema's $ref to %s is part of a reference cycle (then %s, and "
			                 "back) that asserts nothing: every document would evaluate it "
			                 "forever",
			                 dbc_excerpt(c->ctx, p->kw[KW_REF]->u.s, 200),
			                 dbc_excerpt(c->ctx, p->ref->kw[KW_REF]->u.s, 200));
		for (js_node *q = start; q && q->ref_walk == 1; q = q->ref)
			q->ref_walk = 2;
	}
	return DBC_OK;
}

/* Compiles text into c->s: every node, then every node's references. On
 * DBC_ERROR the ctx holds why (or nothing, when memory ran out). */
static int compile_text(js_compiler *c, const char *text)
{
	js_val *doc;
	if (dbc_js_count_text(c, text) != DBC_OK)
		return DBC_ERROR;
	if (dbc_js_parse(c->ctx, &c->a, text, "the schema", DBC_JS_MAX_SCHEMA_DEPTH, &doc) != DBC_OK)
		return DBC_ERROR;
	if (doc->kind != JV_OBJ && doc->kind != JV_TRUE && doc->kind != JV_FALSE)
		return dbc_error(c->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "a schema must be a JSON object or a boolean, not %s",
		                 dbc_js_excerpt(c->ctx, doc, DBC_EXCERPT));
	dbc_js_draft draft = DBC_JS_DRAFT2020;
	if (draft_of(c, dbc_js_get(doc, "$schema"), &draft) != DBC_OK)
		return DBC_ERROR;
	c->s->draft = draft;
	/* a document without $id gets a base of its own, so relative refs resolve */
	const char *base = c->opts->base_uri ? c->opts->base_uri : "urn:dbcare:schema";
	js_resource *res = dbc_js_add_resource(c, base, draft);
	if (!res || !(c->s->root = dbc_js_compile_node(c, doc, res, draft)))
		return DBC_ERROR;
	if (!res->root)
		res->root = c->s->root;
	/* the list grows while it is walked: a $ref to a document not yet
	 * loaded compiles it, and its own references join the end */
	for (int i = 0; i < c->npending; i++)
		if (resolve_refs(c, c->pending[i]) != DBC_OK)
			return DBC_ERROR;
	if (refuse_ref_cycles(c) != DBC_OK)
		return DBC_ERROR;
	return dbc_js_plan_schema(c);
}

int dbc_js_compile_schema(dbc_ctx *ctx, const char *text, const dbc_js_options *opts,
                          dbc_js_schema **out)
{
	static const dbc_js_options defaults = {0};
	*out = NULL;
	js_compiler c = {.ctx = ctx, .opts = opts ? opts : &defaults};
	c.s = calloc(1, sizeof(dbc_js_schema));
	if (!c.s || !(c.s->pool = dbc_js_pool_new())) {
		free(c.s);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	c.a.ctx = ctx;
	c.a.pool = c.s->pool;
	c.s->format_assertion = c.opts->format_assertion;
	if (compile_text(&c, text) != DBC_OK) {
		if (!ctx->failed)
			dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		dbc_js_free(c.s);
		return DBC_ERROR;
	}
	*out = c.s;
	return DBC_OK;
}

void dbc_js_free(dbc_js_schema *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nregex; i++)
		dbc_js_regex_free(s->regexes[i]);
	free(s->regexes);
	dbc_js_memo_free(s->memo);
	dbc_js_pool_free(s->pool);
	free(s);
}
