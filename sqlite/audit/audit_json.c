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
#include "audit_sql.h"
#include "sqlite/host/glue.h"

#include "audit/audit.h"

#include <math.h>
#include <stdlib.h>
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

/* buf_reserve's growth: the stack left for SQLite's heap at twice its size
 * the first time; false (and b->oom) when there is no memory. */
static bool buf_grow(json_buf *b, sqlite3_uint64 more)
{
	if (b->oom)
		return false;
	char *p = b->heap ? b->p : NULL;
	size_t cap = b->heap ? (size_t)b->cap : 0;
	if (!sqldbc_reserve(&p, (size_t)(b->n + more), &cap, 1, 2 * sizeof(b->stack))) {
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

/* Room for more bytes; false when there is no memory. The room is looked
 * at inline: every pair of every audited row asks two or three times.
 * After a growth failed (b->oom, the buffer as it was) what still fits is
 * written and dropped with the rest. */
static inline bool buf_reserve(json_buf *b, sqlite3_uint64 more)
{
	return b->n + more <= b->cap || buf_grow(b, more);
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

/* 1 for the bytes a JSON string escapes: below 0x20, '"' and '\\'. */
static const unsigned char escaped[256] = {[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1};

/* A JSON string, escaped as jansson escapes it (bytes from 0x7f up as they
 * are). The runs between escapes are copied whole: names and most values
 * have none. */
static void append_string(json_buf *b, const unsigned char *p, int n)
{
	if (n < 0 || !buf_reserve(b, (sqlite3_uint64)n * 6 + 2))
		return;
	char *o = b->p + b->n;
	*o++ = '"';
	for (int i = 0; i < n; i++) {
		int run = i;
		while (run < n && !escaped[p[run]])
			run++;
		memcpy(o, p + i, (size_t)(run - i));
		o += run - i;
		if (run == n)
			break;
		unsigned char c = p[run];
		i = run;
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
	const void *pa =
	    ta == SQLITE_TEXT ? (const void *)sqlite3_value_text(a) : sqlite3_value_blob(a);
	const void *pb =
	    tb == SQLITE_TEXT ? (const void *)sqlite3_value_text(b) : sqlite3_value_blob(b);
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

/* A built object as the call's result (its closing brace written). */
static void finish_built(sqlite3_context *c, json_buf *b)
{
	if (b->oom) {
		buf_free(b);
		sqlite3_result_error_nomem(c);
	} else if (b->heap) {
		sqlite3_result_text64(c, b->p, b->n, sqlite3_free, SQLITE_UTF8);
	} else {
		sqlite3_result_text64(c, b->p, b->n, SQLITE_TRANSIENT, SQLITE_UTF8);
	}
}

static void finish(sqlite3_context *c, json_buf *b)
{
	append_char(b, '}');
	finish_built(c, b);
}

/* The object dbaudit_json(base, name, value, ...) writes, argv those
 * arguments (argc of them, odd). */
static void build_object(json_buf *b, int argc, sqlite3_value **argv)
{
	bool first;
	buf_init(b);
	open_object(b, argv[0], &first);
	for (int i = 1; i + 1 < argc; i += 2)
		add_pair(b, argv[i], argv[i + 1], &first);
	append_char(b, '}');
}

void sqldbc_dbaudit_json(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	if (argc < 1 || argc % 2 != 1) {
		sqlite3_result_error(c, "dbcare: dbaudit_json(base, name, value, ...) takes pairs", -1);
		return;
	}
	json_buf b;
	build_object(&b, argc, argv);
	finish_built(c, &b);
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

/* Side (0 the old, 1 the new) of b kept on the connection for one
 * dbaudit_json_kept(side); false: out of memory. */
static bool keep(sqldbc_conn *conn, int side, json_buf *b)
{
	append_char(b, '}');
	if (b->oom ||
	    !sqldbc_reserve(&conn->audit_kept[side], (size_t)b->n, &conn->audit_kept_cap[side], 1, 256))
		return false;
	memcpy(conn->audit_kept[side], b->p, (size_t)b->n);
	conn->audit_kept_len[side] = (size_t)b->n;
	conn->audit_kept_set[side] = true;
	return true;
}

/* dbaudit_json_changes(name, old, new, ...): the two sides of an update's
 * changed columns, what dbaudit_json_changed(NULL, 0, name, old, new, ...)
 * and dbaudit_json_changed(NULL, 1, ...) write, built in one pass and kept
 * on the connection, each for one dbaudit_json_kept(side); NULL. Each
 * column is compared once, and the trigger passes the columns once, not
 * twice (the second call was a tenth of an audited UPDATE's instructions).
 * A TEMP update trigger calls it in a statement of its own, ahead of the
 * INSERT whose old_values and new_values take the two sides: a trigger's
 * statements run in the order written, so both kept sides are this row's
 * whatever order the INSERT computes its values in (neither SQLite nor SQL
 * promises one). */
void sqldbc_dbaudit_json_changes(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	if (argc % 3 != 0) {
		sqlite3_result_error(c, "dbcare: dbaudit_json_changes(name, old, new, ...) takes triples",
		                     -1);
		return;
	}
	sqldbc_conn *conn = sqldbc_conn_of(c);
	conn->audit_kept_set[0] = conn->audit_kept_set[1] = false;
	json_buf sides[2];
	bool first[2] = {true, true};
	for (int side = 0; side < 2; side++) {
		buf_init(&sides[side]);
		append_char(&sides[side], '{');
	}
	for (int i = 0; i + 2 < argc; i += 3)
		if (differ(argv[i + 1], argv[i + 2]))
			for (int side = 0; side < 2; side++)
				add_pair(&sides[side], argv[i], argv[i + 1 + side], &first[side]);
	bool kept = keep(conn, 0, &sides[0]) && keep(conn, 1, &sides[1]);
	buf_free(&sides[0]);
	buf_free(&sides[1]);
	if (!kept) {
		conn->audit_kept_set[0] = conn->audit_kept_set[1] = false;
		sqlite3_result_error_nomem(c);
	}
}

/* The side kept on the connection as the call's result, once; misuse: the
 * error when it is not there (taken, or never kept). */
static void take_kept(sqlite3_context *c, int side, const char *misuse)
{
	sqldbc_conn *conn = sqldbc_conn_of(c);
	if (!conn->audit_kept_set[side]) {
		sqlite3_result_error(c, misuse, -1);
		return;
	}
	conn->audit_kept_set[side] = false;
	sqlite3_result_text64(c, conn->audit_kept[side], conn->audit_kept_len[side], SQLITE_TRANSIENT,
	                      SQLITE_UTF8);
}

/* dbaudit_json_kept(side): the side (0 the old, 1 the new) the last
 * dbaudit_json_changes() kept, once; an error when there is none (the
 * trigger is not made as dbaudit_json_changes expects). */
void sqldbc_dbaudit_json_kept(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	int side = argc == 1 ? sqlite3_value_int(argv[0]) : -1;
	if (side != 0 && side != 1) {
		sqlite3_result_error(c, "dbcare: dbaudit_json_kept(side) takes side 0 (old) or 1 (new)",
		                     -1);
		return;
	}
	take_kept(c, side,
	          "dbcare: dbaudit_json_kept(side) follows dbaudit_json_changes(), once a side");
}

/* The connection's SHA-256 context, made at its first chained entry and
 * kept with the state (NULL, the digest then made without one: it could
 * not be made). Not in a static: the module is unloaded with the last
 * connection that loaded it, and what a static held would be lost. */
static dbc_sha256 *audit_sha256(dbc_ctx *ctx, sqldbc_conn *conn)
{
	if (!conn->audit_sha256 && !(conn->audit_sha256 = dbc_sha256_begin(ctx)))
		dbc_error_clear(ctx);
	return conn->audit_sha256;
}

void sqldbc_audit_json_free(sqldbc_conn *conn)
{
	if (conn->audit_sha256)
		dbc_sha256_abort(conn->audit_sha256);
	conn->audit_sha256 = NULL;
	for (int side = 0; side < 2; side++) {
		sqlite3_free(conn->audit_kept[side]);
		conn->audit_kept[side] = NULL;
		conn->audit_kept_len[side] = conn->audit_kept_cap[side] = 0;
		conn->audit_kept_set[side] = false;
	}
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
	dbc_ctx_init(&ctx, sqldbc_installed_host(), NULL);
	int rc = dbc_audit_link_on(&ctx, audit_sha256(&ctx, sqldbc_conn_of(c)), prev, fields, hex);
	dbc_ctx_finish(&ctx);
	if (rc != DBC_OK)
		sqlite3_result_error(c, "dbcare: could not hash an audit log entry", -1);
	else
		sqlite3_result_text(c, hex, -1, SQLITE_TRANSIENT);
}

/* dbaudit_row_hash(table_name, key): the log's row hash on SQLite
 * (core/book/tables.c, audit_log): the high half FNV-1a of the table's
 * stored name, as on PostgreSQL; the low half that of the key's stored
 * text (key_half; 0 for no key). The writers store the text dbaudit_json writes and
 * the readers hash the key they were given written the same way, so a row's
 * entries share one value; different rows may collide (readers compare the
 * table name and the key too). dbaudit_row_hash(table_name, base, name,
 * value, ...) is the hash of the key dbaudit_json(base, name, value, ...)
 * writes, made without returning it (the TEMP triggers' form). */
/* The integer of a key of one integer member ({"id":42}: 42), as dbcare
 * writes it (a name, then the decimal, no spaces); false for other keys. */
static bool single_integer(const char *key, size_t n, int64_t *out)
{
	size_t i = 2;
	if (n < 6 || key[0] != '{' || key[1] != '"' || key[n - 1] != '}')
		return false;
	while (i < n && key[i] != '"')
		i += key[i] == '\\' ? 2 : 1;
	if (i + 2 >= n - 1 || key[i + 1] != ':')
		return false;
	i += 2;
	bool negative = key[i] == '-';
	uint64_t v = 0;
	i += negative;
	if (i >= n - 1)
		return false;
	for (; i < n - 1; i++) {
		if (key[i] < '0' || key[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(key[i] - '0');
	}
	*out = (int64_t)(negative ? 0u - v : v);
	return true;
}

/* The low half of a key's row hash: the integer itself (its low 32 bits)
 * for a key of one integer member, so consecutive ids take neighbouring
 * places in the row index (an audited bulk write then touches few of its
 * pages, as a text key of such ids did); else FNV-1a of the text. */
static uint32_t key_half(const char *key, size_t n)
{
	int64_t v;
	if (single_integer(key, n, &v))
		return (uint32_t)(uint64_t)v;
	return dbc_audit_hash_bytes(DBC_AUDIT_HASH_INIT, key, n);
}

void sqldbc_dbaudit_row_hash(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	/* (table_name, key), or (table_name, base, name, value, ...): an even
	 * count of at least two, checked before any argument is read */
	if (argc < 2 || argc % 2 != 0) {
		sqlite3_result_error(c, "dbcare: dbaudit_row_hash(table_name, key) takes a key or pairs",
		                     -1);
		return;
	}
	const char *table = (const char *)sqlite3_value_text(argv[0]);
	size_t table_len = (size_t)sqlite3_value_bytes(argv[0]);
	if (!table) {
		sqlite3_result_null(c);
		return;
	}
	if (argc == 2) {
		const char *key = (const char *)sqlite3_value_text(argv[1]);
		uint32_t key_hash = key ? key_half(key, (size_t)sqlite3_value_bytes(argv[1])) : 0u;
		sqlite3_result_int64(c, dbc_audit_row_hash(table, table_len, key != NULL, key_hash));
		return;
	}
	/* a key of one integer (an INTEGER PRIMARY KEY): key_half of the text
	 * dbaudit_json writes for it ({"name":digits}, whatever the name) is
	 * that integer, so the text is not built */
	if (argc == 4 && sqlite3_value_type(argv[1]) == SQLITE_NULL &&
	    sqlite3_value_type(argv[3]) == SQLITE_INTEGER) {
		uint32_t low = (uint32_t)(uint64_t)sqlite3_value_int64(argv[3]);
		sqlite3_result_int64(c, dbc_audit_row_hash(table, table_len, true, low));
		return;
	}
	json_buf b;
	build_object(&b, argc - 1, argv + 1);
	if (b.oom) {
		buf_free(&b);
		sqlite3_result_error_nomem(c);
		return;
	}
	uint32_t key_hash = key_half(b.p, (size_t)b.n);
	buf_free(&b);
	sqlite3_result_int64(c, dbc_audit_row_hash(table, table_len, true, key_hash));
}

/* The object of the entry's columns at cols (ncols of them; NULL: all in
 * order), as dbaudit_json builds it from their names and the values, but
 * its closing brace (keep's). */
static void open_entry_object(json_buf *b, const sqldbc_audit_entry *e, const int *cols, int ncols,
                              sqlite3_value **argv)
{
	buf_init(b);
	append_char(b, '{');
	for (int k = 0; k < ncols; k++) {
		int i = cols ? cols[k] : k;
		if (k)
			append_char(b, ',');
		append_raw(b, e->names[i], e->name_len[i]);
		append_value(b, argv[i]);
	}
}

/* The key and the values as dbaudit_json(NULL, name, value, ...) of the
 * key's and of the row's columns writes them, and the row hash as
 * dbaudit_row_hash(table_name, NULL, name, value, ...) of the key's gives
 * it: a key of one integer without its text read back. */
bool sqldbc_audit_entry_build(sqlite3_context *c, sqldbc_conn *conn, const sqldbc_audit_entry *e,
                              sqlite3_value **argv)
{
	json_buf key, values;
	open_entry_object(&key, e, e->key_at, e->nkey, argv);
	open_entry_object(&values, e, NULL, e->n, argv);
	conn->audit_kept_set[0] = conn->audit_kept_set[1] = conn->audit_kept_hash_set = false;
	bool kept = keep(conn, 0, &key) && keep(conn, 1, &values);
	if (kept) {
		uint32_t low = e->nkey == 1 && sqlite3_value_type(argv[e->key_at[0]]) == SQLITE_INTEGER
		                   ? (uint32_t)(uint64_t)sqlite3_value_int64(argv[e->key_at[0]])
		                   : key_half(conn->audit_kept[0], conn->audit_kept_len[0]);
		conn->audit_kept_hash = dbc_audit_row_hash(e->table, e->table_len, true, low);
		conn->audit_kept_hash_set = true;
	}
	buf_free(&key);
	buf_free(&values);
	if (!kept) {
		conn->audit_kept_set[0] = conn->audit_kept_set[1] = false;
		sqlite3_result_error_nomem(c);
	}
	return kept;
}

#define ENTRY_MISUSE                                                                               \
	"dbcare: dbaudit_entry_key(), _values() and _row_hash() hand out, once each, what the WHEN"    \
	" of a TEMP audit trigger built for its body"

/* dbaudit_entry_key(), dbaudit_entry_values(): what the WHEN of a TEMP
 * insert or delete trigger built (sqldbc_audit_entry_build), once. */
void sqldbc_dbaudit_entry_key(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	take_kept(c, 0, ENTRY_MISUSE);
}

void sqldbc_dbaudit_entry_values(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	take_kept(c, 1, ENTRY_MISUSE);
}

void sqldbc_dbaudit_entry_row_hash(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqldbc_conn *conn = sqldbc_conn_of(c);
	if (!conn->audit_kept_hash_set) {
		sqlite3_result_error(c, ENTRY_MISUSE, -1);
		return;
	}
	conn->audit_kept_hash_set = false;
	sqlite3_result_int64(c, conn->audit_kept_hash);
}

bool sqldbc_audit_has_row_hash(sqlite3 *db)
{
	return sqlite3_table_column_metadata(db, "main", "dbcare_audit_log", "row_hash", NULL, NULL,
	                                     NULL, NULL, NULL) == SQLITE_OK;
}

/* ------------------------------------------------ entries written without dbcare */

/* The pending form the shared audit triggers write (audit_sql.c): a mode
 * letter ('P' every pair, 'C' only the pairs whose value differs from the
 * other side's), then '{', pairs "name":value joined by ',' and '}'. The
 * name is a JSON string as append_string writes it; the value is 'n' (NULL,
 * then NULL or nothing), 'i' and the integer's decimal text, 'r' and quote()
 * of the real (exact), 't' and hex() of the text's bytes, 'b' and hex() of
 * the blob (the shared triggers of 0.3.9 builds at bookkeeping version 20
 * wrote quote()'s X'hex', and their pending entries are read too). Names are
 * JSON strings and values hold no ',' or '}', so a pair ends at the first
 * ',' or '}' after its name. */
typedef struct pending_value {
	char tag;      /* n, i, r, t, b */
	const char *p; /* after the tag */
	int n;
} pending_value;

typedef struct pending_reader {
	const char *p, *end;
} pending_reader;

/* The next pair: name (with its quotes) and value; false at the end or on
 * text not in the pending form (*bad). */
static bool next_pair(pending_reader *r, const char **name, int *name_len, pending_value *v,
                      bool *bad)
{
	const char *p = r->p, *end = r->end;
	if (p < end && *p == ',')
		p++;
	if (p >= end || *p == '}') {
		*bad = p >= end;
		return false;
	}
	if (*p != '"') {
		*bad = true;
		return false;
	}
	*name = p++;
	while (p < end && *p != '"')
		p += *p == '\\' ? 2 : 1;
	if (p + 2 >= end || p[1] != ':') {
		*bad = true;
		return false;
	}
	*name_len = (int)(p + 1 - *name);
	p += 2;
	v->tag = *p++;
	v->p = p;
	while (p < end && *p != ',' && *p != '}')
		p++;
	v->n = (int)(p - v->p);
	r->p = p;
	if (v->tag == 'b' && v->n >= 3 && v->p[0] == 'X' && v->p[1] == '\'' && v->p[v->n - 1] == '\'') {
		v->p += 2;
		v->n -= 3;
	}
	if (!strchr("nirtb", v->tag)) {
		*bad = true;
		return false;
	}
	return true;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - 'a' + 10;
}

static double pending_real(const pending_value *v)
{
	char text[64];
	int n = v->n < (int)sizeof(text) - 1 ? v->n : (int)sizeof(text) - 1;
	memcpy(text, v->p, (size_t)n);
	text[n] = 0;
	/* quote() writes Inf and -Inf for the infinities */
	if (strstr(text, "Inf"))
		return text[0] == '-' ? -INFINITY : INFINITY;
	return strtod(text, NULL);
}

/* As differ() above: SQL's IS NOT with NULLs equal and numbers by value. */
static bool pending_differ(const pending_value *a, const pending_value *b)
{
	bool na = a->tag == 'i' || a->tag == 'r', nb = b->tag == 'i' || b->tag == 'r';
	if (a->tag == 'n' || b->tag == 'n')
		return a->tag != b->tag;
	if (na && nb) {
		if (a->tag == 'i' && b->tag == 'i')
			return a->n != b->n || memcmp(a->p, b->p, (size_t)a->n) != 0;
		double x = a->tag == 'r' ? pending_real(a) : strtod(a->p, NULL);
		double y = b->tag == 'r' ? pending_real(b) : strtod(b->p, NULL);
		return x != y;
	}
	if (a->tag != b->tag)
		return true;
	return a->n != b->n || memcmp(a->p, b->p, (size_t)a->n) != 0;
}

/* hex() gives a text's bytes in the file's encoding; sqlite3_value_text,
 * which dbaudit_json reads, gives UTF-8. Converts in place (the buffer has
 * room for the UTF-8, which is written after the UTF-16 is read: the
 * UTF-16 is moved to the buffer's end first); returns the UTF-8 length. An
 * unpaired surrogate becomes U+FFFD, as SQLite's own conversion does. */
static int utf16_to_utf8(unsigned char *buf, int n, bool big_endian)
{
	int units = n / 2, room = units * 3 + 3;
	memmove(buf + room - units * 2, buf, (size_t)units * 2);
	const unsigned char *in = buf + room - units * 2;
	int o = 0;
	for (int i = 0; i < units; i++) {
		unsigned u = big_endian ? (unsigned)(in[2 * i] << 8 | in[2 * i + 1])
		                        : (unsigned)(in[2 * i + 1] << 8 | in[2 * i]);
		unsigned cp = u;
		if (u >= 0xD800 && u < 0xDC00 && i + 1 < units) {
			unsigned l = big_endian ? (unsigned)(in[2 * i + 2] << 8 | in[2 * i + 3])
			                        : (unsigned)(in[2 * i + 3] << 8 | in[2 * i + 2]);
			if (l >= 0xDC00 && l < 0xE000) {
				cp = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
				i++;
			} else {
				cp = 0xFFFD;
			}
		} else if (u >= 0xD800 && u < 0xE000) {
			cp = 0xFFFD;
		}
		/* a 4-byte character came from 4 bytes: the output never overtakes the input */
		if (cp < 0x80) {
			buf[o++] = (unsigned char)cp;
		} else if (cp < 0x800) {
			buf[o++] = (unsigned char)(0xC0 | cp >> 6);
			buf[o++] = (unsigned char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			buf[o++] = (unsigned char)(0xE0 | cp >> 12);
			buf[o++] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			buf[o++] = (unsigned char)(0x80 | (cp & 0x3F));
		} else {
			buf[o++] = (unsigned char)(0xF0 | cp >> 18);
			buf[o++] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
			buf[o++] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			buf[o++] = (unsigned char)(0x80 | (cp & 0x3F));
		}
	}
	return o;
}

/* The value as append_value writes the SQL value it stands for; text in
 * the file's encoding (SQLITE_UTF8, SQLITE_UTF16LE or SQLITE_UTF16BE). */
static void append_pending(json_buf *b, const pending_value *v, int encoding)
{
	switch (v->tag) {
	case 'i':
		append_raw(b, v->p, (sqlite3_uint64)v->n);
		break;
	case 'r': {
		double d = pending_real(v);
		if (isfinite(d)) {
			char text[48];
			sqlite3_snprintf((int)sizeof(text), text, "%!.15g", d);
			append_raw(b, text, strlen(text));
		} else {
			append_raw(b, "null", 4);
		}
		break;
	}
	case 't': {
		int n = v->n / 2;
		unsigned char stack[256];
		/* UTF-16 as UTF-8 takes at most 3 bytes per 2 */
		int room = encoding == SQLITE_UTF8 ? n : n / 2 * 3 + 3;
		unsigned char *bytes = room <= (int)sizeof(stack) ? stack : sqlite3_malloc(room);
		if (!bytes) {
			b->oom = true;
			break;
		}
		for (int i = 0; i < n; i++)
			bytes[i] = (unsigned char)(hex_digit(v->p[2 * i]) << 4 | hex_digit(v->p[2 * i + 1]));
		if (encoding != SQLITE_UTF8)
			n = utf16_to_utf8(bytes, n, encoding == SQLITE_UTF16BE);
		append_string(b, bytes, n);
		if (bytes != stack)
			sqlite3_free(bytes);
		break;
	}
	case 'b':
		append_char(b, '"');
		append_raw(b, v->p, (sqlite3_uint64)v->n);
		append_char(b, '"');
		break;
	default:
		append_raw(b, "null", 4);
	}
}

/* The main database's text encoding, read once per connection (it is
 * fixed when the file's first table is made). */
static int main_encoding(sqldbc_conn *conn)
{
	if (conn->audit_encoding)
		return conn->audit_encoding;
	sqlite3_stmt *stmt = NULL;
	int enc = SQLITE_UTF8;
	if (sqlite3_prepare_v2(conn->db, "PRAGMA main.encoding", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);
		if (name && strcmp(name, "UTF-16le") == 0)
			enc = SQLITE_UTF16LE;
		else if (name && strcmp(name, "UTF-16be") == 0)
			enc = SQLITE_UTF16BE;
	}
	sqlite3_finalize(stmt);
	conn->audit_encoding = enc;
	return enc;
}

/* dbaudit_decode(text, other): an entry's key, old_values or new_values in
 * the pending form as the JSON dbaudit_json (mode P) or
 * dbaudit_json_changed (mode C, other the other side's pending text) would
 * have written for the same row; text in any other form (a finished entry)
 * as it is, so completing an entry twice changes nothing. */
void sqldbc_dbaudit_decode(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	int n = sqlite3_value_bytes(argv[0]);
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || n < 3 || (t[0] != 'P' && t[0] != 'C') ||
	    t[1] != '{') {
		sqlite3_result_value(c, argv[0]);
		return;
	}
	bool changed = t[0] == 'C';
	int encoding = main_encoding(sqldbc_conn_of(c));
	const char *o = changed ? (const char *)sqlite3_value_text(argv[1]) : NULL;
	int on = changed ? sqlite3_value_bytes(argv[1]) : 0;
	if (changed && (!o || on < 3 || o[0] != 'C' || o[1] != '{')) {
		sqlite3_result_error(c, "dbcare: a pending audit entry's old and new values do not match",
		                     -1);
		return;
	}
	pending_reader r = {t + 2, t + n}, ro = {changed ? o + 2 : NULL, changed ? o + on : NULL};
	json_buf b;
	bool first = true, bad = false;
	buf_init(&b);
	append_char(&b, '{');
	const char *name, *oname;
	int name_len, oname_len;
	pending_value v, ov;
	while (next_pair(&r, &name, &name_len, &v, &bad)) {
		if (changed) {
			bool obad = false;
			if (!next_pair(&ro, &oname, &oname_len, &ov, &obad) || oname_len != name_len ||
			    memcmp(name, oname, (size_t)name_len) != 0) {
				bad = true;
				break;
			}
			if (!pending_differ(&v, &ov))
				continue;
		}
		if (!first)
			append_char(&b, ',');
		first = false;
		append_raw(&b, name, (sqlite3_uint64)name_len);
		append_char(&b, ':');
		append_pending(&b, &v, encoding);
	}
	if (bad) {
		buf_free(&b);
		sqlite3_result_error(c, "dbcare: a pending audit entry is not in the form dbcare writes",
		                     -1);
		return;
	}
	finish(c, &b);
}

/* A column name as a JSON string, as the pending form holds it: the text
 * (sqlite3_malloc'd) or NULL when out of memory. */
char *sqldbc_audit_json_name(const char *name)
{
	json_buf b;
	buf_init(&b);
	append_string(&b, (const unsigned char *)name, (int)strlen(name));
	append_char(&b, 0);
	if (b.oom) {
		buf_free(&b);
		return NULL;
	}
	char *out = sqlite3_malloc64(b.n);
	if (out)
		memcpy(out, b.p, b.n);
	buf_free(&b);
	return out;
}
