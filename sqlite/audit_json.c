/*
 * audit_json.c — the JSON objects SQLite's audit triggers write:
 * dbaudit_json(base, name, value, ...) and dbaudit_json_changed(base, side,
 * name, old, new, ...). SQLite 3.40's own JSON functions are not INNOCUOUS,
 * so triggers calling them fail with trusted_schema = OFF; these are
 * (DETERMINISTIC too: the result depends on the arguments alone), and write
 * what json_object would, but a BLOB as its hex text where json_object
 * fails the application's write. base (NULL or an object these made)
 * continues an object: a trigger of a table wider than one call's
 * arguments nests calls. Strings are escaped as jansson escapes them, so a
 * key the core renders (core/audit/audit_read.c) compares equal as text.
 */
#include "glue.h"

#include "audit/audit.h"

#include <math.h>
#include <string.h>

/* The object being built. Every audited write builds two or three of these
 * (key, old and new values), so they are built in a buffer on the stack and
 * handed to SQLite once, which copies them into its own memory: an
 * sqlite3_str grown character by character, with a heap allocation and
 * reallocations per object, was two fifths of an audited INSERT's
 * instructions. A value that outgrows the stack moves to the heap. */
typedef struct json_buf {
	char *p;
	sqlite3_uint64 n, cap;
	bool heap;
	bool oom;
	char stack[512];
} json_buf;

static void buf_init(json_buf *b)
{
	b->p = b->stack;
	b->n = 0;
	b->cap = sizeof(b->stack);
	b->heap = false;
	b->oom = false;
}

/* Room for more bytes; false (and b->oom) when there is no memory. */
static bool buf_reserve(json_buf *b, sqlite3_uint64 more)
{
	if (b->oom)
		return false;
	if (b->n + more <= b->cap)
		return true;
	sqlite3_uint64 cap = b->cap * 2 > b->n + more ? b->cap * 2 : b->n + more;
	char *p = b->heap ? sqlite3_realloc64(b->p, cap) : sqlite3_malloc64(cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	if (!b->heap)
		memcpy(p, b->stack, b->n);
	b->p = p;
	b->cap = cap;
	b->heap = true;
	return true;
}

static void buf_free(json_buf *b)
{
	if (b->heap)
		sqlite3_free(b->p);
}

static void append_raw(json_buf *b, const char *text, sqlite3_uint64 n)
{
	if (n > 0 && buf_reserve(b, n)) {
		memcpy(b->p + b->n, text, n);
		b->n += n;
	}
}

static void append_char(json_buf *b, char c)
{
	if (buf_reserve(b, 1))
		b->p[b->n++] = c;
}

static const char hex[] = "0123456789ABCDEF";

/* A JSON string, escaped as jansson escapes it (bytes from 0x7f up as they are). */
static void append_string(json_buf *b, const unsigned char *p, int n)
{
	if (n < 0 || !buf_reserve(b, (sqlite3_uint64)n * 6 + 2))
		return;
	char *o = b->p + b->n;
	*o++ = '"';
	for (int i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = (char)c;
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
	}
	*o++ = '"';
	b->n = (sqlite3_uint64)(o - b->p);
}

/* %lld without a format parser: every audited row's key is an integer. */
static void append_int(json_buf *b, sqlite3_int64 v)
{
	char digits[24];
	int i = (int)sizeof(digits);
	sqlite3_uint64 u = v < 0 ? 0 - (sqlite3_uint64)v : (sqlite3_uint64)v;
	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		digits[--i] = '-';
	append_raw(b, digits + i, sizeof(digits) - (size_t)i);
}

static void append_value(json_buf *b, sqlite3_value *v)
{
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		append_int(b, sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT: {
		double d = sqlite3_value_double(v);
		if (isfinite(d)) {
			char text[48];
			sqlite3_snprintf((int)sizeof(text), text, "%!.15g", d);
			append_raw(b, text, strlen(text));
		} else {
			append_raw(b, "null", 4);
		}
		break;
	}
	case SQLITE_TEXT: {
		const unsigned char *p = sqlite3_value_text(v);
		int n = sqlite3_value_bytes(v);
		if (!p && n > 0)
			b->oom = true;
		else
			append_string(b, p, n);
		break;
	}
	case SQLITE_BLOB: {
		const unsigned char *p = sqlite3_value_blob(v);
		int n = sqlite3_value_bytes(v);
		if (n > 0 && !p) {
			b->oom = true;
		} else if (buf_reserve(b, (sqlite3_uint64)n * 2 + 2)) {
			char *o = b->p + b->n;
			*o++ = '"';
			for (int i = 0; i < n; i++) {
				*o++ = hex[p[i] >> 4];
				*o++ = hex[p[i] & 15];
			}
			*o++ = '"';
			b->n = (sqlite3_uint64)(o - b->p);
		}
		break;
	}
	default:
		append_raw(b, "null", 4);
	}
}

/* SQL's IS NOT: NULLs equal each other, numbers compare by value. */
static bool differ(sqlite3_value *a, sqlite3_value *b)
{
	int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
	bool na = ta == SQLITE_INTEGER || ta == SQLITE_FLOAT;
	bool nb = tb == SQLITE_INTEGER || tb == SQLITE_FLOAT;
	if (ta == SQLITE_NULL || tb == SQLITE_NULL)
		return ta != tb;
	if (na && nb) {
		if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER)
			return sqlite3_value_int64(a) != sqlite3_value_int64(b);
		return sqlite3_value_double(a) != sqlite3_value_double(b);
	}
	if (ta != tb)
		return true;
	const void *pa = ta == SQLITE_TEXT ? (const void *)sqlite3_value_text(a) : sqlite3_value_blob(a);
	const void *pb = tb == SQLITE_TEXT ? (const void *)sqlite3_value_text(b) : sqlite3_value_blob(b);
	int la = sqlite3_value_bytes(a), lb = sqlite3_value_bytes(b);
	return la != lb || (la > 0 && memcmp(pa, pb, (size_t)la) != 0);
}

/* Starts the object: base without its closing brace. *first: nothing yet. */
static void open_object(json_buf *b, sqlite3_value *base, bool *first)
{
	const char *t = (const char *)sqlite3_value_text(base);
	int n = t ? sqlite3_value_bytes(base) : 0;
	*first = true;
	if (n >= 2 && t[0] == '{' && t[n - 1] == '}') {
		append_raw(b, t, (sqlite3_uint64)n - 1);
		*first = n == 2;
	} else {
		append_char(b, '{');
	}
}

static void add_pair(json_buf *b, sqlite3_value *name, sqlite3_value *value, bool *first)
{
	if (!*first)
		append_char(b, ',');
	*first = false;
	append_string(b, sqlite3_value_text(name), sqlite3_value_bytes(name));
	append_char(b, ':');
	append_value(b, value);
}

static void finish(sqlite3_context *c, json_buf *b)
{
	append_char(b, '}');
	if (b->oom) {
		buf_free(b);
		sqlite3_result_error_nomem(c);
	} else if (b->heap) {
		sqlite3_result_text64(c, b->p, b->n, sqlite3_free, SQLITE_UTF8);
	} else {
		sqlite3_result_text64(c, b->p, b->n, SQLITE_TRANSIENT, SQLITE_UTF8);
	}
}

void sqldbc_dbaudit_json(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	if (argc < 1 || argc % 2 != 1) {
		sqlite3_result_error(c, "dbcare: dbaudit_json(base, name, value, ...) takes pairs", -1);
		return;
	}
	json_buf b;
	bool first;
	buf_init(&b);
	open_object(&b, argv[0], &first);
	for (int i = 1; i + 1 < argc; i += 2)
		add_pair(&b, argv[i], argv[i + 1], &first);
	finish(c, &b);
}

void sqldbc_dbaudit_json_changed(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	if (argc < 2 || (argc - 2) % 3 != 0) {
		sqlite3_result_error(
			c, "dbcare: dbaudit_json_changed(base, side, name, old, new, ...) takes triples", -1);
		return;
	}
	bool new_side = sqlite3_value_int(argv[1]) != 0;
	json_buf b;
	bool first;
	buf_init(&b);
	open_object(&b, argv[0], &first);
	for (int i = 2; i + 2 < argc; i += 3)
		if (differ(argv[i + 1], argv[i + 2]))
			add_pair(&b, argv[i], argv[new_side ? i + 2 : i + 1], &first);
	finish(c, &b);
}

/* dbaudit_hash(prev, at, txid, db_user, actor, operation, table_name, key,
 * old_values, new_values): the entry's link in the hash chain, as the core
 * computes it (core/audit/audit_chain.c). */
void sqldbc_dbaudit_hash(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	if (argc != 1 + DBC_AUDIT_LINK_FIELDS) {
		sqlite3_result_error(c, "dbcare: dbaudit_hash takes 10 arguments", -1);
		return;
	}
	const char *fields[DBC_AUDIT_LINK_FIELDS];
	for (int i = 0; i < DBC_AUDIT_LINK_FIELDS; i++) {
		fields[i] = sqlite3_value_type(argv[1 + i]) == SQLITE_NULL
		                ? NULL
		                : (const char *)sqlite3_value_text(argv[1 + i]);
		/* the hash covers C strings: a field with a NUL byte would be
		 * hashed cut short (the triggers' fields never hold one) */
		if (fields[i] && (size_t)sqlite3_value_bytes(argv[1 + i]) != strlen(fields[i])) {
			sqlite3_result_error(c, "dbcare: an audit log entry's text contains a NUL character",
			                     -1);
			return;
		}
	}
	const char *prev = (const char *)sqlite3_value_text(argv[0]);
	dbc_ctx ctx;
	char hex[DBC_AUDIT_HASH_LEN + 1];
	dbc_ctx_init(&ctx, &sqldbc_host, NULL);
	int rc = dbc_audit_link(&ctx, prev, fields, hex);
	dbc_ctx_finish(&ctx);
	if (rc != DBC_OK)
		sqlite3_result_error(c, "dbcare: could not hash an audit log entry", -1);
	else
		sqlite3_result_text(c, hex, -1, SQLITE_TRANSIENT);
}
