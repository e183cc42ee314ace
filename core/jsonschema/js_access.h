/*
 * js_access.h — a document the host reads in place, value by value, for the
 * schema's compiled check (js_walk.c): PostgreSQL's jsonb read from its
 * stored containers (pg/json/json_doc_layout.c) or through its iterator
 * (pg/json/json_doc.c). The check asks only for what its plans read: an
 * object's members in turn, a batch a call (the name, and the value only
 * when a schema applies to it), an array's items, a number's value when a
 * node asserts something of it; a member no schema constrains is passed by,
 * never converted. A value whose node has no plan goes to the evaluator as
 * a tree (dbc_js_build_ref, the host's build). The rules stay the core's:
 * the host only says what is where.
 */
#ifndef DBC_JS_ACCESS_H
#define DBC_JS_ACCESS_H

#include "jsonschema/jsonschema.h"

/* What a reference is (dbc_js_ref.kind): a string's bytes, a boolean and
 * null are read from the reference itself; a number through
 * dbc_js_access.number; a container through count, open and next. */
enum {
	DBC_JS_REF_NULL = 1,
	DBC_JS_REF_FALSE,
	DBC_JS_REF_TRUE,
	DBC_JS_REF_STRING, /* at, len: UTF-8, not NUL-terminated, the host's bytes */
	DBC_JS_REF_NUMBER,
	DBC_JS_REF_ARRAY,
	DBC_JS_REF_OBJECT,
};

/* One value of the host's document: what it is, and where the host finds
 * it again (at, len, tag: the host's own, but a string's bytes). Copied
 * freely; valid while the document is held. */
typedef struct dbc_js_ref {
	const void *at;
	uint32_t len;
	uint16_t tag;
	uint8_t kind; /* DBC_JS_REF_* */
} dbc_js_ref;

/* A number as the host reads it (dbc_js_access.number). */
enum {
	DBC_JS_NUMBER_INT = 1, /* i: a number whose JSON text reads as this integer */
	DBC_JS_NUMBER_REAL,    /* d: a number whose text (with a '.') strtod reads as d */
	DBC_JS_NUMBER_TEXT,    /* text: its JSON text, NUL-terminated */
};

typedef struct dbc_js_number {
	int kind; /* DBC_JS_NUMBER_* */
	int64_t i;
	double d;
	const char *text;
} dbc_js_number;

/* One member (key: its name, the host's bytes, klen of them) or item (key
 * NULL) of a container, and its value. */
typedef struct dbc_js_item {
	const char *key;
	uint32_t klen;
	dbc_js_ref val;
} dbc_js_item;

/* Where an iteration over a container stands: the host's, opaque here. */
typedef struct dbc_js_cursor {
	const void *p[2];
	uint32_t u[6];
} dbc_js_cursor;

/* How a host hands number or container ref v to builder b (its reader's
 * dbc_js_build_* calls): DBC_OK or DBC_ERROR. */
typedef int (*dbc_js_build_fn)(dbc_js_builder *b, const dbc_js_ref *v);

/* How the core reads the host's document. Every function is given refs the
 * host made (the root, or one of next's). */
typedef struct dbc_js_access {
	/* Number v's value into *out: DBC_OK, or DBC_ERROR with the ctx's
	 * error (the check is then undecided). */
	int (*number)(dbc_ctx *ctx, const dbc_js_ref *v, dbc_js_number *out);
	/* Container c's members or items. */
	uint32_t (*count)(const dbc_js_ref *c);
	/* An iteration over container c's members (in jsonb's order: by
	 * length, then bytes; each name once) or items (in order). */
	void (*open)(const dbc_js_ref *c, dbc_js_cursor *cur);
	/* Up to max of the next members or items into out, in turn: how many;
	 * 0 past the last. */
	uint32_t (*next)(dbc_js_cursor *cur, dbc_js_item *out, uint32_t max);
	/* Whether number or container v, read whole, is one the validator
	 * reads as it is: no number beyond a double's range, nesting no
	 * deeper than depth below it. Asked of a value no schema constrains,
	 * which the check reads no further (its scalars are never converted). */
	bool (*readable)(const dbc_js_ref *v, int depth);
	/* Number or container v into builder b, for the evaluator's tree
	 * (dbc_js_build_ref makes the builder and the rest of the tree). */
	dbc_js_build_fn build;
} dbc_js_access;

/* Value v as a tree for the evaluator (js_build.c), the one place a
 * host's value becomes one: built in the ctx arena, its keys and strings
 * borrowed from the host's document (held while the tree is used); a
 * string, boolean or null read from the ref itself, a number or a
 * container handed over by build. The compiled check calls it with its
 * accessor's build; a host calls it for a whole document's tree. DBC_ERROR
 * with the ctx's error when it cannot be. */
int dbc_js_build_ref(dbc_ctx *ctx, const dbc_js_ref *v, dbc_js_build_fn build,
                     const dbc_js_doc **out);

/* dbjson_valid of the host's document root through the schema's compiled
 * check alone: *verdict 1 valid, 0 undecided (the caller validates the
 * document the usual way: it fails, or holds what the check leaves to the
 * evaluator); DBC_ERROR only for the schema's errors and a cancel. */
int dbc_js_valid_access(dbc_ctx *ctx, dbc_js_cache *cache, const char *schema,
                        bool format_assertion, const dbc_js_access *acc, const dbc_js_ref *root,
                        int *verdict);

#endif
