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
	return (dbc_js_ref){.at = v,
	                    .kind = v->kind == JV_OBJ   ? DBC_JS_REF_OBJECT
	                            : v->kind == JV_ARR ? DBC_JS_REF_ARRAY
	                                                : DBC_JS_REF_SCALAR};
}

static int tree_scalar(dbc_ctx *ctx, const dbc_js_ref *ref, dbc_js_scalar *out)
{
	const js_val *v = val_of(ref);
	(void)ctx;
	*out = (dbc_js_scalar){0};
	switch (v->kind) {
	case JV_NULL:
		out->kind = DBC_JS_SCALAR_NULL;
		break;
	case JV_FALSE:
		out->kind = DBC_JS_SCALAR_FALSE;
		break;
	case JV_TRUE:
		out->kind = DBC_JS_SCALAR_TRUE;
		break;
	case JV_INT:
		out->kind = DBC_JS_SCALAR_INT;
		out->i = v->u.i;
		break;
	case JV_REAL:
		out->kind = DBC_JS_SCALAR_REAL;
		out->d = v->u.d;
		break;
	default:
		out->kind = DBC_JS_SCALAR_STRING;
		out->s = v->u.s;
		out->len = v->n;
		break;
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

static bool tree_next(dbc_js_cursor *cur, const char **key, uint32_t *klen, dbc_js_ref *val)
{
	const js_val *c = cur->p[0];
	uint32_t i = cur->u[0];
	if (i >= c->n)
		return false;
	cur->u[0] = i + 1;
	if (c->kind == JV_OBJ) {
		const js_member *m = &c->u.members[i];
		*key = m->key;
		/* a member name is never 4 GB: the engines cap a value far below */
		*klen = (uint32_t)m->klen;
		*val = ref_of(m->val);
	} else {
		*key = NULL;
		*klen = 0;
		*val = ref_of(c->u.items[i]);
	}
	return true;
}

static bool tree_readable(const dbc_js_ref *v, int depth)
{
	(void)v;
	(void)depth;
	return true; /* built: the builder and the parser refused what is not */
}

static int tree_tree(dbc_ctx *ctx, const dbc_js_ref *v, const dbc_js_doc **out)
{
	(void)ctx;
	*out = val_of(v);
	return DBC_OK;
}

static const dbc_js_access tree_access = {
    .scalar = tree_scalar,
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
