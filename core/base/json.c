/*
 * json.c — jansson glue shared by snapshot, diff, reports and settings.
 */
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

static int dump_to_buf(const char *text, size_t size, void *arg)
{
	dbc_buf *b = arg;
	dbc_buf_appendn(b, text, size);
	return b->oom ? -1 : 0;
}

/* One pass through a growing buffer: sizing first with json_dumpb(NULL)
 * would serialise (and sort the keys of) a large snapshot twice. */
char *dbc_json_dump(dbc_ctx *ctx, const json_t *v, size_t flags)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (json_dump_callback(v, dump_to_buf, &b, flags) != 0 || b.len == 0) {
		if (!ctx->failed)
			dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not serialise JSON");
		return NULL;
	}
	return dbc_buf_finish(&b);
}

static json_t *parse(dbc_ctx *ctx, const char *text, const char *what, size_t flags)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | flags, &err);
	if (!v)
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s is not valid JSON: %s (line %d, column %d)",
		          what, err.text, err.line, err.column);
	return v;
}

json_t *dbc_json_parse(dbc_ctx *ctx, const char *text, const char *what)
{
	return parse(ctx, text, what, 0);
}

json_t *dbc_json_parse_with_nul(dbc_ctx *ctx, const char *text, const char *what)
{
	return parse(ctx, text, what, JSON_ALLOW_NUL);
}

/* Replaces bytes that are not UTF-8 with '?', so a hostile name cannot make
 * the whole snapshot unserialisable. why: malloc, freed by the caller before
 * it returns: dbc_json_strn and dbc_json_set take no ctx (jansson values are
 * built outside any call's arena). */
static char *utf8_sanitised(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	if (out)
		dbc_utf8_repair(out, s, n);
	return out;
}

json_t *dbc_json_str(const char *s)
{
	return s ? dbc_json_strn(s, strlen(s)) : json_null();
}

json_t *dbc_json_strn(const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);
	if (v)
		return v;
	char *clean = utf8_sanitised(s, n);
	if (!clean)
		return NULL;
	v = json_stringn(clean, n);
	free(clean); /* why: utf8_sanitised's malloc */
	return v;
}

/* Whether utf8_sanitised would leave s as it is. */
static bool utf8_well_formed(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		int len = p[i] < 0x80 ? 1 : dbc_utf8_seq(p + i, n - i);
		if (len == 0)
			return false;
		i += (size_t)len;
	}
	return true;
}

bool dbc_json_set(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return false;
	/* the common case needs no copy */
	if (utf8_well_formed(key))
		return json_object_set_new(obj, key, v) == 0;
	char *clean = utf8_sanitised(key, strlen(key));
	if (!clean) {
		json_decref(v);
		return false;
	}
	bool ok = json_object_set_new(obj, clean, v) == 0;
	free(clean); /* why: utf8_sanitised's malloc */
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **dbc_json_sorted_keys(dbc_ctx *ctx, const json_t *obj, size_t *n)
{
	size_t count = json_object_size(obj);
	const char **keys = dbc_alloc(ctx, sizeof(char *) * (count ? count : 1));
	if (!keys)
		return NULL;
	size_t i = 0;
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)obj, key, val)
	{
		(void)val;
		keys[i++] = key;
	}
	qsort(keys, i, sizeof(char *), cmp_str);
	*n = i;
	return keys;
}
