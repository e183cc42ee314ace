/*
 * js_tree.c — the compiled check over a value already built: js_fast.c's
 * answer (valid, surely invalid, undecided) read from a tree's members and
 * items instead of a text, with the same plans (js_plan.c). The walk's
 * check (js_check.c) builds the values whose plan runs branches over them
 * (alts: a walk cannot be read again) and asks here before the evaluator:
 * the branches of a oneOf then cost a look-up per member each, not the
 * evaluator's keyword by keyword tree walk.
 *
 * As js_fast.c, "valid" here implies valid to the evaluator (a scalar, and a
 * container whose node has no plan, are the evaluator's verdict); "invalid"
 * is sure; anything else is undecided and the caller asks the evaluator.
 */
#include "jsonschema/js_private.h"

/* Containers nested deeper are left undecided (this reader recurses). */
#define JS_TREE_DEPTH 64
/* Items of an array under uniqueItems compared here, each a scalar, as
 * js_fast.c; more, or a container among them: undecided. */
#define JS_TREE_UNIQUE 16
/* Members of an object whose names the in-place applicators read here;
 * more: undecided. */
#define JS_TREE_NAMES 64
/* Values read inside branches (each branch reads its value again, and
 * branches nest), as js_fast.c; more: undecided. */
#define JS_TREE_REREADS 65536u

typedef struct tree {
	js_run *r;
	int in_alts;      /* branches open */
	uint32_t rereads; /* values read inside them */
} tree;

/* A container's members and items are values: mutually recursive */
static js_verdict value(tree *t, const js_node *n, const js_val *v, int depth);

/* The evaluator's boolean as an answer: "no" is invalid unless it ended on
 * an error (a budget, a regular expression's limit, a cancel). */
static js_verdict judged(const tree *t, bool ok)
{
	return ok ? JS_VALID : t->r->ctx->failed ? JS_UNDECIDED : JS_INVALID;
}

/* Object v against plan p, its alts aside: each member against its slot's,
 * patterns' or additionalProperties' nodes, then bounds, required names and
 * the in-place applicators on a skeleton of its names (values null). The
 * tree's members are unique and in dbc_js_member_cmp's order already. */
static js_verdict object(tree *t, const js_plan *p, const js_val *v, int depth)
{
	uint64_t seen = 0;
	for (uint32_t i = 0; i < v->n; i++) {
		const js_member *m = &v->u.members[i];
		const char *key = m->key ? m->key : "";
		if (m->klen > UINT32_MAX)
			return JS_UNDECIDED;
		const js_node *nodes[JS_MEMBER_NODES];
		int n = 0;
		const js_slot *slot = dbc_js_plan_slot(p, key, (uint32_t)m->klen);
		if (slot) {
			seen |= 1ull << (slot - p->slots);
			if (slot->node)
				nodes[n++] = slot->node;
		}
		js_verdict r = dbc_js_plan_member_nodes(t->r, p, key, (uint32_t)m->klen, nodes, &n);
		for (int k = 0; k < n && r == JS_VALID; k++)
			r = value(t, nodes[k], m->val, depth + 1);
		if (r != JS_VALID)
			return r;
	}
	if (!dbc_js_plan_within(p, v->n) || (seen & p->required) != p->required)
		return JS_INVALID;
	if (!p->in_place)
		return JS_VALID;
	if (v->n > JS_TREE_NAMES)
		return JS_UNDECIDED;
	static js_val null_value = {.kind = JV_NULL};
	js_member names[JS_TREE_NAMES];
	for (uint32_t i = 0; i < v->n; i++)
		names[i] = (js_member){
		    .key = v->u.members[i].key, .klen = v->u.members[i].klen, .val = &null_value};
	js_val skeleton = {.kind = JV_OBJ, .n = v->n, .u.members = names};
	return judged(t, dbc_js_eval_in_place(t->r, p->node, &skeleton));
}

/* Array v against plan p, its alts aside. */
static js_verdict array(tree *t, const js_plan *p, const js_val *v, int depth)
{
	if (p->unique) {
		if (v->n > JS_TREE_UNIQUE)
			return JS_UNDECIDED;
		for (uint32_t i = 0; i < v->n; i++) {
			if (v->u.items[i]->kind == JV_OBJ || v->u.items[i]->kind == JV_ARR)
				return JS_UNDECIDED;
			for (uint32_t j = 0; j < i; j++)
				if (dbc_js_equal(v->u.items[j], v->u.items[i]))
					return JS_INVALID;
		}
	}
	for (uint32_t i = 0; i < v->n; i++) {
		js_verdict r = value(t, p->items, v->u.items[i], depth + 1);
		if (r != JS_VALID)
			return r;
	}
	return dbc_js_plan_within(p, v->n) ? JS_VALID : JS_INVALID;
}

static js_verdict container(tree *t, const js_plan *p, const js_val *v, int depth)
{
	return v->kind == JV_OBJ ? object(t, p, v, depth) : array(t, p, v, depth);
}

/* Container v against plan p and the alts of its node, combined as
 * js_fast.c's alternatives combine them: the plan's own keywords (unless it
 * has none), allOf (all valid), anyOf (one valid), oneOf (exactly one
 * valid), not (invalid), each branch over the same value. */
static js_verdict alternatives(tree *t, const js_plan *p, const js_val *v, int depth)
{
	const js_node *n = p->node;
	const js_val *all = n->kw[KW_ALL_OF], *any = n->kw[KW_ANY_OF], *one = n->kw[KW_ONE_OF];
	js_verdict r = JS_VALID;
	if ((!dbc_js_plan_only_alts(p) || !(all || any || one)) &&
	    (r = container(t, p, v, depth)) != JS_VALID)
		return r;
	t->in_alts++;
	for (size_t i = 0; all && i < all->n && r != JS_INVALID; i++)
		r = dbc_js_worse(r, value(t, js_node_of(all->u.items[i]), v, depth + 1));
	if (any && r != JS_INVALID) {
		js_verdict some = JS_INVALID;
		for (size_t i = 0; i < any->n && some != JS_VALID; i++) {
			js_verdict b = value(t, js_node_of(any->u.items[i]), v, depth + 1);
			some = dbc_js_any_of(some, b);
		}
		r = dbc_js_worse(r, some);
	}
	if (one && r != JS_INVALID) {
		int valid = 0;
		bool unsure = false;
		for (size_t i = 0; i < one->n && valid < 2; i++) {
			js_verdict b = value(t, js_node_of(one->u.items[i]), v, depth + 1);
			valid += b == JS_VALID;
			unsure |= b == JS_UNDECIDED;
		}
		r = dbc_js_worse(r, dbc_js_one_of(valid, unsure));
	}
	if (n->kw[KW_NOT] && r != JS_INVALID) {
		js_verdict b = value(t, js_node_of(n->kw[KW_NOT]), v, depth + 1);
		r = dbc_js_worse(r, dbc_js_not(b));
	}
	t->in_alts--;
	return r;
}

/* Value v against node n (NULL: any value). */
static js_verdict value(tree *t, const js_node *n, const js_val *v, int depth)
{
	if (depth > JS_TREE_DEPTH || (t->in_alts && ++t->rereads > JS_TREE_REREADS))
		return JS_UNDECIDED;
	const js_node *target = n ? dbc_js_plan_target(n) : NULL;
	if (n && !target)
		return judged(t, dbc_js_eval_value(t->r, n, v)); /* too many hops */
	if (!target || target->schema->kind == JV_TRUE)
		return JS_VALID;
	if (target->schema->kind == JV_FALSE)
		return JS_INVALID;
	if (v->kind != JV_OBJ && v->kind != JV_ARR)
		return dbc_js_scalar_verdict(t->r, target, v);
	if (!(target->type_kinds & (1u << v->kind)))
		return JS_INVALID;
	const js_plan *p = v->kind == JV_OBJ ? target->obj_plan : target->arr_plan;
	if (!p)
		return judged(t, dbc_js_eval_value(t->r, target, v));
	return p->alts ? alternatives(t, p, v, depth) : container(t, p, v, depth);
}

js_verdict dbc_js_tree_verdict(js_run *r, const js_node *n, const js_val *v)
{
	tree t = {.r = r};
	return value(&t, n, v, 0);
}
