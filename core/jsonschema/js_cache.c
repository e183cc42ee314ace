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
	dbc_js_schema *schema;
	/* the registry's generation when compiled, 0 when the schema read
	 * nothing of it (js_registry.c) */
	int64_t registry_gen;
} js_entry;

struct dbc_js_cache {
	js_entry *head, *tail;
	int entries;
	size_t bytes;
	dbc_js_generation_fn generation; /* NULL: dbc_js_registry_generation */
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
	dbc_js_free(e->schema);
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

void dbc_js_cache_set_generation(dbc_js_cache *c, dbc_js_generation_fn fn)
{
	if (c)
		c->generation = fn;
}

static int generation(dbc_ctx *ctx, dbc_js_cache *c, int64_t *gen)
{
	return c->generation ? c->generation(ctx, gen) : dbc_js_registry_generation(ctx, gen);
}

/* The entry of key (schema text, or NAME_KEY and a name), moved to the
 * front; NULL when there is none. */
static js_entry *find(dbc_js_cache *c, const char *key, size_t len, bool fa)
{
	/* a CHECK asks for the same schema row after row: the most recent entry
	 * is compared first, without hashing the text */
	js_entry *mru = c->head;
	if (mru && mru->len == len && mru->format_assertion == fa && !memcmp(mru->text, key, len))
		return mru;
	uint64_t h = hash_text(key, len);
	for (js_entry *e = c->head; e; e = e->next)
		if (e->hash == h && e->len == len && e->format_assertion == fa &&
		    !memcmp(e->text, key, len)) {
			unlink_entry(c, e);
			push_front(c, e);
			return e;
		}
	return NULL;
}

static int keep(dbc_ctx *ctx, dbc_js_cache *c, const char *key, size_t len, bool fa,
                dbc_js_schema *s, int64_t registry_gen)
{
	if (len > DBC_JS_CACHE_BYTES / 4) {
		/* too big to keep: the caller's arena would be the place, but the
		 * schema is malloc memory; keep it as the only entry instead */
		while (c->head)
			drop(c, c->head);
	}
	js_entry *e = calloc(1, sizeof(js_entry));
	if (!e || !(e->text = malloc(len + 1))) {
		free(e);
		dbc_js_free(s);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	memcpy(e->text, key, len);
	e->text[len] = '\0';
	e->len = len;
	e->hash = hash_text(key, len);
	e->format_assertion = fa;
	e->schema = s;
	e->registry_gen = registry_gen;
	/* make room first; the new entry itself is never dropped */
	while (c->tail && (c->entries >= DBC_JS_CACHE_ENTRIES || c->bytes + len > DBC_JS_CACHE_BYTES))
		drop(c, c->tail);
	push_front(c, e);
	c->entries++;
	c->bytes += len;
	return DBC_OK;
}

/* A registered schema's key: a byte no schema text starts with, then its
 * name. */
#define NAME_KEY '\x01'

int dbc_js_cache_get(dbc_ctx *ctx, dbc_js_cache *c, const char *arg, const dbc_js_options *opts,
                     const dbc_js_schema **out)
{
	bool fa = opts && opts->format_assertion;
	bool named = dbc_js_is_name(arg);
	/* a name's key is built on the stack: a CHECK asks once a row */
	char small[64];
	size_t len = strlen(arg);
	const char *key = arg;
	if (named && len + 2 <= sizeof small) {
		small[0] = NAME_KEY;
		memcpy(small + 1, arg, len + 1);
		key = small;
		len++;
	} else if (named && !(key = dbc_printf(ctx, "%c%s", NAME_KEY, arg)))
		return DBC_ERROR;
	else if (named)
		len = strlen(key);
	int64_t gen = 0;
	js_entry *e = find(c, key, len, fa);
	/* a schema that read the registry is good while the registry is as it
	 * was when the schema was compiled */
	if ((named || (e && e->registry_gen)) && generation(ctx, c, &gen) != DBC_OK)
		return DBC_ERROR;
	if (e && e->registry_gen == gen) {
		*out = e->schema;
		return DBC_OK;
	}
	if (e)
		drop(c, e);
	dbc_js_registry_use use = {.ctx = ctx};
	dbc_js_options o = opts ? *opts : (dbc_js_options){0};
	if (!o.load_remote) {
		o.load_remote = dbc_js_registry_load;
		o.load_arg = &use;
	}
	const char *text = arg;
	if (named) {
		char *uri, *owner;
		if (dbc_js_registry_text(ctx, arg, (char **)&text, &uri, &owner) != DBC_OK)
			return DBC_ERROR;
		o.base_uri = uri;
		use.used = true;
		use.root = arg;
		use.owner = owner;
	}
	dbc_js_schema *s;
	if (dbc_js_compile(ctx, text, &o, &s) != DBC_OK)
		return DBC_ERROR;
	if (use.used && !named && generation(ctx, c, &gen) != DBC_OK) {
		dbc_js_free(s);
		return DBC_ERROR;
	}
	*out = s;
	return keep(ctx, c, key, len, fa, s, use.used ? gen : 0);
}

int dbc_js_schema_get(dbc_ctx *ctx, dbc_js_cache *cache, const char *arg,
                      const dbc_js_options *opts, const dbc_js_schema **out, dbc_js_schema **owned)
{
	*owned = NULL;
	if (cache)
		return dbc_js_cache_get(ctx, cache, arg, opts, out);
	/* compiled for this call alone, through the registry all the same */
	dbc_js_registry_use use = {.ctx = ctx};
	dbc_js_options o = *opts;
	const char *text = arg;
	if (!o.load_remote) {
		o.load_remote = dbc_js_registry_load;
		o.load_arg = &use;
	}
	if (dbc_js_is_name(arg)) {
		char *uri, *owner;
		if (dbc_js_registry_text(ctx, arg, (char **)&text, &uri, &owner) != DBC_OK)
			return DBC_ERROR;
		o.base_uri = uri;
		use.root = arg;
		use.owner = owner;
	}
	int rc = dbc_js_compile(ctx, text, &o, owned);
	*out = *owned;
	return rc;
}
