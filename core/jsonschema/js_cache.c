/*
 * js_cache.c — compiled schemas kept per backend / connection, keyed by the
 * schema text and the options, so a CHECK constraint compiles its schema
 * once. Bounded by entries and by bytes of schema text; the least recently
 * used entry goes first.
 * why (raw heap, the whole file): the cache outlives every call, so no
 * call's arena can hold it; it is freed by dbc_js_cache_free.
 */
#include "jsonschema/js_private.h"

#include <stdlib.h>
#include <string.h>

typedef struct js_entry {
	struct js_entry *prev, *next; /* most recently used first */
	char *text;
	size_t len;
	uint64_t hash;
	bool format_assertion;
	dbc_jschema *schema;
} js_entry;

struct dbc_js_cache {
	js_entry *head, *tail;
	int entries;
	size_t bytes;
};

dbc_js_cache *dbc_js_cache_new(void)
{
	return calloc(1, sizeof(dbc_js_cache));
}

static void unlink_entry(dbc_js_cache *c, js_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(dbc_js_cache *c, js_entry *e)
{
	e->next = c->head;
	e->prev = NULL;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static void drop(dbc_js_cache *c, js_entry *e)
{
	unlink_entry(c, e);
	c->entries--;
	c->bytes -= e->len;
	dbc_jschema_free(e->schema);
	free(e->text);
	free(e);
}

void dbc_js_cache_free(dbc_js_cache *c)
{
	if (!c)
		return;
	while (c->head)
		drop(c, c->head);
	free(c);
}

int dbc_js_cache_size(const dbc_js_cache *c)
{
	return c ? c->entries : 0;
}

/* FNV-1a: enough to skip most texts before comparing. */
static uint64_t hash_text(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

int dbc_js_cache_get(dbc_ctx *ctx, dbc_js_cache *c, const char *text, const dbc_js_options *opts,
                     const dbc_jschema **out)
{
	bool fa = opts && opts->format_assertion;
	size_t len = strlen(text);
	/* a CHECK asks for the same schema row after row: the most recent entry
	 * is compared first, without hashing the text */
	js_entry *mru = c->head;
	if (mru && mru->len == len && mru->format_assertion == fa && !memcmp(mru->text, text, len)) {
		*out = mru->schema;
		return DBC_OK;
	}
	uint64_t h = hash_text(text, len);
	for (js_entry *e = c->head; e; e = e->next)
		if (e->hash == h && e->len == len && e->format_assertion == fa &&
		    !memcmp(e->text, text, len)) {
			unlink_entry(c, e);
			push_front(c, e);
			*out = e->schema;
			return DBC_OK;
		}
	dbc_jschema *s;
	if (dbc_jschema_compile(ctx, text, opts, &s) != DBC_OK)
		return DBC_ERROR;
	*out = s;
	if (len > DBC_JS_CACHE_BYTES / 4) {
		/* too big to keep: the caller's arena would be the place, but the
		 * schema is malloc memory; keep it as the only entry instead */
		while (c->head)
			drop(c, c->head);
	}
	js_entry *e = calloc(1, sizeof(js_entry));
	if (!e || !(e->text = malloc(len + 1))) {
		free(e);
		dbc_jschema_free(s);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	memcpy(e->text, text, len + 1);
	e->len = len;
	e->hash = h;
	e->format_assertion = fa;
	e->schema = s;
	/* make room first; the new entry itself is never dropped */
	while (c->tail && (c->entries >= DBC_JS_CACHE_ENTRIES || c->bytes + len > DBC_JS_CACHE_BYTES))
		drop(c, c->tail);
	push_front(c, e);
	c->entries++;
	c->bytes += len;
	return DBC_OK;
}
