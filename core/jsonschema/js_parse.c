/*
 * js_parse.c — JSON text straight into js_val trees, without recursion and
 * without an intermediate tree: a document costs its values (24 bytes
 * each, js_private.h) and the bytes of its strings with escapes (the others
 * point into its text: js_alloc.borrow), nothing per node of a library's
 * own tree. Nesting is bounded by the caller's limit
 * (DBC_JS_MAX_DEPTH for documents), not by the C stack. Every JS_PARSE_POLL values the host is
 * asked for a pending cancel, so reading a document of many MB ends soon after one.
 *
 * What is accepted is what jansson (JSON_REJECT_DUPLICATES, JSON_DECODE_ANY,
 * JSON_ALLOW_NUL) accepts, bar its fixed depth limit: RFC 8259 text in
 * well-formed UTF-8, \u0000 inside strings but not in member names,
 * unique member names, reals within a double's range; an integer beyond 64
 * bits is read as a real. On any refusal the text goes to jansson once, so
 * the message (and its line and column) is the one it always was
 * (js_value.c: dbc_js_parse_refusal).
 */
#include "jsonschema/js_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JS_PARSE_POLL 8192u

typedef struct parser {
	dbc_ctx *ctx;
	js_alloc *a;
	const char *p;
	const char *end; /* the text's NUL */
	const char *what;
	int max_depth;
	bool prefix; /* dbc_js_parse_prefix: one value, whatever follows it */
	bool bad;    /* refused: dbc_js_parse_refusal words it */
	uint32_t polls;
	/* children of the open containers, innermost last */
	js_val **items;
	int nitems, capitems;
	js_member *members;
	int nmembers, capmembers;
	/* whether the last string read had escapes (only a decoded string
	 * can hold a NUL: the plain run stops at one) */
	bool decoded;
	/* scratch for decoding a string with escapes */
	char *scratch;
	size_t capscratch;
} parser;

typedef struct open_frame {
	js_val *v; /* JV_ARR or JV_OBJ, its children not yet placed */
	int first; /* its first child in items / members */
} open_frame;

static void skip_ws(parser *ps)
{
	ps->p = dbc_js_skip_ws(ps->p, ps->end);
}

static bool refuse(parser *ps)
{
	ps->bad = true;
	return false;
}

int dbc_js_escape(const unsigned char **q, const unsigned char *end, char *dst)
{
	static const char plain[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
	char e = (char)(*q)[1];
	*q += 2;
	const char *at = e ? strchr(plain, e) : NULL;
	if (at) {
		*dst = decoded[at - plain];
		return 1;
	}
	if (e != 'u')
		return -1;
	uint32_t cp;
	int took = dbc_json_unicode_escape((const char *)*q, &cp);
	if (took == 0 || end - *q < took)
		return -1;
	*q += took;
	return (int)dbc_utf8_put(dst, cp);
}

/* The string at ps->p (its opening quote), decoded into the allocator:
 * *out and *len; false when refused or out of memory. */
static bool string(parser *ps, const char **out, uint32_t *len)
{
	const unsigned char *s = (const unsigned char *)ps->p + 1, *q = s;
	ps->decoded = false;
	/* the plain run: no escape, no control character */
	q = dbc_js_plain_run(q, (const unsigned char *)ps->end);
	if (!q)
		return refuse(ps);
	if (*q == '"') {
		size_t n = (size_t)(q - s);
		if (n > UINT32_MAX)
			return refuse(ps);
		/* borrowed: the text outlives the document (js_alloc.borrow) */
		const char *copy =
		    ps->a->borrow ? (const char *)s : dbc_js_alloc_strn(ps->a, (const char *)s, n);
		if (!copy)
			return false;
		*out = copy;
		*len = (uint32_t)n;
		ps->p = (const char *)q + 1;
		return true;
	}
	/* escapes: decode into scratch (never longer than the text) */
	ps->decoded = true;
	const unsigned char *end = q;
	while (*end && *end != '"') {
		if (*end == '\\' && end[1])
			end++;
		end++;
	}
	if (*end != '"')
		return refuse(ps);
	size_t room = (size_t)(end - s) + 1;
	if (room > ps->capscratch) {
		char *grown = dbc_alloc(ps->ctx, room);
		if (!grown)
			return false;
		ps->scratch = grown;
		ps->capscratch = room;
	}
	size_t n = (size_t)(q - s);
	memcpy(ps->scratch, s, n);
	while (q < end) {
		unsigned char c = *q;
		if (c < 0x20)
			return refuse(ps);
		if (c >= 0x80) {
			int k = dbc_utf8_seq(q, (size_t)(end - q) < 4 ? (size_t)(end - q) : 4);
			if (!k)
				return refuse(ps);
			memcpy(ps->scratch + n, q, (size_t)k);
			n += (size_t)k;
			q += k;
			continue;
		}
		if (c != '\\') {
			ps->scratch[n++] = (char)c;
			q++;
			continue;
		}
		int wrote = dbc_js_escape(&q, end, ps->scratch + n);
		if (wrote < 0)
			return refuse(ps);
		n += (size_t)wrote;
	}
	if (n > UINT32_MAX)
		return refuse(ps);
	char *copy = dbc_js_alloc_strn(ps->a, ps->scratch, n);
	if (!copy)
		return false;
	*out = copy;
	*len = (uint32_t)n;
	ps->p = (const char *)end + 1;
	return true;
}

/* A number token: integer text that fits 64 bits is an integer, other
 * integer text and every fraction or exponent a real (beyond a double's
 * range: refused, as jansson refuses it). */
static js_val *number(parser *ps)
{
	const char *t = ps->p, *q = t;
	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (*q >= '0' && *q <= '9')
			q++;
	else
		return refuse(ps), NULL;
	bool integer = true;
	if (*q == '.') {
		integer = false;
		q++;
		if (*q < '0' || *q > '9')
			return refuse(ps), NULL;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		integer = false;
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (*q < '0' || *q > '9')
			return refuse(ps), NULL;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	ps->p = q;
	/* the token alone, NUL-ended: strtoll/strtod must not look at the rest
	 * of the document (a checking strtod reads to the text's end, which
	 * made reading a long array quadratic) */
	char small[64];
	size_t len = (size_t)(q - t);
	char *tok = small;
	if (len < sizeof small) {
		memcpy(small, t, len);
		small[len] = '\0';
	} else if (!(tok = dbc_strndup(ps->ctx, t, len))) {
		return NULL;
	}
	t = tok;
	if (integer) {
		errno = 0;
		long long i = strtoll(t, NULL, 10);
		if (errno != ERANGE) {
			js_val *v = dbc_js_alloc_val(ps->a, JV_INT);
			if (v)
				v->u.i = i;
			return v;
		}
	}
	errno = 0;
	double d = strtod(t, NULL);
	if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
		return refuse(ps), NULL;
	js_val *v = dbc_js_alloc_val(ps->a, JV_REAL);
	if (v)
		v->u.d = d;
	return v;
}

static js_val *literal(parser *ps, const char *word, js_kind k)
{
	size_t n = strlen(word);
	if (strncmp(ps->p, word, n) != 0)
		return refuse(ps), NULL;
	ps->p += n;
	return dbc_js_alloc_val(ps->a, k);
}

/* Closes the innermost container: its children move from the stacks into
 * an array of their own (objects sorted, a duplicate name refused). */
static bool close_frame(parser *ps, open_frame *f)
{
	js_val *v = f->v;
	if (v->kind == JV_ARR) {
		size_t n = (size_t)(ps->nitems - f->first);
		v->n = (uint32_t)n;
		if (n) {
			if (!(v->u.items = dbc_js_alloc_piece(ps->a, sizeof(js_val *) * n, _Alignof(js_val *))))
				return false;
			memcpy(v->u.items, ps->items + f->first, sizeof(js_val *) * n);
		}
		ps->nitems = f->first;
		return true;
	}
	size_t n = (size_t)(ps->nmembers - f->first);
	v->n = (uint32_t)n;
	if (n) {
		if (!(v->u.members = dbc_js_alloc_piece(ps->a, sizeof(js_member) * n, _Alignof(js_member))))
			return false;
		memcpy(v->u.members, ps->members + f->first, sizeof(js_member) * n);
		dbc_js_sort_members(v->u.members, n);
		for (size_t i = 1; i < n; i++)
			if (dbc_js_member_cmp(&v->u.members[i - 1], &v->u.members[i]) == 0)
				return refuse(ps);
	}
	ps->nmembers = f->first;
	return true;
}

static bool poll(parser *ps)
{
	if (++ps->polls % JS_PARSE_POLL)
		return true;
	dbc_ctx *ctx = ps->ctx;
	if (ctx->host && ctx->host->interrupted && ctx->host->interrupted(ctx)) {
		if (!ctx->failed)
			dbc_error(ctx, DBC_SQLSTATE_CANCELED, "canceled");
		return false;
	}
	return true;
}

/* The value at ps->p that is not a container (c its first character);
 * NULL when refused or out of memory. */
static js_val *scalar(parser *ps, char c)
{
	if (c == '"') {
		js_val *v = dbc_js_alloc_val(ps->a, JV_STR);
		return v && string(ps, &v->u.s, &v->n) ? v : NULL;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(ps);
	if (c == 't')
		return literal(ps, "true", JV_TRUE);
	if (c == 'f')
		return literal(ps, "false", JV_FALSE);
	if (c == 'n')
		return literal(ps, "null", JV_NULL);
	return refuse(ps), NULL;
}

/* A member's name at ps->p, as the next member (its value to come), and
 * the colon after it; false when refused or out of memory. */
static bool member_name(parser *ps)
{
	if (*ps->p != '"')
		return refuse(ps);
	if (ps->nmembers == ps->capmembers &&
	    dbc_grow(ps->ctx, &ps->members, ps->nmembers, &ps->capmembers, sizeof(js_member), 64) !=
	        DBC_OK)
		return false;
	js_member *m = &ps->members[ps->nmembers];
	memset(m, 0, sizeof *m);
	uint32_t klen;
	if (!string(ps, &m->key, &klen))
		return false;
	m->klen = klen;
	if (ps->decoded && memchr(m->key, '\0', klen))
		return refuse(ps); /* jansson cannot hold such a name */
	ps->nmembers++;
	skip_ws(ps);
	if (*ps->p++ != ':')
		return refuse(ps);
	skip_ws(ps);
	return true;
}

/* The tree of text, or NULL: ps->bad (refused) or an error in the ctx. */
static js_val *parse(parser *ps)
{
	open_frame *frames = NULL;
	int depth = 0, capframes = 0;
	js_val *v;
	skip_ws(ps);
	for (;;) {
		/* a value starts here */
		if (!poll(ps))
			return NULL;
		/* any value below max_depth containers is too deep (the root is at
		 * depth 0), as js_build.c counts */
		if (depth > ps->max_depth) {
			dbc_error(ps->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s nests deeper than %d levels",
			          ps->what, ps->max_depth);
			return NULL;
		}
		char c = *ps->p;
		if (c == '[' || c == '{') {
			js_val *open = dbc_js_alloc_val(ps->a, c == '[' ? JV_ARR : JV_OBJ);
			if (!open ||
			    dbc_grow(ps->ctx, &frames, depth, &capframes, sizeof(open_frame), 16) != DBC_OK)
				return NULL;
			frames[depth++] =
			    (open_frame){.v = open, .first = c == '[' ? ps->nitems : ps->nmembers};
			ps->p++;
			skip_ws(ps);
			if (*ps->p == (c == '[' ? ']' : '}')) {
				ps->p++;
				if (!close_frame(ps, &frames[--depth]))
					return NULL;
				v = open;
				goto placed;
			}
			if (c == '{')
				goto key;
			continue;
		}
		v = scalar(ps, c);
		if (!v)
			return NULL;
	placed:
		/* v is complete: it goes into the innermost container, or ends the text */
		for (;;) {
			if (depth == 0) {
				if (ps->prefix)
					return v;
				skip_ws(ps);
				return *ps->p ? (refuse(ps), NULL) : v;
			}
			open_frame *f = &frames[depth - 1];
			if (f->v->kind == JV_ARR) {
				if (ps->nitems == ps->capitems &&
				    dbc_grow(ps->ctx, &ps->items, ps->nitems, &ps->capitems, sizeof(js_val *),
				             64) != DBC_OK)
					return NULL;
				ps->items[ps->nitems++] = v;
			} else
				ps->members[ps->nmembers - 1].val = v;
			skip_ws(ps);
			char sep = *ps->p++;
			if (sep == ',') {
				skip_ws(ps);
				if (f->v->kind == JV_OBJ)
					goto key;
				break; /* the next item */
			}
			if (sep != (f->v->kind == JV_ARR ? ']' : '}'))
				return refuse(ps), NULL;
			if (!close_frame(ps, f))
				return NULL;
			v = f->v;
			depth--;
		}
		continue;
	key:
		/* a member name, its colon, then its value */
		if (!member_name(ps))
			return NULL;
	}
}

int dbc_js_parse(dbc_ctx *ctx, js_alloc *a, const char *text, const char *what, int max_depth,
                 js_val **out)
{
	parser ps = {.ctx = ctx,
	             .a = a,
	             .p = text,
	             .end = text + strlen(text),
	             .what = what,
	             .max_depth = max_depth};
	*out = parse(&ps);
	if (*out)
		return DBC_OK;
	if (ps.bad && !ctx->failed)
		return dbc_js_parse_refusal(ctx, text, what);
	if (!ctx->failed)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_ERROR;
}

int dbc_js_parse_prefix(dbc_ctx *ctx, js_alloc *a, const char *text, const char *text_end,
                        int max_depth, js_val **out, const char **end)
{
	parser ps = {.ctx = ctx,
	             .a = a,
	             .p = text,
	             .end = text_end,
	             .what = "the document",
	             .max_depth = max_depth,
	             .prefix = true};
	*out = parse(&ps);
	*end = ps.p;
	if (*out || ps.bad || ctx->failed)
		return *out ? DBC_OK : DBC_ERROR;
	dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_ERROR;
}
