/*
 * js_build.c — a document built value by value by the host (PostgreSQL walks
 * a jsonb with its iterator) instead of parsed from text. The tree is the one
 * dbc_js_parse makes of the same document's text: the meaning of numbers, the
 * depth limit and its message are the parser's, so validation cannot tell
 * the two inputs apart (test/script/pg_json_direct.sh compares them).
 */
#include "jsonschema/js_access.h"
#include "jsonschema/js_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One open array or object: where its next item or member goes. */
typedef struct js_frame {
	js_val *v;
	js_val *kids; /* v->n values side by side, taken in turn */
	size_t next;
	bool keyed; /* object: the key of member `next` is set, its value is due */
} js_frame;

struct dbc_js_builder {
	dbc_ctx *ctx;
	js_alloc a;
	js_frame *stack;
	int depth, cap;
	js_val *root;
	bool failed;
	bool borrow; /* keys and strings point at the host's bytes */
};

dbc_js_builder *dbc_js_build_new(dbc_ctx *ctx)
{
	dbc_js_builder *b = dbc_zalloc(ctx, sizeof(dbc_js_builder));
	if (!b)
		return NULL;
	b->ctx = ctx;
	b->a.ctx = ctx;
	/* every value, member and item is written whole as it is placed */
	b->a.unzeroed = true;
	return b;
}

static int fail(dbc_js_builder *b, const char *sqlstate, const char *message)
{
	b->failed = true;
	if (!b->ctx->failed)
		dbc_error(b->ctx, sqlstate, "%s", message);
	return DBC_ERROR;
}

static int misuse(dbc_js_builder *b)
{
	return fail(b, DBC_SQLSTATE_INTERNAL, "internal error: a document built out of order");
}

/* The root value, or the failure of a value placed after a failure or too
 * deep (the depth check dbc_js_parse's conversion makes; the root is at depth 0). */
static js_val *place_root(dbc_js_builder *b, js_kind kind)
{
	if (b->failed)
		return NULL;
	if (b->depth > DBC_JS_MAX_DEPTH) {
		b->failed = true;
		dbc_error(b->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the document nests deeper than %d levels",
		          DBC_JS_MAX_DEPTH);
		return NULL;
	}
	js_val *v = b->root ? NULL : dbc_js_alloc_val(&b->a, kind);
	if (!v) {
		if (b->root)
			misuse(b);
		else
			fail(b, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	*v = (js_val){.kind = (unsigned char)kind};
	b->root = v;
	return v;
}

/* A new value at the current position. Inlined into every token's call
 * (a row's document has about a hundred): the root, a failure and the
 * depth limit take place_root. */
static inline js_val *place(dbc_js_builder *b, js_kind kind)
{
	if (__builtin_expect(b->failed || b->depth == 0 || b->depth > DBC_JS_MAX_DEPTH, 0))
		return place_root(b, kind);
	js_frame *f = &b->stack[b->depth - 1];
	js_val *c = f->v;
	if (f->next >= c->n || (c->kind == JV_OBJ) != f->keyed) {
		misuse(b);
		return NULL;
	}
	/* the children were allocated with their container: no allocation */
	js_val *v = &f->kids[f->next];
	*v = (js_val){.kind = (unsigned char)kind};
	if (c->kind == JV_OBJ) {
		c->u.members[f->next++].val = v;
		f->keyed = false;
	} else
		c->u.items[f->next++] = v;
	return v;
}

void dbc_js_build_borrow(dbc_js_builder *b)
{
	b->borrow = true;
}

/* A key's or a string's bytes as the document holds them: the host's
 * (borrowed), or a copy in the arena. */
static const char *keep(dbc_js_builder *b, const char *s, size_t len)
{
	if (b->borrow)
		return s ? s : "";
	return dbc_js_alloc_strn(&b->a, s, len);
}

int dbc_js_build_open(dbc_js_builder *b, bool object, size_t n)
{
	js_val *v = place(b, object ? JV_OBJ : JV_ARR);
	if (!v)
		return DBC_ERROR;
	if (n > UINT32_MAX)
		return fail(b, DBC_SQLSTATE_BAD_ARGUMENT, "the document has too many members or items");
	v->n = (uint32_t)n;
	/* one piece: the n children, then their members or item pointers,
	 * which start on a js_val's boundary (a js_val holds pointers, so its
	 * alignment is enough for them) */
	size_t each = object ? sizeof(js_member) : sizeof(js_val *);
	js_val *kids = dbc_js_alloc_vals(&b->a, n + (each * n + sizeof(js_val) - 1) / sizeof(js_val));
	if (!kids || (b->depth >= b->cap &&
	              dbc_grow(b->ctx, &b->stack, b->depth, &b->cap, sizeof(js_frame), 16) != DBC_OK))
		return fail(b, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (object)
		v->u.members = (js_member *)(kids + n);
	else
		v->u.items = (js_val **)(kids + n);
	b->stack[b->depth++] = (js_frame){.v = v, .kids = kids};
	return DBC_OK;
}

int dbc_js_build_close(dbc_js_builder *b)
{
	if (b->failed)
		return DBC_ERROR;
	if (b->depth == 0 || b->stack[b->depth - 1].next != b->stack[b->depth - 1].v->n ||
	    b->stack[b->depth - 1].keyed)
		return misuse(b);
	js_val *v = b->stack[--b->depth].v;
	if (v->kind == JV_OBJ) /* as dbc_js_parse's conversion leaves them */
		dbc_js_sort_members(v->u.members, v->n);
	return DBC_OK;
}

int dbc_js_build_key(dbc_js_builder *b, const char *s, size_t len)
{
	if (b->failed)
		return DBC_ERROR;
	js_frame *f = b->depth ? &b->stack[b->depth - 1] : NULL;
	if (!f || f->v->kind != JV_OBJ || f->keyed || f->next >= f->v->n)
		return misuse(b);
	js_member *m = &f->v->u.members[f->next];
	if (!(m->key = keep(b, s, len)))
		return fail(b, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	m->klen = len;
	m->re = NULL; /* val is set by place */
	f->keyed = true;
	return DBC_OK;
}

int dbc_js_build_string(dbc_js_builder *b, const char *s, size_t len)
{
	js_val *v = place(b, JV_STR);
	if (!v)
		return DBC_ERROR;
	if (len > UINT32_MAX)
		return fail(b, DBC_SQLSTATE_BAD_ARGUMENT, "a string of the document is too long");
	v->n = (uint32_t)len;
	if (!(v->u.s = keep(b, s, len)))
		return fail(b, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
}

/* jansson's reading of a number token: integer text (no '.', 'e', 'E') that
 * fits 64 bits is an integer, one that does not is a real (as dbc_js_parse reads
 * it); any other is strtod's double, an overflow being an error. */
int dbc_js_build_number(dbc_js_builder *b, const char *text)
{
	if (b->failed)
		return DBC_ERROR;
	if (!((*text >= '0' && *text <= '9') || (*text == '-' && text[1] >= '0' && text[1] <= '9')))
		return fail(b, DBC_SQLSTATE_BAD_ARGUMENT, "the document is not valid JSON: invalid token");
	if (!strpbrk(text, ".eE")) {
		errno = 0;
		long long i = strtoll(text, NULL, 10);
		if (errno != ERANGE) {
			js_val *v = place(b, JV_INT);
			if (!v)
				return DBC_ERROR;
			v->u.i = i;
			return DBC_OK;
		}
	}
	errno = 0;
	double d = strtod(text, NULL);
	if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
		return fail(b, DBC_SQLSTATE_BAD_ARGUMENT,
		            "the document is not valid JSON: real number overflow");
	js_val *v = place(b, JV_REAL);
	if (!v)
		return DBC_ERROR;
	v->u.d = d;
	return DBC_OK;
}

/* A number's value placed as dbc_js_build_number would place its text. */
static int number_value(dbc_js_builder *b, js_kind kind, int64_t i, double d)
{
	js_val *v = place(b, kind);
	if (!v)
		return DBC_ERROR;
	if (kind == JV_INT)
		v->u.i = i;
	else
		v->u.d = d;
	return DBC_OK;
}

int dbc_js_build_int(dbc_js_builder *b, int64_t i)
{
	return number_value(b, JV_INT, i, 0);
}

int dbc_js_build_real(dbc_js_builder *b, double d)
{
	return number_value(b, JV_REAL, 0, d);
}

int dbc_js_build_bool(dbc_js_builder *b, bool value)
{
	return place(b, value ? JV_TRUE : JV_FALSE) ? DBC_OK : DBC_ERROR;
}

int dbc_js_build_null(dbc_js_builder *b)
{
	return place(b, JV_NULL) ? DBC_OK : DBC_ERROR;
}

int dbc_js_build_finish(dbc_js_builder *b, const dbc_js_doc **out)
{
	*out = NULL;
	if (b->failed)
		return DBC_ERROR;
	if (!b->root || b->depth)
		return misuse(b);
	*out = b->root;
	return DBC_OK;
}

/* A string, boolean or null ref, read from the ref itself. */
static int ref_scalar(dbc_js_builder *b, const dbc_js_ref *v)
{
	switch (v->kind) {
	case DBC_JS_REF_STRING:
		return dbc_js_build_string(b, v->at, v->len);
	case DBC_JS_REF_FALSE:
	case DBC_JS_REF_TRUE:
		return dbc_js_build_bool(b, v->kind == DBC_JS_REF_TRUE);
	default:
		return dbc_js_build_null(b);
	}
}

int dbc_js_build_ref(dbc_ctx *ctx, const dbc_js_ref *v, dbc_js_build_fn build,
                     const dbc_js_doc **out)
{
	*out = NULL;
	dbc_js_builder *b = dbc_js_build_new(ctx);
	if (!b)
		return DBC_ERROR;
	dbc_js_build_borrow(b); /* the host's document is held while the tree is used */
	int rc = v->kind >= DBC_JS_REF_NUMBER ? build(b, v) : ref_scalar(b, v);
	return rc == DBC_OK ? dbc_js_build_finish(b, out) : rc;
}
