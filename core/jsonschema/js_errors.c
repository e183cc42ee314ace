/*
 * js_errors.c — error records: instance and schema locations printed as JSON
 * Pointers from the chains of stack frames the evaluator keeps, only when a
 * failure is recorded (valid documents never pay for paths).
 */
#include "jsonschema/js_private.h"

#include <string.h>

/* One step of a pointer, measured: '/', then its index's digits or its key
 * with '~' as "~0", '/' as "~1" and a NUL byte as "\u0000". */
typedef struct {
	const js_path *p;
	size_t klen;  /* the key's bytes */
	size_t plain; /* how many of them go in as they are (the rest are scanned) */
	size_t size;  /* the bytes the step takes */
} js_step;

static js_step step_measured(const js_path *p)
{
	js_step st = {.p = p};
	if (!p->key) {
		char digits[24], *end = digits + sizeof digits;
		st.size = 1 + (size_t)(end - js_digits_before(end, p->index));
		return st;
	}
	/* a keyword's name (JS_PATH_CSTR) has nothing to escape */
	bool name = p->klen == JS_PATH_CSTR;
	st.klen = name ? strlen(p->key) : p->klen;
	while (!name && st.plain < st.klen && p->key[st.plain] != '~' && p->key[st.plain] != '/' &&
	       p->key[st.plain] != '\0')
		st.plain++;
	if (name)
		st.plain = st.klen;
	st.size = 1 + st.klen;
	for (size_t i = st.plain; i < st.klen; i++)
		st.size += p->key[i] == '~' || p->key[i] == '/' ? 1 : p->key[i] == '\0' ? 5 : 0;
	return st;
}

/* Writes the step at out; returns the end. */
static char *step_write(char *out, const js_step *st)
{
	*out++ = '/';
	if (!st->p->key) {
		char digits[24], *end = digits + sizeof digits, *d = js_digits_before(end, st->p->index);
		memcpy(out, d, (size_t)(end - d));
		return out + (end - d);
	}
	memcpy(out, st->p->key, st->plain);
	out += st->plain;
	for (size_t i = st->plain; i < st->klen; i++) {
		char c = st->p->key[i];
		if (c == '~' || c == '/') {
			*out++ = '~';
			*out++ = c == '~' ? '0' : '1';
		} else if (c == '\0') {
			memcpy(out, "\\u0000", 6);
			out += 6;
		} else
			*out++ = c;
	}
	return out;
}

/* The pointer of p after prefix ("" or "#"): the chain runs from the last
 * step up, so its steps are measured first (on the stack, or in the arena
 * for a deep one), then written from the first into one allocation. */
static char *pointer_with(dbc_ctx *ctx, const char *prefix, const js_path *p)
{
	js_step stack[32], *steps = stack;
	size_t n = 0, plen = strlen(prefix), len = plen;
	for (const js_path *q = p; q; q = q->up)
		n++;
	if (n > sizeof stack / sizeof stack[0] && !(steps = dbc_alloc(ctx, n * sizeof *steps)))
		return NULL;
	size_t i = n;
	for (const js_path *q = p; q; q = q->up) {
		steps[--i] = step_measured(q);
		len += steps[i].size;
	}
	char *out = dbc_alloc(ctx, len + 1), *at = out;
	if (!out)
		return NULL;
	memcpy(at, prefix, plen);
	at += plen;
	for (i = 0; i < n; i++)
		at = step_write(at, &steps[i]);
	*at = '\0';
	return out;
}

char *dbc_js_path_pointer(dbc_ctx *ctx, const js_path *p)
{
	return pointer_with(ctx, "", p);
}

int dbc_js_error_add(dbc_ctx *ctx, js_errors *e, const js_path *ipath, const js_path *spath,
                     const char *keyword, const char *message)
{
	if (e->n >= e->max)
		return DBC_OK;
	if (dbc_grow(ctx, &e->items, e->n, &e->cap, sizeof(dbc_js_error), 8) != DBC_OK)
		return DBC_ERROR;
	dbc_js_error *err = &e->items[e->n];
	err->instance_path = dbc_js_path_pointer(ctx, ipath);
	err->schema_path = pointer_with(ctx, "#", spath);
	err->keyword = keyword;
	err->message = message;
	if (!err->instance_path || !err->schema_path || !message)
		return DBC_ERROR;
	e->n++;
	return DBC_OK;
}

/* Writes one conversion of a message at out (room bytes): the length, or
 * -1 when it is not one of dbc_js_fail's (%s, %zu, %lld, %%) or does not fit. */
static int conversion(char *out, size_t room, const char **fmt, va_list *ap)
{
	char digits[24], *end = digits + sizeof digits, *d;
	const char *f = *fmt, *text;
	size_t n;
	if (f[1] == 's') {
		if (!(text = va_arg(*ap, const char *)))
			return -1; /* printf's own "(null)" */
		n = strlen(text);
	} else if (f[1] == '%') {
		text = "%";
		n = 1;
	} else if (f[1] == 'z' && f[2] == 'u') {
		text = d = js_digits_before(end, va_arg(*ap, size_t));
		n = (size_t)(end - d);
		f++;
	} else if (f[1] == 'l' && f[2] == 'l' && f[3] == 'd') {
		long long v = va_arg(*ap, long long);
		d = js_digits_before(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
		if (v < 0)
			*--d = '-';
		text = d;
		n = (size_t)(end - d);
		f += 2;
	} else
		return -1;
	if (n >= room)
		return -1;
	memcpy(out, text, n);
	*fmt = f + 2;
	return (int)n;
}

/* A message of dbc_js_fail, formatted without printf's machinery (messages are
 * most of what dbjson_errors costs): its formats take only %s, %zu and
 * %lld (the compiler checks them against dbc_js_fail's printf attribute); any
 * other conversion, or a message longer than the stack buffer, is
 * formatted by dbc_vprintf, with the same result. */
__attribute__((format(printf, 2, 0))) static char *message(dbc_ctx *ctx, const char *fmt,
                                                           va_list ap)
{
	char out[512];
	size_t len = 0;
	bool whole = false; /* the format was written to its end */
	va_list args;
	va_copy(args, ap);
	for (const char *f = fmt;;) {
		const char *pct = strchr(f, '%');
		size_t run = pct ? (size_t)(pct - f) : strlen(f);
		if (run >= sizeof out - len)
			break;
		memcpy(out + len, f, run);
		len += run;
		if (!pct) {
			whole = true;
			break;
		}
		f = pct;
		int n = conversion(out + len, sizeof out - len, &f, &args);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	va_end(args);
	return whole ? dbc_strndup(ctx, out, len) : dbc_vprintf(ctx, fmt, ap);
}

bool(dbc_js_fail)(js_run *r, const js_path *ipath, const js_path *spath, const char *keyword,
                  const char *fmt, ...)
{
	if (!js_collecting(r) || r->errors->n >= r->errors->max)
		return false;
	js_path kw = {.up = spath, .key = keyword, .klen = strlen(keyword)};
	va_list ap;
	va_start(ap, fmt);
	char *msg = message(r->ctx, fmt, ap);
	va_end(ap);
	dbc_js_error_add(r->ctx, r->errors, ipath, strcmp(keyword, "false") ? &kw : spath, keyword,
	                 msg);
	return false;
}

const char *dbc_js_where(const char *instance_path)
{
	return *instance_path ? instance_path : "(document)";
}
