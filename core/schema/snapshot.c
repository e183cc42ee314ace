/*
 * snapshot.c — the canonical snapshot of a schema model and its fingerprint.
 * Canonical means: objects keyed by qualified name, keys sorted, no OIDs or
 * creation order anywhere, so the same schema always gives the same text.
 * Column order is kept: it is part of a table's definition (SELECT *).
 */
#include "schema/schema.h"
#include "base/sha256.h"

#include <stdlib.h>
#include <string.h>

#define DBC_SNAPSHOT_FORMAT 1

/*
 * The text is written directly, byte for byte what jansson's
 * JSON_SORT_KEYS | JSON_COMPACT dump of the same object tree gives (the
 * format since the first release; test_snapshot checks the equivalence):
 * building that tree, sorting it and freeing it was most of the snapshot's
 * cost (docs/benchmarks.md, "Figures behind code comments"). Strings are repaired as json.c does: a
 * byte that starts no well-formed UTF-8 sequence (overlong forms and surrogates included) becomes
 * '?'. Of duplicate keys in one object the last one set wins, as with
 * json_object_set.
 */

typedef struct writer {
	dbc_ctx *ctx;
	bool bad; /* a string could not be written */
} writer;

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		int k = p[i] < 0x80 ? 1 : dbc_utf8_seq(p + i, n - i);
		if (k == 0)
			return false;
		i += (size_t)k;
	}
	return true;
}

static char *utf8_repaired(dbc_ctx *ctx, const char *s, size_t n)
{
	char *out = dbc_alloc(ctx, n + 1);
	if (out)
		dbc_utf8_repair(out, s, n);
	return out;
}

/* The text as it will be written, or NULL (w->bad: out of memory). */
static const char *json_text(writer *w, const char *s, size_t *n)
{
	*n = strlen(s);
	if (utf8_valid(s, *n))
		return s;
	char *fixed = utf8_repaired(w->ctx, s, *n);
	if (!fixed)
		w->bad = true;
	return fixed;
}

/* Appends without a call while the buffer has room (most of the time). */
static inline void put_raw(dbc_buf *b, const char *s, size_t n)
{
	if (b->data && b->len + n < b->cap) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
	} else {
		dbc_buf_appendn(b, s, n);
	}
}

static inline void put_c(dbc_buf *b, char c)
{
	put_raw(b, &c, 1);
}

static void put_str(writer *w, dbc_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	if (!s) {
		put_raw(b, "null", 4);
		return;
	}
	/* plain printable ASCII, the usual case, goes out in one piece */
	for (const unsigned char *p = (const unsigned char *)s;
	     p[n] >= 0x20 && p[n] < 0x80 && p[n] != '"' && p[n] != '\\'; n++)
		;
	if (s[n] == '\0') {
		put_c(b, '"');
		put_raw(b, s, n);
		put_c(b, '"');
		return;
	}
	s = json_text(w, s, &n);
	if (!s)
		return;
	put_c(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put_raw(b, s + run, i - run);
		run = i + 1;
		char esc[7] = {'\\', 0};
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
		}
		put_raw(b, esc, esc[1] == 'u' ? 6 : 2);
	}
	put_raw(b, s + run, n - run);
	put_c(b, '"');
}

/* "key": — keys are strings like any other. */
static void put_key(writer *w, dbc_buf *b, bool *first, const char *key)
{
	if (!*first)
		put_c(b, ',');
	*first = false;
	put_str(w, b, key);
	put_c(b, ':');
}

static void put_bool(dbc_buf *b, bool v)
{
	if (v)
		put_raw(b, "true", 4);
	else
		put_raw(b, "false", 5);
}

static void put_strlist(writer *w, dbc_buf *b, const dbc_strlist *l)
{
	put_c(b, '[');
	for (int i = 0; i < l->n; i++) {
		if (i)
			put_c(b, ',');
		put_str(w, b, l->items[i]);
	}
	put_c(b, ']');
}

/* Members of an object whose keys are data (names): their values are
 * written to a scratch buffer first, then emitted in key order. */
typedef struct member {
	const char *key;
	size_t off, len;
	int seq;
} member;

typedef struct members {
	member *items;
	int n, cap;
} members;

static bool add_member(dbc_ctx *ctx, members *m, const char *key, size_t off, size_t len)
{
	if (dbc_grow(ctx, &m->items, m->n, &m->cap, sizeof(member), 16) != DBC_OK)
		return false;
	m->items[m->n] = (member){key, off, len, m->n};
	m->n++;
	return true;
}

/* By key; of equal keys the last set comes first, so it is the one kept. */
static int member_cmp(const void *a, const void *b)
{
	const member *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : y->seq - x->seq;
}

/* Writes {"key":value,...} from the members' slices of src, keys sorted.
 * Keys are compared as jansson would store them (repaired). */
static void put_members(writer *w, dbc_buf *b, members *m, const char *src)
{
	for (int i = 0; i < m->n; i++) {
		size_t n;
		const char *k = json_text(w, m->items[i].key, &n);
		m->items[i].key = k ? k : "";
	}
	if (m->n > 1)
		qsort(m->items, (size_t)m->n, sizeof(member), member_cmp);
	bool first = true;
	put_c(b, '{');
	for (int i = 0; i < m->n; i++) {
		if (i > 0 && strcmp(m->items[i].key, m->items[i - 1].key) == 0)
			continue;
		put_key(w, b, &first, m->items[i].key);
		put_raw(b, src + m->items[i].off, m->items[i].len);
	}
	put_c(b, '}');
}

/* Keys of every fixed object below are written in sorted order by hand. */
static void put_column(writer *w, dbc_buf *b, const dbc_column *c)
{
	bool first = true;
	put_c(b, '{');
	if (c->collation)
		put_key(w, b, &first, "collation"), put_str(w, b, c->collation);
	put_key(w, b, &first, "default"), put_str(w, b, c->default_expr);
	if (c->generated)
		put_key(w, b, &first, "generated"), put_str(w, b, c->generated);
	if (c->hidden)
		put_key(w, b, &first, "hidden"), put_bool(b, true);
	put_key(w, b, &first, "name"), put_str(w, b, c->name);
	put_key(w, b, &first, "not_null"), put_bool(b, c->not_null);
	if (c->not_null_on_conflict)
		put_key(w, b, &first, "not_null_on_conflict"), put_str(w, b, c->not_null_on_conflict);
	put_key(w, b, &first, "type"), put_str(w, b, c->type ? c->type : "");
	put_c(b, '}');
}

static void put_constraint(writer *w, dbc_buf *b, const dbc_constraint *c)
{
	bool first = true, fk = c->kind == DBC_CON_FOREIGN_KEY;
	put_c(b, '{');
	put_key(w, b, &first, "columns"), put_strlist(w, b, &c->columns);
	if (c->deferrable)
		put_key(w, b, &first, "deferrable"), put_bool(b, true);
	if (c->expr)
		put_key(w, b, &first, "expression"), put_str(w, b, c->expr);
	if (c->deferrable)
		put_key(w, b, &first, "initially_deferred"), put_bool(b, c->initially_deferred);
	put_key(w, b, &first, "kind"), put_str(w, b, dbc_constraint_kind_name(c->kind));
	if (fk)
		put_key(w, b, &first, "match"), put_str(w, b, c->match ? c->match : "simple");
	if (c->on_conflict)
		put_key(w, b, &first, "on_conflict"), put_str(w, b, c->on_conflict);
	if (fk) {
		put_key(w, b, &first, "on_delete"),
		    put_str(w, b, c->on_delete ? c->on_delete : "no action");
		put_key(w, b, &first, "on_update"),
		    put_str(w, b, c->on_update ? c->on_update : "no action");
		put_key(w, b, &first, "ref_columns"), put_strlist(w, b, &c->ref_columns);
		put_key(w, b, &first, "references"),
		    put_str(w, b, dbc_qualified_name(w->ctx, c->ref_schema, c->ref_table));
	}
	if (!c->validated)
		put_key(w, b, &first, "validated"), put_bool(b, false);
	put_c(b, '}');
}

static bool put_table(writer *w, dbc_buf *b, dbc_buf *scratch, const dbc_table *t)
{
	bool first = true;
	members cons = {0};
	scratch->len = 0;
	for (int i = 0; i < t->nconstraints; i++) {
		size_t off = scratch->len;
		put_constraint(w, scratch, &t->constraints[i]);
		if (!add_member(w->ctx, &cons, t->constraints[i].name, off, scratch->len - off))
			return false;
	}
	put_c(b, '{');
	put_key(w, b, &first, "columns");
	put_c(b, '[');
	for (int i = 0; i < t->ncolumns; i++) {
		if (i)
			put_c(b, ',');
		put_column(w, b, &t->columns[i]);
	}
	put_c(b, ']');
	put_key(w, b, &first, "constraints");
	put_members(w, b, &cons, scratch->data);
	put_key(w, b, &first, "kind"), put_str(w, b, t->kind);
	if (t->options)
		put_key(w, b, &first, "options"), put_str(w, b, t->options);
	if (t->partition_of)
		put_key(w, b, &first, "partition_of"), put_str(w, b, t->partition_of);
	put_c(b, '}');
	return !scratch->oom;
}

static void put_index(writer *w, dbc_buf *b, const dbc_index *ix)
{
	bool first = true;
	put_c(b, '{');
	put_key(w, b, &first, "definition"), put_str(w, b, ix->definition);
	put_key(w, b, &first, "keys"), put_strlist(w, b, &ix->keys);
	put_key(w, b, &first, "method"), put_str(w, b, ix->method);
	put_key(w, b, &first, "predicate"), put_str(w, b, ix->predicate);
	put_key(w, b, &first, "table"), put_str(w, b, ix->table);
	put_key(w, b, &first, "unique"), put_bool(b, ix->unique);
	if (!ix->valid)
		put_key(w, b, &first, "valid"), put_bool(b, false);
	put_c(b, '}');
}

static void put_object(writer *w, dbc_buf *b, const dbc_object *ob)
{
	bool first = true;
	put_c(b, '{');
	put_key(w, b, &first, "definition"), put_str(w, b, ob->definition);
	if (!ob->enabled)
		put_key(w, b, &first, "enabled"), put_bool(b, false);
	if (ob->table)
		put_key(w, b, &first, "table"), put_str(w, b, ob->table);
	put_c(b, '}');
}

/* One section of the root: an object type and its members. */
typedef struct section {
	const char *type;
	members m;
} section;

static section *section_of(dbc_ctx *ctx, section **secs, int *n, int *cap, const char *type)
{
	for (int i = 0; i < *n; i++)
		if (strcmp((*secs)[i].type, type) == 0)
			return &(*secs)[i];
	if (dbc_grow(ctx, secs, *n, cap, sizeof(section), 4) != DBC_OK)
		return NULL;
	(*secs)[*n] = (section){type, {0}};
	return &(*secs)[(*n)++];
}

/* A key of the root object: "engine", "format" or a section's type. */
typedef struct root_key {
	const char *key;
	int section; /* index into the sections, -1 for engine and format */
} root_key;

static int root_key_cmp(const void *a, const void *b)
{
	return strcmp(((const root_key *)a)->key, ((const root_key *)b)->key);
}

static int snapshot_build(dbc_schema *s, char **out)
{
	dbc_ctx *ctx = s->ctx;
	writer w = {ctx, false};
	dbc_buf body, scratch, text;
	section *secs = NULL;
	int nsec = 0, capsec = 0;
	bool ok = true;
	dbc_buf_init(&body, ctx);
	dbc_buf_init(&scratch, ctx);
	dbc_buf_init(&text, ctx);
	/* Empty sections are always present so two empty schemas compare equal
	 * and readers need not test for absence. */
	section *tables = section_of(ctx, &secs, &nsec, &capsec, "table");
	ok = tables && section_of(ctx, &secs, &nsec, &capsec, "index");
	for (int i = 0; ok && i < s->ntables; i++) {
		const dbc_table *t = &s->tables[i];
		size_t off = body.len;
		char *qn = dbc_qualified_name(ctx, t->schema, t->name);
		ok = qn && put_table(&w, &body, &scratch, t) &&
		     add_member(ctx, &secs[0].m, qn, off, body.len - off);
	}
	for (int i = 0; ok && i < s->nindexes; i++) {
		const dbc_index *ix = &s->indexes[i];
		if (ix->constraint) /* described by its constraint already */
			continue;
		size_t off = body.len;
		char *qn = dbc_qualified_name(ctx, ix->schema, ix->name);
		put_index(&w, &body, ix);
		ok = qn && add_member(ctx, &secs[1].m, qn, off, body.len - off);
	}
	for (int i = 0; ok && i < s->nobjects; i++) {
		const dbc_object *ob = &s->objects[i];
		size_t off = body.len;
		char *qn = dbc_qualified_name(ctx, ob->schema, ob->name);
		section *sec = qn ? section_of(ctx, &secs, &nsec, &capsec, ob->type) : NULL;
		put_object(&w, &body, ob);
		ok = sec && add_member(ctx, &sec->m, qn, off, body.len - off);
	}
	/* the root: engine, format and the sections in key order, each section
	 * written straight into the text from the body */
	root_key *keys = ok ? dbc_alloc(ctx, sizeof(root_key) * (size_t)(nsec + 2)) : NULL;
	ok = keys != NULL;
	if (ok) {
		size_t size = body.len + 64;
		keys[0] = (root_key){"engine", -1};
		keys[1] = (root_key){"format", -1};
		for (int i = 0; i < nsec; i++) {
			keys[i + 2] = (root_key){secs[i].type, i};
			size += 32 + strlen(secs[i].type);
			for (int j = 0; j < secs[i].m.n; j++)
				size += strlen(secs[i].m.items[j].key) + 4;
		}
		qsort(keys, (size_t)nsec + 2, sizeof(root_key), root_key_cmp);
		dbc_buf_reserve(&text, size);
		bool first = true;
		put_c(&text, '{');
		for (int i = 0; i < nsec + 2; i++) {
			put_key(&w, &text, &first, keys[i].key);
			if (keys[i].section >= 0)
				put_members(&w, &text, &secs[keys[i].section].m, body.data ? body.data : "");
			else if (strcmp(keys[i].key, "engine") == 0)
				put_str(&w, &text, s->engine);
			else
				dbc_buf_appendf(&text, "%d", DBC_SNAPSHOT_FORMAT);
		}
		put_c(&text, '}');
	}
	if (!ok || w.bad || body.oom || scratch.oom || text.oom) {
		if (!ctx->failed)
			dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY,
			          "out of memory while building the schema snapshot");
		return DBC_ERROR;
	}
	*out = dbc_buf_finish(&text);
	return *out ? DBC_OK : DBC_ERROR;
}

int dbc_schema_snapshot_json(dbc_schema *s, char **out)
{
	dbc_schema_memo *m = s->memo;
	if (m && m->snapshot) {
		*out = dbc_strdup(s->ctx, m->snapshot);
		return *out ? DBC_OK : DBC_ERROR;
	}
	if (snapshot_build(s, out) != DBC_OK)
		return DBC_ERROR;
	if (m) {
		m->snapshot = dbc_strdup(m->ctx, *out);
		if (!m->snapshot)
			return dbc_error(s->ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	return DBC_OK;
}

int dbc_schema_fingerprint_model(dbc_schema *s, char **hex_out)
{
	dbc_schema_memo *m = s->memo;
	char *json;
	if (m && m->fingerprint) {
		*hex_out = dbc_strdup(s->ctx, m->fingerprint);
		return *hex_out ? DBC_OK : DBC_ERROR;
	}
	/* the memo's own text when it has one: a copy is as large as the schema */
	if (m && m->snapshot)
		json = m->snapshot;
	else if (dbc_schema_snapshot_json(s, &json) != DBC_OK)
		return DBC_ERROR;
	if (dbc_schema_fingerprint_of(s->ctx, json, hex_out) != DBC_OK)
		return DBC_ERROR;
	if (m) {
		m->fingerprint = dbc_strdup(m->ctx, *hex_out);
		if (!m->fingerprint)
			return dbc_error(s->ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	return DBC_OK;
}

int dbc_schema_fingerprint_of(dbc_ctx *ctx, const char *snapshot_json, char **out)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (dbc_sha256_hex(ctx, snapshot_json, strlen(snapshot_json), hex) != DBC_OK)
		return DBC_ERROR;
	*out = dbc_strdup(ctx, hex);
	return *out ? DBC_OK : DBC_ERROR;
}

int dbc_schema_snapshot(dbc_ctx *ctx, dbc_schema_reader reader, char **json_out)
{
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (reader(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_schema_snapshot_json(&s, json_out);
}

int dbc_schema_snapshot_fingerprinted(dbc_ctx *ctx, dbc_schema_reader reader, char **json_out,
                                      char **hex_out)
{
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (reader(ctx, &s) != DBC_OK || dbc_schema_snapshot_json(&s, json_out) != DBC_OK)
		return DBC_ERROR;
	/* a cached model knows its fingerprint: hashing the text again is the
	 * larger part of the work at thousands of tables */
	if (s.memo)
		return dbc_schema_fingerprint_model(&s, hex_out);
	return dbc_schema_fingerprint_of(ctx, *json_out, hex_out);
}

int dbc_schema_fingerprint(dbc_ctx *ctx, dbc_schema_reader reader, char **hex_out)
{
	dbc_schema s;
	dbc_schema_init(&s, ctx);
	if (reader(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_schema_fingerprint_model(&s, hex_out);
}
