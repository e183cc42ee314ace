/*
 * migrate_list.c — dbmigrate_add_all's argument, a JSON array of objects
 * {"version", "name", "up", "down"}, decoded in one pass over the text.
 *
 * A folder's worth of scripts is a few hundred kilobytes of JSON strings and
 * little else, so a decoder for exactly this shape copies each string once
 * and builds nothing else: about a quarter of the instructions SQLite's
 * json_tree took for 1,000 scripts (docs/benchmarks.md).
 *
 * What it accepts is RFC 8259 JSON, and the whole text is checked before
 * any of it counts: a syntax error anywhere gives "migrations is not valid
 * JSON" (even after a shape error earlier in the text); otherwise the first
 * shape error in document order is the one reported. Values below a refused
 * member are checked for syntax only. A value nested deeper than DEPTH_MAX
 * (each array, object and scalar a level, as jansson counts) is refused as
 * not valid JSON, and the text is walked without recursion, so no input can
 * exhaust the stack. Strings are copied byte for byte apart from their
 * escapes: bytes that are not UTF-8 pass through, as they did through
 * SQLite's JSON functions, and the checks of dbmigrate_add decide about the
 * scripts. An escape \u0000 is refused (a C string would end there and cut
 * a script short), as is an escaped surrogate that is not part of a pair
 * (SQLite's functions turned it into bytes that are not UTF-8). A member
 * given twice takes its last string; "null" leaves a member as it is.
 * Decoding only: what the fields must hold is dbmigrate_add's rules
 * (migrate_batch.c).
 */
#include "migrate/migrate.h"

#include <stddef.h>
#include <string.h>

#define DEPTH_MAX 2048

typedef struct reader {
	dbc_ctx *ctx;
	const char *p;
	bool bad;        /* a syntax error: the text is not JSON */
	bool shape_seen; /* the first shape error is already recorded */
	char *shape;     /* ... its message */
	dbc_migrate_item *items;
	int n, cap;
} reader;

static void skip_ws(reader *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

static bool syntax(reader *r)
{
	r->bad = true;
	return false;
}

/* Records a shape error unless an earlier one is recorded; false on OOM. */
static bool shape(reader *r, char *msg)
{
	if (r->shape_seen)
		return true;
	r->shape_seen = true;
	r->shape = msg;
	return msg != NULL;
}

/* A string at r->p (its opening quote). With out, its decoded value goes to
 * the arena (*out NULL on OOM: ctx->failed tells). false: not valid JSON. */
static bool string(reader *r, char **out)
{
	const char *s = ++r->p;
	bool escaped = false;
	for (;; r->p++) {
		unsigned char c = (unsigned char)*r->p;
		if (c == '"')
			break;
		if (c < 0x20) /* a control character, or the text's end */
			return syntax(r);
		if (c != '\\')
			continue;
		escaped = true;
		c = (unsigned char)*++r->p;
		if (c == 'u') {
			uint32_t cp;
			int took = dbc_json_unicode_escape(r->p + 1, &cp);
			if (!took)
				return syntax(r); /* not hex, or half a surrogate pair */
			r->p += took;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return syntax(r);
		}
	}
	const char *end = r->p++;
	if (!out)
		return true;
	if (!escaped) {
		*out = dbc_strndup(r->ctx, s, (size_t)(end - s));
		return true;
	}
	/* decoded text is never longer than its escaped form */
	char *d = dbc_alloc(r->ctx, (size_t)(end - s) + 1), *o = d;
	*out = d;
	if (!d)
		return true;
	for (const char *q = s; q < end; q++) {
		if (*q != '\\') {
			*o++ = *q;
			continue;
		}
		char e = *++q;
		switch (e) {
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u': {
			uint32_t cp = 0;
			q += dbc_json_unicode_escape(q + 1, &cp); /* checked above */
			o += dbc_utf8_put(o, cp);
			break;
		}
		default:
			*o++ = e;
			break; /* " \ / */
		}
	}
	*o = '\0';
	return true;
}

static bool number(reader *r)
{
	const char *p = r->p;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return syntax(r);
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return syntax(r);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return syntax(r);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	r->p = p;
	return true;
}

static bool word(reader *r, const char *w)
{
	size_t n = strlen(w);
	if (strncmp(r->p, w, n) != 0)
		return syntax(r);
	r->p += n;
	return true;
}

/* A scalar (not an array or object) at r->p; its kind in *kind. */
static bool scalar(reader *r, const char **kind)
{
	switch (*r->p) {
	case '"':
		*kind = "text";
		return string(r, NULL);
	case 't':
		*kind = "true";
		return word(r, "true");
	case 'f':
		*kind = "false";
		return word(r, "false");
	case 'n':
		*kind = "null";
		return word(r, "null");
	default:
		*kind = "number";
		return number(r);
	}
}

/* Any value at r->p, syntax only, without recursion: a stack of what each
 * open level is (array or object) is the only state. */
static bool skip_value(reader *r, int depth)
{
	char stack[DEPTH_MAX + 1];
	int top = 0;
	for (;;) {
		skip_ws(r);
		const char *kind;
		if (*r->p == '[' || *r->p == '{') {
			if (depth + top + 1 > DEPTH_MAX)
				return syntax(r);
			char open = *r->p++;
			stack[top++] = open;
			skip_ws(r);
			if (*r->p == (open == '[' ? ']' : '}')) {
				r->p++;
				top--;
				goto after_value;
			}
			if (open == '{')
				goto member;
			continue;
		}
		/* a scalar counts as a level of its own, as in jansson */
		if (depth + top + 1 > DEPTH_MAX || !scalar(r, &kind))
			return depth + top + 1 > DEPTH_MAX ? syntax(r) : false;
	after_value:
		for (;;) {
			if (top == 0)
				return true;
			skip_ws(r);
			char close = stack[top - 1] == '[' ? ']' : '}';
			if (*r->p == close) {
				r->p++;
				top--;
				continue;
			}
			if (*r->p != ',')
				return syntax(r);
			r->p++;
			if (stack[top - 1] == '[')
				break;
		member:
			skip_ws(r);
			if (*r->p != '"' || !string(r, NULL))
				return syntax(r);
			skip_ws(r);
			if (*r->p++ != ':')
				return syntax(r);
			break;
		}
	}
}

static dbc_migrate_item *new_item(reader *r)
{
	if (dbc_grow(r->ctx, &r->items, r->n, &r->cap, sizeof(dbc_migrate_item), 64) != DBC_OK)
		return NULL;
	r->items[r->n] = (dbc_migrate_item){0};
	return &r->items[r->n++];
}

/* One member's value (r->p after the colon) of migration number `index`. */
static bool member_value(reader *r, dbc_migrate_item *item, int index, const char *key)
{
	const char **slot = item ? dbc_migrate_item_slot(item, key) : NULL;
	skip_ws(r);
	if (item && !slot &&
	    !shape(r, dbc_printf(r->ctx,
	                         "migration %d of the list has an unknown member "
	                         "\"%s\" (expected \"version\", \"name\", \"up\", "
	                         "\"down\")",
	                         index, key)))
		return false;
	if (!slot || r->shape_seen)
		return skip_value(r, 2);
	if (*r->p == '"') {
		char *v = NULL;
		if (!string(r, &v))
			return false;
		*slot = v;
		return v != NULL;
	}
	if (*r->p == 'n' && strncmp(r->p, "null", 4) == 0) {
		r->p += 4; /* leaves the member as it is */
		return true;
	}
	if (!shape(r, dbc_printf(r->ctx, "\"%s\" of migration %d of the list is not a string", key,
	                         index)))
		return false;
	return skip_value(r, 2);
}

/* One element of the array (r->p at it), migration number `index`. */
static bool element(reader *r, int index)
{
	skip_ws(r);
	if (*r->p != '{') {
		if (!shape(r, dbc_printf(r->ctx, "migration %d of the list is not a JSON object", index)))
			return false;
		return skip_value(r, 1);
	}
	r->p++;
	dbc_migrate_item *item = r->shape_seen ? NULL : new_item(r);
	if (!r->shape_seen && !item)
		return false;
	skip_ws(r);
	if (*r->p == '}') {
		r->p++;
		return true;
	}
	for (;;) {
		skip_ws(r);
		char *key = NULL;
		if (*r->p != '"' || !string(r, item ? &key : NULL))
			return syntax(r);
		if (item && !key)
			return false;
		skip_ws(r);
		if (*r->p++ != ':')
			return syntax(r);
		/* after a shape error the items no longer count: syntax only */
		if (!member_value(r, r->shape_seen ? NULL : item, index, key))
			return false;
		skip_ws(r);
		if (*r->p == '}') {
			r->p++;
			return true;
		}
		if (*r->p++ != ',')
			return syntax(r);
	}
}

/* Whether the text holds the escape \u0000 (a backslash that is not itself
 * escaped, then u0000). Checked before anything else, as it always was. */
static bool has_nul_escape(const char *json)
{
	for (const char *p = strstr(json, "\\u0000"); p; p = strstr(p + 1, "\\u0000")) {
		size_t run = 1;
		while ((size_t)(p - json) >= run && p[-(ptrdiff_t)run] == '\\')
			run++;
		if (run % 2 == 1)
			return true;
	}
	return false;
}

static bool document(reader *r)
{
	skip_ws(r);
	if (*r->p != '[') {
		if (!shape(r, dbc_strdup(r->ctx, "migrations must be a JSON array of objects with "
		                                 "\"version\", \"name\", \"up\" and \"down\"")))
			return false;
		if (!skip_value(r, 0))
			return false;
	} else {
		r->p++;
		skip_ws(r);
		if (*r->p == ']') {
			r->p++;
		} else {
			for (int index = 1;; index++) {
				if (!element(r, index))
					return false;
				skip_ws(r);
				if (*r->p == ']') {
					r->p++;
					break;
				}
				if (*r->p++ != ',')
					return syntax(r);
			}
		}
	}
	skip_ws(r);
	return *r->p == '\0' || syntax(r);
}

int dbc_migrate_list_parse(dbc_ctx *ctx, const char *json, dbc_migrate_item **items, int *n)
{
	reader r = {.ctx = ctx, .p = json};
	*items = NULL;
	*n = 0;
	if (has_nul_escape(json))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "migrations contains a NUL character (\\u0000)");
	bool ok = document(&r);
	if (ctx->failed)
		return DBC_ERROR;
	if (!ok && !r.bad)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (r.bad)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "migrations is not valid JSON");
	if (r.shape_seen)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s", r.shape);
	*items = r.items;
	*n = r.n;
	return DBC_OK;
}

int dbc_migrate_add_all_json(dbc_ctx *ctx, const char *json, int64_t *count)
{
	dbc_migrate_item *items = NULL;
	int n = 0;
	if (dbc_migrate_list_parse(ctx, json, &items, &n) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_add_many(ctx, items, n, count);
}
