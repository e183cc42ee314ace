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

static void append_string(sqlite3_str *s, const unsigned char *p, int n)
{
	static const char hex[] = "0123456789ABCDEF";
	sqlite3_str_appendchar(s, 1, '"');
	for (int i = 0; i < n; i++) {
		unsigned char c = p[i];
		switch (c) {
		case '"':
			sqlite3_str_appendall(s, "\\\"");
			break;
		case '\\':
			sqlite3_str_appendall(s, "\\\\");
			break;
		case '\b':
			sqlite3_str_appendall(s, "\\b");
			break;
		case '\f':
			sqlite3_str_appendall(s, "\\f");
			break;
		case '\n':
			sqlite3_str_appendall(s, "\\n");
			break;
		case '\r':
			sqlite3_str_appendall(s, "\\r");
			break;
		case '\t':
			sqlite3_str_appendall(s, "\\t");
			break;
		default:
			if (c < 0x20) {
				sqlite3_str_appendall(s, "\\u00");
				sqlite3_str_appendchar(s, 1, hex[c >> 4]);
				sqlite3_str_appendchar(s, 1, hex[c & 15]);
			} else {
				sqlite3_str_appendchar(s, 1, (char)c);
			}
		}
	}
	sqlite3_str_appendchar(s, 1, '"');
}

static void append_value(sqlite3_str *s, sqlite3_value *v)
{
	static const char hex[] = "0123456789ABCDEF";
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		sqlite3_str_appendf(s, "%lld", (long long)sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT: {
		double d = sqlite3_value_double(v);
		if (isfinite(d))
			sqlite3_str_appendf(s, "%!.15g", d);
		else
			sqlite3_str_appendall(s, "null");
		break;
	}
	case SQLITE_TEXT:
		append_string(s, sqlite3_value_text(v), sqlite3_value_bytes(v));
		break;
	case SQLITE_BLOB: {
		const unsigned char *p = sqlite3_value_blob(v);
		int n = sqlite3_value_bytes(v);
		sqlite3_str_appendchar(s, 1, '"');
		for (int i = 0; i < n; i++) {
			sqlite3_str_appendchar(s, 1, hex[p[i] >> 4]);
			sqlite3_str_appendchar(s, 1, hex[p[i] & 15]);
		}
		sqlite3_str_appendchar(s, 1, '"');
		break;
	}
	default:
		sqlite3_str_appendall(s, "null");
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
static void open_object(sqlite3_str *s, sqlite3_value *base, bool *first)
{
	const char *b = (const char *)sqlite3_value_text(base);
	int n = b ? sqlite3_value_bytes(base) : 0;
	*first = true;
	if (n >= 2 && b[0] == '{' && b[n - 1] == '}') {
		sqlite3_str_append(s, b, n - 1);
		*first = n == 2;
	} else {
		sqlite3_str_appendchar(s, 1, '{');
	}
}

static void add_pair(sqlite3_str *s, sqlite3_value *name, sqlite3_value *value, bool *first)
{
	if (!*first)
		sqlite3_str_appendchar(s, 1, ',');
	*first = false;
	append_string(s, sqlite3_value_text(name), sqlite3_value_bytes(name));
	sqlite3_str_appendchar(s, 1, ':');
	append_value(s, value);
}

static void finish(sqlite3_context *c, sqlite3_str *s)
{
	sqlite3_str_appendchar(s, 1, '}');
	int err = sqlite3_str_errcode(s);
	char *text = sqlite3_str_finish(s);
	if (err != SQLITE_OK || !text) {
		sqlite3_free(text);
		sqlite3_result_error_nomem(c);
		return;
	}
	sqlite3_result_text(c, text, -1, sqlite3_free);
}

void sqldbc_dbaudit_json(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	if (argc < 1 || argc % 2 != 1) {
		sqlite3_result_error(c, "dbcare: dbaudit_json(base, name, value, ...) takes pairs", -1);
		return;
	}
	sqlite3_str *s = sqlite3_str_new(sqlite3_context_db_handle(c));
	bool first;
	open_object(s, argv[0], &first);
	for (int i = 1; i + 1 < argc; i += 2)
		add_pair(s, argv[i], argv[i + 1], &first);
	finish(c, s);
}

void sqldbc_dbaudit_json_changed(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	if (argc < 2 || (argc - 2) % 3 != 0) {
		sqlite3_result_error(
			c, "dbcare: dbaudit_json_changed(base, side, name, old, new, ...) takes triples", -1);
		return;
	}
	bool new_side = sqlite3_value_int(argv[1]) != 0;
	sqlite3_str *s = sqlite3_str_new(sqlite3_context_db_handle(c));
	bool first;
	open_object(s, argv[0], &first);
	for (int i = 2; i + 2 < argc; i += 3)
		if (differ(argv[i + 1], argv[i + 2]))
			add_pair(s, argv[i], argv[new_side ? i + 2 : i + 1], &first);
	finish(c, s);
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
	for (int i = 0; i < DBC_AUDIT_LINK_FIELDS; i++)
		fields[i] = sqlite3_value_type(argv[1 + i]) == SQLITE_NULL
		                ? NULL
		                : (const char *)sqlite3_value_text(argv[1 + i]);
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
