/*
 * js_walk.c — the compiled check over a value read through an accessor
 * (js_access.h): a host's document read in place (PostgreSQL's jsonb). js_fast.c's answer (valid,
 * surely invalid, undecided) with the same plans (js_plan.c): each member of an object is looked up
 * in its plan's slots and read only when a schema applies to it (a member no schema constrains is
 * only asked whether it is readable, its scalars never converted), an array's items go to one node,
 * a scalar's keywords are the evaluator's assertions (dbc_js_scalar_verdict), and a container whose
 * node has no plan is handed to the evaluator as a tree. A node's allOf / anyOf / oneOf / not run
 * each branch over the same value, read again, combined as the evaluator combines verdicts.
 *
 * As js_fast.c, "valid" here implies valid to the evaluator; "invalid" is
 * sure; anything else is undecided and the caller asks the evaluator
 * (dbc_js_valid_access: the whole document the usual way).
 */
#include "jsonschema/js_access.h"
#include "jsonschema/js_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Containers nested deeper are left undecided (this reader recurses). */
#define JS_WALK_DEPTH 64
/* Nesting a value no schema constrains may have below it and be passed
 * as readable; deeper: undecided (the evaluator's reading says whether
 * it is within DBC_JS_MAX_DEPTH). */
#define JS_WALK_FREE_DEPTH 256
/* Items of an array under uniqueItems compared here, each a scalar, as
 * js_fast.c; more, or a container among them: undecided. */
#define JS_WALK_UNIQUE 16
/* Members of an object whose names the in-place applicators read here;
 * more: undecided. */
#define JS_WALK_NAMES 64
/* Values read inside branches (each branch reads its value again, and
 * branches nest), as js_fast.c; more: undecided. */
#define JS_WALK_REREADS 65536u
/* Members or items asked of the host a call. */
#define JS_WALK_BATCH 16
/* Values read between two looks at a pending cancel, as js_fast.c. */
#define JS_WALK_POLL 8192u

typedef struct walk {
	js_run *r;
	const dbc_js_access *acc;
	int in_alts;      /* branches open */
	uint32_t rereads; /* values read inside them */
	uint32_t values;  /* values read, for the looks at a cancel */
} walk;

/* A container's members and items are values: mutually recursive */
static js_verdict value(walk *w, const js_node *n, const dbc_js_ref *v, int depth);

/* The evaluator's boolean as an answer: "no" is invalid unless it ended on
 * an error (a budget, a regular expression's limit, a cancel). */
static js_verdict judged(const walk *w, bool ok)
{
	return ok ? JS_VALID : w->r->ctx->failed ? JS_UNDECIDED : JS_INVALID;
}

/* A number's JSON text read as the builder reads it (js_build.c:
 * dbc_js_build_number); false for what it refuses (the evaluator's
 * reading words it). */
static bool number_text(const char *text, js_val *v)
{
	const char *end = text;
	if (dbc_js_short_number(&end, v) && *end == '\0')
		return true;
	if (!((*text >= '0' && *text <= '9') || (*text == '-' && text[1] >= '0' && text[1] <= '9')))
		return false;
	errno = 0;
	if (!strpbrk(text, ".eE")) {
		long long i = strtoll(text, NULL, 10);
		if (errno != ERANGE) {
			*v = (js_val){.kind = JV_INT, .u.i = i};
			return true;
		}
	}
	errno = 0;
	double d = strtod(text, NULL);
	if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
		return false;
	*v = (js_val){.kind = JV_REAL, .u.d = d};
	return true;
}

/* Scalar ref as the value the evaluator reads; false: undecided (the host
 * could not read a number, or the builder would refuse it). A string, a
 * boolean and null come with the ref; a number is asked for. */
static inline bool scalar_of(walk *w, const dbc_js_ref *ref, js_val *v)
{
	v->n = 0;
	switch (ref->kind) {
	case DBC_JS_REF_STRING:
		v->kind = JV_STR;
		v->n = ref->len;
		v->u.s = ref->at ? ref->at : "";
		return true;
	case DBC_JS_REF_NULL:
		v->kind = JV_NULL;
		return true;
	case DBC_JS_REF_FALSE:
		v->kind = JV_FALSE;
		return true;
	case DBC_JS_REF_TRUE:
		v->kind = JV_TRUE;
		return true;
	case DBC_JS_REF_NUMBER:
		break;
	default:
		return false;
	}
	dbc_js_number num;
	if (w->acc->number(w->r->ctx, ref, &num) != DBC_OK)
		return false;
	switch (num.kind) {
	case DBC_JS_NUMBER_INT:
		v->kind = JV_INT;
		v->u.i = num.i;
		return true;
	case DBC_JS_NUMBER_REAL:
		v->kind = JV_REAL;
		v->u.d = num.d;
		return true;
	case DBC_JS_NUMBER_TEXT:
		return number_text(num.text, v);
	default:
		return false;
	}
}

/* Whether value v under no schema is one the evaluator reads: a string, a
 * boolean and null are; a number and a container the host says. */
static inline bool readable(walk *w, const dbc_js_ref *v)
{
	return v->kind < DBC_JS_REF_NUMBER || w->acc->readable(v, JS_WALK_FREE_DEPTH);
}

/* The evaluator's verdict on value v against n, handed over as a tree. */
static js_verdict evaluated(walk *w, const js_node *n, const dbc_js_ref *v)
{
	const dbc_js_doc *tree;
	if (dbc_js_build_ref(w->r->ctx, v, w->acc->build, &tree) != DBC_OK)
		return JS_UNDECIDED;
	return judged(w, dbc_js_eval_value(w->r, n, tree));
}

/* Object v against plan p, its alts aside: each member against its slot's,
 * patterns' or additionalProperties' nodes, then bounds, required names and
 * the in-place applicators on a skeleton of its names (values null). The
 * accessor hands the members unique and in dbc_js_member_cmp's order. */
static js_verdict object(walk *w, const js_plan *p, const dbc_js_ref *v, int depth)
{
	static js_val null_value = {.kind = JV_NULL};
	js_member names[JS_WALK_NAMES];
	uint32_t count = w->acc->count(v);
	if (p->in_place && count > JS_WALK_NAMES)
		return JS_UNDECIDED;
	uint64_t seen = 0;
	dbc_js_cursor cur;
	dbc_js_item batch[JS_WALK_BATCH];
	uint32_t got, i = 0;
	w->acc->open(v, &cur);
	while ((got = w->acc->next(&cur, batch, JS_WALK_BATCH)) > 0)
		for (uint32_t b = 0; b < got; b++, i++) {
			const char *key = batch[b].key ? batch[b].key : "";
			uint32_t klen = batch[b].klen;
			const dbc_js_ref *m = &batch[b].val;
			if (p->in_place && i < JS_WALK_NAMES)
				names[i] = (js_member){.key = key, .klen = klen, .val = &null_value};
			const js_node *nodes[JS_MEMBER_NODES];
			int n = 0;
			const js_slot *slot = dbc_js_plan_slot(p, key, klen);
			if (slot) {
				seen |= 1ull << (slot - p->slots);
				if (slot->node)
					nodes[n++] = slot->node;
			}
			js_verdict r = !dbc_js_plan_patterns_may(p, key, klen)
			                   ? dbc_js_plan_extra(p, n > 0, nodes, &n)
			                   : dbc_js_plan_member_nodes(w->r, p, key, klen, nodes, &n);
			if (r == JS_VALID && n == 0 && !readable(w, m))
				r = JS_UNDECIDED;
			for (int k = 0; k < n && r == JS_VALID; k++)
				r = value(w, nodes[k], m, depth + 1);
			if (r != JS_VALID)
				return r;
		}
	if (i != count)
		return JS_UNDECIDED; /* cannot be: the host counts what it hands */
	if (!dbc_js_plan_within(p, count) || (seen & p->required) != p->required)
		return JS_INVALID;
	if (!p->in_place)
		return JS_VALID;
	js_verdict names_only = dbc_js_plan_names_verdict(p, seen);
	if (names_only != JS_UNDECIDED)
		return names_only;
	js_val skeleton = {.kind = JV_OBJ, .n = count, .u.members = names};
	return judged(w, dbc_js_eval_in_place(w->r, p->node, &skeleton));
}

/* Array v against plan p, its alts aside. */
static js_verdict array(walk *w, const js_plan *p, const dbc_js_ref *v, int depth)
{
	uint32_t count = w->acc->count(v);
	dbc_js_cursor cur;
	dbc_js_item batch[JS_WALK_BATCH];
	uint32_t got, i = 0;
	if (p->unique) {
		js_val seen[JS_WALK_UNIQUE];
		if (count > JS_WALK_UNIQUE)
			return JS_UNDECIDED;
		w->acc->open(v, &cur);
		while ((got = w->acc->next(&cur, batch, JS_WALK_BATCH)) > 0)
			for (uint32_t b = 0; b < got; b++, i++) {
				if (i >= count || batch[b].val.kind >= DBC_JS_REF_ARRAY ||
				    !scalar_of(w, &batch[b].val, &seen[i]))
					return JS_UNDECIDED;
				for (uint32_t j = 0; j < i; j++)
					if (dbc_js_equal(&seen[j], &seen[i]))
						return JS_INVALID;
			}
		i = 0;
	}
	w->acc->open(v, &cur);
	while ((got = w->acc->next(&cur, batch, JS_WALK_BATCH)) > 0)
		for (uint32_t b = 0; b < got; b++, i++) {
			js_verdict r = value(w, p->items, &batch[b].val, depth + 1);
			if (r != JS_VALID)
				return r;
		}
	if (i != count)
		return JS_UNDECIDED;
	return dbc_js_plan_within(p, count) ? JS_VALID : JS_INVALID;
}

static js_verdict container(walk *w, const js_plan *p, const dbc_js_ref *v, int depth)
{
	return v->kind == DBC_JS_REF_OBJECT ? object(w, p, v, depth) : array(w, p, v, depth);
}

/* Container v against plan p and the alts of its node, combined as
 * js_fast.c's alternatives combine them: the plan's own keywords (unless it
 * has none), allOf (all valid), anyOf (one valid), oneOf (exactly one
 * valid), not (invalid), each branch over the same value. */
static js_verdict alternatives(walk *w, const js_plan *p, const dbc_js_ref *v, int depth)
{
	const js_node *n = p->node;
	const js_val *all = n->kw[KW_ALL_OF], *any = n->kw[KW_ANY_OF], *one = n->kw[KW_ONE_OF];
	js_verdict r = JS_VALID;
	if ((!dbc_js_plan_only_alts(p) || !(all || any || one)) &&
	    (r = container(w, p, v, depth)) != JS_VALID)
		return r;
	w->in_alts++;
	for (size_t i = 0; all && i < all->n && r != JS_INVALID; i++)
		r = dbc_js_worse(r, value(w, js_node_of(all->u.items[i]), v, depth + 1));
	if (any && r != JS_INVALID) {
		js_verdict some = JS_INVALID;
		for (size_t i = 0; i < any->n && some != JS_VALID; i++) {
			js_verdict b = value(w, js_node_of(any->u.items[i]), v, depth + 1);
			some = dbc_js_any_of(some, b);
		}
		r = dbc_js_worse(r, some);
	}
	if (one && r != JS_INVALID) {
		int valid = 0;
		bool unsure = false;
		for (size_t i = 0; i < one->n && valid < 2; i++) {
			js_verdict b = value(w, js_node_of(one->u.items[i]), v, depth + 1);
			valid += b == JS_VALID;
			unsure |= b == JS_UNDECIDED;
		}
		r = dbc_js_worse(r, dbc_js_one_of(valid, unsure));
	}
	if (n->kw[KW_NOT] && r != JS_INVALID) {
		js_verdict b = value(w, js_node_of(n->kw[KW_NOT]), v, depth + 1);
		r = dbc_js_worse(r, dbc_js_not(b));
	}
	w->in_alts--;
	return r;
}

/* Whether the value now read may be: false on a cancel (its error set)
 * or past JS_WALK_REREADS values read inside branches. */
static bool see_value(walk *w)
{
	if (w->in_alts && ++w->rereads > JS_WALK_REREADS)
		return false;
	if (++w->values % JS_WALK_POLL == 0) {
		dbc_ctx *ctx = w->r->ctx;
		if (ctx->host && ctx->host->interrupted && ctx->host->interrupted(ctx)) {
			dbc_error(ctx, DBC_SQLSTATE_CANCELED, "canceled");
			return false;
		}
	}
	return true;
}

/* Value v against node n (NULL: any value). */
static js_verdict value(walk *w, const js_node *n, const dbc_js_ref *v, int depth)
{
	if (depth > JS_WALK_DEPTH || !see_value(w))
		return JS_UNDECIDED;
	const js_node *target = n ? dbc_js_plan_target(n) : NULL;
	if (n && !target)
		return evaluated(w, n, v); /* too many hops */
	if (!target || target->schema->kind == JV_TRUE)
		return readable(w, v) ? JS_VALID : JS_UNDECIDED;
	if (target->schema->kind == JV_FALSE)
		return JS_INVALID;
	if (v->kind < DBC_JS_REF_ARRAY) {
		js_val s;
		return scalar_of(w, v, &s) ? dbc_js_scalar_verdict(w->r, target, &s) : JS_UNDECIDED;
	}
	js_kind kind = v->kind == DBC_JS_REF_OBJECT ? JV_OBJ : JV_ARR;
	if (!(target->type_kinds & (1u << kind)))
		return JS_INVALID;
	const js_plan *p = kind == JV_OBJ ? target->obj_plan : target->arr_plan;
	if (!p)
		return evaluated(w, target, v);
	return p->alts ? alternatives(w, p, v, depth) : container(w, p, v, depth);
}

/* The compiled check's answer on value v, read through acc, against node
 * n (NULL: any value): valid when it surely passes, invalid when it surely
 * fails, else undecided (an error may be left in r's ctx). */
static js_verdict walk_verdict(js_run *r, const dbc_js_access *acc, const js_node *n,
                               const dbc_js_ref *v)
{
	walk w = {.r = r, .acc = acc};
	return value(&w, n, v, 0);
}

int dbc_js_valid_access(dbc_ctx *ctx, dbc_js_cache *cache, const char *schema,
                        bool format_assertion, const dbc_js_access *acc, const dbc_js_ref *root,
                        int *verdict)
{
	dbc_js_options opts = {.format_assertion = format_assertion, .check_meta = true};
	const dbc_js_schema *s;
	dbc_js_schema *owned;
	*verdict = 0;
	if (dbc_js_schema_get(ctx, cache, schema, &opts, &s, &owned) != DBC_OK)
		return DBC_ERROR;
	if (s->compiled_check) {
		/* budget 1 and 4096: as js_fast.c's run (an evaluation past its
		 * free steps ends undecided, and the usual way runs the document
		 * with the budget its whole tree earns) */
		js_run r = {.ctx = ctx,
		            .s = s,
		            .next_check = 4096,
		            .budget = 1,
		            .stack_base = (uintptr_t)__builtin_frame_address(0)};
		*verdict = walk_verdict(&r, acc, s->root, root) == JS_VALID ? 1 : 0;
		if (ctx->failed) {
			/* a cancel is the call's error; any other leaves the
			 * document to the usual way, which words it */
			if (!strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED))
				*verdict = -1;
			else {
				dbc_error_clear(ctx);
				*verdict = 0;
			}
		}
	}
	dbc_js_free(owned);
	return *verdict < 0 ? DBC_ERROR : DBC_OK;
}
