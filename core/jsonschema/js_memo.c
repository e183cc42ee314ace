/*
 * js_memo.c — the compiled check's memo of what short strings came to:
 * a string value judged against a node that is no leaf for strings (an
 * enum, a pattern, a oneOf of a string and an object...) and a member name
 * run through an object plan's patternProperties each cost an evaluation
 * or a regex search, and the same few strings ("MIT", "git", "default",
 * "require") come back in document after document. Once a schema is
 * compiled, neither answer depends on anything but the string (a compiled
 * check has no $dynamicRef and no unevaluated*), so a settled one is kept
 * here, keyed by what asked (a node, a plan) and the string's bytes. The
 * callers keep only answers that spent nothing of a document's budgets.
 *
 * Two-way: a string's answer is kept in one set of two entries, the newer
 * first, and a newer answer pushes the older of the two out. The
 * memo belongs to its schema and, as the schema's compiled regexes, is
 * used by one evaluation at a time (a schema cache is a connection's).
 *
 * why (raw heap, the whole file): the memo lives as long as its compiled
 * schema, which outlives any call's arena (dbc_js_free frees both).
 */
#include "jsonschema/js_private.h"

#include <stdlib.h>
#include <string.h>

/* Entries (a power of two) and the longest string kept: a module path
 * ("./dist/commonjs/module/index.js" under package.json's exports, reached
 * through two oneOf) or a URL often passes 24 bytes. 1,024 entries of 88
 * bytes (about 90 kB) hold a real closure's strings with few collisions;
 * they are allocated at the first answer kept, so a schema whose check
 * keeps none (most small ones) costs the memo's pointer alone. */
#define JS_MEMO_ENTRIES 1024u
#define JS_MEMO_BYTES   64u

typedef struct js_memo_entry {
	const void *owner; /* NULL: empty */
	uint32_t n;
	uint64_t value;
	char s[JS_MEMO_BYTES];
} js_memo_entry;

struct js_memo {
	js_memo_entry *e; /* JS_MEMO_ENTRIES of them; NULL: none kept yet */
};

js_memo *dbc_js_memo_new(void)
{
	return calloc(1, sizeof(js_memo));
}

void dbc_js_memo_free(js_memo *m)
{
	if (m)
		free(m->e);
	free(m);
}

/* The first of the two entries of the set where owner's s may be kept. */
static js_memo_entry *set(js_memo *m, const void *owner, const char *s, uint32_t len)
{
	/* eight bytes a step (the string is at most JS_MEMO_BYTES); the rest
	 * in one load that overlaps the last step's bytes, or, in a string
	 * shorter than eight, two of four (or three bytes alone): never a
	 * byte outside the string's len */
	uint64_t h = ((uint64_t)(uintptr_t)owner >> 4) * 0x9e3779b97f4a7c15u ^ len;
	uint32_t i = 0;
	uint64_t w;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x100000001b3u;
	}
	if (i < len) {
		if (len >= 8) {
			memcpy(&w, s + len - 8, 8);
		} else if (len >= 4) {
			uint32_t lo, hi;
			memcpy(&lo, s, 4);
			memcpy(&hi, s + len - 4, 4);
			w = (uint64_t)hi << 32 | lo;
		} else {
			w = (unsigned char)s[0] | (unsigned char)s[len / 2] << 8 |
			    (uint64_t)(unsigned char)s[len - 1] << 16;
		}
		h = (h ^ w) * 0x100000001b3u;
	}
	/* every bit of h into the entry's bits (splitmix64's finalizer): a
	 * step's product leaves its word's high bytes in h's high bits only */
	h = (h ^ h >> 30) * 0xbf58476d1ce4e5b9u;
	h = (h ^ h >> 27) * 0x94d049bb133111ebu;
	return &m->e[(h ^ h >> 31) & (JS_MEMO_ENTRIES - 2)];
}

static bool holds(const js_memo_entry *e, const void *owner, const char *s, uint32_t len)
{
	return e->owner == owner && e->n == len && dbc_js_same_bytes(e->s, s, len);
}

bool dbc_js_memo_get(js_memo *m, const void *owner, const char *s, uint32_t len, uint64_t *value)
{
	if (!m || !m->e || len > JS_MEMO_BYTES)
		return false;
	const js_memo_entry *e = set(m, owner, s, len);
	if (!holds(e, owner, s, len) && !holds(++e, owner, s, len))
		return false;
	*value = e->value;
	return true;
}

void dbc_js_memo_put(js_memo *m, const void *owner, const char *s, uint32_t len, uint64_t value)
{
	if (!m || len > JS_MEMO_BYTES)
		return;
	if (!m->e && !(m->e = calloc(JS_MEMO_ENTRIES, sizeof(js_memo_entry))))
		return; /* no memory: the answer is not kept */
	/* the newest first: the older of the set's two goes */
	js_memo_entry *e = set(m, owner, s, len);
	e[1] = e[0];
	e->owner = owner;
	e->n = len;
	e->value = value;
	memcpy(e->s, s, len);
}
