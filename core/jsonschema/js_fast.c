/*
 * js_fast.c — the compiled check: a document's text against a schema's
 * plans (js_plan.c) in one pass, with no tree of the document built; and
 * dbc_js_validate, which asks it first for a verdict alone. An
 * object's members are looked up in their plan's sorted slots, its required
 * names are one mask, its additionalProperties is one node; an array's items
 * go to one node. What a plan does not cover is the evaluator's
 * (js_validate.c), asked about that value alone: a scalar read from the
 * text (every scalar: their keywords are the evaluator's assertions), or a
 * container of a node without a plan, parsed on its own (dbc_js_parse_prefix).
 *
 * A node's allOf / anyOf / oneOf / not (js_plan.c: alts) run each branch
 * over the same value's text, so inside one a value's answer is one of
 * three: valid, invalid (surely: a type, a bound, a required name or an
 * additionalProperties false refused on names read exactly, or the
 * evaluator's "no" without an error), or undecided; the branches' answers
 * combine as the evaluator combines verdicts, an undecided one making the
 * whole undecided unless the others settle it.
 *
 * The document's answer is only "valid". Anything else — the document fails somewhere,
 * is not JSON, holds what this reader leaves alone (more than
 * JS_FAST_NAMES_MOST names no slot knows in one object, nesting
 * deeper than JS_FAST_DEPTH), or an evaluation ended on an error other than
 * a cancel — is undecided, and the whole document goes to the evaluator,
 * whose verdict, errors and messages are the only ones there are. So a
 * verdict never differs from the evaluator's as long as "valid" here
 * implies valid there (test/unit/test_jsonschema_compiled.c checks both on
 * every document of the JSON-Schema-Test-Suite and on random ones).
 */
#include "jsonschema/js_private.h"

#include <string.h>

/* Containers nested deeper are left to the evaluator (its reading is
 * iterative; this one recurses). */
#define JS_FAST_DEPTH 64
/* Names of one object no slot knows, checked for duplicates one against
 * another (the parser refuses a duplicate): JS_FAST_NAMES on the stack,
 * then in the walk's arena up to JS_FAST_NAMES_MOST (a package's
 * dependencies); more: the evaluator's. Also the most names of an object
 * whose plan reads its names in place. */
#define JS_FAST_NAMES      64
#define JS_FAST_NAMES_MOST 1024
/* Items of an array under uniqueItems compared here, each a scalar; more,
 * or a container among them: the evaluator's. */
#define JS_FAST_UNIQUE 16
/* Values read between two looks at a pending cancel, as js_parse.c. */
#define JS_FAST_POLL 8192u
/* Values read inside branches (each branch reads its value again, and
 * branches nest); more: undecided, the evaluator's (its budget bounds it). */
#define JS_FAST_REREADS 65536u

typedef struct fast {
	dbc_ctx *ctx;
	js_run r;
	js_alloc a; /* the subtrees the evaluator is handed */
	const char *p;
	const char *end; /* the text's NUL */
	uint32_t polls;  /* values read */
	/* polls at which the next value read looks at a pending cancel or at
	 * the rereads (see_value): the next multiple of JS_FAST_POLL, or sooner
	 * when the branches open reach JS_FAST_REREADS; each value read costs
	 * one comparison with it */
	uint32_t stop;
	int in_alts; /* branches open */
	/* values read inside branches: rereads once they are all closed,
	 * polls - alts_from while some are open */
	uint32_t rereads, alts_from;
} fast;

/* A value may be an object or an array, whose members and items are values:
 * mutually recursive */
static js_verdict value(fast *f, const js_node *n, int depth);

/* f->stop after the value read at polls (see fast.stop). */
static void next_stop(fast *f)
{
	f->stop = (f->polls / JS_FAST_POLL + 1) * JS_FAST_POLL;
	if (f->in_alts && f->alts_from + JS_FAST_REREADS + 1 < f->stop)
		f->stop = f->alts_from + JS_FAST_REREADS + 1;
}

/* Whether the value now read at f->polls (== or past f->stop) may be read:
 * false on a cancel (its error set) or past JS_FAST_REREADS rereads. */
static bool see_value(fast *f)
{
	if (f->polls % JS_FAST_POLL == 0 && f->ctx->host && f->ctx->host->interrupted &&
	    f->ctx->host->interrupted(f->ctx)) {
		dbc_error(f->ctx, DBC_SQLSTATE_CANCELED, "canceled");
		return false;
	}
	if (f->in_alts && f->polls - f->alts_from > JS_FAST_REREADS)
		return false; /* and every value after it inside branches */
	next_stop(f);
	return true;
}

/* One more branch open, or one closed: the rereads counted from polls while
 * any is. */
static void open_branches(fast *f)
{
	if (f->in_alts++ == 0)
		f->alts_from = f->polls - f->rereads;
	next_stop(f);
}

static void close_branches(fast *f)
{
	if (--f->in_alts == 0)
		f->rereads = f->polls - f->alts_from;
	next_stop(f);
}

/* The evaluator's boolean as an answer: "no" is invalid unless it ended on
 * an error (a budget, a regular expression's limit, a cancel). */
static js_verdict judged(const fast *f, bool ok)
{
	return ok ? JS_VALID : f->ctx->failed ? JS_UNDECIDED : JS_INVALID;
}

/* Inlined: most calls land on a token, one comparison */
static inline void skip_ws(fast *f)
{
	if ((unsigned char)*f->p <= ' ')
		f->p = dbc_js_skip_ws(f->p, f->end);
}

/* A string without escapes at f->p (its quote), in well-formed UTF-8:
 * its bytes borrowed from the text. False, f->p unmoved: an escape, a
 * control character or a bad sequence (the evaluator's parse decides). */
static inline __attribute__((always_inline)) bool plain_string(fast *f, const char **s,
                                                               uint32_t *len)
{
	const unsigned char *b = (const unsigned char *)f->p + 1, *q = b;
	q = dbc_js_plain_run(q, (const unsigned char *)f->end);
	if (!q)
		return false;
	if (*q != '"' || (size_t)(q - b) > UINT32_MAX)
		return false;
	*s = (const char *)b;
	*len = (uint32_t)(q - b);
	f->p = (const char *)q + 1;
	return true;
}

/* A string with escapes at f->p (its quote) read as dbc_js_parse reads it,
 * nothing decoded: for a value whose bytes nothing reads (a leaf's string).
 * False, f->p unmoved: the parser refuses it (the evaluator's parse says
 * why). */
static bool skipped_string(fast *f)
{
	const unsigned char *q = (const unsigned char *)f->p + 1, *end = (const unsigned char *)f->end;
	char decoded[4];
	for (;;) {
		if (!(q = dbc_js_plain_run(q, end)))
			return false;
		if (*q == '"')
			break;
		if (*q != '\\' || dbc_js_escape(&q, end, decoded) < 0)
			return false;
	}
	f->p = (const char *)q + 1;
	return true;
}

/* member_name's name with escapes, decoded. */
static bool escaped_name(fast *f, const char **key, uint32_t *klen)
{
	const unsigned char *q = (const unsigned char *)f->p + 1, *end = (const unsigned char *)f->end;
	const char *start = f->p;
	if (!skipped_string(f) || (size_t)(f->p - start) > UINT32_MAX)
		return false;
	char *out = dbc_js_alloc_bytes(&f->a, (size_t)(f->p - start));
	if (!out)
		return false;
	*key = out;
	for (;;) {
		/* the checks were skipped_string's: each run and escape is good */
		const unsigned char *run = dbc_js_plain_run(q, end);
		memcpy(out, q, (size_t)(run - q));
		out += run - q;
		if (*(q = run) == '"')
			break;
		out += dbc_js_escape(&q, end, out);
	}
	*klen = (uint32_t)(out - *key);
	/* a NUL (\u0000) no member name may hold: the evaluator refuses */
	return !memchr(*key, '\0', *klen);
}

/* A member name at f->p (its quote), as dbc_js_parse reads it: its bytes
 * borrowed from the text, or with escapes decoded into the walk's arena
 * (never longer than the text). False: the parser refuses it (f->p
 * unmoved), or it holds a NUL or the arena is spent (f->p past it); the
 * callers then leave the document undecided either way. Inlined: every
 * member's, most without escapes. */
static inline __attribute__((always_inline)) bool member_name(fast *f, const char **key,
                                                              uint32_t *klen)
{
	return *f->p == '"' && (plain_string(f, key, klen) || escaped_name(f, key, klen));
}

/* The evaluator's verdict on the value at f->p, parsed on its own (n NULL:
 * only whether it is JSON). */
static js_verdict handed_over(fast *f, const js_node *n)
{
	js_val *v;
	const char *end;
	if (dbc_js_parse_prefix(f->ctx, &f->a, f->p, f->end, DBC_JS_MAX_DEPTH, &v, &end) != DBC_OK)
		return JS_UNDECIDED;
	f->p = end;
	return !n ? JS_VALID : judged(f, dbc_js_eval_value(&f->r, n, v));
}

bool dbc_js_short_number(const char **at, js_val *v)
{
	/* -?(0|[1-9][0-9]{0,17}), or with a fraction of at most 15 digits in
	 * all: the integer as dbc_js_parse reads it (strtoll), the real exactly
	 * as strtod rounds it (both the digits, below 2^53, and the power of
	 * ten, at most 10^15, are doubles exactly, so one division is
	 * correctly rounded). An exponent or more digits: the parser's. */
	static const double tens[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
	                              1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	const char *p = *at, *q = p + (*p == '-');
	int64_t i = 0;
	int digits = 0;
	if (*q == '0') {
		q++;
		digits = 1;
	} else if (*q >= '1' && *q <= '9')
		for (; *q >= '0' && *q <= '9'; digits++, q++)
			if (digits == 18)
				return false;
			else
				i = i * 10 + (*q - '0');
	else
		return false;
	int fraction = 0;
	if (*q == '.') {
		for (q++; *q >= '0' && *q <= '9'; fraction++, q++)
			if (digits + fraction >= 15)
				return false;
			else
				i = i * 10 + (*q - '0');
		if (fraction == 0)
			return false;
	}
	if (*q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9'))
		return false;
	if (fraction) {
		double d = (double)i / tens[fraction];
		v->kind = JV_REAL;
		v->u.d = *p == '-' ? -d : d;
	} else {
		v->kind = JV_INT;
		v->u.i = *p == '-' ? -i : i;
	}
	*at = q;
	return true;
}

/* A scalar at f->p read into *v when this reader reads it as dbc_js_parse
 * would: a string without escapes, a short number, true, false, null.
 * False: the parser's (f->p unmoved). */
static bool scalar(fast *f, js_val *v)
{
	const char *p = f->p;
	v->n = 0;
	if (*p == '"') {
		v->kind = JV_STR;
		return plain_string(f, &v->u.s, &v->n);
	}
	/* each byte compared until one differs: never past the text's NUL */
	if (p[0] == 't' && p[1] == 'r' && p[2] == 'u' && p[3] == 'e') {
		v->kind = JV_TRUE;
		f->p += 4;
		return true;
	}
	if (p[0] == 'f' && p[1] == 'a' && p[2] == 'l' && p[3] == 's' && p[4] == 'e') {
		v->kind = JV_FALSE;
		f->p += 5;
		return true;
	}
	if (p[0] == 'n' && p[1] == 'u' && p[2] == 'l' && p[3] == 'l') {
		v->kind = JV_NULL;
		f->p += 4;
		return true;
	}
	if (*p == 't' || *p == 'f' || *p == 'n')
		return false;
	return dbc_js_short_number(&f->p, v);
}

/* The string without escapes at f->p taken as value(f, n, depth) would
 * take it, without its call, when n passes any string by its type alone
 * (or is NULL or true: any value): most of a real document's values (a
 * dependency's version, a script, a keyword). Counted as value() counts
 * it: a poll, a reread inside branches, a leaf's step. False, f->p
 * unmoved: anything else (value() reads it). */
static inline __attribute__((always_inline)) bool leaf_string(fast *f, const js_node *n, int depth)
{
	skip_ws(f);
	/* a node the plans never reached (string_pass unset): value()'s */
	unsigned pass = n ? n->string_pass : JS_PASS_FREE;
	if (*f->p != '"' || !pass || depth > JS_FAST_DEPTH || f->polls + 1 >= f->stop)
		return false;
	bool step = pass == JS_PASS_STEP;
	if (step && f->r.steps + 1 >= f->r.next_check)
		return false;
	const char *s;
	uint32_t len;
	if (!plain_string(f, &s, &len))
		return false;
	f->polls++;
	f->r.steps += step;
	return true;
}

/* A member's value against its nodes: read once against each, from the
 * same start (as allOf's branches). */
static js_verdict member_value(fast *f, const js_node **nodes, int n, int depth)
{
	if (n <= 1)
		return leaf_string(f, n ? nodes[0] : NULL, depth) ? JS_VALID
		                                                  : value(f, n ? nodes[0] : NULL, depth);
	skip_ws(f);
	const char *start = f->p, *end = NULL;
	js_verdict v = JS_VALID;
	open_branches(f);
	for (int i = 0; i < n && v == JS_VALID; i++) {
		f->p = start;
		if ((v = value(f, nodes[i], depth)) == JS_VALID)
			end = f->p;
	}
	close_branches(f);
	if (v == JS_VALID)
		f->p = end;
	return v;
}

/* An object's checks once its members are read: bounds, required names,
 * and in-place applicators on its names (a skeleton, values null). */
static js_verdict object_end(fast *f, const js_plan *p, int64_t count, uint64_t seen,
                             js_member *all)
{
	if (!dbc_js_plan_within(p, count) || (seen & p->required) != p->required)
		return JS_INVALID;
	if (!p->in_place)
		return JS_VALID;
	js_verdict names = dbc_js_plan_names_verdict(p, seen);
	if (names != JS_UNDECIDED)
		return names;
	static js_val null_value = {.kind = JV_NULL};
	for (int64_t i = 0; i < count; i++)
		all[i].val = &null_value;
	dbc_js_sort_members(all, (size_t)count);
	js_val skeleton = {.kind = JV_OBJ, .n = (uint32_t)count, .u.members = all};
	return judged(f, dbc_js_eval_in_place(&f->r, p->node, &skeleton));
}

typedef struct fast_name {
	const char *key;
	uint32_t klen;
} fast_name;

/* The names of one object that no slot knows, read so far: at, n of them
 * (first, then in the walk's arena), filter a bit of each (a hash of its
 * length and end bytes). */
typedef struct fast_names {
	fast_name first[JS_FAST_NAMES], *at;
	int n, cap;
	uint64_t filter;
} fast_names;

static inline void names_init(fast_names *names)
{
	names->at = names->first;
	names->n = 0;
	names->cap = JS_FAST_NAMES;
	names->filter = 0;
}

/* names, full, moved to room for four times as many in the walk's arena;
 * false: JS_FAST_NAMES_MOST reached or the arena spent. */
static bool more_names(fast *f, fast_names *names)
{
	fast_name *more;
	if (names->cap >= JS_FAST_NAMES_MOST ||
	    !(more = dbc_js_alloc_bytes(&f->a, sizeof(fast_name) * (size_t)names->cap * 4)))
		return false;
	memcpy(more, names->at, sizeof(fast_name) * (size_t)names->cap);
	names->at = more;
	names->cap *= 4;
	return true;
}

/* Whether name key (of plan hash hash) is none of names' yet, now added
 * to them. False: a duplicate (not JSON to the parser), or more than
 * JS_FAST_NAMES_MOST, or the arena spent: the evaluator's. Inlined: every
 * name no slot knows asks. */
static inline __attribute__((always_inline)) bool
new_name(fast *f, fast_names *names, const char *key, uint32_t klen, uint32_t hash)
{
	/* compared only with the names that share its bit of the filter */
	uint64_t bit = 1ull << (hash & 63);
	for (int i = 0; (names->filter & bit) && i < names->n; i++)
		if (names->at[i].klen == klen && dbc_js_same_bytes(names->at[i].key, key, klen))
			return false;
	names->filter |= bit;
	if (names->n == names->cap && !more_names(f, names))
		return false;
	names->at[names->n].key = key;
	names->at[names->n++].klen = klen;
	return true;
}

/* After a member or an item: past ',' and the space after it (1: another
 * follows), or past close, the container's end (0); -1: neither, not
 * JSON. */
static inline int after_item(fast *f, char close)
{
	skip_ws(f);
	if (*f->p == ',') {
		f->p++;
		skip_ws(f);
		return 1;
	}
	return *f->p++ == close ? 0 : -1;
}

/* Whether the next value read may be, counted as read: its poll (a look at
 * a pending cancel every JS_FAST_POLL values) and, inside branches, its
 * reread; not past JS_FAST_DEPTH. */
static inline bool count_value(fast *f, int depth)
{
	return (++f->polls < f->stop || see_value(f)) && depth <= JS_FAST_DEPTH;
}

/* A value under no schema (a NULL node, a true schema: a member no plan
 * covers, an item of an array without items), read by a loop of its own:
 * only whether it is JSON as the parser reads it, no plan or node looked
 * at. Counted as value() counts a value: a poll each, no step. Undecided:
 * what the parser may refuse (a duplicate name, a long number: the
 * evaluator's parse, handed_over, reads a scalar it does not know). Its
 * value, object and array are mutually recursive */
static js_verdict any_read(fast *f, int depth);

static js_verdict any_value(fast *f, int depth)
{
	return count_value(f, depth) ? any_read(f, depth) : JS_UNDECIDED;
}

static js_verdict any_object(fast *f, int depth)
{
	fast_names names;
	names_init(&names);
	f->p++;
	skip_ws(f);
	if (*f->p == '}') {
		f->p++;
		return JS_VALID;
	}
	for (;;) {
		const char *key;
		uint32_t klen;
		if (!member_name(f, &key, &klen))
			return JS_UNDECIDED;
		skip_ws(f);
		if (*f->p++ != ':' || !new_name(f, &names, key, klen, dbc_js_plan_hash(key, klen)))
			return JS_UNDECIDED;
		js_verdict v = any_value(f, depth + 1);
		if (v != JS_VALID)
			return v;
		int more = after_item(f, '}');
		if (more <= 0)
			return more == 0 ? JS_VALID : JS_UNDECIDED;
	}
}

static js_verdict any_array(fast *f, int depth)
{
	f->p++;
	skip_ws(f);
	if (*f->p == ']') {
		f->p++;
		return JS_VALID;
	}
	for (;;) {
		js_verdict v = any_value(f, depth + 1);
		if (v != JS_VALID)
			return v;
		int more = after_item(f, ']');
		if (more <= 0)
			return more == 0 ? JS_VALID : JS_UNDECIDED;
	}
}

/* any_value's value once counted. */
static js_verdict any_read(fast *f, int depth)
{
	skip_ws(f);
	const char *s;
	uint32_t len;
	js_val v;
	switch (*f->p) {
	case '{':
		return any_object(f, depth);
	case '[':
		return any_array(f, depth);
	case '"':
		/* a string with escapes: read, not parsed */
		return plain_string(f, &s, &len) || skipped_string(f) ? JS_VALID : handed_over(f, NULL);
	default:
		return scalar(f, &v) ? JS_VALID : handed_over(f, NULL);
	}
}

/* The object at f->p against plan p, its alts aside. */
static js_verdict object(fast *f, const js_plan *p, int depth)
{
	fast_names names;
	js_member all[JS_FAST_NAMES]; /* in_place: every name */
	names_init(&names);
	uint64_t seen = 0;
	int64_t count = 0;
	f->p++;
	skip_ws(f);
	if (*f->p == '}') {
		f->p++;
		return object_end(f, p, 0, 0, all);
	}
	for (;;) {
		const char *key;
		uint32_t klen;
		if (!member_name(f, &key, &klen))
			return JS_UNDECIDED;
		skip_ws(f);
		if (*f->p++ != ':')
			return JS_UNDECIDED;
		if (p->in_place) {
			if (count == JS_FAST_NAMES)
				return JS_UNDECIDED;
			all[count].key = key; /* its value: object_end's */
			all[count].klen = klen;
		}
		count++;
		uint32_t hash = dbc_js_plan_hash(key, klen);
		const js_slot *slot = dbc_js_plan_slot_hashed(p, key, klen, hash);
		const js_node *nodes[JS_MEMBER_NODES];
		int nnodes = 0;
		if (slot) {
			uint64_t bit = 1ull << (slot - p->slots);
			if (seen & bit)
				return JS_UNDECIDED; /* a duplicate name: not JSON to the parser */
			seen |= bit;
			if (slot->node)
				nodes[nnodes++] = slot->node;
		} else if (!new_name(f, &names, key, klen, hash))
			return JS_UNDECIDED;
		js_verdict v = !dbc_js_plan_patterns_may(p, key, klen)
		                   ? dbc_js_plan_extra(p, nnodes > 0, nodes, &nnodes)
		                   : dbc_js_plan_member_nodes(&f->r, p, key, klen, nodes, &nnodes);
		if (v == JS_VALID)
			v = member_value(f, nodes, nnodes, depth + 1);
		if (v != JS_VALID)
			return v;
		int more = after_item(f, '}');
		if (more <= 0)
			return more == 0 ? object_end(f, p, count, seen, all) : JS_UNDECIDED;
	}
}

/* The array at f->p against plan p, its alts aside. */
static js_verdict array(fast *f, const js_plan *p, int depth)
{
	js_val seen[JS_FAST_UNIQUE];
	int64_t count = 0;
	f->p++;
	skip_ws(f);
	if (*f->p == ']') {
		f->p++;
		return dbc_js_plan_within(p, 0) ? JS_VALID : JS_INVALID;
	}
	for (;;) {
		if (p->unique) {
			/* the item read twice: here as a value to compare, then
			 * against the items' node */
			const char *at = f->p;
			if (count == JS_FAST_UNIQUE || !scalar(f, &seen[count]))
				return JS_UNDECIDED;
			f->p = at;
			for (int64_t i = 0; i < count; i++)
				if (dbc_js_equal(&seen[i], &seen[count]))
					return JS_INVALID;
		}
		js_verdict v =
		    leaf_string(f, p->items, depth + 1) ? JS_VALID : value(f, p->items, depth + 1);
		if (v != JS_VALID)
			return v;
		count++;
		int more = after_item(f, ']');
		if (more < 0)
			return JS_UNDECIDED;
		if (more == 0)
			return dbc_js_plan_within(p, count) ? JS_VALID : JS_INVALID;
	}
}

static js_verdict container(fast *f, const js_plan *p, js_kind kind, int depth)
{
	return kind == JV_OBJ ? object(f, p, depth) : array(f, p, depth);
}

/* One branch against the value at start; *end: where a valid one ended. */
static js_verdict branch(fast *f, const js_node *b, const char *start, const char **end, int depth)
{
	f->p = start;
	js_verdict v = value(f, b, depth + 1);
	if (v == JS_VALID && end && !*end)
		*end = f->p;
	return v;
}

/* The container at f->p against plan p and the alts of its node: the plan's
 * own keywords (read unless it has none), then allOf (all valid), anyOf
 * (one valid), oneOf (exactly one valid), not (invalid), each branch read
 * from the value's start. A valid container was read whole by its plan or
 * by a valid branch: f->p is left past it. */
static js_verdict alternatives(fast *f, const js_plan *p, js_kind kind, int depth)
{
	const js_node *n = p->node;
	const js_val *all = n->kw[KW_ALL_OF], *any = n->kw[KW_ANY_OF], *one = n->kw[KW_ONE_OF];
	const char *start = f->p, *end = NULL;
	js_verdict v = JS_VALID;
	if (!dbc_js_plan_only_alts(p) || !(all || any || one)) {
		if ((v = container(f, p, kind, depth)) != JS_VALID)
			return v;
		end = f->p;
	}
	open_branches(f);
	for (size_t i = 0; all && i < all->n && v != JS_INVALID; i++)
		v = dbc_js_worse(v, branch(f, js_node_of(all->u.items[i]), start, &end, depth));
	if (any && v != JS_INVALID) {
		js_verdict some = JS_INVALID;
		for (size_t i = 0; i < any->n && some != JS_VALID; i++) {
			js_verdict b = branch(f, js_node_of(any->u.items[i]), start, &end, depth);
			some = dbc_js_any_of(some, b);
		}
		v = dbc_js_worse(v, some);
	}
	if (one && v != JS_INVALID) {
		int valid = 0;
		bool unsure = false;
		for (size_t i = 0; i < one->n && valid < 2; i++) {
			js_verdict b = branch(f, js_node_of(one->u.items[i]), start, &end, depth);
			valid += b == JS_VALID;
			unsure |= b == JS_UNDECIDED;
		}
		v = dbc_js_worse(v, dbc_js_one_of(valid, unsure));
	}
	if (n->kw[KW_NOT] && v != JS_INVALID) {
		js_verdict b = branch(f, js_node_of(n->kw[KW_NOT]), start, NULL, depth);
		v = dbc_js_worse(v, dbc_js_not(b));
	}
	close_branches(f);
	if (v == JS_VALID && !end)
		v = JS_UNDECIDED; /* cannot be: a valid one read the value */
	if (v == JS_VALID)
		f->p = end;
	return v;
}

/* The value at f->p against node n (NULL: any value, read only to know it
 * is JSON): valid when it surely passes, invalid when it surely fails,
 * else undecided. */
static js_verdict value(fast *f, const js_node *n, int depth)
{
	if (!count_value(f, depth))
		return JS_UNDECIDED;
	if (!n)
		return any_read(f, depth);
	skip_ws(f);
	const js_node *t = dbc_js_plan_target(n);
	if (!t)
		return handed_over(f, n);
	if (t->schema->kind == JV_TRUE)
		return any_read(f, depth);
	if (t->schema->kind == JV_FALSE)
		return JS_INVALID;
	char c = *f->p;
	if (c == '{' || c == '[') {
		js_kind kind = c == '{' ? JV_OBJ : JV_ARR;
		if (!(t->type_kinds & (1u << kind)))
			return JS_INVALID;
		const js_plan *p = kind == JV_OBJ ? t->obj_plan : t->arr_plan;
		if (!p)
			return handed_over(f, t);
		return p->alts ? alternatives(f, p, kind, depth) : container(f, p, kind, depth);
	}
	js_val v;
	if (!scalar(f, &v)) {
		/* a string with escapes that any string passes: read, not parsed */
		if (*f->p == '"' && dbc_js_leaf_of(t, JV_STR) && f->r.steps + 1 < f->r.next_check &&
		    skipped_string(f)) {
			f->r.steps++; /* a leaf's step, as below */
			return JS_VALID;
		}
		return handed_over(f, t);
	}
	/* most scalars are a leaf's: answered here, without the call */
	return dbc_js_leaf_step(&f->r, t, v.kind) ? JS_VALID : dbc_js_scalar_verdict(&f->r, t, &v);
}

js_verdict dbc_js_scalar_verdict(js_run *r, const js_node *t, const js_val *v)
{
	if (dbc_js_leaf_step(r, t, v->kind))
		return JS_VALID;
	/* a node of bounds alone on this kind: read here, a step as the
	 * evaluator counts its assertions alone; a value out of bounds gets
	 * the evaluator's answer below */
	if ((t->bounds_kinds & (1u << v->kind)) && r->steps + 1 < r->next_check &&
	    dbc_js_bounds_accept(t, v)) {
		r->steps++;
		return JS_VALID;
	}
	/* a string a leaf passes costs less than a look at the memo. Kept:
	 * the verdict and the evaluation's steps (bits 8 up), when it spent
	 * no regex steps; a kept answer counts its steps as the evaluation
	 * did, so it never passes a document whose evaluation would run out of
	 * either budget */
	bool str = v->kind == JV_STR;
	bool memo = str && !dbc_js_leaf_of(t, JV_STR) && t->string_check != JS_STRING_PLAIN;
	uint64_t kept;
	if (memo && dbc_js_memo_get(r->s->memo, t, v->u.s, v->n, &kept) &&
	    r->steps + (kept >> 8) < r->next_check) {
		r->steps += kept >> 8;
		return (js_verdict)(kept & 0xff);
	}
	uint64_t steps = r->steps, regex_steps = r->regex_steps;
	js_verdict now;
	if (str && t->string_check && r->steps + 1 < r->next_check) {
		/* a string's enum, bounds and pattern read here: one step, as
		 * the evaluator counts the node's assertions alone, whichever
		 * its answer; an error (a regex's limit) leaves it undecided */
		int m = dbc_js_string_accept(r, t, v);
		r->steps += m >= 0;
		now = m > 0 ? JS_VALID : m == 0 ? JS_INVALID : JS_UNDECIDED;
	} else {
		bool ok = dbc_js_eval_value(r, t, v);
		now = ok ? JS_VALID : r->ctx->failed ? JS_UNDECIDED : JS_INVALID;
	}
	if (memo && now != JS_UNDECIDED && r->regex_steps == regex_steps && r->steps >= steps)
		dbc_js_memo_put(r->s->memo, t, v->u.s, v->n, (r->steps - steps) << 8 | now);
	return now;
}

int dbc_js_fast_valid(dbc_ctx *ctx, const dbc_js_schema *s, const char *text, size_t len)
{
	/* budget 1: an evaluation past its free steps ends on an error here,
	 * and the evaluator then runs the document with the budget its whole
	 * tree earns; 4096: the evaluator's steps between looks at a cancel */
	fast f = {.ctx = ctx,
	          .r = {.ctx = ctx,
	                .s = s,
	                .next_check = 4096,
	                .budget = 1,
	                .stack_base = (uintptr_t)__builtin_frame_address(0)},
	          .a = {.ctx = ctx, .borrow = true},
	          .p = text,
	          .end = text + len,
	          .stop = JS_FAST_POLL};
	bool ok = value(&f, s->root, 0) == JS_VALID;
	if (ok) {
		skip_ws(&f);
		ok = *f.p == '\0';
	}
	if (ctx->failed) {
		if (!strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED))
			return -1;
		dbc_error_clear(ctx);
		return 0;
	}
	return ok ? 1 : 0;
}

int dbc_js_validate(dbc_ctx *ctx, const dbc_js_schema *s, const char *document, bool *valid,
                    dbc_js_error **errors, int *nerrors, int max_errors)
{
	return dbc_js_validate_n(ctx, s, document, strlen(document), valid, errors, nerrors,
	                         max_errors);
}

int dbc_js_validate_n(dbc_ctx *ctx, const dbc_js_schema *s, const char *document, size_t len,
                      bool *valid, dbc_js_error **errors, int *nerrors, int max_errors)
{
	/* the document's strings borrow its text, held for the call */
	js_alloc a = {.ctx = ctx, .borrow = true};
	js_val *inst;
	*valid = false;
	if (errors) {
		*errors = NULL;
		*nerrors = 0;
	}
	/* a verdict only: the compiled check answers valid in one pass over
	 * the text, and leaves every other document to the evaluator below */
	if (!errors && s->compiled_check) {
		int fast = dbc_js_fast_valid(ctx, s, document, len);
		if (fast != 0) {
			*valid = fast > 0;
			return fast > 0 ? DBC_OK : DBC_ERROR;
		}
	}
	if (dbc_js_parse(ctx, &a, document, "the document", DBC_JS_MAX_DEPTH, &inst) != DBC_OK)
		return DBC_ERROR;
	return dbc_js_validate_val(ctx, s, inst, valid, errors, nerrors, max_errors);
}

int dbc_js_compiled_verdict(dbc_ctx *ctx, const dbc_js_schema *s, const char *document)
{
	return s->compiled_check ? dbc_js_fast_valid(ctx, s, document, strlen(document)) : 0;
}
