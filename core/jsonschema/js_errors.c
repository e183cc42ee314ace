/*
 * js_errors.c — error records: instance and schema locations printed as JSON
 * Pointers from the chains of stack frames the evaluator keeps, only when a
 * failure is recorded (valid documents never pay for paths).
 */
#include "jsonschema/js_private.h"

#include <string.h>

static void append_path(dbc_buf *b, const js_path *p)
{
	if (!p)
		return;
	append_path(b, p->up);
	dbc_buf_appendc(b, '/');
	if (!p->key) {
		char digits[24];
		int n = 0;
		size_t i = p->index;
		do
			digits[n++] = (char)('0' + i % 10);
		while ((i /= 10) > 0);
		while (n > 0)
			dbc_buf_appendc(b, digits[--n]);
		return;
	}
	size_t klen = p->klen == JS_PATH_CSTR ? strlen(p->key) : p->klen;
	/* most names need no escape: one append */
	size_t plain = 0;
	while (plain < klen && p->key[plain] != '~' && p->key[plain] != '/' && p->key[plain] != '\0')
		plain++;
	dbc_buf_appendn(b, p->key, plain);
	for (size_t i = plain; i < klen; i++) {
		char c = p->key[i];
		if (c == '~')
			dbc_buf_append(b, "~0");
		else if (c == '/')
			dbc_buf_append(b, "~1");
		else if (c == '\0')
			dbc_buf_append(b, "\\u0000");
		else
			dbc_buf_appendc(b, c);
	}
}

/* The pointer of p after prefix ("" or "#"). */
static char *pointer_with(dbc_ctx *ctx, const char *prefix, const js_path *p)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_append(&b, prefix);
	append_path(&b, p);
	dbc_buf_appendc(&b, '\0'); /* an empty pointer is still a string */
	return dbc_buf_finish(&b);
}

char *js_path_pointer(dbc_ctx *ctx, const js_path *p)
{
	return pointer_with(ctx, "", p);
}

int js_error_add(dbc_ctx *ctx, js_errors *e, const js_path *ipath, const js_path *spath,
                 const char *keyword, const char *message)
{
	if (e->n >= e->max)
		return DBC_OK;
	if (dbc_grow(ctx, &e->items, e->n, &e->cap, sizeof(dbc_js_error), 8) != DBC_OK)
		return DBC_ERROR;
	dbc_js_error *err = &e->items[e->n];
	err->instance_path = js_path_pointer(ctx, ipath);
	err->schema_path = pointer_with(ctx, "#", spath);
	err->keyword = keyword;
	err->message = message;
	if (!err->instance_path || !err->schema_path || !message)
		return DBC_ERROR;
	e->n++;
	return DBC_OK;
}

bool(js_fail)(js_run *r, const js_path *ipath, const js_path *spath, const char *keyword,
              const char *fmt, ...)
{
	if (!js_collecting(r))
		return false;
	js_path kw = {.up = spath, .key = keyword, .klen = strlen(keyword)};
	va_list ap;
	va_start(ap, fmt);
	char *msg = dbc_vprintf(r->ctx, fmt, ap);
	va_end(ap);
	js_error_add(r->ctx, r->errors, ipath, strcmp(keyword, "false") ? &kw : spath, keyword, msg);
	return false;
}

const char *js_where(const char *instance_path)
{
	return *instance_path ? instance_path : "(document)";
}
