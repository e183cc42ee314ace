/*
 * js_tree.c — the compiled check over a value already built: js_walk.c's
 * check read through an accessor over a js_val tree. The walk's token
 * check (js_check.c) builds the values whose plan runs branches over them
 * (alts: a stream of tokens cannot be read again) and asks here before the
 * evaluator: the branches of a oneOf then cost a look-up per member each,
 * not the evaluator's keyword by keyword tree walk.
 *
 * A tree's members are unique and in dbc_js_member_cmp's order (the
 * parser's and the builder's), and every value in it is one the evaluator
 * reads (it was built): the accessor's contract holds as it is.
 */
#include "jsonschema/js_walk.h"

static const js_val *val_of(const dbc_js_ref *v)
{
	return v->at;
}

static dbc_js_ref ref_of(const js_val *v)
{
	static const uint8_t kinds[] = {
	    [JV_NULL] = DBC_JS_REF_NULL,  [JV_FALSE] = DBC_JS_REF_FALSE, [JV_TRUE] = DBC_JS_REF_TRUE,
	    [JV_INT] = DBC_JS_REF_NUMBER, [JV_REAL] = DBC_JS_REF_NUMBER, [JV_STR] = DBC_JS_REF_STRING,
	    [JV_ARR] = DBC_JS_REF_ARRAY,  [JV_OBJ] = DBC_JS_REF_OBJECT,
	};
	/* a string's ref holds its bytes; every other value's is the value */
	if (v->kind == JV_STR)
		return (dbc_js_ref){.at = v->u.s, .len = v->n, .kind = DBC_JS_REF_STRING};
	return (dbc_js_ref){.at = v, .kind = kinds[v->kind]};
}

static int tree_number(dbc_ctx *ctx, const dbc_js_ref *ref, dbc_js_number *out)
{
	const js_val *v = val_of(ref);
	(void)ctx;
	if (v->kind == JV_INT) {
		out->kind = DBC_JS_NUMBER_INT;
		out->i = v->u.i;
	} else {
		out->kind = DBC_JS_NUMBER_REAL;
		out->d = v->u.d;
	}
	return DBC_OK;
}

static uint32_t tree_count(const dbc_js_ref *c)
{
	return val_of(c)->n;
}

/* cur: p[0] the container, u[0] the next member or item */
static void tree_open(const dbc_js_ref *c, dbc_js_cursor *cur)
{
	cur->p[0] = val_of(c);
	cur->u[0] = 0;
}

static uint32_t tree_next(dbc_js_cursor *cur, dbc_js_item *out, uint32_t max)
{
	const js_val *c = cur->p[0];
	uint32_t i = cur->u[0], got = 0;
	for (; i < c->n && got < max; i++, got++) {
		if (c->kind == JV_OBJ) {
			const js_member *m = &c->u.members[i];
			/* a member name is never 4 GB: the engines cap a value far below */
			out[got] =
			    (dbc_js_item){.key = m->key, .klen = (uint32_t)m->klen, .val = ref_of(m->val)};
		} else
			out[got] = (dbc_js_item){.key = NULL, .val = ref_of(c->u.items[i])};
	}
	cur->u[0] = i;
	return got;
}

static bool tree_readable(const dbc_js_ref *v, int depth)
{
	(void)v;
	(void)depth;
	return true; /* built: the builder and the parser refused what is not */
}

static int tree_tree(dbc_ctx *ctx, const dbc_js_ref *v, const dbc_js_doc **out)
{
	/* a string's ref holds its bytes, not its value: the evaluator never
	 * asks for one (only containers, and nodes past the hops) */
	if (v->kind == DBC_JS_REF_STRING) {
		js_val *s = dbc_js_alloc_val(&(js_alloc){.ctx = ctx}, JV_STR);
		if (!s)
			return DBC_ERROR;
		s->n = v->len;
		s->u.s = v->at;
		*out = s;
		return DBC_OK;
	}
	*out = val_of(v);
	return DBC_OK;
}

static const dbc_js_access tree_access = {
    .number = tree_number,
    .count = tree_count,
    .open = tree_open,
    .next = tree_next,
    .readable = tree_readable,
    .tree = tree_tree,
};

js_verdict dbc_js_tree_verdict(js_run *r, const js_node *n, const js_val *v)
{
	dbc_js_ref ref = ref_of(v);
	return dbc_js_walk_verdict(r, &tree_access, n, &ref);
}
