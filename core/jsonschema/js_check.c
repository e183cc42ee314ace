/*
 * js_check.c — the compiled check fed token by token: a document the host
 * walks (PostgreSQL's jsonb, pg/json/json_doc.c) checked against the
 * schema's plans (js_plan.c) as the walk hands its values over, with no
 * tree built. It is js_fast.c's check for a walk instead of a text: the
 * same plans, the same hand-over of scalars to the evaluator's assertions
 * and of a subtree without a plan to the evaluator (built by a builder of
 * its own as its tokens come; a plan's branches, js_tree.c, run over such a
 * subtree first), and, like it, it answers only "valid":
 * anything else leaves the document to the evaluator's whole tree.
 *
 * The host's walk hands over unique keys (dbc_js_build_key's contract), so
 * no duplicate is looked for here.
 */
#include "jsonschema/js_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

/* Containers nested deeper are left to the evaluator, as js_fast.c. */
#define JS_CHECK_DEPTH 64
/* Frames held in the check itself; deeper: JS_CHECK_DEPTH allocated. */
#define JS_CHECK_FIRST_FRAMES 8
/* Items of an array under uniqueItems compared here, as js_fast.c. */
#define JS_CHECK_UNIQUE 16
/* Schemas one member's value is checked against at most (its property's
 * and its name's patterns'), as js_fast.c. */
#define JS_CHECK_MEMBER_NODES 8

/* One open object or array checked here. */
typedef struct ck_frame {
	const js_plan *plan; /* NULL: any container (no schema applies) */
	bool object;
	uint64_t seen;       /* objects: the slots met */
	int64_t count;       /* members or items so far */
	const js_node *next; /* the node of the value to come (NULL: none) */
	js_val *uniq;        /* uniqueItems: the items so far (JS_CHECK_UNIQUE) */
	/* the plan's in_place: the object's names so far (a skeleton's) */
	js_member *names;
	int nnames, capnames;
} ck_frame;

struct js_check {
	dbc_ctx *ctx;
	js_run r;
	bool borrow;    /* the host's bytes outlive the check */
	bool undecided; /* from then on tokens are only taken */
	bool rooted;    /* the root value has come */
	/* the open containers: first, until a document nests deeper than
	 * JS_CHECK_FIRST_FRAMES, then JS_CHECK_DEPTH frames of the call's
	 * memory (a check small enough for the host's first block) */
	ck_frame *stack;
	int depth;
	ck_frame first[JS_CHECK_FIRST_FRAMES];
	/* a subtree without a plan, built for the evaluator against
	 * sub_nodes (one, or a member's several) */
	dbc_js_builder *sub;
	int sub_depth;
	const js_node *sub_nodes[JS_CHECK_MEMBER_NODES];
	int nsub_nodes;
	/* the member value to come, when several schemas apply to it
	 * (nmulti > 1; then the frame's next is NULL) */
	const js_node *multi[JS_CHECK_MEMBER_NODES];
	int nmulti;
};

js_check *dbc_js_check_new(dbc_ctx *ctx, const dbc_js_schema *s)
{
	/* not zeroed: a frame is written whole when it is pushed */
	js_check *c = dbc_alloc(ctx, sizeof(js_check));
	if (!c)
		return NULL;
	memset(c, 0, offsetof(js_check, stack));
	c->stack = c->first;
	c->sub = NULL;
	c->sub_depth = 0;
	c->nsub_nodes = 0;
	c->nmulti = 0;
	c->depth = 0;
	c->ctx = ctx;
	/* budget 1 and 4096: as js_fast.c's run; the stack's base is set
	 * at each evaluation, which is where its recursion starts */
	c->r = (js_run){.ctx = ctx, .s = s, .next_check = 4096, .budget = 1};
	return c;
}

static void check_borrow(void *arg)
{
	js_check *c = arg;
	c->borrow = true;
}

static int undecided(js_check *c)
{
	c->undecided = true;
	return DBC_OK;
}

/* The node the value about to come is checked against (NULL: none). */
static const js_node *node_of_next(const js_check *c)
{
	return c->depth == 0 ? c->r.s->root : c->stack[c->depth - 1].next;
}

/* A value of the innermost frame has ended (an item, or a member's value). */
static void value_done(js_check *c)
{
	if (c->depth == 0) {
		c->rooted = true;
		return;
	}
	ck_frame *f = &c->stack[c->depth - 1];
	if (!f->object)
		f->count++;
	else
		f->next = NULL;
}

/* The node to check against, through $ref-only hops; *any when no schema
 * applies. False: undecided (a false schema). */
static bool target(const js_node *n, const js_node **t, bool *any)
{
	*t = n ? dbc_js_plan_target(n) : NULL;
	*any = !n;
	if (n && !*t) {
		*t = n; /* too many hops: the evaluator follows them */
		return true;
	}
	if (*t && (*t)->schema->kind == JV_TRUE) {
		*t = NULL;
		*any = true;
	}
	return !(*t && (*t)->schema->kind == JV_FALSE);
}

/* A member's scalar v against each of its several schemas. */
static int scalar_multi(js_check *c, js_val *v)
{
	int n = c->nmulti;
	c->nmulti = 0;
	c->r.stack_base = (uintptr_t)__builtin_frame_address(0);
	for (int i = 0; i < n; i++) {
		const js_node *t;
		bool any;
		if (!target(c->multi[i], &t, &any))
			return undecided(c);
		if (!any && dbc_js_scalar_verdict(&c->r, t, v) != JS_VALID)
			return c->ctx->failed ? DBC_ERROR : undecided(c);
	}
	value_done(c);
	return DBC_OK;
}

/* A scalar value v for the value to come. */
static int scalar(js_check *c, js_val *v)
{
	if (c->nmulti > 1)
		return scalar_multi(c, v);
	const js_node *t;
	bool any;
	if (!target(node_of_next(c), &t, &any))
		return undecided(c);
	if (c->depth > 0) {
		ck_frame *f = &c->stack[c->depth - 1];
		if (f->uniq) {
			if (f->count == JS_CHECK_UNIQUE)
				return undecided(c);
			if (v->kind == JV_STR && !c->borrow &&
			    !(v->u.s = dbc_js_alloc_strn(&(js_alloc){.ctx = c->ctx}, v->u.s, v->n)))
				return DBC_ERROR;
			for (int64_t i = 0; i < f->count; i++)
				if (dbc_js_equal(&f->uniq[i], v))
					return undecided(c);
			f->uniq[f->count] = *v;
		}
	}
	c->r.stack_base = (uintptr_t)__builtin_frame_address(0);
	if (!any && dbc_js_scalar_verdict(&c->r, t, v) != JS_VALID)
		return c->ctx->failed ? DBC_ERROR : undecided(c);
	value_done(c);
	return DBC_OK;
}

static int check_open(void *arg, bool object, size_t n)
{
	js_check *c = arg;
	if (c->undecided)
		return DBC_OK;
	if (c->sub) {
		c->sub_depth++;
		return dbc_js_build_open(c->sub, object, n);
	}
	if (c->depth > 0 && c->stack[c->depth - 1].uniq)
		return undecided(c); /* a container among unique items */
	if (c->nmulti > 1) {
		/* several schemas: the evaluator's, on the value built */
		if (!(c->sub = dbc_js_build_new(c->ctx)))
			return DBC_ERROR;
		if (c->borrow)
			dbc_js_build_borrow(c->sub);
		c->sub_depth = 1;
		memcpy(c->sub_nodes, c->multi, sizeof(js_node *) * (size_t)c->nmulti);
		c->nsub_nodes = c->nmulti;
		c->nmulti = 0;
		return dbc_js_build_open(c->sub, object, n);
	}
	const js_node *t;
	bool any;
	if (!target(node_of_next(c), &t, &any))
		return undecided(c);
	js_kind kind = object ? JV_OBJ : JV_ARR;
	const js_plan *p = NULL;
	if (!any) {
		if (!(t->type_kinds & (1u << kind)))
			return undecided(c);
		p = object ? t->obj_plan : t->arr_plan;
		/* branches run over the value: a walk cannot be read again,
		 * so the value is built and its branches run over the tree
		 * (js_tree.c), the evaluator's for what they leave undecided */
		if (p && p->alts)
			p = NULL;
		if (!p) {
			/* the evaluator's: built as its tokens come */
			if (!(c->sub = dbc_js_build_new(c->ctx)))
				return DBC_ERROR;
			if (c->borrow)
				dbc_js_build_borrow(c->sub);
			c->sub_depth = 1;
			c->sub_nodes[0] = t;
			c->nsub_nodes = 1;
			return dbc_js_build_open(c->sub, object, n);
		}
	}
	if (c->depth == JS_CHECK_DEPTH)
		return undecided(c);
	if (c->depth == JS_CHECK_FIRST_FRAMES && c->stack == c->first) {
		ck_frame *all = dbc_alloc(c->ctx, sizeof(ck_frame) * JS_CHECK_DEPTH);
		if (!all)
			return DBC_ERROR;
		c->stack = memcpy(all, c->first, sizeof(c->first));
	}
	ck_frame *f = &c->stack[c->depth++];
	*f = (ck_frame){.plan = p, .object = object};
	if (!object)
		f->next = p ? p->items : NULL;
	if (!object && p && p->unique &&
	    !(f->uniq = dbc_alloc(c->ctx, sizeof(js_val) * JS_CHECK_UNIQUE)))
		return DBC_ERROR;
	return DBC_OK;
}

static int check_close(void *arg)
{
	js_check *c = arg;
	if (c->undecided)
		return DBC_OK;
	if (c->sub) {
		if (dbc_js_build_close(c->sub) != DBC_OK)
			return DBC_ERROR;
		if (--c->sub_depth > 0)
			return DBC_OK;
		const dbc_js_doc *tree;
		if (dbc_js_build_finish(c->sub, &tree) != DBC_OK)
			return DBC_ERROR;
		c->sub = NULL;
		c->r.stack_base = (uintptr_t)__builtin_frame_address(0);
		for (int i = 0; i < c->nsub_nodes; i++) {
			/* the plans first (js_tree.c), the evaluator for what they
			 * leave undecided */
			js_verdict v = dbc_js_tree_verdict(&c->r, c->sub_nodes[i], tree);
			if (v == JS_INVALID)
				return undecided(c);
			if (v == JS_UNDECIDED &&
			    (c->ctx->failed || !dbc_js_eval_value(&c->r, c->sub_nodes[i], tree)))
				return c->ctx->failed ? DBC_ERROR : undecided(c);
		}
		value_done(c);
		return DBC_OK;
	}
	if (c->depth == 0)
		return undecided(c);
	ck_frame *f = &c->stack[--c->depth];
	if (!dbc_js_plan_within(f->plan, f->count) ||
	    (f->object && f->plan && (f->seen & f->plan->required) != f->plan->required))
		return undecided(c);
	if (f->object && f->plan && f->plan->in_place &&
	    dbc_js_plan_names_verdict(f->plan, f->seen) != JS_VALID) {
		/* the names-only applicators on a skeleton: the names, values null */
		static js_val null_value = {.kind = JV_NULL};
		for (int i = 0; i < f->nnames; i++)
			f->names[i].val = &null_value;
		dbc_js_sort_members(f->names, (size_t)f->nnames);
		js_val skeleton = {.kind = JV_OBJ, .n = (uint32_t)f->nnames, .u.members = f->names};
		c->r.stack_base = (uintptr_t)__builtin_frame_address(0);
		if (!dbc_js_eval_in_place(&c->r, f->plan->node, &skeleton))
			return c->ctx->failed ? DBC_ERROR : undecided(c);
	}
	value_done(c);
	return DBC_OK;
}

/* check_key for a plan with no patterns and no in-place names (most
 * plans): the member's schema is its slot's, else the plan's extra one,
 * exactly as the general path below decides it without its work. */
static int key_of_plain_plan(js_check *c, ck_frame *f, const char *s, uint32_t len)
{
	const js_plan *p = f->plan;
	const js_slot *slot = dbc_js_plan_slot(p, s ? s : "", len);
	if (slot) {
		f->seen |= 1ull << (slot - p->slots);
		if (slot->node) {
			f->next = slot->node;
			return DBC_OK;
		}
	}
	if (p->extra_false)
		return undecided(c);
	f->next = p->extra;
	return DBC_OK;
}

static int check_key(void *arg, const char *s, size_t len)
{
	js_check *c = arg;
	if (c->undecided)
		return DBC_OK;
	if (c->sub)
		return dbc_js_build_key(c->sub, s, len);
	if (c->depth == 0 || !c->stack[c->depth - 1].object)
		return undecided(c);
	ck_frame *f = &c->stack[c->depth - 1];
	const js_plan *p = f->plan;
	f->count++;
	f->next = NULL;
	c->nmulti = 0;
	if (!p)
		return DBC_OK;
	if (len > UINT32_MAX)
		return undecided(c);
	if (!p->in_place && !p->patterns)
		return key_of_plain_plan(c, f, s, (uint32_t)len);
	if (p->in_place) {
		if (f->nnames == f->capnames &&
		    dbc_grow(c->ctx, &f->names, f->nnames, &f->capnames, sizeof(js_member), 16) != DBC_OK)
			return DBC_ERROR;
		const char *key = s ? s : "";
		if (!c->borrow && !(key = dbc_js_alloc_strn(&(js_alloc){.ctx = c->ctx}, key, len)))
			return DBC_ERROR;
		f->names[f->nnames++] = (js_member){.key = key, .klen = len};
	}
	const js_slot *slot = dbc_js_plan_slot(p, s ? s : "", (uint32_t)len);
	const js_node **nodes = c->multi;
	int n = 0;
	if (slot) {
		f->seen |= 1ull << (slot - p->slots);
		if (slot->node)
			nodes[n++] = slot->node;
	}
	bool covered = n > 0;
	if (p->patterns) {
		js_path where = {.key = "patternProperties", .klen = JS_PATH_CSTR};
		for (size_t i = 0; i < p->patterns->n; i++) {
			const js_member *pm = &p->patterns->u.members[i];
			int hit =
			    dbc_js_regex_search(c->ctx, pm->re, s ? s : "", len, &c->r.regex_steps, &where);
			if (hit < 0)
				return DBC_ERROR;
			if (hit && js_node_of(pm->val)) {
				if (n == JS_CHECK_MEMBER_NODES)
					return undecided(c);
				covered = true;
				nodes[n++] = js_node_of(pm->val);
			}
		}
	}
	if (!covered) {
		if (p->extra_false)
			return undecided(c);
		if (p->extra)
			nodes[n++] = p->extra;
	}
	if (n == 1)
		f->next = nodes[0];
	else if (n > 1)
		c->nmulti = n;
	return DBC_OK;
}

static int check_string(void *arg, const char *s, size_t len)
{
	js_check *c = arg;
	if (c->undecided)
		return DBC_OK;
	if (c->sub)
		return dbc_js_build_string(c->sub, s, len);
	if (len > UINT32_MAX)
		return undecided(c);
	js_val v = {.kind = JV_STR, .n = (uint32_t)len, .u.s = s ? s : ""};
	return scalar(c, &v);
}

static int check_number(void *arg, const char *text)
{
	js_check *c = arg;
	if (c->undecided)
		return DBC_OK;
	if (c->sub)
		return dbc_js_build_number(c->sub, text);
	/* the builder's reading of a number (js_build.c); anything it would
	 * refuse is the evaluator's to word */
	js_val v = {0};
	const char *end = text;
	if (dbc_js_short_number(&end, &v) && *end == '\0')
		return scalar(c, &v);
	if (!((*text >= '0' && *text <= '9') || (*text == '-' && text[1] >= '0' && text[1] <= '9')))
		return undecided(c);
	errno = 0;
	if (!strpbrk(text, ".eE")) {
		long long i = strtoll(text, NULL, 10);
		if (errno != ERANGE) {
			v.kind = JV_INT;
			v.u.i = i;
			return scalar(c, &v);
		}
	}
	errno = 0;
	double d = strtod(text, NULL);
	if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
		return undecided(c);
	v.kind = JV_REAL;
	v.u.d = d;
	return scalar(c, &v);
}

/* A number handed over as its value (dbc_js_build_int, _real). */
static int check_value(void *arg, const js_val *v)
{
	js_check *c = arg;
	if (c->undecided)
		return DBC_OK;
	if (c->sub)
		return v->kind == JV_INT ? dbc_js_build_int(c->sub, v->u.i)
		                         : dbc_js_build_real(c->sub, v->u.d);
	js_val copy = *v;
	return scalar(c, &copy);
}

static int check_literal(void *arg, js_kind kind)
{
	js_check *c = arg;
	if (c->undecided)
		return DBC_OK;
	if (c->sub)
		return kind == JV_NULL ? dbc_js_build_null(c->sub)
		                       : dbc_js_build_bool(c->sub, kind == JV_TRUE);
	js_val v = {.kind = (unsigned char)kind};
	return scalar(c, &v);
}

static const js_token_sink check_sink = {
    .open = check_open,
    .close = check_close,
    .key = check_key,
    .string = check_string,
    .number = check_number,
    .value = check_value,
    .literal = check_literal,
    .borrow = check_borrow,
};

dbc_js_builder *dbc_js_check_builder(js_check *c)
{
	return dbc_js_build_sink(c->ctx, &check_sink, c);
}

int dbc_js_check_verdict(js_check *c)
{
	if (c->ctx->failed) {
		if (!strcmp(c->ctx->sqlstate, DBC_SQLSTATE_CANCELED))
			return -1;
		dbc_error_clear(c->ctx);
		return 0;
	}
	return !c->undecided && c->rooted && c->depth == 0 && !c->sub ? 1 : 0;
}
