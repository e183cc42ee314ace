/*
 * js_private.h — the inside of core/jsonschema/; no other part includes it.
 *
 * JSON text is read by js_parse.c into js_val trees: a schema's held by a
 * js_pool (plain malloc, freed at once: a cached schema outlives the query
 * whose memory context the arena may live in), a document's in the ctx
 * arena. Each subschema becomes a js_node whose keywords are looked up
 * once, at compile time. One value model serves enum, const and
 * uniqueItems comparisons.
 */
#ifndef DBC_JS_PRIVATE_H
#define DBC_JS_PRIVATE_H

#include "jsonschema/jsonschema.h"

#include <jansson.h>
#include <string.h>
/* The text scanners below pass 16 bytes at a time with SSE2 (every
 * x86-64); DBC_JS_SCALAR, or a machine without it, takes their portable
 * path (test/unit/test_jsonschema_text_scalar.c builds and runs it). */
#if defined(__SSE2__) && !defined(DBC_JS_SCALAR)
#define DBC_JS_SSE2 1
#include <emmintrin.h>
#else
#define DBC_JS_SSE2 0
#endif

/* ---------------------------------------------------------------- scanning */

/* The bytes that continue a JSON string's plain run: printable ASCII other
 * than '"' and '\\' (one load a byte where four comparisons were). */
static const bool dbc_js_plain_ascii[256] = {
    [0x20] = true,
    [0x21] = true,
    [0x23 ... 0x5b] = true,
    [0x5d ... 0x7f] = true,
};

/* How many of the 16 bytes at q continue a plain run that is ASCII: 16
 * when all do, else the offset of the first '"', '\\', control character
 * or byte of a UTF-8 sequence (q + 16 <= the text's end: every byte is
 * read). SSE2 (every x86-64) compares the 16 at once; elsewhere one load a
 * byte from dbc_js_plain_ascii. */
static inline unsigned dbc_js_plain_16(const unsigned char *q)
{
#if DBC_JS_SSE2
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
	/* signed: a byte of 0x80 or more is below 0x20 too */
	__m128i stop = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
	                            _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
	                                         _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
	unsigned mask = (unsigned)_mm_movemask_epi8(stop);
	return mask ? (unsigned)__builtin_ctz(mask) : 16;
#else
	unsigned i = 0;
	while (i < 16 && dbc_js_plain_ascii[q[i]])
		i++;
	return i;
#endif
}

/* The first byte at or after q that is not JSON whitespace (space, tab,
 * newline, carriage return), for the parse (js_parse.c) and the compiled
 * check (js_fast.c). The text ends at its NUL, end: there (no whitespace).
 * Most calls land on a token and return at once; a pretty-printed text's
 * line break and indentation is passed 16 bytes at a time (SSE2), never
 * reading past end. */
static inline const char *dbc_js_skip_ws(const char *p, const char *end)
{
	if ((unsigned char)*p > ' ')
		return p;
	/* one space before a token (pretty-printed JSON's after a colon):
	 * two loads, not a 16-byte pass */
	if (*p == ' ' && (unsigned char)p[1] > ' ')
		return p + 1;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* a line break and an indentation of up to seven spaces before a token
	 * (pretty-printed JSON's every member and item): the eight bytes after
	 * the break in one load, its first byte other than a space found by
	 * its lowest bit (never past end: the NUL at end is read at most) */
	if (*p == '\n' && end - p >= 8) {
		uint64_t w;
		memcpy(&w, p + 1, 8);
		w ^= 0x2020202020202020u; /* a space: a zero byte */
		if (w) {
			const char *q = p + 1 + (__builtin_ctzll(w) >> 3);
			if ((unsigned char)*q > ' ')
				return q;
		}
	}
#endif
#if DBC_JS_SSE2
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
		                                       _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))),
		                          _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')),
		                                       _mm_cmpeq_epi8(x, _mm_set1_epi8('\r'))));
		unsigned other = ~(unsigned)_mm_movemask_epi8(ws) & 0xffffu;
		if (other)
			return p + __builtin_ctz(other);
		p += 16;
	}
#else
	(void)end;
#endif
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* The end of the plain run of a string's bytes at q (just past its opening
 * quote), for the parse (js_parse.c) and the compiled check (js_fast.c):
 * the first '"', '\\' or control character, every byte before it
 * printable ASCII or a well-formed UTF-8 sequence; NULL at a bad sequence.
 * The text ends at its NUL, end: there (every byte before it may be read,
 * 16 at a time); a byte past a stop is never read one at a time. */
static inline const unsigned char *dbc_js_plain_run(const unsigned char *q,
                                                    const unsigned char *end)
{
	const bool *plain = dbc_js_plain_ascii;
	for (;;) {
		while (end - q >= 16) {
			unsigned n = dbc_js_plain_16(q);
			q += n;
			if (n < 16) {
				/* most strings end here: their closing quote */
				if (*q == '"')
					return q;
				break;
			}
		}
		while (plain[*q])
			q++;
		if (*q == '"' || *q == '\\' || *q < 0x20)
			return q;
		size_t avail = 0; /* up to 4, a UTF-8 sequence's most */
		while (avail < 4 && q[avail])
			avail++;
		int n = dbc_utf8_seq(q, avail);
		if (!n)
			return NULL;
		q += n;
	}
}

/* The escape at *q (its backslash), before end (js_parse.c): its character
 * written at dst (at most 4 bytes, UTF-8), *q moved past it; the bytes
 * written, or -1 for one JSON refuses (unknown, not hex, a surrogate
 * alone). */
int dbc_js_escape(const unsigned char **q, const unsigned char *end, char *dst);

/* ---------------------------------------------------------------- values */

typedef enum { JV_NULL, JV_FALSE, JV_TRUE, JV_INT, JV_REAL, JV_STR, JV_ARR, JV_OBJ } js_kind;

typedef struct js_val js_val;
typedef struct js_node js_node;
typedef struct js_regex js_regex;

typedef struct js_member {
	/* NUL-terminated when copied; a document's borrow its bytes (the
	 * host's, dbc_js_build_borrow, or its text's, js_alloc.borrow) and
	 * are not: read klen bytes only */
	const char *key;
	size_t klen;
	js_val *val;
	js_regex *re; /* schema side: the key compiled (patternProperties) */
} js_member;

struct js_val {
	/* 24 bytes: a document of many small values costs a small multiple of
	 * its text (docs/benchmarks.md). Engines cap a value far below 4 GB. */
	uint32_t n;         /* string bytes, array items, object members */
	unsigned char kind; /* js_kind */
	union {
		int64_t i;
		double d;
		const char *s; /* n bytes; NUL-terminated unless borrowed (a document's) */
		js_val **items;
		js_member *members; /* in dbc_js_member_cmp's order, for binary search */
	} u;
	/* Schema side only: the node compiled from this subschema (an object,
	 * true or false), or the regex compiled from this string ("pattern").
	 * Read node only through js_node_of, which checks the kind. */
	union {
		js_node *node;
		js_regex *re;
	};
};

/* The compiled node of a subschema value, NULL when v is none. */
static inline js_node *js_node_of(const js_val *v)
{
	return v && (v->kind == JV_OBJ || v->kind == JV_TRUE || v->kind == JV_FALSE) ? v->node : NULL;
}

/* The regex compiled from a string value, NULL when there is none. */
static inline js_regex *js_regex_of(const js_val *v)
{
	return v && v->kind == JV_STR ? v->re : NULL;
}

/* Where values live: the ctx arena (documents) or a pool (schemas). */
typedef struct js_pool js_pool;
typedef struct js_alloc {
	dbc_ctx *ctx; /* arena when pool is NULL */
	js_pool *pool;
	/* values and strings are carved from slabs, without the 16-byte
	 * rounding of every separate allocation */
	char *slab;
	size_t slab_left, slab_size;
	/* Slabs are not zeroed: whoever takes bytes from them writes every one
	 * (the builder of a host's document, js_build.c). Pieces bigger than a
	 * slab's share are zeroed either way. */
	bool unzeroed;
	/* dbc_js_parse: a string without escapes points into the text parsed (not
	 * NUL-terminated: read its n bytes) instead of a copy. Only for a
	 * document whose text the caller holds while its tree is used. */
	bool borrow;
} js_alloc;

js_pool *dbc_js_pool_new(void);
void dbc_js_pool_free(js_pool *pool);
void *dbc_js_alloc_bytes(js_alloc *a, size_t n); /* zeroed; NULL on exhaustion */
char *dbc_js_alloc_strn(js_alloc *a, const char *s, size_t n);
/* n values side by side (a container's children, with the builder its
 * member or item slots after them), from a slab, zeroed unless the
 * allocator is unzeroed; NULL (error set) on exhaustion. */
js_val *dbc_js_alloc_vals(js_alloc *a, size_t n);
/* n bytes aligned to align (a power of two) from a slab, as dbc_js_alloc_vals
 * takes them (a container's member or item array); NULL (error set) on
 * exhaustion. */
void *dbc_js_alloc_piece(js_alloc *a, size_t n, size_t align);
/* A zeroed value of kind k, from a slab; NULL (error set) on exhaustion. */
js_val *dbc_js_alloc_val(js_alloc *a, js_kind k);

/* Parses text into a js_val tree; errors name `what` ("document", "schema").
 * Integers beyond 64 bits are read as reals; deeper than max_depth is an
 * error. */
int dbc_js_parse(dbc_ctx *ctx, js_alloc *a, const char *text, const char *what, int max_depth,
                 js_val **out);
/* dbc_js_parse of the one value text starts with, whatever follows it (*end:
 * just past it): the compiled check's way to a subtree it leaves to the
 * evaluator (js_fast.c). text_end: the whole text's NUL (found once by the
 * caller: a document hands over many values). DBC_ERROR without a ctx
 * error: refused. */
int dbc_js_parse_prefix(dbc_ctx *ctx, js_alloc *a, const char *text, const char *text_end,
                        int max_depth, js_val **out, const char **end);
/* The "not valid JSON" error for text dbc_js_parse refused. */
int dbc_js_parse_refusal(dbc_ctx *ctx, const char *text, const char *what);
/* Orders object members by key length, then bytes (jsonb's order; dbc_js_get's
 * bsearch). */
int dbc_js_member_cmp(const void *x, const void *y);
void dbc_js_sort_members(js_member *m, size_t n); /* into dbc_js_member_cmp's order */
/* Validates a tree already built (dbc_js_parse or dbc_js_build_*). */
int dbc_js_validate_val(dbc_ctx *ctx, const dbc_js_schema *s, const js_val *inst, bool *valid,
                        dbc_js_error **errors, int *nerrors, int max_errors);
const js_val *dbc_js_get(const js_val *obj, const char *key); /* NULL: absent or not an object */
/* dbc_js_get of a key of len bytes, which may hold NULs (a string value's). */
const js_val *dbc_js_get_n(const js_val *obj, const char *key, size_t len);
/* dbc_js_get_n of keys asked in ascending order (a sorted object's members,
 * in turn) of the object obj: *from (0 at first) is where the last lookup
 * stopped. A merge: each member of obj is compared at most once in all. */
const js_val *dbc_js_get_ascending(const js_val *obj, size_t *from, const char *key, size_t len);
bool dbc_js_equal(const js_val *a, const js_val *b);
/* A total order of values that agrees with dbc_js_equal (0 exactly when equal). */
int dbc_js_compare(const js_val *a, const js_val *b);
/* Inlined: the bounds of every number a CHECK reads ask it. */
static inline bool dbc_js_is_number(const js_val *v)
{
	return v->kind == JV_INT || v->kind == JV_REAL;
}
double dbc_js_num(const js_val *v);
/* a <=> b for two numbers of which one at least is a real, exact between an
 * integer and a real. */
int dbc_js_num_cmp_real(const js_val *a, const js_val *b);
/* a <=> b for two numbers, exact between an integer and a real. Inlined for
 * two integers (most bounds and most values a CHECK reads). */
static inline int dbc_js_num_cmp(const js_val *a, const js_val *b)
{
	if (a->kind == JV_INT && b->kind == JV_INT)
		return (a->u.i > b->u.i) - (a->u.i < b->u.i);
	return dbc_js_num_cmp_real(a, b);
}
/* Whether v is an integer in the draft's sense (4: integer text only). */
bool dbc_js_is_integer(const js_val *v, dbc_js_draft draft);
size_t dbc_js_utf8_length(const char *s, size_t n);
/* Short JSON text of v for messages (arena), cut past `max` bytes. */
char *dbc_js_excerpt(dbc_ctx *ctx, const js_val *v, size_t max);

/* ---------------------------------------------------------------- regex */

/* ECMA-262 pattern compiled by PCRE2; NULL with *why (arena) when invalid. */
js_regex *dbc_js_regex_compile(dbc_ctx *ctx, const char *pattern, size_t n, char **why);
void dbc_js_regex_free(js_regex *re);
/* 1 match, 0 no match, -1 error set in ctx: the match limit reached, or
 * the document's budget (*spent: the steps counted so far in the
 * document, against DBC_JS_MAX_REGEX_STEPS; where: the pattern's schema
 * location, for the message). */
struct js_path;
/* Whether re is matched by comparing bytes (plain text, maybe anchored),
 * without a call into PCRE2: a search cheaper than a look at a memo. */
bool dbc_js_regex_literal(const js_regex *re);
/* The byte every string re matches begins with (plain text after ^), or
 * -1: a pattern that may match a string beginning with any byte. */
int dbc_js_regex_first_byte(const js_regex *re);
int dbc_js_regex_search(dbc_ctx *ctx, js_regex *re, const char *s, size_t n, uint64_t *spent,
                        const struct js_path *where);

/* ---------------------------------------------------------------- formats */

/* Whether s conforms to format name; unknown formats conform. */
bool dbc_js_format_ok(dbc_ctx *ctx, const char *format, const char *s, size_t n);

/* ---------------------------------------------------------------- compiled schema */

/* Keywords a node may carry; which apply depends on the node's draft. */
typedef enum {
	KW_TYPE,
	KW_ENUM,
	KW_CONST,
	KW_MULTIPLE_OF,
	KW_MAXIMUM,
	KW_EXCL_MAXIMUM,
	KW_MINIMUM,
	KW_EXCL_MINIMUM,
	KW_MAX_LENGTH,
	KW_MIN_LENGTH,
	KW_PATTERN,
	KW_FORMAT,
	KW_ITEMS,
	KW_PREFIX_ITEMS,
	KW_ADDITIONAL_ITEMS,
	KW_UNEVALUATED_ITEMS,
	KW_CONTAINS,
	KW_MAX_CONTAINS,
	KW_MIN_CONTAINS,
	KW_MAX_ITEMS,
	KW_MIN_ITEMS,
	KW_UNIQUE_ITEMS,
	KW_PROPERTIES,
	KW_PATTERN_PROPERTIES,
	KW_ADDITIONAL_PROPERTIES,
	KW_UNEVALUATED_PROPERTIES,
	KW_PROPERTY_NAMES,
	KW_MAX_PROPERTIES,
	KW_MIN_PROPERTIES,
	KW_REQUIRED,
	KW_DEPENDENCIES,
	KW_DEPENDENT_REQUIRED,
	KW_DEPENDENT_SCHEMAS,
	KW_ALL_OF,
	KW_ANY_OF,
	KW_ONE_OF,
	KW_NOT,
	KW_IF,
	KW_THEN,
	KW_ELSE,
	KW_REF,
	KW_DYNAMIC_REF,
	KW_RECURSIVE_REF,
	KW_COUNT
} js_keyword;

extern const char *const dbc_js_keyword_names[KW_COUNT];

/* A schema resource: a document root or a subschema with its own $id. */
typedef struct js_resource {
	char *uri; /* absolute, without fragment */
	dbc_js_draft draft;
	js_node *root;
	bool recursive_anchor; /* 2019-09 $recursiveAnchor: true at its root */
	struct js_resource *next;
} js_resource;

/* A name bound to a node: $anchor / $dynamicAnchor / "#name" ids. */
typedef struct js_anchor {
	js_resource *res;
	char *name;
	js_node *node;
	bool dynamic;
	struct js_anchor *next;
} js_anchor;

struct js_node {
	const js_val *schema; /* an object, or true / false */
	js_resource *res;
	dbc_js_draft draft;
	/* Present keywords of this draft; NULL when absent. */
	const js_val *kw[KW_COUNT];
	/* Resolved references. */
	js_node *ref;
	js_node *dynamic_ref;      /* static target of $dynamicRef / $recursiveRef */
	const char *dynamic_name;  /* $dynamicRef's anchor when it names a dynamic one */
	bool ref_only;             /* drafts 4-7: $ref hides every sibling keyword */
	uint8_t ref_walk;          /* the compile's $ref cycle search: 1 on the path, 2 done */
	bool applies_in_place;     /* has allOf, anyOf, oneOf, not, if or dependent schemas */
	bool in_place_annotations; /* unevaluated* below: collect annotations */
	/* A leaf asserts nothing but its type on an instance of a kind in
	 * leaf_kinds (bit 1 << js_kind): most subschemas of real schemas,
	 * {"type": "string"}, or {"type": ["object", "string"], "required":
	 * [...]} for a string. Such an instance passes it without an
	 * evaluation; any other goes the whole way (dbc_js_node_find_leaf). A
	 * node that is only a $ref (drafts 4-7) is judged by its target's leaf. */
	bool leaf;
	uint8_t leaf_kinds;
	/* The scalar kinds (bit 1 << js_kind) on which the node is its
	 * assertion keywords alone ({"type": "string", "pattern": "^\\./"},
	 * {"enum": [...]}): no reference, applicator or in-place keyword reads
	 * such a value, so dbc_js_assert_keywords answers for the node without
	 * an evaluation's frame (js_validate.c: leaf_accepts). */
	uint8_t asserts_only_kinds;
	/* Of those, the kinds its type surely admits and on which it asserts
	 * nothing but bounds (a number's minimum and maximum, a string's
	 * minLength and maxLength): no enum, const, pattern, format,
	 * multipleOf or exclusive bound. The compiled check reads the bounds
	 * itself (dbc_js_bounds_accept), without the assertions' walk. */
	uint8_t bounds_kinds;
	/* On a string, whether the node is its type (surely admitting one),
	 * enum, minLength / maxLength and pattern alone, with an enum or a
	 * pattern (bounds alone are bounds_kinds'): the compiled check asks
	 * dbc_js_string_accept, without the evaluator's frames. JS_STRING_PLAIN:
	 * no pattern, or one that is plain text (cheaper than a look at the
	 * memo); JS_STRING_REGEX: a pattern PCRE2 searches (the memo first). */
	uint8_t string_check;
	/* The scalar kinds (bit 1 << js_kind) on which the node asserts
	 * nothing but its type (surely) and its allOf / anyOf / oneOf / not:
	 * dbc_js_eval_value judges its branches on such a value without an
	 * evaluation of the node (js_validate.c: alts_accept). */
	uint8_t alts_kinds;
	/* The kinds of instance its "type" keyword may admit (bit 1 << js_kind;
	 * all without one, none for a false schema): a quiet evaluation of an
	 * instance of another kind fails without being made (js_validate.c:
	 * type_rejects), as the anyOf / oneOf branches of a value mostly do. */
	uint8_t type_kinds;
	/* The kinds its "type" admits whatever the value (an integer for
	 * "integer", not a real): check_type passes them without reading the
	 * names. Meaningful only when the node has a type. */
	uint8_t type_surely;
	/* The kinds of instance (bit 1 << js_kind) its assertion keywords have
	 * something to read for: a type that may refuse them, enum, const, or
	 * a keyword of their kind (format only when formats are asserted). An
	 * instance of another kind passes dbc_js_assert_keywords without the call. */
	uint8_t assert_kinds;
	/* The kinds its applicators below the value apply to: JV_OBJ with
	 * properties, patternProperties, additionalProperties or propertyNames;
	 * JV_ARR with items, prefixItems, additionalItems or contains. Another
	 * kind goes past eval_object and eval_array without the call. */
	uint8_t apply_kinds;
	/* JV_OBJ with unevaluatedProperties, JV_ARR with unevaluatedItems: an
	 * instance of such a kind collects its own annotations. */
	uint8_t uneval_kinds;
	/* The compiled check's plans for an object and for an array instance
	 * (js_plan.c); NULL: the evaluator judges such an instance of this node. */
	struct js_plan *obj_plan, *arr_plan;
	bool planned; /* js_plan.c has looked at this node */
	/* js_plan.c: whether the node, on an object, reads only its member
	 * names (0 not looked at, 1 being looked at, 2 yes, 3 no) */
	uint8_t names_only;
	/* Set by js_plan.c for every node its plans lead to (hop_known),
	 * read per value by the compiled check: hop, where the node's $ref-only
	 * hops end (dbc_js_plan_target's answer, NULL past a few), and
	 * string_pass, how any string passes it (a JS_PASS_*, 0 when the
	 * string's keywords must be read). Unset: both worked out per value. */
	bool hop_known;
	uint8_t string_pass;
	const js_node *hop;
};

/* js_node.string_check's values (0: none). */
enum { JS_STRING_PLAIN = 1, JS_STRING_REGEX };

/* js_node.string_pass's values (0: none): any string passes the node
 * through its hops, which are none or a true schema (FREE: no step), or a
 * leaf for strings (STEP: one step, as the evaluator counts a leaf). */
enum { JS_PASS_FREE = 1, JS_PASS_STEP };

/* Whether n passes any instance of kind by its type alone (js_node.leaf):
 * the evaluator's and the compiled check's shortcut, each counting it as
 * a step. */
static inline bool dbc_js_leaf_of(const js_node *n, unsigned kind)
{
	return n->leaf && (n->leaf_kinds & (1u << kind));
}

/* A member name a compiled object check knows: a property (node: its
 * schema) or only a required name (node NULL). */
typedef struct js_slot {
	const char *key;
	uint32_t klen;
	const js_node *node;
} js_slot;

/* A node's check of one container kind, compiled once (js_plan.c) and run
 * over a document's text in one pass (js_fast.c): what the evaluator would
 * do for an instance of that kind, with no keyword looked up. */
typedef struct js_plan {
	/* objects: the slots in dbc_js_member_cmp's order (a binary search by
	 * length, then bytes), at most 64; required: the bits of the slots
	 * the object must have */
	js_slot *slots;
	int nslots;
	uint64_t required;
	/* the slots by a hash of a name's length and end bytes
	 * (dbc_js_plan_slot): index + 1 of a slot, 0 empty; mask + 1 entries,
	 * a power of two at least twice nslots */
	uint8_t *index;
	uint32_t mask;
	/* additionalProperties: its node, or none (NULL, extra_false false) */
	const js_node *extra;
	bool extra_false;
	/* patternProperties (an object of compiled patterns), or NULL;
	 * patterns_memo: at most 64, one not plain text (dbc_js_regex_literal):
	 * which a name matches is worth keeping in the schema's memo */
	const js_val *patterns;
	bool patterns_memo;
	/* patterns_first: every pattern matches only names beginning with
	 * one of the bytes of first (a bit each): a name beginning with
	 * another byte, or empty, matches none, without a search */
	bool patterns_first;
	uint64_t first[4];
	/* in_place: the node's allOf / anyOf / oneOf / not / if read only
	 * member names: evaluated on the object's names alone (a skeleton
	 * whose values are null), node the node they belong to */
	bool in_place;
	/* in_place, when its applicators' answer depends on at most a few
	 * slots (names_bits, a bit each as required): that answer for each
	 * combination of them, as dbc_js_plan_names_verdict gives it; NULL:
	 * worked out per object */
	uint64_t names_bits;
	const uint8_t *names_verdicts;
	/* alts: the node's allOf / anyOf / oneOf / not (schemas that may read
	 * values) are each run over the same value's text by js_fast.c, a
	 * branch's "valid" or "invalid" combined as the evaluator combines
	 * them; node the node they belong to. The check read through an
	 * accessor (js_walk.c) runs them over the same value read again. */
	bool alts;
	const js_node *node;
	/* arrays: the node every item is checked against (NULL: none);
	 * unique: uniqueItems true (checked here for up to JS_FAST_UNIQUE
	 * scalar items, js_fast.c) */
	const js_node *items;
	bool unique;
	/* minProperties / maxProperties or minItems / maxItems; -1 none */
	int64_t min, max;
} js_plan;

struct dbc_js_schema {
	js_pool *pool;
	js_node *root;
	dbc_js_draft draft;
	bool format_assertion;
	bool uses_unevaluated;
	js_resource *resources;
	js_anchor *anchors;
	js_regex **regexes; /* every compiled regex, freed with the schema */
	int nregex, capregex;
	/* Whether documents' verdicts may come from the compiled check
	 * (js_fast.c): no $dynamicRef / $recursiveRef, no unevaluated*. */
	bool compiled_check;
	/* The compiled check's verdicts of short strings (js_memo.c); NULL:
	 * none kept. */
	struct js_memo *memo;
};

/* Compiler internals shared by js_compile.c and js_ref.c (which finds what
 * a $ref names for the compiler, and never compiles). */
typedef struct js_compiler {
	dbc_ctx *ctx;
	dbc_js_schema *s;
	js_alloc a;
	const dbc_js_options *opts;
	/* nodes whose references still need resolving */
	js_node **pending;
	int npending, cappending;
	/* what the compile has read and built so far, against
	 * DBC_JS_MAX_SCHEMA_BYTES and DBC_JS_MAX_SCHEMA_NODES */
	size_t bytes;
	int nodes;
} js_compiler;
/* The registry's shared reads (js_registry.c): whether its tables exist;
 * the first column of the first row as text (a query callback); the role
 * the session acts as (an engine with roles only); whether role may act
 * as owner (the same role, a member of it, a superuser). */
int dbc_js_registry_present(dbc_ctx *ctx, bool *present);
int dbc_js_take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c);
int dbc_js_session_role(dbc_ctx *ctx, char **role);
int dbc_js_acts_as(dbc_ctx *ctx, const char *role, const char *owner, bool *ok);
/* Whether a CHECK expression calls dbjson_valid or dbjson_assert with a
 * schema argument that is not a literal (js_schema_arg.c). */
bool dbc_js_schema_arg_computed(const char *expr);
/* Counts a document's text against DBC_JS_MAX_SCHEMA_BYTES (js_ref.c). */
int dbc_js_count_text(js_compiler *c, const char *text);

/* Compiles the plans of every node a compiled check reaches (js_plan.c),
 * once the schema's references are resolved. */
int dbc_js_plan_schema(js_compiler *c);
/* The node a drafts 4-7 $ref-only chain ends at (n itself when it is no
 * such node); NULL past a few hops. Inlined: every value a compiled check
 * reads asks, and a planned node keeps its answer (js_node.hop). */
const js_node *dbc_js_plan_hops(const js_node *n);
static inline const js_node *dbc_js_plan_target(const js_node *n)
{
	if (!n->ref_only || !n->ref)
		return n;
	return n->hop_known ? n->hop : dbc_js_plan_hops(n);
}
/* The compiled check of document text of len bytes, its NUL after them
 * (js_fast.c): 1 valid, 0 undecided
 * (the evaluator decides: the document fails, or holds what the check
 * leaves to it), -1 an error in the ctx (a cancel). */
int dbc_js_fast_valid(dbc_ctx *ctx, const dbc_js_schema *s, const char *text, size_t len);
/* dbc_js_validate of a document of len bytes, its NUL after them (text
 * whose length the host knows: not measured again). */
int dbc_js_validate_n(dbc_ctx *ctx, const dbc_js_schema *s, const char *document, size_t len,
                      bool *valid, dbc_js_error **errors, int *nerrors, int max_errors);
/* A number's text at *at, when short, read into *v as dbc_js_parse reads it
 * (js_fast.c): -?(0|[1-9][0-9]{0,17}) an integer, or with a fraction of at
 * most 15 digits in all a real; *at moved past it. False otherwise (an
 * exponent, more digits, no number), *at unmoved. */
bool dbc_js_short_number(const char **at, js_val *v);
/* A value's answer in the compiled checks (js_fast.c over a text, js_walk.c
 * over a value read through an accessor): inside branches, an "invalid"
 * may settle them. */
typedef enum { JS_UNDECIDED = 0, JS_VALID, JS_INVALID } js_verdict;
/* The first of two answers that is invalid, else undecided, else valid. */
static inline js_verdict dbc_js_worse(js_verdict a, js_verdict b)
{
	return a == JS_INVALID || b == JS_INVALID       ? JS_INVALID
	       : a == JS_UNDECIDED || b == JS_UNDECIDED ? JS_UNDECIDED
	                                                : JS_VALID;
}
/* anyOf so far (some) after one more branch's answer: valid once any
 * branch is, undecided once any is and none is valid, else invalid. */
static inline js_verdict dbc_js_any_of(js_verdict some, js_verdict branch)
{
	return some == JS_VALID || branch == JS_VALID ? JS_VALID
	       : branch == JS_UNDECIDED               ? JS_UNDECIDED
	                                              : some;
}
/* oneOf's answer from its branches: valid branches counted (up to 2) and
 * whether any was undecided. Two valid settle it invalid whatever the rest. */
static inline js_verdict dbc_js_one_of(int valid, bool unsure)
{
	return valid >= 2 ? JS_INVALID : unsure ? JS_UNDECIDED : valid == 1 ? JS_VALID : JS_INVALID;
}
/* not's answer from its schema's: undecided stays undecided. */
static inline js_verdict dbc_js_not(js_verdict b)
{
	return b == JS_VALID ? JS_INVALID : b == JS_INVALID ? JS_VALID : JS_UNDECIDED;
}
/* Schemas one member's value is checked against at most. */
#define JS_MEMBER_NODES 8
/* Whether the n bytes at a and b are the same: inlined, eight bytes a
 * load (never a byte past n), for the short names and strings the
 * compiled check compares a member at a time, where a call to memcmp
 * costs more than the comparison. */
static inline bool dbc_js_same_bytes(const char *a, const char *b, uint32_t n)
{
	uint64_t x, y;
	if (n >= 8) {
		/* the last load overlaps the one before it: no byte loop */
		for (uint32_t i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		/* two loads of four that overlap */
		uint32_t u, v, w, z;
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		memcpy(&w, a + n - 4, 4);
		memcpy(&z, b + n - 4, 4);
		return u == v && w == z;
	}
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}
/* The bucket of a member name in a plan's index (js_plan.c). */
static inline uint32_t dbc_js_plan_hash(const char *key, uint32_t klen)
{
	return klen ? klen * 31u + (unsigned char)key[0] * 7u + (unsigned char)key[klen - 1] : 0;
}
/* The slot of member name key, of hash h (dbc_js_plan_hash), in object
 * plan p, or NULL: a probe of its index (inlined: a document's every
 * member name asks). */
static inline const js_slot *dbc_js_plan_slot_hashed(const js_plan *p, const char *key,
                                                     uint32_t klen, uint32_t h)
{
	for (;; h++) {
		unsigned i = p->index[h & p->mask];
		if (!i)
			return NULL;
		const js_slot *s = &p->slots[i - 1];
		if (s->klen == klen && dbc_js_same_bytes(s->key, key, klen))
			return s;
	}
}
static inline const js_slot *dbc_js_plan_slot(const js_plan *p, const char *key, uint32_t klen)
{
	return dbc_js_plan_slot_hashed(p, key, klen, dbc_js_plan_hash(key, klen));
}

/* The compiled check's memo of what short strings came to (js_memo.c):
 * a value kept for owner (a node, a plan) and a string's bytes. get: false
 * when none is kept; a NULL memo keeps none. */
typedef struct js_memo js_memo;
js_memo *dbc_js_memo_new(void);
void dbc_js_memo_free(js_memo *m);
bool dbc_js_memo_get(js_memo *m, const void *owner, const char *s, uint32_t len, uint64_t *value);
void dbc_js_memo_put(js_memo *m, const void *owner, const char *s, uint32_t len, uint64_t value);

/* Sets n->leaf and n->leaf_kinds from its keywords (js_validate.c); format
 * counts as a keyword only when formats are asserted. */
void dbc_js_node_find_leaf(js_node *n, bool format_asserts);
js_node *dbc_js_compile_node(js_compiler *c, const js_val *schema, js_resource *res,
                             dbc_js_draft draft);
js_resource *dbc_js_add_resource(js_compiler *c, const char *uri, dbc_js_draft draft);
int dbc_js_add_anchor(js_compiler *c, js_resource *res, const char *name, js_node *node,
                      bool dynamic);
/* Loads a whole document as a new resource tree with base uri. */
js_node *dbc_js_load_document(js_compiler *c, const js_val *doc, const char *uri,
                              dbc_js_draft draft);
/* The whole compile (js_compile.c), without the meta-schema check that
 * dbc_js_compile adds above it when the options ask (js_meta_check.c). */
int dbc_js_compile_schema(dbc_ctx *ctx, const char *text, const dbc_js_options *opts,
                          dbc_js_schema **out);

/* What a $ref names (js_ref.c: finds, never compiles). The resource of uri
 * (no fragment) or NULL; the anchor name in res or NULL; the anchor name in
 * the dynamic scope (2020-12) or NULL. */
js_resource *dbc_js_find_resource(const dbc_js_schema *s, const char *uri);
js_node *dbc_js_find_anchor(const dbc_js_schema *s, const js_resource *res, const char *name);
js_node *dbc_js_find_dynamic_anchor(const dbc_js_schema *s, const js_resource *res,
                                    const char *name);
/* The parsed document at doc (no fragment), not yet in the schema: a
 * draft's meta-schema or (tests only) a remote from the options' loader;
 * *draft its draft when it is a meta-schema, else the schema's. NULL with
 * the ctx's error when there is none. */
js_val *dbc_js_fetch_document(js_compiler *c, const char *doc, dbc_js_draft *draft);
/* The subschema at pointer (a fragment, already percent-decoded) in res's
 * document, or NULL when it names nothing or no schema. */
const js_val *dbc_js_pointer_target(dbc_ctx *ctx, const js_resource *res, const char *pointer);

/* URIs (RFC 3986 reference resolution, enough for $id and $ref). */
char *dbc_js_uri_resolve(dbc_ctx *ctx, const char *base, const char *ref);
char *dbc_js_uri_strip_fragment(dbc_ctx *ctx, const char *uri, const char **fragment);
/* JSON Pointer (RFC 6901) fragment, already percent-decoded: NULL if absent. */
const js_val *dbc_js_pointer(dbc_ctx *ctx, const js_val *root, const char *pointer);

/* Drafts and meta-schemas. dbc_js_meta_refusal (js_meta_check.c, above the
 * compiler and the validator): why the draft's meta-schema refuses schema
 * text (arena), NULL when it does not. */
int dbc_js_meta_refusal(dbc_ctx *ctx, const char *text, char **why);
bool dbc_js_draft_of_uri(const char *uri, dbc_js_draft *draft);
const char *dbc_js_meta_uri(dbc_js_draft draft);
const char *dbc_js_meta_text(const char *uri, dbc_js_draft *draft);

/* ---------------------------------------------------------------- evaluation */

/* A path as a chain of stack frames, printed only when an error needs it. */
typedef struct js_path {
	const struct js_path *up;
	const char *key; /* NULL: index */
	size_t klen;     /* key's bytes, or JS_PATH_CSTR: NUL-terminated, measured when printed */
	size_t index;
} js_path;

/* A keyword's name in a path: its length is needed only by a message, so
 * the evaluation's every step does not measure it. */
#define JS_PATH_CSTR ((size_t)-1)

char *dbc_js_path_pointer(dbc_ctx *ctx, const js_path *p);

/* The decimal digits of v, written to end at end (20 bytes are enough);
 * returns where they start. Messages print numbers with it, not printf. */
static inline char *js_digits_before(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	return end;
}
/* An instance path for a message: "/items/2/price", or "(document)" for
 * the whole document. */
const char *dbc_js_where(const char *instance_path);

/* The errors of one validation. */
typedef struct js_errors {
	dbc_js_error *items;
	int n, cap, max;
} js_errors;

int dbc_js_error_add(dbc_ctx *ctx, js_errors *e, const js_path *ipath, const js_path *spath,
                     const char *keyword, const char *message);

/* The dynamic scope: the resources entered on the way to the current node. */
typedef struct js_scope {
	const struct js_scope *up;
	const js_resource *res;
} js_scope;

/* One validation run. */
typedef struct js_run {
	dbc_ctx *ctx;
	const dbc_js_schema *s;
	js_errors *errors;    /* NULL: stop at the first failure */
	int quiet;            /* > 0: inside a subschema whose parent reports its failure */
	int depth;            /* nested evaluations (for messages) */
	uintptr_t stack_base; /* where the validation's stack began */
	/* Evaluations so far, bounded by a budget that grows with the
	 * document (js_validate.c: eval_budget), checked with interrupts. */
	uint64_t steps, next_check, budget;
	/* Steps counted of the document's regular expression matches
	 * (dbc_js_regex_search), at most DBC_JS_MAX_REGEX_STEPS. */
	uint64_t regex_steps;
	const js_val *doc;
} js_run;

/* Whether failures are being recorded (and so evaluation goes on after one). */
static inline bool js_collecting(const js_run *r)
{
	return r->errors && r->quiet == 0 && !r->ctx->failed;
}

/* Records a failure of keyword k at ipath / spath (spath ends at the node;
 * the keyword is appended). Returns false, for "return dbc_js_fail(...)". */
bool dbc_js_fail(js_run *r, const js_path *ipath, const js_path *spath, const char *keyword,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Its message's arguments (excerpts of the instance, built in the arena)
 * are evaluated only when failures are recorded: the failing branches of a
 * valid document's anyOf and oneOf, and every dbjson_valid, build no text. */
#define dbc_js_fail(r, ...) (js_collecting(r) ? (dbc_js_fail)(r, __VA_ARGS__) : false)

/* Whether the count of members or items meets plan p's bounds (NULL: any). */
static inline bool dbc_js_plan_within(const js_plan *p, int64_t count)
{
	return !p || ((p->min < 0 || count >= p->min) && (p->max < 0 || count <= p->max));
}
/* Whether plan p reads nothing of a container but its alts. */
static inline bool dbc_js_plan_only_alts(const js_plan *p)
{
	return p->nslots == 0 && !p->extra && !p->extra_false && !p->patterns && !p->in_place &&
	       !p->items && !p->unique && p->min < 0 && p->max < 0;
}
/* The nodes a member's value is checked against beside its property's
 * (nodes[0] when *n is 1), by object plan p (js_plan.c): those of its
 * patternProperties the name matches, or additionalProperties when nothing
 * covers it. Invalid: a name additionalProperties false refuses; undecided:
 * more than JS_MEMBER_NODES schemas, or an error in r's ctx. */
js_verdict dbc_js_plan_member_nodes(js_run *r, const js_plan *p, const char *key, uint32_t klen,
                                    const js_node **nodes, int *n);
/* Whether member name key may match one of object plan p's
 * patternProperties (false: it surely matches none, unsearched). */
static inline bool dbc_js_plan_patterns_may(const js_plan *p, const char *key, uint32_t klen)
{
	if (!p->patterns)
		return false;
	if (!p->patterns_first)
		return true;
	unsigned char b = klen ? (unsigned char)key[0] : 0;
	return klen && (p->first[b >> 6] >> (b & 63) & 1);
}
/* The end of dbc_js_plan_member_nodes, once patternProperties are matched
 * (covered: the name has a property's or a pattern's schema):
 * additionalProperties for a name nothing covers. Inlined: a plan without
 * patterns answers each member's name with it alone. */
static inline js_verdict dbc_js_plan_extra(const js_plan *p, bool covered, const js_node **nodes,
                                           int *n)
{
	if (covered)
		return JS_VALID;
	if (p->extra_false)
		return JS_INVALID;
	if (p->extra)
		nodes[(*n)++] = p->extra;
	return JS_VALID;
}
/* The names-only applicators of object plan p (p->in_place) judged from
 * which of its slots an object has (seen, as p->required) and nothing
 * else: each required name must be a slot, the types admit an object or
 * surely not. Undecided for anything else (a name no slot knows,
 * min/maxProperties): the skeleton's evaluation answers then. */
js_verdict dbc_js_plan_names_verdict(const js_plan *p, uint64_t seen);
/* A quiet evaluation of inst against n in run r (js_validate.c), with no
 * dynamic scope: for the compiled check, whose schemas have no dynamic
 * reference. */
bool dbc_js_eval_value(js_run *r, const js_node *n, const js_val *inst);
/* Whether node t (no $ref-only hop left) passes a value of kind by its
 * type alone, counted as the evaluator counts it: a step, when one is left
 * before the next look at the budget (else the evaluator's, which looks). */
static inline bool dbc_js_leaf_step(js_run *r, const js_node *t, unsigned kind)
{
	if (!dbc_js_leaf_of(t, kind) || r->steps + 1 >= r->next_check)
		return false;
	r->steps++;
	return true;
}
/* The compiled check's verdict on scalar v against node t, which has no
 * $ref-only hop left (js_fast.c, for js_fast.c and js_walk.c):
 * a leaf's kind passes as a step, a string's settled answer comes from the
 * schema's memo, a value within a bounds-only node's bounds passes
 * (dbc_js_bounds_accept), anything else is the evaluator's (undecided when it
 * ended on an error, left in r's ctx). */
js_verdict dbc_js_scalar_verdict(js_run *r, const js_node *t, const js_val *v);
/* Only n's in-place applicators (allOf, anyOf, oneOf, not, if, dependent
 * schemas) on inst, quietly: the compiled check's names-only part. */
bool dbc_js_eval_in_place(js_run *r, const js_node *n, const js_val *inst);

/* Whether scalar inst, of a kind in n->bounds_kinds, meets n's bounds
 * (js_assert.c): what dbc_js_assert_keywords answers for such a node. */
bool dbc_js_bounds_accept(const js_node *n, const js_val *inst);
/* Whether string inst meets the enum, length bounds and pattern of n, a
 * node with a string_check (js_assert.c): what dbc_js_assert_keywords
 * answers for it, quietly. 1 yes, 0 no, -1 an error in r's ctx (the
 * pattern's match limit or the document's budget). */
int dbc_js_string_accept(js_run *r, const js_node *n, const js_val *inst);
/* The assertion keywords (js_assert.c): false when the instance fails one;
 * with errors collected, every failing keyword is recorded. */
bool dbc_js_assert_keywords(js_run *r, const js_node *n, const js_val *inst, const js_path *ipath,
                            const js_path *spath);

#endif
