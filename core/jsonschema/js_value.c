/*
 * js_value.c — the value model of the validator: js_val nodes (objects with
 * members sorted by key, so keyword lookups are binary searches; js_parse.c
 * builds them from text), their allocation, numbers compared by value (1
 * equals 1.0), and the wording of refused text (jansson's).
 * why (raw heap, the whole file): the pool holds a compiled schema's nodes,
 * which outlive the call (js_compile.c); documents validated within a call
 * use the call's arena instead (js_alloc).
 */
#include "jsonschema/js_private.h"
#include "base/heap_grow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- pool */

typedef struct js_block {
	struct js_block *next;
	size_t used, size;
	max_align_t data[];
} js_block;

struct js_pool {
	js_block *head;
};

js_pool *dbc_js_pool_new(void)
{
	return calloc(1, sizeof(js_pool));
}

void dbc_js_pool_free(js_pool *pool)
{
	if (!pool)
		return;
	for (js_block *b = pool->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(pool);
}

static void *pool_alloc(js_pool *pool, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	js_block *b = pool->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > 8192 ? n : 8192;
		b = malloc(sizeof(js_block) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = pool->head;
		pool->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return memset(p, 0, n);
}

void *dbc_js_alloc_bytes(js_alloc *a, size_t n)
{
	if (a->pool) {
		void *p = pool_alloc(a->pool, n ? n : 1);
		if (!p)
			dbc_error(a->ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return p;
	}
	return dbc_zalloc(a->ctx, n ? n : 1);
}

#define JS_SLAB_FIRST  512   /* a small document (a CHECK's row) zeroes little */
#define JS_SLAB        32768 /* slabs double up to this */
#define JS_SLAB_DIRECT 1024  /* larger pieces get their own allocation */

/* n bytes aligned to `align` (a power of two) from the current slab, a new
 * slab when it is short; zeroed unless a->unzeroed. */
static void *slab_take(js_alloc *a, size_t n, size_t align)
{
	if (n > JS_SLAB_DIRECT)
		return dbc_js_alloc_bytes(a, n);
	size_t pad = (size_t)(-(uintptr_t)a->slab) & (align - 1);
	if (!a->slab || a->slab_left < pad + n) {
		/* twice the last slab (JS_SLAB_FIRST the first), at most JS_SLAB,
		 * then doubled to hold n (at most JS_SLAB_DIRECT) */
		size_t size;
		if (!dbc_grown_capacity(a->slab_size, a->slab_size + 1, 1, JS_SLAB_FIRST, &size) ||
		    size > JS_SLAB)
			size = JS_SLAB;
		if (!dbc_grown_capacity(size, n, 1, 0, &size))
			return dbc_js_alloc_bytes(a, n);
		char *slab =
		    a->unzeroed && !a->pool ? dbc_alloc(a->ctx, size) : dbc_js_alloc_bytes(a, size);
		if (!slab)
			return NULL;
		a->slab = slab;
		a->slab_left = a->slab_size = size;
		pad = 0;
	}
	char *p = a->slab + pad;
	a->slab += pad + n;
	a->slab_left -= pad + n;
	return p;
}

js_val *dbc_js_alloc_val(js_alloc *a, js_kind k)
{
	js_val *v = slab_take(a, sizeof(js_val), _Alignof(js_val));
	if (v)
		v->kind = (unsigned char)k;
	return v;
}

js_val *dbc_js_alloc_vals(js_alloc *a, size_t n)
{
	return slab_take(a, n ? sizeof(js_val) * n : 1, _Alignof(js_val));
}

void *dbc_js_alloc_piece(js_alloc *a, size_t n, size_t align)
{
	return slab_take(a, n ? n : 1, align);
}

char *dbc_js_alloc_strn(js_alloc *a, const char *s, size_t n)
{
	char *p = slab_take(a, n + 1, 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* ---------------------------------------------------------------- parse */

/* dbc_js_member_cmp's order, inlined where every lookup and sort runs it:
 * shorter keys first, keys of a length by their bytes. It is jsonb's
 * order of an object's keys, so a jsonb document's objects come sorted
 * (pg/json/json_doc.c) and sorting them is one comparison a member. */
static inline int member_order(const js_member *a, const js_member *b)
{
	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	/* most keys differ in their first byte: decided without a call */
	if (a->klen && a->key[0] != b->key[0])
		return (unsigned char)a->key[0] - (unsigned char)b->key[0];
	return memcmp(a->key, b->key, a->klen);
}

int dbc_js_member_cmp(const void *x, const void *y)
{
	return member_order(x, y);
}

/* Objects are small and every document's objects are sorted once per
 * validation (a CHECK: once a row), so an insertion sort: qsort's setup
 * and indirect calls cost more than the comparisons for a few members.
 * The order is dbc_js_member_cmp's; keys are unique, so stability is moot. */
void dbc_js_sort_members(js_member *m, size_t n)
{
	size_t sorted = 1;
	while (sorted < n && member_order(&m[sorted - 1], &m[sorted]) < 0)
		sorted++;
	if (sorted >= n)
		return; /* in order already, as jsonb's objects are */
	if (n > 32) {
		qsort(m, n, sizeof(js_member), dbc_js_member_cmp);
		return;
	}
	for (size_t i = sorted; i < n; i++) { /* m[0..sorted) is in order */
		js_member x = m[i];
		size_t j = i;
		while (j > 0 && member_order(&m[j - 1], &x) > 0) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = x;
	}
}

/* Whether the integer token t (n bytes: an optional '-', digits) is beyond
 * what int64_t holds, as jansson's "too big" says. */
static bool integer_too_big(const char *t, size_t n)
{
	static const char max[] = "9223372036854775807";
	bool negative = *t == '-';
	t += negative;
	n -= negative;
	if (n != sizeof(max) - 1)
		return n > sizeof(max) - 1;
	int c = memcmp(t, max, n);
	return c > 0 && !(negative && memcmp(t, "9223372036854775808", n) == 0);
}

/* text with ".0" after every integer token beyond 64 bits, so that jansson
 * reads those as reals and every other integer still as an integer (its
 * JSON_DECODE_INT_AS_REAL would turn them all into reals: 1 would then be
 * no integer in draft 4, and integers past 2^53 would compare rounded).
 * Strings are skipped; a token that is not JSON stays for jansson to refuse. */
static char *big_integers_as_reals(dbc_ctx *ctx, const char *text)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const char *p = text, *copied = text;
	while (*p) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
			continue;
		}
		if (*p != '-' && (*p < '0' || *p > '9')) {
			p++;
			continue;
		}
		const char *start = p++;
		bool integer = true;
		while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
		       *p == '-') {
			integer = integer && *p >= '0' && *p <= '9';
			p++;
		}
		if (integer && integer_too_big(start, (size_t)(p - start))) {
			dbc_buf_appendn(&b, copied, (size_t)(p - copied));
			dbc_buf_append(&b, ".0");
			copied = p;
		}
	}
	dbc_buf_append(&b, copied);
	return dbc_buf_finish(&b);
}

/* The message for text dbc_js_parse refused: jansson's, as every refusal has
 * always been worded (with its line and column). */
int dbc_js_parse_refusal(dbc_ctx *ctx, const char *text, const char *what)
{
	json_error_t err;
	size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL;
	json_t *j = json_loads(text, flags, &err);
	/* an integer beyond 64 bits is no refusal: look past it */
	if (!j && strstr(err.text, "too big")) {
		const char *reals = big_integers_as_reals(ctx, text);
		if (!reals)
			return DBC_ERROR;
		j = json_loads(reals, flags, &err);
	}
	if (j) { /* jansson takes it: say what dbc_js_parse saw, without a place */
		json_decref(j);
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s is not valid JSON", what);
	}
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	                 "%s is not valid JSON: %s (line %d, column %d)", what, err.text, err.line,
	                 err.column);
}

/* ---------------------------------------------------------------- reading */

const js_val *dbc_js_get_ascending(const js_val *obj, size_t *from, const char *key, size_t len)
{
	js_member probe = {.key = key, .klen = len};
	for (; *from < obj->n; (*from)++) {
		int c = member_order(&obj->u.members[*from], &probe);
		if (c == 0)
			return obj->u.members[(*from)++].val;
		if (c > 0)
			return NULL;
	}
	return NULL;
}

const js_val *dbc_js_get(const js_val *obj, const char *key)
{
	return key ? dbc_js_get_n(obj, key, strlen(key)) : NULL;
}

const js_val *dbc_js_get_n(const js_val *obj, const char *key, size_t len)
{
	if (!obj || obj->kind != JV_OBJ)
		return NULL;
	js_member probe = {.key = key, .klen = len};
	/* bsearch by hand: the comparison inlines (this runs for every
	 * keyword and property a schema names, on every validation) */
	size_t lo = 0, hi = obj->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = member_order(&obj->u.members[mid], &probe);
		if (c == 0)
			return obj->u.members[mid].val;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

double dbc_js_num(const js_val *v)
{
	return v->kind == JV_INT ? (double)v->u.i : v->u.d;
}

/* 2^63: a real this large and integral can only have been an integer text
 * read as a real (dbc_js_parse), so draft 4 counts it as an integer too. */
#define JS_BIG_INTEGER 9223372036854775808.0

bool dbc_js_is_integer(const js_val *v, dbc_js_draft draft)
{
	if (v->kind == JV_INT)
		return true;
	if (v->kind != JV_REAL || !isfinite(v->u.d) || floor(v->u.d) != v->u.d)
		return false;
	return draft != DBC_JS_DRAFT4 || fabs(v->u.d) >= JS_BIG_INTEGER;
}

/* real <=> integer, exactly: converting the integer to a double would round
 * it past 2^53 (2^63 - 1 would equal 2^63). */
static int real_int_cmp(double r, int64_t i)
{
	if (r >= JS_BIG_INTEGER)
		return 1;
	if (r < -JS_BIG_INTEGER)
		return -1;
	int64_t t = (int64_t)r; /* toward 0; exact, |r| < 2^63 */
	if (t != i)
		return (t > i) - (t < i);
	double frac = r - trunc(r); /* exact */
	return (frac > 0) - (frac < 0);
}

int dbc_js_num_cmp_real(const js_val *a, const js_val *b)
{
	if (a->kind == JV_REAL && b->kind == JV_REAL)
		return (a->u.d > b->u.d) - (a->u.d < b->u.d);
	if (a->kind == JV_REAL)
		return real_int_cmp(a->u.d, b->u.i);
	return -real_int_cmp(b->u.d, a->u.i);
}

static bool num_equal(const js_val *a, const js_val *b)
{
	return dbc_js_num_cmp(a, b) == 0;
}

bool dbc_js_equal(const js_val *a, const js_val *b)
{
	if (dbc_js_is_number(a) && dbc_js_is_number(b))
		return num_equal(a, b);
	if (a->kind != b->kind || a->n != b->n)
		return false;
	switch (a->kind) {
	case JV_STR:
		return memcmp(a->u.s, b->u.s, a->n) == 0;
	case JV_ARR:
		for (size_t i = 0; i < a->n; i++)
			if (!dbc_js_equal(a->u.items[i], b->u.items[i]))
				return false;
		return true;
	case JV_OBJ: /* both sorted by key */
		for (size_t i = 0; i < a->n; i++) {
			const js_member *x = &a->u.members[i], *y = &b->u.members[i];
			if (x->klen != y->klen || memcmp(x->key, y->key, x->klen) != 0 ||
			    !dbc_js_equal(x->val, y->val))
				return false;
		}
		return true;
	default:
		return true;
	}
}

/* null < false < true < numbers < strings < arrays < objects */
static int kind_rank(js_kind k)
{
	switch (k) {
	case JV_NULL:
		return 0;
	case JV_FALSE:
		return 1;
	case JV_TRUE:
		return 2;
	case JV_INT:
	case JV_REAL:
		return 3;
	case JV_STR:
		return 4;
	case JV_ARR:
		return 5;
	default:
		return 6;
	}
}

static int size_cmp(size_t a, size_t b)
{
	return (a > b) - (a < b);
}

int dbc_js_compare(const js_val *a, const js_val *b)
{
	int ra = kind_rank(a->kind), rb = kind_rank(b->kind);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (ra) {
	case 3:
		return dbc_js_num_cmp(a, b);
	case 4: {
		int c = memcmp(a->u.s, b->u.s, a->n < b->n ? a->n : b->n);
		return c ? (c < 0 ? -1 : 1) : size_cmp(a->n, b->n);
	}
	case 5:
		if (a->n != b->n)
			return size_cmp(a->n, b->n);
		for (size_t i = 0; i < a->n; i++) {
			int c = dbc_js_compare(a->u.items[i], b->u.items[i]);
			if (c)
				return c;
		}
		return 0;
	case 6: /* both sorted by key */
		if (a->n != b->n)
			return size_cmp(a->n, b->n);
		for (size_t i = 0; i < a->n; i++) {
			int c = dbc_js_member_cmp(&a->u.members[i], &b->u.members[i]);
			if (!c)
				c = dbc_js_compare(a->u.members[i].val, b->u.members[i].val);
			if (c)
				return c < 0 ? -1 : 1;
		}
		return 0;
	default:
		return 0;
	}
}

size_t dbc_js_utf8_length(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)s[i] & 0xC0) != 0x80;
	return count;
}

/* ---------------------------------------------------------------- excerpts */

/* A real with 15 significant digits where those read back as the same
 * double (0.1, not 0.10000000000000001), else 17, which always do: a
 * message must not show 0.30000000000000004 as 0.3 next to a bound 0.3. */
static void append_real(dbc_buf *b, double d)
{
	char s[40];
	snprintf(s, sizeof s, "%.15g", d);
	if (strtod(s, NULL) != d)
		snprintf(s, sizeof s, "%.17g", d);
	dbc_buf_append(b, s);
}

static void excerpt_into(dbc_buf *b, const js_val *v, size_t max)
{
	if (b->len > max)
		return;
	switch (v->kind) {
	case JV_NULL:
		dbc_buf_append(b, "null");
		break;
	case JV_TRUE:
		dbc_buf_append(b, "true");
		break;
	case JV_FALSE:
		dbc_buf_append(b, "false");
		break;
	case JV_INT: {
		char digits[24], *end = digits + sizeof digits; /* no text allocated and copied */
		char *d = js_digits_before(end, v->u.i < 0 ? 0 - (uint64_t)v->u.i : (uint64_t)v->u.i);
		if (v->u.i < 0)
			*--d = '-';
		dbc_buf_appendn(b, d, (size_t)(end - d));
		break;
	}
	case JV_REAL:
		append_real(b, v->u.d);
		break;
	case JV_STR: {
		dbc_buf_appendc(b, '"');
		/* runs of bytes that need no escape go in one append */
		size_t i = 0;
		while (i < v->n && b->len <= max) {
			size_t run = i;
			while (run < v->n && (unsigned char)v->u.s[run] >= 0x20 && v->u.s[run] != '"' &&
			       v->u.s[run] != '\\')
				run++;
			dbc_buf_appendn(b, v->u.s + i, run - i);
			if (run == v->n)
				break;
			unsigned char c = (unsigned char)v->u.s[run];
			if (c < 0x20)
				dbc_buf_appendf(b, "\\u%04x", c);
			else {
				dbc_buf_appendc(b, '\\');
				dbc_buf_appendc(b, (char)c);
			}
			i = run + 1;
		}
		dbc_buf_appendc(b, '"');
		break;
	}
	case JV_ARR:
		dbc_buf_appendc(b, '[');
		for (size_t i = 0; i < v->n && b->len <= max; i++) {
			if (i)
				dbc_buf_appendc(b, ',');
			excerpt_into(b, v->u.items[i], max);
		}
		dbc_buf_appendc(b, ']');
		break;
	case JV_OBJ:
		dbc_buf_appendc(b, '{');
		for (size_t i = 0; i < v->n && b->len <= max; i++) {
			js_val key = {.kind = JV_STR, .n = v->u.members[i].klen, .u.s = v->u.members[i].key};
			if (i)
				dbc_buf_appendc(b, ',');
			excerpt_into(b, &key, max);
			dbc_buf_appendc(b, ':');
			excerpt_into(b, v->u.members[i].val, max);
		}
		dbc_buf_appendc(b, '}');
		break;
	}
}

/* The excerpt of an integer, or of a string with nothing to escape, that
 * fits in max: written straight into an allocation of its size (most values
 * a message shows). NULL with *done false: any other value. */
static char *excerpt_short(dbc_ctx *ctx, const js_val *v, size_t max, bool *done)
{
	char digits[24], *end = digits + sizeof digits, *d = end;
	const char *text;
	size_t n;
	*done = false;
	if (v->kind == JV_INT) {
		d = js_digits_before(end, v->u.i < 0 ? 0 - (uint64_t)v->u.i : (uint64_t)v->u.i);
		if (v->u.i < 0)
			*--d = '-';
		text = d;
		n = (size_t)(end - d);
	} else if (v->kind == JV_STR && v->n + 2 <= max) {
		for (size_t i = 0; i < v->n; i++)
			if ((unsigned char)v->u.s[i] < 0x20 || v->u.s[i] == '"' || v->u.s[i] == '\\')
				return NULL;
		text = v->u.s;
		n = v->n;
	} else
		return NULL;
	if (n > max)
		return NULL;
	size_t quote = v->kind == JV_STR; /* a string between quotes */
	char *out = dbc_alloc(ctx, n + 2 * quote + 1);
	*done = true;
	if (!out)
		return NULL;
	memcpy(out + quote, text, n);
	if (quote)
		out[0] = out[n + 1] = '"';
	out[n + 2 * quote] = '\0';
	return out;
}

char *dbc_js_excerpt(dbc_ctx *ctx, const js_val *v, size_t max)
{
	bool done;
	char *shortest = excerpt_short(ctx, v, max, &done);
	if (done)
		return shortest;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	excerpt_into(&b, v, max);
	char *s = dbc_buf_finish(&b);
	/* too long: dbc_excerpt cuts at a character boundary and says how long */
	return s && b.len > max ? dbc_excerpt(ctx, s, max) : s;
}
