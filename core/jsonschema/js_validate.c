/*
 * js_validate.c — the evaluator: references (static and dynamic), the
 * applicator keywords and the unevaluated* annotations, over the assertions
 * of js_assert.c. Evaluation is a recursion bounded by JS_STACK_BYTES of C
 * stack, so a $ref loop that never consumes the instance ends in an error,
 * and so does a document too deep for that stack.
 *
 * Annotations ("which members / items has some subschema evaluated") are
 * tracked only when a schema uses unevaluatedProperties or unevaluatedItems:
 * a js_marks array per instance, filled in place and merged from a branch
 * only when that branch succeeded.
 */
#include "jsonschema/js_private.h"

#include <string.h>

typedef struct js_marks {
	bool *seen; /* one per member (objects) or item (arrays) */
	size_t n;
} js_marks;

/* mutually recursive: eval runs the keywords below, which eval subschemas */
static bool eval(js_run *r, const js_node *n, const js_val *inst, const js_path *ip,
                 const js_path *sp, const js_scope *scope, js_marks *marks);

static js_marks *marks_new(js_run *r, const js_val *inst)
{
	if (inst->kind != JV_OBJ && inst->kind != JV_ARR)
		return NULL;
	js_marks *m = dbc_zalloc(r->ctx, sizeof(js_marks));
	if (!m || !(m->seen = dbc_zalloc(r->ctx, inst->n + 1)))
		return NULL;
	m->n = inst->n;
	return m;
}

static void marks_merge(js_marks *into, const js_marks *from)
{
	if (into && from)
		for (size_t i = 0; i < into->n; i++)
			into->seen[i] |= from->seen[i];
}

static void mark(js_marks *m, size_t i)
{
	if (m && i < m->n)
		m->seen[i] = true;
}

static bool is_schema(const js_val *v)
{
	return js_node_of(v) != NULL;
}

/* $ref hops a leaf test follows: a node that is only a $ref (drafts 4-7)
 * is its target, and a chain of them may loop. */
#define JS_LEAF_HOPS 4

/* Whether n (or the target of a $ref-only n) surely fails inst by its
 * "type" before any other keyword is read: it has no other reference
 * evaluated ahead of its assertions, and its type admits no value of
 * inst's kind. Then the evaluation counts as the steps it would have been
 * (the budget is unchanged), unless a check of the budget and of a cancel
 * is due (eval makes it). Only for quiet evaluations: nothing is reported
 * and a failed branch's annotations are dropped either way. */
static inline bool type_rejects(js_run *r, const js_node *n, const js_val *inst)
{
	uint64_t steps = r->steps + 1;
	for (int hop = 0; n->ref_only && n->ref && hop < JS_LEAF_HOPS; hop++) {
		n = n->ref;
		steps++;
	}
	if (n->ref || n->dynamic_ref || (n->type_kinds & (1u << inst->kind)) || steps >= r->next_check)
		return false;
	r->steps = steps;
	return true;
}

/* A subschema's evaluation whose failure the caller reports itself. Inlined
 * in its callers: most anyOf / oneOf branches fail by type_rejects, with
 * no call. */
static inline __attribute__((always_inline)) bool quietly(js_run *r, const js_node *n,
                                                          const js_val *inst, const js_path *ip,
                                                          const js_path *sp, const js_scope *scope,
                                                          js_marks *marks)
{
	if (type_rejects(r, n, inst))
		return false;
	r->quiet++;
	bool ok = eval(r, n, inst, ip, sp, scope, marks);
	r->quiet--;
	return ok;
}

static const char *show(js_run *r, const js_val *v)
{
	return dbc_js_excerpt(r->ctx, v, 60);
}

/* Whether the assertion keywords of n, a node that is nothing else on
 * inst's kind (js_node.asserts_only_kinds), accept inst: what eval would
 * answer, without its frame. Quiet; an error of a regular expression is
 * cleared and the answer is no, so that eval, which then judges n, makes
 * it again with its path. */
static bool asserts_accept(js_run *r, const js_node *n, const js_val *inst)
{
	if (r->ctx->failed)
		return false;
	r->quiet++;
	bool ok = dbc_js_assert_keywords(r, n, inst, NULL, NULL);
	r->quiet--;
	if (r->ctx->failed) {
		dbc_error_clear(r->ctx);
		return false;
	}
	return ok;
}

/* Whether n surely accepts inst as a leaf (or a $ref-only node whose
 * target is one): then it counts as the steps its evaluation would have
 * been, unless a check of the budget and of a cancel is due (eval makes
 * it). False: evaluate n the whole way. */
static inline bool leaf_accepts(js_run *r, const js_node *n, const js_val *inst)
{
	uint64_t steps = r->steps + 1;
	for (int hop = 0; n->ref_only && n->ref && hop < JS_LEAF_HOPS; hop++) {
		n = n->ref;
		steps++;
	}
	if (steps >= r->next_check)
		return false;
	if (!dbc_js_leaf_of(n, inst->kind) &&
	    !((n->asserts_only_kinds & (1u << inst->kind)) && asserts_accept(r, n, inst)))
		return false;
	r->steps = steps;
	return true;
}

/* A member's key for a message: its klen bytes (a borrowed key has no NUL). */
static const char *show_key(js_run *r, const js_member *m)
{
	return dbc_excerpt(r->ctx, dbc_strndup(r->ctx, m->key, m->klen), 60);
}

/* A member or item evaluated against a child schema: a "false" child is
 * reported as "not allowed" under the keyword, anything else speaks for itself. */
static bool eval_child(js_run *r, const js_val *child, const js_val *inst, const js_path *ip,
                       const js_path *kwpath, const char *keyword, const js_scope *scope,
                       const char *what)
{
	if (child->kind == JV_FALSE)
		return dbc_js_fail(r, ip, kwpath->up, keyword, "%s %s is not allowed", what, show(r, inst));
	return leaf_accepts(r, child->node, inst) ||
	       eval(r, child->node, inst, ip, kwpath, scope, NULL);
}

#define STEP(expr)                                                                                 \
	do {                                                                                           \
		if (!(expr)) {                                                                             \
			ok = false;                                                                            \
			if (!js_collecting(r))                                                                 \
				return false;                                                                      \
		}                                                                                          \
	} while (0)

#define KWPATH(name, k)                                                                            \
	js_path name = {.up = sp, .key = dbc_js_keyword_names[k], .klen = JS_PATH_CSTR}

/* anyOf (an array): whether a schema of it matches (else reported); with
 * marks, every one is tried, for the marks of each that matches. False
 * with the context failed on an error. */
static bool eval_any_of(js_run *r, const js_val *any, const js_val *inst, const js_path *ip,
                        const js_path *sp, const js_scope *scope, js_marks *marks)
{
	KWPATH(at, KW_ANY_OF);
	bool matched = false;
	for (size_t i = 0; i < any->n && (!matched || marks); i++) {
		js_path el = {.up = &at, .index = i};
		js_marks *local = marks ? marks_new(r, inst) : NULL;
		if (is_schema(any->u.items[i]) &&
		    quietly(r, any->u.items[i]->node, inst, ip, &el, scope, local)) {
			matched = true;
			marks_merge(marks, local);
		}
		if (r->ctx->failed)
			return false;
	}
	return matched || dbc_js_fail(r, ip, sp, "anyOf", "%s matches none of the schemas of anyOf",
	                              show(r, inst));
}

/* oneOf (an array): whether exactly one of its schemas matches (else
 * reported, naming the first two that do). False with the context failed
 * on an error. */
static bool eval_one_of(js_run *r, const js_val *one, const js_val *inst, const js_path *ip,
                        const js_path *sp, const js_scope *scope, js_marks *marks)
{
	KWPATH(at, KW_ONE_OF);
	size_t matched = 0, first = 0, second = 0;
	for (size_t i = 0; i < one->n; i++) {
		js_path el = {.up = &at, .index = i};
		js_marks *local = marks ? marks_new(r, inst) : NULL;
		if (is_schema(one->u.items[i]) &&
		    quietly(r, one->u.items[i]->node, inst, ip, &el, scope, local)) {
			if (matched++ == 0)
				first = i;
			else
				second = i;
			marks_merge(marks, local);
			if (matched > 1)
				break;
		}
		if (r->ctx->failed)
			return false;
	}
	if (matched == 0)
		return dbc_js_fail(r, ip, sp, "oneOf", "%s matches none of the schemas of oneOf",
		                   show(r, inst));
	if (matched > 1)
		return dbc_js_fail(r, ip, sp, "oneOf",
		                   "%s matches more than one schema of oneOf (%zu and %zu)", show(r, inst),
		                   first, second);
	return true;
}

/* allOf, anyOf, oneOf, not, if/then/else, dependentSchemas: in place. */
__attribute__((noinline)) static bool eval_logic(js_run *r, const js_node *n, const js_val *inst,
                                                 const js_path *ip, const js_path *sp,
                                                 const js_scope *scope, js_marks *marks)
{
	const js_val *const *kw = n->kw;
	bool ok = true;
	const js_val *all = kw[KW_ALL_OF];
	if (all && all->kind == JV_ARR) {
		KWPATH(at, KW_ALL_OF);
		for (size_t i = 0; i < all->n; i++) {
			js_path el = {.up = &at, .index = i};
			if (is_schema(all->u.items[i]))
				STEP(eval(r, all->u.items[i]->node, inst, ip, &el, scope, marks));
		}
	}
	const js_val *any = kw[KW_ANY_OF];
	if (any && any->kind == JV_ARR) {
		bool matched = eval_any_of(r, any, inst, ip, sp, scope, marks);
		if (r->ctx->failed)
			return false;
		STEP(matched);
	}
	const js_val *one = kw[KW_ONE_OF];
	if (one && one->kind == JV_ARR) {
		bool matched = eval_one_of(r, one, inst, ip, sp, scope, marks);
		if (r->ctx->failed)
			return false;
		STEP(matched);
	}
	const js_val *not = kw[KW_NOT];
	if (is_schema(not )) {
		KWPATH(at, KW_NOT);
		bool matched = quietly(r, not ->node, inst, ip, &at, scope, NULL);
		if (r->ctx->failed)
			return false;
		if (matched)
			STEP(dbc_js_fail(r, ip, sp, "not", "%s must not match the schema of \"not\"",
			                 show(r, inst)));
	}
	const js_val *cond = kw[KW_IF];
	if (is_schema(cond)) {
		KWPATH(at, KW_IF);
		js_marks *local = marks ? marks_new(r, inst) : NULL;
		bool holds = quietly(r, cond->node, inst, ip, &at, scope, local);
		if (r->ctx->failed)
			return false;
		if (holds)
			marks_merge(marks, local);
		const js_val *branch = holds ? kw[KW_THEN] : kw[KW_ELSE];
		if (is_schema(branch)) {
			KWPATH(bat, holds ? KW_THEN : KW_ELSE);
			STEP(eval(r, branch->node, inst, ip, &bat, scope, marks));
		}
	}
	const js_val *deps[2] = {kw[KW_DEPENDENT_SCHEMAS], kw[KW_DEPENDENCIES]};
	for (int d = 0; d < 2; d++) {
		if (!deps[d] || deps[d]->kind != JV_OBJ || inst->kind != JV_OBJ)
			continue;
		KWPATH(at, d == 0 ? KW_DEPENDENT_SCHEMAS : KW_DEPENDENCIES);
		for (size_t i = 0; i < deps[d]->n; i++) {
			const js_member *m = &deps[d]->u.members[i];
			if (!is_schema(m->val) || !dbc_js_get_n(inst, m->key, m->klen))
				continue;
			js_path el = {.up = &at, .key = m->key, .klen = m->klen};
			STEP(eval(r, m->val->node, inst, ip, &el, scope, marks));
		}
	}
	return ok;
}

__attribute__((noinline)) static bool eval_array(js_run *r, const js_node *n, const js_val *inst,
                                                 const js_path *ip, const js_path *sp,
                                                 const js_scope *scope, js_marks *marks)
{
	const js_val *const *kw = n->kw;
	bool ok = true;
	size_t done = 0; /* items before this index are covered by a tuple keyword */
	const js_val *tuple =
	    n->draft == DBC_JS_DRAFT2020
	        ? kw[KW_PREFIX_ITEMS]
	        : (kw[KW_ITEMS] && kw[KW_ITEMS]->kind == JV_ARR ? kw[KW_ITEMS] : NULL);
	const js_val *rest = n->draft == DBC_JS_DRAFT2020 ? kw[KW_ITEMS] : kw[KW_ADDITIONAL_ITEMS];
	js_keyword tuple_kw = n->draft == DBC_JS_DRAFT2020 ? KW_PREFIX_ITEMS : KW_ITEMS;
	js_keyword rest_kw = n->draft == DBC_JS_DRAFT2020 ? KW_ITEMS : KW_ADDITIONAL_ITEMS;
	if (n->draft != DBC_JS_DRAFT2020 && is_schema(kw[KW_ITEMS])) {
		tuple = NULL;
		rest = kw[KW_ITEMS];
		rest_kw = KW_ITEMS;
	} else if (n->draft != DBC_JS_DRAFT2020 && !tuple)
		rest = NULL; /* additionalItems means nothing without an items array */
	if (tuple && tuple->kind == JV_ARR) {
		KWPATH(at, tuple_kw);
		for (size_t i = 0; i < tuple->n && i < inst->n; i++) {
			js_path el = {.up = &at, .index = i}, iel = {.up = ip, .index = i};
			if (is_schema(tuple->u.items[i]))
				STEP(eval_child(r, tuple->u.items[i], inst->u.items[i], &iel, &el,
				                dbc_js_keyword_names[tuple_kw], scope, "the item"));
			mark(marks, i);
		}
		done = tuple->n;
	}
	if (is_schema(rest)) {
		KWPATH(at, rest_kw);
		for (size_t i = done; i < inst->n; i++) {
			js_path iel = {.up = ip, .index = i};
			STEP(eval_child(r, rest, inst->u.items[i], &iel, &at, dbc_js_keyword_names[rest_kw],
			                scope, "the item"));
			mark(marks, i);
		}
	}
	const js_val *contains = kw[KW_CONTAINS];
	if (is_schema(contains)) {
		KWPATH(at, KW_CONTAINS);
		int64_t min = 1, max = -1;
		const js_val *minc = kw[KW_MIN_CONTAINS], *maxc = kw[KW_MAX_CONTAINS];
		if (minc && dbc_js_is_integer(minc, DBC_JS_DRAFT2020) && dbc_js_num(minc) >= 0)
			min = (int64_t)dbc_js_num(minc);
		if (maxc && dbc_js_is_integer(maxc, DBC_JS_DRAFT2020) && dbc_js_num(maxc) >= 0)
			max = (int64_t)dbc_js_num(maxc);
		int64_t count = 0;
		for (size_t i = 0; i < inst->n; i++) {
			js_path iel = {.up = ip, .index = i};
			if (quietly(r, contains->node, inst->u.items[i], &iel, &at, scope, NULL)) {
				count++;
				if (n->draft == DBC_JS_DRAFT2020)
					mark(marks, i);
			}
			if (r->ctx->failed)
				return false;
		}
		if (count < min)
			STEP(dbc_js_fail(
			    r, ip, sp, min == 1 ? "contains" : "minContains",
			    "the array has %lld items matching the schema of contains, fewer than %lld",
			    (long long)count, (long long)min));
		if (max >= 0 && count > max)
			STEP(dbc_js_fail(
			    r, ip, sp, "maxContains",
			    "the array has %lld items matching the schema of contains, more than %lld",
			    (long long)count, (long long)max));
	}
	return ok;
}

__attribute__((noinline)) static bool eval_object(js_run *r, const js_node *n, const js_val *inst,
                                                  const js_path *ip, const js_path *sp,
                                                  const js_scope *scope, js_marks *marks)
{
	const js_val *const *kw = n->kw;
	bool ok = true;
	const js_val *props = kw[KW_PROPERTIES], *pp = kw[KW_PATTERN_PROPERTIES];
	const js_val *extra = kw[KW_ADDITIONAL_PROPERTIES], *names = kw[KW_PROPERTY_NAMES];
	if (props && props->kind != JV_OBJ)
		props = NULL;
	if (pp && pp->kind != JV_OBJ)
		pp = NULL;
	if (!is_schema(extra))
		extra = NULL;
	if (!props && !pp && !extra && !is_schema(names))
		return true;
	KWPATH(props_at, KW_PROPERTIES);
	KWPATH(pp_at, KW_PATTERN_PROPERTIES);
	KWPATH(extra_at, KW_ADDITIONAL_PROPERTIES);
	KWPATH(names_at, KW_PROPERTY_NAMES);
	/* members and properties are both in key order: a merge, unless the
	 * schema names many more properties than the instance has members */
	bool merge = props && props->n <= 4 * (size_t)inst->n;
	size_t from = 0;
	for (size_t i = 0; i < inst->n; i++) {
		const js_member *m = &inst->u.members[i];
		js_path iel = {.up = ip, .key = m->key, .klen = m->klen};
		bool covered = false;
		/* by the key's bytes: no name holds a NUL (dbc_js_parse refuses
		 * them and jsonb cannot store them), so no strlen per member */
		const js_val *p = !props  ? NULL
		                  : merge ? dbc_js_get_ascending(props, &from, m->key, m->klen)
		                          : dbc_js_get_n(props, m->key, m->klen);
		if (is_schema(p)) {
			covered = true;
			js_path el = {.up = &props_at, .key = m->key, .klen = m->klen};
			STEP(eval_child(r, p, m->val, &iel, &el, "properties", scope, "the property value"));
		}
		if (pp)
			for (size_t k = 0; k < pp->n; k++) {
				const js_member *pm = &pp->u.members[k];
				js_path where = {.up = &pp_at, .key = pm->key, .klen = pm->klen};
				int hit =
				    dbc_js_regex_search(r->ctx, pm->re, m->key, m->klen, &r->regex_steps, &where);
				if (hit < 0)
					return false;
				if (!hit || !is_schema(pm->val))
					continue;
				covered = true;
				js_path el = {.up = &pp_at, .key = pm->key, .klen = pm->klen};
				STEP(eval_child(r, pm->val, m->val, &iel, &el, "patternProperties", scope,
				                "the property value"));
			}
		if (extra && !covered) {
			covered = true;
			if (extra->kind == JV_FALSE)
				STEP(dbc_js_fail(r, &iel, sp, "additionalProperties",
				                 "the property \"%s\" is not allowed", show_key(r, m)));
			else
				STEP(leaf_accepts(r, extra->node, m->val) ||
				     eval(r, extra->node, m->val, &iel, &extra_at, scope, NULL));
		}
		if (covered)
			mark(marks, i);
		if (is_schema(names)) {
			js_val key = {.kind = JV_STR, .n = m->klen, .u.s = m->key};
			if (names->kind == JV_FALSE)
				STEP(dbc_js_fail(r, &iel, sp, "propertyNames",
				                 "the property name %s is not allowed", show(r, &key)));
			else
				STEP(eval(r, names->node, &key, &iel, &names_at, scope, NULL));
		}
	}
	return ok;
}

/* unevaluatedItems / unevaluatedProperties over what `seen` left. */
__attribute__((noinline)) static bool eval_unevaluated(js_run *r, const js_node *n,
                                                       const js_val *inst, const js_path *ip,
                                                       const js_path *sp, const js_scope *scope,
                                                       js_marks *seen)
{
	bool ok = true;
	js_keyword k = inst->kind == JV_OBJ ? KW_UNEVALUATED_PROPERTIES : KW_UNEVALUATED_ITEMS;
	const js_val *u = n->kw[k];
	if (!is_schema(u) || !seen)
		return true;
	KWPATH(at, k);
	for (size_t i = 0; i < inst->n; i++) {
		if (seen->seen[i])
			continue;
		if (inst->kind == JV_OBJ) {
			const js_member *m = &inst->u.members[i];
			js_path iel = {.up = ip, .key = m->key, .klen = m->klen};
			if (u->kind == JV_FALSE)
				STEP(dbc_js_fail(r, &iel, sp, "unevaluatedProperties",
				                 "the property \"%s\" is not allowed (unevaluated)",
				                 show_key(r, m)));
			else
				STEP(eval(r, u->node, m->val, &iel, &at, scope, NULL));
		} else {
			js_path iel = {.up = ip, .index = i};
			STEP(eval_child(r, u, inst->u.items[i], &iel, &at, "unevaluatedItems", scope,
			                "the unevaluated item"));
		}
		seen->seen[i] = true;
	}
	return ok;
}

/* The target of $dynamicRef / $recursiveRef in the current dynamic scope:
 * the outermost resource that has the anchor, i.e. the last one met going
 * out from the innermost (no array of the chain: it is as long as the
 * evaluation is deep). */
__attribute__((noinline)) static const js_node *dynamic_target(js_run *r, const js_node *n,
                                                               const js_scope *scope)
{
	const js_node *target = n->dynamic_ref, *outermost = NULL;
	if (n->kw[KW_RECURSIVE_REF]) {
		if (!target->res || !target->res->recursive_anchor || target != target->res->root)
			return target;
		for (const js_scope *s = scope; s; s = s->up)
			if (s->res->recursive_anchor)
				outermost = s->res->root;
		return outermost ? outermost : target;
	}
	if (!n->dynamic_name)
		return target;
	for (const js_scope *s = scope; s; s = s->up) {
		const js_node *hit = dbc_js_find_dynamic_anchor(r->s, s->res, n->dynamic_name);
		if (hit)
			outermost = hit;
	}
	return outermost ? outermost : target;
}

/* Every document may take this many evaluation steps, and this many more
 * per value in it. Subschemas that evaluate the same values again and
 * again (anyOf / oneOf branches that all recurse) double the work at each
 * level; the budget turns that into an error instead of a hang. */
#define JS_STEPS_FREE           1000000u
#define JS_STEPS_PER_VALUE      200u
#define JS_STEPS_BETWEEN_CHECKS 4096u
/* C stack one validation may use (eval's recursion). An AddressSanitizer
 * build gives each frame redzones (about three times the size), so it may
 * use four times as much: the same schemas and documents evaluate the same
 * way in the memory-checked build as in the plain one (8 MB stacks hold
 * either). */
#if defined(__SANITIZE_ADDRESS__)
#define JS_STACK_BYTES (4 * 1024 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JS_STACK_BYTES (4 * 1024 * 1024)
#endif
#endif
#ifndef JS_STACK_BYTES
#define JS_STACK_BYTES (1024 * 1024)
#endif

/* Values in v, counted without recursion (documents nest deep): an
 * explicit stack of (container, next child) in the arena. */
static uint64_t count_values(dbc_ctx *ctx, const js_val *v)
{
	typedef struct {
		const js_val *v;
		size_t next;
	} at;
	at *stack = NULL;
	int depth = 0, cap = 0;
	uint64_t n = 1;
	if ((v->kind == JV_ARR || v->kind == JV_OBJ) &&
	    dbc_grow(ctx, &stack, depth, &cap, sizeof(at), 64) == DBC_OK)
		stack[depth++] = (at){v, 0};
	while (depth > 0) {
		at *top = &stack[depth - 1];
		if (top->next == top->v->n) {
			depth--;
			continue;
		}
		const js_val *child =
		    top->v->kind == JV_ARR ? top->v->u.items[top->next] : top->v->u.members[top->next].val;
		top->next++;
		n++;
		if ((child->kind == JV_ARR || child->kind == JV_OBJ) && child->n) {
			if (dbc_grow(ctx, &stack, depth, &cap, sizeof(at), 64) != DBC_OK)
				break; /* out of memory: the error is set */
			stack[depth++] = (at){child, 0};
		}
	}
	return n;
}

/* Every JS_STEPS_BETWEEN_CHECKS steps: a pending cancel ends the call, and
 * past JS_STEPS_FREE the steps are held against the document's budget
 * (counted then, so small documents never pay for counting). */
static bool eval_budget(js_run *r)
{
	r->next_check = r->steps + JS_STEPS_BETWEEN_CHECKS;
	dbc_ctx *ctx = r->ctx;
	if (ctx->host && ctx->host->interrupted && ctx->host->interrupted(ctx)) {
		if (!ctx->failed)
			dbc_error(ctx, DBC_SQLSTATE_CANCELED, "canceled");
		return false;
	}
	if (r->steps < JS_STEPS_FREE)
		return true;
	if (!r->budget)
		r->budget = JS_STEPS_FREE + JS_STEPS_PER_VALUE * count_values(ctx, r->doc);
	if (r->steps <= r->budget)
		return true;
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "the schema's evaluation of the document took too many steps (more than %llu)",
	          (unsigned long long)r->budget);
	dbc_error_hint(ctx, "Subschemas that all evaluate the same values (anyOf or oneOf branches "
	                    "that each recurse) double the work at every level of the document.");
	return false;
}

static bool eval(js_run *r, const js_node *n, const js_val *inst, const js_path *ip,
                 const js_path *sp, const js_scope *scope, js_marks *marks)
{
	if (++r->steps >= r->next_check && !eval_budget(r))
		return false;
	/* Drafts 4-7: a node that is only a $ref stands for its target. When
	 * nothing below is reported (no path is printed) and both are in the
	 * resource already in scope (no scope to enter), up to JS_LEAF_HOPS
	 * hops are taken here instead of by a call each: the same steps, depth
	 * and scope; a $ref loop still ends at the stack's bound. */
	int hops = 0;
	while (n->ref_only && n->ref && hops < JS_LEAF_HOPS && !js_collecting(r) && scope &&
	       scope->res == n->res && n->ref->res == n->res) {
		n = n->ref;
		hops++;
		if (++r->steps >= r->next_check && !eval_budget(r))
			return false;
	}
	if (n->schema->kind == JV_TRUE)
		return true;
	if (n->schema->kind == JV_FALSE)
		return dbc_js_fail(r, ip, sp, "false", "%s is not allowed: the schema is false",
		                   show(r, inst));
	/* the stack, not a count of levels, bounds the recursion: a document
	 * nested as deep as the engine's JSON accepts is evaluated as deep */
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
	uintptr_t used = r->stack_base > frame ? r->stack_base - frame : frame - r->stack_base;
	if (used > JS_STACK_BYTES) {
		dbc_error(r->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "the schema's evaluation nests too deep (%d levels; a $ref loop, or a "
		          "document nested deeper than %d KB of stack can evaluate)",
		          r->depth, JS_STACK_BYTES / 1024);
		return false;
	}
	r->depth += 1 + hops;
	js_scope here = {.up = scope, .res = n->res};
	if (n->res && (!scope || scope->res != n->res))
		scope = &here;
	/* a node with unevaluated* collects its own annotations */
	js_marks *own = marks;
	unsigned kind = 1u << inst->kind;
	bool uneval = n->uneval_kinds & kind;
	if (uneval)
		own = marks_new(r, inst);
	bool ok = true;
#undef STEP
#define STEP(expr)                                                                                 \
	do {                                                                                           \
		if (!(expr)) {                                                                             \
			ok = false;                                                                            \
			if (!js_collecting(r))                                                                 \
				goto done;                                                                         \
		}                                                                                          \
	} while (0)
	if (n->ref) {
		KWPATH(at, KW_REF);
		STEP(eval(r, n->ref, inst, ip, &at, scope, own));
		if (n->ref_only)
			goto done;
	}
	if (n->dynamic_ref) {
		KWPATH(at, n->kw[KW_RECURSIVE_REF] ? KW_RECURSIVE_REF : KW_DYNAMIC_REF);
		STEP(eval(r, dynamic_target(r, n, scope), inst, ip, &at, scope, own));
	}
	/* most subschemas read nothing of most kinds: no call */
	if (n->assert_kinds & kind)
		STEP(dbc_js_assert_keywords(r, n, inst, ip, sp));
	if (n->applies_in_place)
		STEP(eval_logic(r, n, inst, ip, sp, scope, own));
	if (n->apply_kinds & kind)
		STEP(inst->kind == JV_ARR ? eval_array(r, n, inst, ip, sp, scope, own)
		                          : eval_object(r, n, inst, ip, sp, scope, own));
	if (uneval) {
		STEP(eval_unevaluated(r, n, inst, ip, sp, scope, own));
		if (ok)
			marks_merge(marks, own);
	}
done:
	r->depth -= 1 + hops;
	return ok && !r->ctx->failed;
}

/* Nodes of allOf / anyOf / oneOf / not nested in one another that
 * alts_accept judges itself; deeper: eval's (its stack bound). */
#define JS_ALTS_DEPTH 16

/* alts_accept and branch_accepts are mutually recursive */
static bool alts_accept(js_run *r, const js_node *n, const js_val *inst, int depth);

/* One branch of alts_accept, a schema (is_schema): true and false
 * schemas, a type that refuses the kind and a leaf answered without an
 * evaluation, as eval_logic's quiet branches are. */
static bool branch_accepts(js_run *r, const js_val *schema, const js_val *inst, int depth)
{
	const js_node *b = schema->node;
	if (b->schema->kind == JV_TRUE)
		return true;
	if (b->schema->kind == JV_FALSE || type_rejects(r, b, inst))
		return false;
	return leaf_accepts(r, b, inst) || alts_accept(r, b, inst, depth + 1);
}

/* A quiet evaluation of scalar inst against n. When n (past its $ref-only
 * hops) asserts nothing on inst's kind but its allOf / anyOf / oneOf / not
 * (js_node.alts_kinds: {"oneOf": [{"$ref": ...}, ...]}, a value of many
 * real schemas), its branches are judged here, each a step, without eval's
 * frame for n; otherwise, or when a check of the budget and of a cancel is
 * due, eval judges n. */
static bool alts_accept(js_run *r, const js_node *n, const js_val *inst, int depth)
{
	const js_node *t = n;
	uint64_t steps = r->steps + 1;
	for (int hop = 0; t->ref_only && t->ref && hop < JS_LEAF_HOPS; hop++) {
		t = t->ref;
		steps++;
	}
	if (t->ref_only || !(t->alts_kinds & (1u << inst->kind)) || depth > JS_ALTS_DEPTH ||
	    steps >= r->next_check)
		return eval(r, n, inst, NULL, NULL, NULL, NULL);
	r->steps = steps;
	const js_val *all = t->kw[KW_ALL_OF], *any = t->kw[KW_ANY_OF], *one = t->kw[KW_ONE_OF];
	/* as eval_logic: an item that is no schema is passed over by allOf
	 * and matches nothing in anyOf and oneOf; a not that is none is ignored */
	for (size_t i = 0; all && i < all->n; i++)
		if (is_schema(all->u.items[i]) && !branch_accepts(r, all->u.items[i], inst, depth))
			return false;
	if (any) {
		bool matched = false;
		for (size_t i = 0; i < any->n && !matched && !r->ctx->failed; i++)
			matched = is_schema(any->u.items[i]) && branch_accepts(r, any->u.items[i], inst, depth);
		if (!matched)
			return false;
	}
	if (one) {
		int matched = 0;
		for (size_t i = 0; i < one->n && matched < 2 && !r->ctx->failed; i++)
			matched +=
			    is_schema(one->u.items[i]) && branch_accepts(r, one->u.items[i], inst, depth);
		if (matched != 1)
			return false;
	}
	const js_val *not = t->kw[KW_NOT];
	if (is_schema(not ) && (branch_accepts(r, not, inst, depth) || r->ctx->failed))
		return false;
	return !r->ctx->failed;
}

bool dbc_js_eval_value(js_run *r, const js_node *n, const js_val *inst)
{
	if (leaf_accepts(r, n, inst))
		return true;
	/* a look at the node (or its $ref-only node's target) before the call:
	 * most scalars that are no leaf's go to eval */
	const js_node *t = n->ref_only && n->ref ? n->ref : n;
	if ((t->alts_kinds | (t->ref_only ? 0xff : 0)) & (1u << inst->kind))
		return alts_accept(r, n, inst, 0);
	return eval(r, n, inst, NULL, NULL, NULL, NULL);
}

bool dbc_js_eval_in_place(js_run *r, const js_node *n, const js_val *inst)
{
	return eval_logic(r, n, inst, NULL, NULL, NULL, NULL);
}

int dbc_js_validate_doc(dbc_ctx *ctx, const dbc_js_schema *s, const dbc_js_doc *document,
                        bool *valid, dbc_js_error **errors, int *nerrors, int max_errors)
{
	return dbc_js_validate_val(ctx, s, document, valid, errors, nerrors, max_errors);
}

int dbc_js_validate_val(dbc_ctx *ctx, const dbc_js_schema *s, const js_val *inst, bool *valid,
                        dbc_js_error **errors, int *nerrors, int max_errors)
{
	*valid = false;
	if (errors) {
		*errors = NULL;
		*nerrors = 0;
	}
	js_errors errs = {.max = max_errors > 0 ? max_errors : 1};
	/* frame addresses, not a local's: a sanitizer that moves addressed
	 * locals to a heap "fake stack" (use-after-return detection) leaves
	 * frame addresses on the real stack */
	js_run r = {.ctx = ctx,
	            .s = s,
	            .errors = errors ? &errs : NULL,
	            .next_check = JS_STEPS_BETWEEN_CHECKS,
	            .doc = inst,
	            .stack_base = (uintptr_t)__builtin_frame_address(0)};
	*valid = eval(&r, s->root, inst, NULL, NULL, NULL, NULL);
	if (ctx->failed) {
		*valid = false;
		return DBC_ERROR;
	}
	if (errors) {
		*errors = errs.items;
		*nerrors = errs.n;
	}
	return DBC_OK;
}
