/*
 * js_plan.c — the compiled check's plans, made once when a schema is
 * compiled (and so once per schema text and registry generation, in the
 * cache of the connection or backend): for each node a document's objects
 * and arrays meet, a flat table of what the evaluator would look up per
 * keyword (docs/json.md, "The compiled check").
 *
 * A plan is made only for a node whose keywords for that kind are all ones
 * it covers exactly: type, properties, patternProperties, required,
 * additionalProperties, minProperties, maxProperties (objects); type,
 * items (one schema), minItems, maxItems, uniqueItems (arrays); allOf /
 * anyOf / oneOf / not (on member names alone, or each branch run over the
 * value); a node of drafts 4-7 that is only a $ref is its target's plan.
 * Any other keyword of the kind (enum, const, propertyNames, dependencies,
 * contains, prefixItems, if, a $ref beside other keywords) leaves the node
 * without a plan: its instances go to the evaluator. Scalars always do (their keywords are the
 * evaluator's own assertions, run on the value read from the text).
 */
#include "jsonschema/js_private.h"

#include <stdlib.h>
#include <string.h>

/* Slots of one object plan: one bit each in js_plan.required. */
#define JS_PLAN_SLOTS 64
/* $ref-only hops followed to a plan (drafts 4-7), as the evaluator's leaf
 * test follows them. */
#define JS_PLAN_HOPS 8

static int64_t count_of(const js_val *v)
{
	if (!v)
		return -1;
	if (!dbc_js_is_integer(v, DBC_JS_DRAFT2020) || dbc_js_num(v) < 0)
		return -2; /* not a count: the evaluator ignores it; so does no plan */
	return v->kind == JV_INT ? v->u.i : (int64_t)v->u.d;
}

const js_node *dbc_js_plan_hops(const js_node *n)
{
	for (int hop = 0; n && n->ref_only && n->ref; hop++)
		if (hop == JS_PLAN_HOPS)
			return NULL;
		else
			n = n->ref;
	return n;
}

/* Whether n reads an instance only through the keywords a plan covers
 * (in_place: its in-place applicators too, which read member names only). */
static bool plain_node(const js_node *n, const js_keyword *refused, bool in_place)
{
	if (n->schema->kind != JV_OBJ || n->ref || n->dynamic_ref ||
	    (n->applies_in_place && !in_place) || n->uneval_kinds || n->kw[KW_ENUM] || n->kw[KW_CONST])
		return false;
	for (; *refused != KW_COUNT; refused++)
		if (n->kw[*refused])
			return false;
	return true;
}

/* Whether n, applied to an object, reads nothing but the object's member
 * names: type, required, min/maxProperties and in-place applicators of
 * such subschemas. Evaluated on a skeleton of the names with null values,
 * it answers as on the object itself. */
static bool names_only(js_node *n, int depth)
{
	static const js_keyword allowed[] = {KW_TYPE,           KW_REQUIRED, KW_MIN_PROPERTIES,
	                                     KW_MAX_PROPERTIES, KW_NOT,      KW_ALL_OF,
	                                     KW_ANY_OF,         KW_ONE_OF,   KW_COUNT};
	if (!n || n->schema->kind != JV_OBJ)
		return n != NULL;
	if (n->names_only >= 2)
		return n->names_only == 2;
	if (n->names_only == 1 || depth > 16)
		return false; /* a loop, or too deep to look at */
	if (n->ref || n->dynamic_ref || n->uneval_kinds)
		return n->names_only = 3, false;
	for (int k = 0; k < KW_COUNT; k++) {
		bool ok = false;
		for (const js_keyword *a = allowed; *a != KW_COUNT && !ok; a++)
			ok = (int)*a == k;
		/* format and the keywords of other kinds never read an object */
		static const js_keyword inert[] = {
		    KW_FORMAT,       KW_MULTIPLE_OF,  KW_MAXIMUM,    KW_EXCL_MAXIMUM, KW_MINIMUM,
		    KW_EXCL_MINIMUM, KW_MAX_LENGTH,   KW_MIN_LENGTH, KW_PATTERN,      KW_MAX_ITEMS,
		    KW_MIN_ITEMS,    KW_UNIQUE_ITEMS, KW_COUNT};
		for (const js_keyword *a = inert; *a != KW_COUNT && !ok; a++)
			ok = (int)*a == k;
		if (n->kw[k] && !ok)
			return n->names_only = 3, false;
	}
	n->names_only = 1;
	bool ok = true;
	const js_keyword lists[] = {KW_ALL_OF, KW_ANY_OF, KW_ONE_OF};
	for (int l = 0; l < 3 && ok; l++) {
		const js_val *v = n->kw[lists[l]];
		if (v && v->kind == JV_ARR)
			for (size_t i = 0; i < v->n && ok; i++)
				ok = !js_node_of(v->u.items[i]) || names_only(js_node_of(v->u.items[i]), depth + 1);
	}
	if (ok && n->kw[KW_NOT])
		ok = !js_node_of(n->kw[KW_NOT]) || names_only(js_node_of(n->kw[KW_NOT]), depth + 1);
	n->names_only = ok ? 2 : 3;
	return ok;
}

/* Whether n's in-place applicators all read only member names. */
static bool in_place_names_only(const js_node *n)
{
	if (n->kw[KW_IF] || n->kw[KW_DEPENDENT_SCHEMAS] || n->kw[KW_DEPENDENCIES])
		return false;
	const js_keyword lists[] = {KW_ALL_OF, KW_ANY_OF, KW_ONE_OF};
	for (int l = 0; l < 3; l++) {
		const js_val *v = n->kw[lists[l]];
		if (v && v->kind == JV_ARR)
			for (size_t i = 0; i < v->n; i++)
				if (js_node_of(v->u.items[i]) && !names_only(js_node_of(v->u.items[i]), 0))
					return false;
	}
	return !js_node_of(n->kw[KW_NOT]) || names_only(js_node_of(n->kw[KW_NOT]), 0);
}

/* Whether n's in-place applicators are allOf / anyOf / oneOf (each a
 * non-empty list of schemas) and not alone: js_fast.c runs each branch over
 * the value's text. */
static bool alternatives(const js_node *n)
{
	if (n->schema->kind != JV_OBJ || !n->applies_in_place || n->kw[KW_IF] ||
	    n->kw[KW_DEPENDENT_SCHEMAS] || n->kw[KW_DEPENDENCIES])
		return false;
	const js_keyword lists[] = {KW_ALL_OF, KW_ANY_OF, KW_ONE_OF};
	for (int l = 0; l < 3; l++) {
		const js_val *v = n->kw[lists[l]];
		if (v && (v->kind != JV_ARR || v->n == 0))
			return false;
		for (size_t i = 0; v && i < v->n; i++)
			if (!js_node_of(v->u.items[i]))
				return false;
	}
	return !n->kw[KW_NOT] || js_node_of(n->kw[KW_NOT]);
}

/* Names-only subschemas nested deeper are the skeleton's evaluation's. */
#define JS_NAMES_DEPTH 16
/* The most slots a plan's names-only applicators may read for their
 * answers to be tabled (2^6 verdicts). */
#define JS_NAMES_TABLE_BITS 6

/* A names-only subschema n (js_plan.c: names_only) on an object with p's
 * slots seen: its type and required (unless alts_only: the plan's node,
 * whose own are the plan's), then its allOf / anyOf / oneOf / not,
 * combined as the evaluator combines them: an item that is no schema is
 * passed over by allOf and matches nothing in anyOf and oneOf; a not that
 * is none is ignored. */
static js_verdict names_verdict(const js_plan *p, const js_node *n, uint64_t seen, int depth,
                                bool alts_only)
{
	if (n->schema->kind != JV_OBJ)
		return n->schema->kind == JV_TRUE ? JS_VALID : JS_INVALID;
	if (depth > JS_NAMES_DEPTH)
		return JS_UNDECIDED;
	if (!alts_only) {
		if (n->kw[KW_MIN_PROPERTIES] || n->kw[KW_MAX_PROPERTIES])
			return JS_UNDECIDED;
		if (n->kw[KW_TYPE] && !(n->type_surely & (1u << JV_OBJ)))
			return n->type_kinds & (1u << JV_OBJ) ? JS_UNDECIDED : JS_INVALID;
		const js_val *req = n->kw[KW_REQUIRED];
		if (req && req->kind != JV_ARR)
			return JS_UNDECIDED;
		for (size_t i = 0; req && i < req->n; i++) {
			const js_val *name = req->u.items[i];
			const js_slot *slot =
			    name->kind == JV_STR ? dbc_js_plan_slot(p, name->u.s, name->n) : NULL;
			if (!slot)
				return JS_UNDECIDED;
			if (!(seen & 1ull << (slot - p->slots)))
				return JS_INVALID;
		}
	}
	const js_val *all = n->kw[KW_ALL_OF], *any = n->kw[KW_ANY_OF], *one = n->kw[KW_ONE_OF];
	if ((all && all->kind != JV_ARR) || (any && any->kind != JV_ARR) ||
	    (one && one->kind != JV_ARR))
		return JS_UNDECIDED;
	js_verdict v = JS_VALID;
	for (size_t i = 0; all && i < all->n && v != JS_INVALID; i++)
		if (js_node_of(all->u.items[i]))
			v = dbc_js_worse(v,
			                 names_verdict(p, js_node_of(all->u.items[i]), seen, depth + 1, false));
	if (any && v != JS_INVALID) {
		js_verdict some = JS_INVALID;
		for (size_t i = 0; i < any->n && some != JS_VALID; i++) {
			const js_node *b = js_node_of(any->u.items[i]);
			some =
			    dbc_js_any_of(some, b ? names_verdict(p, b, seen, depth + 1, false) : JS_INVALID);
		}
		v = dbc_js_worse(v, some);
	}
	if (one && v != JS_INVALID) {
		int valid = 0;
		bool unsure = false;
		for (size_t i = 0; i < one->n && valid < 2; i++) {
			const js_node *b = js_node_of(one->u.items[i]);
			js_verdict bv = b ? names_verdict(p, b, seen, depth + 1, false) : JS_INVALID;
			valid += bv == JS_VALID;
			unsure |= bv == JS_UNDECIDED;
		}
		v = dbc_js_worse(v, dbc_js_one_of(valid, unsure));
	}
	const js_node *negated = js_node_of(n->kw[KW_NOT]);
	if (negated && v != JS_INVALID)
		v = dbc_js_worse(v, dbc_js_not(names_verdict(p, negated, seen, depth + 1, false)));
	return v;
}

/* The slots whose presence names_verdict may read on names-only subschema
 * n (their required names, unless alts_only, and their branches'), or'ed
 * into *bits: a superset of what it reads, walked as it walks. False: a
 * required name is no slot or n nests too deep (names_verdict's answer
 * then depends on more). */
static bool names_read(const js_plan *p, const js_node *n, int depth, bool alts_only,
                       uint64_t *bits)
{
	if (n->schema->kind != JV_OBJ)
		return true;
	if (depth > JS_NAMES_DEPTH)
		return false;
	const js_val *req = alts_only ? NULL : n->kw[KW_REQUIRED];
	for (size_t i = 0; req && req->kind == JV_ARR && i < req->n; i++) {
		const js_val *name = req->u.items[i];
		const js_slot *slot = name->kind == JV_STR ? dbc_js_plan_slot(p, name->u.s, name->n) : NULL;
		if (!slot)
			return false;
		*bits |= 1ull << (slot - p->slots);
	}
	const js_keyword lists[] = {KW_ALL_OF, KW_ANY_OF, KW_ONE_OF};
	for (int l = 0; l < 3; l++) {
		const js_val *v = n->kw[lists[l]];
		for (size_t i = 0; v && v->kind == JV_ARR && i < v->n; i++)
			if (js_node_of(v->u.items[i]) &&
			    !names_read(p, js_node_of(v->u.items[i]), depth + 1, false, bits))
				return false;
	}
	const js_node *negated = js_node_of(n->kw[KW_NOT]);
	return !negated || names_read(p, negated, depth + 1, false, bits);
}

/* Where seen's bits of p->names_bits fall in p->names_verdicts: the k-th
 * bit of names_bits is the index's k-th. */
static unsigned names_index(const js_plan *p, uint64_t seen)
{
	unsigned i = 0, k = 0;
	for (uint64_t m = p->names_bits; m; m &= m - 1, k++)
		i |= (unsigned)(seen >> __builtin_ctzll(m) & 1) << k;
	return i;
}

/* p->names_verdicts: names_verdict on p's node for every combination of
 * the slots it may read, when they are few (names_verdict depends on
 * nothing else of an object: its answer is a lookup). */
static void names_table(js_compiler *c, js_plan *p)
{
	uint64_t bits = 0;
	if (!names_read(p, p->node, 0, true, &bits) || __builtin_popcountll(bits) > JS_NAMES_TABLE_BITS)
		return;
	unsigned n = 1u << __builtin_popcountll(bits);
	uint8_t *table = dbc_js_alloc_bytes(&c->a, n);
	if (!table)
		return; /* none: names_verdict runs per object */
	p->names_bits = bits;
	for (unsigned i = 0; i < n; i++) {
		/* seen: the combination whose index is i */
		uint64_t seen = 0;
		unsigned k = 0;
		for (uint64_t m = bits; m; m &= m - 1, k++)
			if (i >> k & 1)
				seen |= m & -m;
		table[names_index(p, seen)] = (uint8_t)names_verdict(p, p->node, seen, 0, true);
	}
	p->names_verdicts = table;
}

static int slot_cmp(const void *x, const void *y)
{
	const js_slot *a = x, *b = y;
	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	return memcmp(a->key, b->key, a->klen);
}

static js_plan *object_plan(js_compiler *c, js_node *n)
{
	static const js_keyword refused[] = {KW_PROPERTY_NAMES, KW_DEPENDENT_REQUIRED, KW_DEPENDENCIES,
	                                     KW_DEPENDENT_SCHEMAS, KW_COUNT};
	/* in-place applicators only when they read member names alone */
	bool in_place = n->schema->kind == JV_OBJ && n->applies_in_place && in_place_names_only(n);
	bool alts = !in_place && alternatives(n);
	if (!plain_node(n, refused, in_place || alts))
		return NULL;
	const js_val *patterns = n->kw[KW_PATTERN_PROPERTIES];
	if (patterns && patterns->kind != JV_OBJ)
		return NULL;
	const js_val *props = n->kw[KW_PROPERTIES], *req = n->kw[KW_REQUIRED];
	const js_val *extra = n->kw[KW_ADDITIONAL_PROPERTIES];
	if ((props && props->kind != JV_OBJ) || (req && req->kind != JV_ARR))
		return NULL;
	int64_t min = count_of(n->kw[KW_MIN_PROPERTIES]), max = count_of(n->kw[KW_MAX_PROPERTIES]);
	if (min < -1 || max < -1)
		return NULL;
	size_t nprops = props ? props->n : 0, nreq = req ? req->n : 0;
	if (nprops + nreq > JS_PLAN_SLOTS)
		return NULL;
	js_plan *p = dbc_js_alloc_bytes(&c->a, sizeof(js_plan));
	js_slot *slots = dbc_js_alloc_bytes(&c->a, sizeof(js_slot) * (nprops + nreq + 1));
	if (!p || !slots)
		return NULL;
	int ns = 0;
	/* a property whose value is no schema covers nothing: its members go
	 * to additionalProperties, as the evaluator's eval_object says */
	for (size_t i = 0; i < nprops; i++)
		if (js_node_of(props->u.members[i].val))
			slots[ns++] = (js_slot){props->u.members[i].key, (uint32_t)props->u.members[i].klen,
			                        js_node_of(props->u.members[i].val)};
	for (size_t i = 0; i < nreq; i++) {
		const js_val *name = req->u.items[i];
		if (name->kind != JV_STR)
			continue;
		bool known = false;
		for (int k = 0; k < ns && !known; k++)
			known = slots[k].klen == name->n && !memcmp(slots[k].key, name->u.s, name->n);
		if (!known)
			slots[ns++] = (js_slot){name->u.s, name->n, NULL};
	}
	qsort(slots, (size_t)ns, sizeof(js_slot), slot_cmp);
	for (size_t i = 0; i < nreq; i++) {
		const js_val *name = req->u.items[i];
		if (name->kind != JV_STR)
			continue;
		js_slot key = {name->u.s, name->n, NULL};
		const js_slot *hit = bsearch(&key, slots, (size_t)ns, sizeof(js_slot), slot_cmp);
		p->required |= 1ull << (hit - slots);
	}
	/* the index: at least one empty bucket, so a probe ends */
	uint32_t twice = 2 * (uint32_t)ns; /* at most 128: a power of two at or above it */
	uint32_t size = twice <= 4 ? 4 : 1u << (32 - __builtin_clz(twice - 1));
	if (!(p->index = dbc_js_alloc_bytes(&c->a, size)))
		return NULL;
	memset(p->index, 0, size);
	p->mask = size - 1;
	for (int i = 0; i < ns; i++) {
		uint32_t h = dbc_js_plan_hash(slots[i].key, slots[i].klen);
		while (p->index[h & p->mask])
			h++;
		p->index[h & p->mask] = (uint8_t)(i + 1);
	}
	p->slots = slots;
	p->nslots = ns;
	p->extra = js_node_of(extra);
	p->extra_false = p->extra && extra->kind == JV_FALSE;
	if (p->extra_false)
		p->extra = NULL;
	p->min = min;
	p->max = max;
	p->patterns = patterns && patterns->n ? patterns : NULL;
	for (size_t i = 0; p->patterns && patterns->n <= 64 && i < patterns->n; i++)
		p->patterns_memo |=
		    !patterns->u.members[i].re || !dbc_js_regex_literal(patterns->u.members[i].re);
	p->patterns_first = p->patterns != NULL;
	memset(p->first, 0, sizeof p->first);
	for (size_t i = 0; p->patterns && i < patterns->n; i++) {
		const js_regex *re = patterns->u.members[i].re;
		int b = re ? dbc_js_regex_first_byte(re) : -1;
		if (b < 0)
			p->patterns_first = false;
		else
			p->first[b >> 6] |= 1ull << (b & 63);
	}
	p->in_place = in_place;
	p->alts = alts;
	p->node = n;
	if (in_place)
		names_table(c, p);
	return p;
}

static js_plan *array_plan(js_compiler *c, const js_node *n)
{
	static const js_keyword refused[] = {KW_PREFIX_ITEMS, KW_ADDITIONAL_ITEMS, KW_CONTAINS,
	                                     KW_COUNT};
	bool alts = alternatives(n);
	if (!plain_node(n, refused, alts))
		return NULL;
	const js_val *unique = n->kw[KW_UNIQUE_ITEMS];
	const js_val *items = n->kw[KW_ITEMS];
	if (items && !js_node_of(items))
		return NULL; /* a tuple (drafts 4-2019), or no schema */
	int64_t min = count_of(n->kw[KW_MIN_ITEMS]), max = count_of(n->kw[KW_MAX_ITEMS]);
	if (min < -1 || max < -1)
		return NULL;
	js_plan *p = dbc_js_alloc_bytes(&c->a, sizeof(js_plan));
	if (!p)
		return NULL;
	p->items = js_node_of(items);
	p->unique = unique && unique->kind == JV_TRUE;
	p->min = min;
	p->max = max;
	p->alts = alts;
	p->node = n;
	return p;
}

/* What the compiled check asks of node from per value, kept: where its
 * hops end (n) and how a string passes it. */
static void keep_hop(js_node *from, const js_node *n)
{
	from->hop = n;
	from->string_pass = !n                           ? 0
	                    : n->schema->kind == JV_TRUE ? JS_PASS_FREE
	                    : dbc_js_leaf_of(n, JV_STR)  ? JS_PASS_STEP
	                                                 : 0;
	from->hop_known = true;
}

/* Plans n and every node its plans lead to (a stack in the arena: a
 * schema nests up to DBC_JS_MAX_SCHEMA_DEPTH, its $refs anywhere). */
static int plan_from(js_compiler *c, js_node *root)
{
	js_node **stack = NULL;
	int depth = 0, cap = 0;
	if (dbc_grow(c->ctx, &stack, depth, &cap, sizeof(js_node *), 64) != DBC_OK)
		return DBC_ERROR;
	stack[depth++] = root;
	while (depth > 0) {
		js_node *from = stack[--depth];
		js_node *n = (js_node *)dbc_js_plan_hops(from);
		keep_hop(from, n);
		if (!n || n->planned)
			continue;
		n->planned = true;
		if (n->schema->kind != JV_OBJ)
			continue;
		n->obj_plan = object_plan(c, n);
		n->arr_plan = array_plan(c, n);
		if (c->ctx->failed)
			return DBC_ERROR;
		const js_node *next[JS_PLAN_SLOTS + 2];
		int nn = 0;
		if (n->obj_plan && n->obj_plan->patterns)
			for (size_t i = 0; i < n->obj_plan->patterns->n; i++)
				if (js_node_of(n->obj_plan->patterns->u.members[i].val)) {
					if (dbc_grow(c->ctx, &stack, depth, &cap, sizeof(js_node *), 64) != DBC_OK)
						return DBC_ERROR;
					stack[depth++] = js_node_of(n->obj_plan->patterns->u.members[i].val);
				}
		if ((n->obj_plan && n->obj_plan->alts) || (n->arr_plan && n->arr_plan->alts)) {
			const js_val *not = n->kw[KW_NOT];
			const js_keyword lists[] = {KW_ALL_OF, KW_ANY_OF, KW_ONE_OF};
			for (int l = 0; l < 3; l++)
				for (size_t i = 0; n->kw[lists[l]] && i < n->kw[lists[l]]->n; i++) {
					if (dbc_grow(c->ctx, &stack, depth, &cap, sizeof(js_node *), 64) != DBC_OK)
						return DBC_ERROR;
					stack[depth++] = js_node_of(n->kw[lists[l]]->u.items[i]);
				}
			if (not ) {
				if (dbc_grow(c->ctx, &stack, depth, &cap, sizeof(js_node *), 64) != DBC_OK)
					return DBC_ERROR;
				stack[depth++] = js_node_of(not );
			}
		}
		if (n->obj_plan) {
			for (int i = 0; i < n->obj_plan->nslots; i++)
				if (n->obj_plan->slots[i].node)
					next[nn++] = n->obj_plan->slots[i].node;
			if (n->obj_plan->extra)
				next[nn++] = n->obj_plan->extra;
		}
		if (n->arr_plan && n->arr_plan->items)
			next[nn++] = n->arr_plan->items;
		for (int i = 0; i < nn; i++) {
			if (dbc_grow(c->ctx, &stack, depth, &cap, sizeof(js_node *), 64) != DBC_OK)
				return DBC_ERROR;
			stack[depth++] = (js_node *)next[i];
		}
	}
	return DBC_OK;
}

/* The nodes a member's value is checked against beside its property's
 * (nodes[0] when *n is 1): those of the plan's patternProperties its name
 * matches, or additionalProperties when nothing covers it (*n stays 0 when
 * that is none). Invalid: a name additionalProperties false refuses;
 * undecided: too many schemas, an error. */
js_verdict dbc_js_plan_member_nodes(js_run *r, const js_plan *p, const char *key, uint32_t klen,
                                    const js_node **nodes, int *n)
{
	if (!p)
		return JS_VALID;
	bool covered = *n > 0;
	if (dbc_js_plan_patterns_may(p, key, klen)) {
		/* the patterns the name matches, a bit each: from the schema's
		 * memo, or searched and kept there when the searches spent no
		 * regex steps (a kept answer spends none) */
		uint64_t hits = 0;
		size_t np = p->patterns->n;
		if (!p->patterns_memo || !dbc_js_memo_get(r->s->memo, p, key, klen, &hits)) {
			js_path where = {.key = "patternProperties", .klen = JS_PATH_CSTR};
			uint64_t spent = r->regex_steps;
			hits = 0;
			np = p->patterns->n;
			for (size_t i = 0; i < np; i++) {
				const js_member *pm = &p->patterns->u.members[i];
				int hit = dbc_js_regex_search(r->ctx, pm->re, key, klen, &r->regex_steps, &where);
				if (hit < 0)
					return JS_UNDECIDED;
				if (hit && i < 64)
					hits |= 1ull << i;
				if (hit && js_node_of(pm->val)) {
					if (*n == JS_MEMBER_NODES)
						return JS_UNDECIDED;
					covered = true;
					nodes[(*n)++] = js_node_of(pm->val);
				}
			}
			if (p->patterns_memo && r->regex_steps == spent)
				dbc_js_memo_put(r->s->memo, p, key, klen, hits);
		} else
			for (size_t i = 0; i < np; i++) {
				const js_member *pm = &p->patterns->u.members[i];
				if (!(hits & 1ull << i) || !js_node_of(pm->val))
					continue;
				if (*n == JS_MEMBER_NODES)
					return JS_UNDECIDED;
				covered = true;
				nodes[(*n)++] = js_node_of(pm->val);
			}
	}
	return dbc_js_plan_extra(p, covered, nodes, n);
}

js_verdict dbc_js_plan_names_verdict(const js_plan *p, uint64_t seen)
{
	if (p->names_verdicts)
		return (js_verdict)p->names_verdicts[names_index(p, seen)];
	return names_verdict(p, p->node, seen, 0, true);
}

int dbc_js_plan_schema(js_compiler *c)
{
	dbc_js_schema *s = c->s;
	if (s->uses_unevaluated)
		return DBC_OK;
	for (int i = 0; i < c->npending; i++)
		if (c->pending[i]->dynamic_ref)
			return DBC_OK; /* the dynamic scope: the evaluator's alone */
	if (plan_from(c, s->root) != DBC_OK)
		return DBC_ERROR;
	s->compiled_check = true;
	s->memo = dbc_js_memo_new(); /* NULL: the check runs without one */
	return DBC_OK;
}
