/*
 * js_assert.c — the assertion keywords, which look at one instance value
 * and no subschema: type, enum, const, the numeric bounds, string length,
 * pattern and format, the size bounds of arrays and objects, uniqueItems,
 * required and the property dependencies. Applicators are in js_validate.c.
 */
#include "jsonschema/js_private.h"

#include <math.h>
#include <string.h>

#define SHOWN 60 /* bytes of a value quoted in a message */

static const char *plural(long long n)
{
	return n == 1 ? "" : "s";
}

static const char *show(js_run *r, const js_val *v)
{
	return dbc_js_excerpt(r->ctx, v, SHOWN);
}

static bool has_type(const js_val *inst, const char *t, size_t tn, dbc_js_draft d)
{
#define IS(name) (tn == sizeof(name) - 1 && !memcmp(t, name, tn))
	switch (inst->kind) {
	case JV_NULL:
		return IS("null");
	case JV_TRUE:
	case JV_FALSE:
		return IS("boolean");
	case JV_STR:
		return IS("string");
	case JV_ARR:
		return IS("array");
	case JV_OBJ:
		return IS("object");
	case JV_INT:
	case JV_REAL:
		return IS("number") || (IS("integer") && dbc_js_is_integer(inst, d));
	}
	return false;
#undef IS
}

static bool check_type(js_run *r, const js_node *n, const js_val *inst, const js_path *ip,
                       const js_path *sp)
{
	const js_val *t = n->kw[KW_TYPE];
	if (n->type_surely & (1u << inst->kind))
		return true;
	if (t->kind == JV_STR)
		return has_type(inst, t->u.s, t->n, n->draft) ||
		       dbc_js_fail(r, ip, sp, "type", "%s is not of type %s", show(r, inst), t->u.s);
	if (t->kind != JV_ARR)
		return true;
	for (size_t i = 0; i < t->n; i++)
		if (t->u.items[i]->kind == JV_STR &&
		    has_type(inst, t->u.items[i]->u.s, t->u.items[i]->n, n->draft))
			return true;
	return dbc_js_fail(r, ip, sp, "type", "%s is not of any type of %s", show(r, inst), show(r, t));
}

/* 2^53: from here on every double is an integer, so a quotient this large
 * says nothing about divisibility. */
#define JS_EXACT_DOUBLES 9007199254740992.0

/* Whether inst is an integer multiple of m (> 0). Integers are exact, and
 * so is an integral m whose quotient is beyond 2^53, or any m whose quotient
 * is beyond the doubles: fmod is exact on the two doubles. Otherwise the
 * quotient's distance from an integer is forgiven up to 1e-9, so decimal
 * fractions count as written (0.3 is a multiple of 0.1, though neither is
 * exact in binary); a nonzero number must still be at least one multiple
 * away from 0 (0.01 is no multiple of 1e308). */
static bool multiple_of(const js_val *inst, const js_val *m)
{
	if (inst->kind == JV_INT && m->kind == JV_INT)
		return m->u.i == 0 || (m->u.i == -1 || inst->u.i % m->u.i == 0);
	double x = dbc_js_num(inst), d = dbc_js_num(m), q = x / d;
	if (x == 0)
		return true;
	if (!isfinite(q) || (fabs(q) >= JS_EXACT_DOUBLES && floor(d) == d))
		return fmod(x, d) == 0;
	double whole = nearbyint(q);
	return whole != 0 && fabs(q - whole) < 1e-9;
}

/* A count keyword's value: a non-negative integer (2.0 counts as 2), or -1. */
static int64_t count_of(const js_val *v)
{
	if (v && v->kind == JV_INT) /* most counts: no call */
		return v->u.i < 0 ? -1 : v->u.i;
	if (!v || !dbc_js_is_integer(v, DBC_JS_DRAFT2020) || dbc_js_num(v) < 0)
		return -1;
	return v->kind == JV_INT ? v->u.i : (int64_t)v->u.d;
}

/* The bounds a scalar breaks (bits of js_bound_miss). */
enum js_bound_miss { JS_ABOVE_MAX = 1, JS_BELOW_MIN = 2 };

/* Whether n's draft-4 boolean exclusive keyword x makes its bound strict. */
static bool strict_bound(const js_node *n, const js_val *x)
{
	return n->draft == DBC_JS_DRAFT4 && x && x->kind == JV_TRUE;
}

/* The one home of the length and numeric bounds: which of n's maxLength /
 * minLength (a string) or maximum / minimum (a number, strict under draft
 * 4's boolean exclusive keywords) scalar inst breaks. The later drafts'
 * numeric exclusiveMaximum / exclusiveMinimum are check_number's. */
static inline unsigned bounds_missed(const js_node *n, const js_val *inst)
{
	const js_val *const *kw = n->kw;
	unsigned miss = 0;
	if (inst->kind == JV_STR) {
		int64_t maxl = count_of(kw[KW_MAX_LENGTH]), minl = count_of(kw[KW_MIN_LENGTH]);
		if (maxl < 0 && minl < 0)
			return 0;
		int64_t len = (int64_t)dbc_js_utf8_length(inst->u.s, inst->n);
		if (maxl >= 0 && len > maxl)
			miss |= JS_ABOVE_MAX;
		if (minl >= 0 && len < minl)
			miss |= JS_BELOW_MIN;
		return miss;
	}
	const js_val *max = kw[KW_MAXIMUM], *min = kw[KW_MINIMUM];
	if (max && dbc_js_is_number(max)) {
		int c = dbc_js_num_cmp(inst, max);
		if (c > 0 || (c == 0 && strict_bound(n, kw[KW_EXCL_MAXIMUM])))
			miss |= JS_ABOVE_MAX;
	}
	if (min && dbc_js_is_number(min)) {
		int c = dbc_js_num_cmp(inst, min);
		if (c < 0 || (c == 0 && strict_bound(n, kw[KW_EXCL_MINIMUM])))
			miss |= JS_BELOW_MIN;
	}
	return miss;
}

bool dbc_js_bounds_accept(const js_node *n, const js_val *inst)
{
	return bounds_missed(n, inst) == 0;
}

static bool check_number(js_run *r, const js_node *n, const js_val *inst, const js_path *ip,
                         const js_path *sp)
{
	const js_val *const *kw = n->kw;
	bool ok = true;
#define FAIL(k, ...)                                                                               \
	do {                                                                                           \
		ok = false;                                                                                \
		dbc_js_fail(r, ip, sp, k, __VA_ARGS__);                                                    \
		if (!js_collecting(r))                                                                     \
			return false;                                                                          \
	} while (0)
	const js_val *m = kw[KW_MULTIPLE_OF];
	if (m && dbc_js_is_number(m) && dbc_js_num(m) > 0 && !multiple_of(inst, m))
		FAIL("multipleOf", "%s is not a multiple of %s", show(r, inst), show(r, m));
	bool d4 = n->draft == DBC_JS_DRAFT4;
	const js_val *max = kw[KW_MAXIMUM], *min = kw[KW_MINIMUM];
	const js_val *xmax = kw[KW_EXCL_MAXIMUM], *xmin = kw[KW_EXCL_MINIMUM];
	unsigned miss = bounds_missed(n, inst);
	if (miss & JS_ABOVE_MAX)
		FAIL("maximum",
		     strict_bound(n, xmax) ? "%s is not less than the exclusive maximum %s"
		                           : "%s is greater than the maximum %s",
		     show(r, inst), show(r, max));
	if (miss & JS_BELOW_MIN)
		FAIL("minimum",
		     strict_bound(n, xmin) ? "%s is not greater than the exclusive minimum %s"
		                           : "%s is less than the minimum %s",
		     show(r, inst), show(r, min));
	if (!d4 && xmax && dbc_js_is_number(xmax) && dbc_js_num_cmp(inst, xmax) >= 0)
		FAIL("exclusiveMaximum", "%s is not less than the exclusive maximum %s", show(r, inst),
		     show(r, xmax));
	if (!d4 && xmin && dbc_js_is_number(xmin) && dbc_js_num_cmp(inst, xmin) <= 0)
		FAIL("exclusiveMinimum", "%s is not greater than the exclusive minimum %s", show(r, inst),
		     show(r, xmin));
	return ok;
}

/* Whether inst is one of enum e's values. */
static bool enum_has(const js_val *e, const js_val *inst)
{
	for (size_t i = 0; i < e->n; i++) {
		const js_val *x = e->u.items[i];
		/* a string against a string (most enums a CHECK reads): its
		 * bytes compared inline, as dbc_js_equal compares them */
		if (inst->kind == JV_STR && x->kind == JV_STR
		        ? x->n == inst->n && dbc_js_same_bytes(x->u.s, inst->u.s, inst->n)
		        : dbc_js_equal(inst, x))
			return true;
	}
	return false;
}

/* n's compiled pattern searched in string inst (sp: n's schema location,
 * for a message): 1 a match, 0 none, -1 an error in r's ctx. */
static int pattern_search(js_run *r, const js_node *n, const js_val *inst, const js_path *sp)
{
	js_path where = {.up = sp, .key = "pattern", .klen = JS_PATH_CSTR};
	return dbc_js_regex_search(r->ctx, n->kw[KW_PATTERN]->re, inst->u.s, inst->n, &r->regex_steps,
	                           &where);
}

int dbc_js_string_accept(js_run *r, const js_node *n, const js_val *inst)
{
	/* in dbc_js_assert_keywords' order: enum, the bounds, then the
	 * pattern (type surely admits a string: js_compile.c) */
	const js_val *e = n->kw[KW_ENUM];
	if ((e && !enum_has(e, inst)) || bounds_missed(n, inst))
		return 0;
	return n->kw[KW_PATTERN] ? pattern_search(r, n, inst, NULL) : 1;
}

static bool check_string(js_run *r, const js_node *n, const js_val *inst, const js_path *ip,
                         const js_path *sp)
{
	const js_val *const *kw = n->kw;
	bool ok = true;
	unsigned miss = bounds_missed(n, inst);
	if (miss & JS_ABOVE_MAX) {
		int64_t maxl = count_of(kw[KW_MAX_LENGTH]);
		FAIL("maxLength", "%s is longer than %lld character%s", show(r, inst), (long long)maxl,
		     plural(maxl));
	}
	if (miss & JS_BELOW_MIN) {
		int64_t minl = count_of(kw[KW_MIN_LENGTH]);
		FAIL("minLength", "%s is shorter than %lld character%s", show(r, inst), (long long)minl,
		     plural(minl));
	}
	const js_val *pat = kw[KW_PATTERN];
	if (js_regex_of(pat)) {
		int m = pattern_search(r, n, inst, sp);
		if (m < 0)
			return false;
		if (m == 0)
			FAIL("pattern", "%s does not match the pattern %s", show(r, inst), show(r, pat));
	}
	const js_val *fmt = kw[KW_FORMAT];
	if (fmt && fmt->kind == JV_STR && r->s->format_assertion &&
	    !dbc_js_format_ok(r->ctx, fmt->u.s, inst->u.s, inst->n)) {
		if (r->ctx->failed)
			return false;
		FAIL("format", "%s is not a valid %s", show(r, inst), fmt->u.s);
	}
	return ok;
}

/* An item and where it is, for sorting an array's items. */
typedef struct js_item_at {
	const js_val *v;
	size_t at;
} js_item_at;

static int item_at_cmp(const void *x, const void *y)
{
	const js_item_at *a = x, *b = y;
	int c = dbc_js_compare(a->v, b->v);
	return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* Arrays up to this long compare every pair; longer ones sort. */
#define JS_UNIQUE_PAIRWISE 32

/* Whether two items of arr are equal: *first is the first item that recurs
 * and *second where it first recurs (what comparing every pair in order
 * finds). Long arrays are sorted by value then position (n log n, not n^2:
 * a long document must not hold a CHECK for minutes), so equal items end up
 * side by side, each run in position order. True with ctx failed when out
 * of memory. */
static bool repeated_item(js_run *r, const js_val *arr, size_t *first, size_t *second)
{
	size_t n = arr->n;
	if (n <= JS_UNIQUE_PAIRWISE) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (dbc_js_equal(arr->u.items[i], arr->u.items[j])) {
					*first = i;
					*second = j;
					return true;
				}
		return false;
	}
	js_item_at *sorted = dbc_alloc(r->ctx, sizeof(js_item_at) * n);
	if (!sorted)
		return true;
	for (size_t i = 0; i < n; i++)
		sorted[i] = (js_item_at){.v = arr->u.items[i], .at = i};
	qsort(sorted, n, sizeof(js_item_at), item_at_cmp);
	bool found = false;
	for (size_t k = 0; k + 1 < n; k++)
		if (dbc_js_compare(sorted[k].v, sorted[k + 1].v) == 0 &&
		    (!found || sorted[k].at < *first)) {
			found = true;
			*first = sorted[k].at;
			*second = sorted[k + 1].at;
		}
	return found;
}

static bool check_array(js_run *r, const js_node *n, const js_val *inst, const js_path *ip,
                        const js_path *sp)
{
	const js_val *const *kw = n->kw;
	bool ok = true;
	int64_t maxi = count_of(kw[KW_MAX_ITEMS]), mini = count_of(kw[KW_MIN_ITEMS]);
	if (maxi >= 0 && (int64_t)inst->n > maxi)
		FAIL("maxItems", "the array has %zu item%s, more than %lld", (size_t)inst->n,
		     plural((long long)inst->n), (long long)maxi);
	if (mini >= 0 && (int64_t)inst->n < mini)
		FAIL("minItems", "the array has %zu item%s, fewer than %lld", (size_t)inst->n,
		     plural((long long)inst->n), (long long)mini);
	size_t first = 0, second = 0;
	if (kw[KW_UNIQUE_ITEMS] && kw[KW_UNIQUE_ITEMS]->kind == JV_TRUE &&
	    repeated_item(r, inst, &first, &second)) {
		if (r->ctx->failed)
			return false;
		FAIL("uniqueItems", "items %zu and %zu are equal: %s", first, second,
		     show(r, inst->u.items[first]));
	}
	return ok;
}

/* Members named by the strings of array `names` that obj lacks, reported
 * against keyword k ("required", or a dependency on property `because`). */
static bool require_all(js_run *r, const js_val *obj, const js_val *names, const js_path *ip,
                        const js_path *sp, const char *k, const js_val *because)
{
	bool ok = true;
	if (!names || names->kind != JV_ARR)
		return true;
	for (size_t i = 0; i < names->n; i++) {
		const js_val *name = names->u.items[i];
		if (name->kind != JV_STR || dbc_js_get_n(obj, name->u.s, name->n))
			continue;
		if (because)
			FAIL(k, "the property %s is required by the property %s", show(r, name),
			     show(r, because));
		else
			FAIL(k, "the required property %s is missing", show(r, name));
	}
	return ok;
}

static bool check_object(js_run *r, const js_node *n, const js_val *inst, const js_path *ip,
                         const js_path *sp)
{
	const js_val *const *kw = n->kw;
	bool ok = true;
	int64_t maxp = count_of(kw[KW_MAX_PROPERTIES]), minp = count_of(kw[KW_MIN_PROPERTIES]);
	if (maxp >= 0 && (int64_t)inst->n > maxp)
		FAIL("maxProperties", "the object has %zu propert%s, more than %lld", (size_t)inst->n,
		     inst->n == 1 ? "y" : "ies", (long long)maxp);
	if (minp >= 0 && (int64_t)inst->n < minp)
		FAIL("minProperties", "the object has %zu propert%s, fewer than %lld", (size_t)inst->n,
		     inst->n == 1 ? "y" : "ies", (long long)minp);
	if (!require_all(r, inst, kw[KW_REQUIRED], ip, sp, "required", NULL)) {
		ok = false;
		if (!js_collecting(r))
			return false;
	}
	const js_val *deps[2] = {kw[KW_DEPENDENT_REQUIRED], kw[KW_DEPENDENCIES]};
	const char *names[2] = {"dependentRequired", "dependencies"};
	for (int d = 0; d < 2; d++) {
		if (!deps[d] || deps[d]->kind != JV_OBJ)
			continue;
		for (size_t i = 0; i < deps[d]->n; i++) {
			const js_member *m = &deps[d]->u.members[i];
			if (m->val->kind != JV_ARR || !dbc_js_get_n(inst, m->key, m->klen))
				continue;
			js_val key = {.kind = JV_STR, .n = m->klen, .u.s = m->key};
			if (!require_all(r, inst, m->val, ip, sp, names[d], &key)) {
				ok = false;
				if (!js_collecting(r))
					return false;
			}
		}
	}
	return ok;
}
#undef FAIL

bool dbc_js_assert_keywords(js_run *r, const js_node *n, const js_val *inst, const js_path *ip,
                            const js_path *sp)
{
	const js_val *const *kw = n->kw;
	bool ok = true;
	if (kw[KW_TYPE] && !check_type(r, n, inst, ip, sp)) {
		ok = false;
		if (!js_collecting(r))
			return false;
	}
	if (kw[KW_ENUM] && kw[KW_ENUM]->kind == JV_ARR) {
		if (!enum_has(kw[KW_ENUM], inst)) {
			ok = dbc_js_fail(r, ip, sp, "enum", "%s is not one of %s", show(r, inst),
			                 show(r, kw[KW_ENUM]));
			if (!js_collecting(r))
				return false;
		}
	}
	if (kw[KW_CONST] && !dbc_js_equal(inst, kw[KW_CONST])) {
		ok = dbc_js_fail(r, ip, sp, "const", "%s is not the constant %s", show(r, inst),
		                 show(r, kw[KW_CONST]));
		if (!js_collecting(r))
			return false;
	}
	bool part = true;
	switch (inst->kind) {
	case JV_INT:
	case JV_REAL:
		part = check_number(r, n, inst, ip, sp);
		break;
	case JV_STR:
		part = check_string(r, n, inst, ip, sp);
		break;
	case JV_ARR:
		part = check_array(r, n, inst, ip, sp);
		break;
	case JV_OBJ:
		part = check_object(r, n, inst, ip, sp);
		break;
	default:
		break;
	}
	return ok && part;
}
