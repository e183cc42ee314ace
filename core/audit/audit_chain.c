/*
 * audit_chain.c — the hash chain of the audit log (docs/audit.md, "Hash
 * chain"). A chained entry stores prev_hash, the hash of the entry before it
 * in its chain, and hash = SHA-256(prev_hash, its content) in hex: a changed
 * entry fails its own hash, a deleted or inserted one the next entry's link,
 * and deleted newest entries the chain's stored head.
 *
 * Chains (invariants the writers keep, which verify relies on):
 * - A "table" chain (hash format v2, written by PostgreSQL from 0.3.3) holds
 *   one table's entries; a "log" chain (format v1: SQLite, and PostgreSQL
 *   before 0.3.3) holds every chained entry of the log. Each format's hash
 *   names it, so verify tells the chains apart from the entries alone.
 * - Within a chain, entries link in id order: a writer takes the chain's lock
 *   before it draws its entries' ids (PostgreSQL), or there is one writer at
 *   a time (SQLite). So walking the log in id order and keeping one "last
 *   hash" per chain reproduces each chain exactly, whatever the concurrency.
 * - The head (dbc_audit_heads) holds each chain's last hash and id, moved
 *   in the transaction that links its entries: the newest entry of a chain
 *   must be the head's.
 * Only the first entry kept of a chain cannot be linked back (retention may
 * have deleted what it links to).
 */
#include "audit/audit.h"

#include "base/sha256.h"

#include <string.h>

/* n in decimal, as %zu writes it. */
static void append_size(dbc_buf *b, size_t n)
{
	char digits[24];
	int i = (int)sizeof(digits);
	do {
		digits[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	dbc_buf_appendn(b, digits + i, sizeof(digits) - (size_t)i);
}

static int link_with(dbc_ctx *ctx, dbc_sha256 *h, const char *tag, const char *prev,
                     const char *const fields[DBC_AUDIT_LINK_FIELDS],
                     char hex[DBC_AUDIT_HASH_LEN + 1])
{
	/* length-prefixed, so no field's text can pass for another split:
	 * "TAG PREV\n" then "LEN:TEXT|" per field ("-:|" for none). Built by
	 * hand: a printf per field was a third of a chained entry's hash. */
	dbc_buf b;
	size_t lens[DBC_AUDIT_LINK_FIELDS], total = strlen(tag) + 2 + (prev ? strlen(prev) : 0);
	for (int i = 0; i < DBC_AUDIT_LINK_FIELDS; i++) {
		lens[i] = fields[i] ? strlen(fields[i]) : 0;
		total += lens[i] + 24;
	}
	dbc_buf_init(&b, ctx);
	dbc_buf_reserve(&b, total + 1);
	dbc_buf_append(&b, tag);
	dbc_buf_appendc(&b, ' ');
	if (prev)
		dbc_buf_append(&b, prev);
	dbc_buf_appendc(&b, '\n');
	for (int i = 0; i < DBC_AUDIT_LINK_FIELDS; i++) {
		if (!fields[i]) {
			dbc_buf_appendn(&b, "-:|", 3);
			continue;
		}
		append_size(&b, lens[i]);
		dbc_buf_appendc(&b, ':');
		dbc_buf_appendn(&b, fields[i], lens[i]);
		dbc_buf_appendc(&b, '|');
	}
	char *content = dbc_buf_finish(&b);
	if (!content)
		return DBC_ERROR;
	return dbc_sha256_hex_on(ctx, h, content, strlen(content), hex);
}

int dbc_audit_link(dbc_ctx *ctx, const char *prev, const char *const fields[DBC_AUDIT_LINK_FIELDS],
                   char hex[DBC_AUDIT_HASH_LEN + 1])
{
	return link_with(ctx, NULL, "dbcare-audit-v1", prev, fields, hex);
}

int dbc_audit_link_on(dbc_ctx *ctx, dbc_sha256 *h, const char *prev,
                      const char *const fields[DBC_AUDIT_LINK_FIELDS],
                      char hex[DBC_AUDIT_HASH_LEN + 1])
{
	return link_with(ctx, h, "dbcare-audit-v1", prev, fields, hex);
}

int dbc_audit_link_table(dbc_ctx *ctx, const char *prev,
                         const char *const fields[DBC_AUDIT_LINK_FIELDS],
                         char hex[DBC_AUDIT_HASH_LEN + 1])
{
	return link_with(ctx, NULL, "dbcare-audit-v2", prev, fields, hex);
}

/* One chain as verify walks it. */
typedef struct chain_state {
	const char *name; /* the table; "" for the log chain */
	char prev[DBC_AUDIT_HASH_LEN + 1];
	int64_t last_id;
} chain_state;

typedef struct verify_break {
	int64_t id; /* 0: none to name */
	const char *problem;
} verify_break;

typedef struct verify_state {
	const dbc_audit_hooks *e;
	chain_state *chains;
	int nchains, cap;
	int last; /* the chain of the entry before: the next is often the same */
	int64_t checked;
	verify_break *breaks;
	int nbreaks, break_cap;
} verify_state;

static chain_state *find_chain(verify_state *v, const char *name)
{
	if (v->last >= 0 && v->last < v->nchains && strcmp(v->chains[v->last].name, name) == 0)
		return &v->chains[v->last];
	for (int i = 0; i < v->nchains; i++)
		if (strcmp(v->chains[i].name, name) == 0) {
			v->last = i;
			return &v->chains[i];
		}
	return NULL;
}

static chain_state *add_chain(dbc_ctx *ctx, verify_state *v, const char *name)
{
	if (dbc_grow(ctx, &v->chains, v->nchains, &v->cap, sizeof(*v->chains), 16) != DBC_OK)
		return NULL;
	chain_state *c = &v->chains[v->nchains];
	memset(c, 0, sizeof(*c));
	c->name = dbc_strdup(ctx, name);
	if (!c->name)
		return NULL;
	v->last = v->nchains++;
	return c;
}

static int add_break(dbc_ctx *ctx, verify_state *v, int64_t id, const char *problem)
{
	if (!problem)
		return DBC_ERROR;
	if (dbc_grow(ctx, &v->breaks, v->nbreaks, &v->break_cap, sizeof(*v->breaks), 8) != DBC_OK)
		return DBC_ERROR;
	v->breaks[v->nbreaks++] = (verify_break){id, problem};
	return DBC_OK;
}

static bool valid_hash(const char *s)
{
	return s && strlen(s) == DBC_AUDIT_HASH_LEN;
}

static const char *field_text(dbc_ctx *ctx, const dbc_value *c)
{
	return c->type == DBC_NULL   ? NULL
	       : c->type == DBC_TEXT ? c->s
	                             : dbc_printf(ctx, "%lld", (long long)c->i);
}

int dbc_audit_entry_intact(dbc_ctx *ctx, const dbc_value *c, bool *intact)
{
	const char *fields[DBC_AUDIT_LINK_FIELDS];
	bool cut = c[0].nul_len || c[1].nul_len;
	for (int i = 0; i < DBC_AUDIT_LINK_FIELDS; i++) {
		fields[i] = field_text(ctx, &c[2 + i]);
		cut = cut || c[2 + i].nul_len;
	}
	const char *stored = c[0].type == DBC_TEXT ? c[0].s : "";
	const char *prev = c[1].type == DBC_TEXT ? c[1].s : NULL;
	char v2[DBC_AUDIT_HASH_LEN + 1], v1[DBC_AUDIT_HASH_LEN + 1];
	if (dbc_audit_link_table(ctx, prev, fields, v2) != DBC_OK ||
	    dbc_audit_link(ctx, prev, fields, v1) != DBC_OK)
		return DBC_ERROR;
	*intact = !cut && (strcmp(v2, stored) == 0 || strcmp(v1, stored) == 0);
	return DBC_OK;
}

static int verify_entry(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	verify_state *v = arg;
	const char *fields[DBC_AUDIT_LINK_FIELDS];
	for (int i = 0; i < DBC_AUDIT_LINK_FIELDS; i++)
		fields[i] = field_text(ctx, &c[3 + i]);
	int64_t id = c[0].i;
	const char *stored = c[1].type == DBC_TEXT ? c[1].s : "";
	const char *prev = c[2].type == DBC_TEXT ? c[2].s : NULL;
	const char *table = fields[5] ? fields[5] : "";
	char v2[DBC_AUDIT_HASH_LEN + 1], v1[DBC_AUDIT_HASH_LEN + 1];
	if (dbc_audit_link_table(ctx, prev, fields, v2) != DBC_OK ||
	    dbc_audit_link(ctx, prev, fields, v1) != DBC_OK)
		return DBC_ERROR;
	/* which chain: the one its hash names; for an entry whose hash matches
	 * neither, the one its prev_hash continues, else the one its engine
	 * writes now (so one changed entry is one break, not two) */
	const char *name;
	bool hash_ok = true;
	if (strcmp(v2, stored) == 0)
		name = table;
	else if (strcmp(v1, stored) == 0)
		name = "";
	else {
		hash_ok = false;
		chain_state *t = find_chain(v, table), *l = find_chain(v, "");
		if (prev && t && strcmp(t->prev, prev) == 0)
			name = table;
		else if (prev && l && strcmp(l->prev, prev) == 0)
			name = "";
		else
			name = ctx->host->dialect->audit_table_chains ? table : "";
	}
	chain_state *ch = find_chain(v, name);
	bool first = ch == NULL;
	if (!ch && !(ch = add_chain(ctx, v, name)))
		return DBC_ERROR;
	/* a text field the chain's hash cannot cover whole: the hash of what
	 * comes before a NUL byte would hide any bytes appended after it */
	bool cut = false;
	for (int i = 0; i < ncol; i++)
		cut = cut || c[i].nul_len;
	v->checked++;
	int rc = DBC_OK;
	if (cut)
		rc = add_break(ctx, v, id,
		               "it holds a NUL byte, which no logged entry does: the entry was changed");
	else if (!hash_ok)
		rc = add_break(ctx, v, id, "its hash does not match its content: the entry was changed");
	else if (!first && (!prev || strcmp(prev, ch->prev) != 0))
		/* the first entry kept links to one that retention may have
		 * deleted; every later one must link to the one before it */
		rc = add_break(ctx, v, id,
		               "it does not link to the chained entry before it: an entry between them "
		               "was deleted or inserted, or its link was changed");
	if (rc != DBC_OK)
		return rc;
	/* the next entry links to what is stored, right or wrong: each changed
	 * entry is reported once, and the walk goes on to the end */
	if (valid_hash(stored))
		memcpy(ch->prev, stored, DBC_AUDIT_HASH_LEN + 1);
	else
		ch->prev[0] = '\0';
	ch->last_id = id;
	return DBC_OK;
}

/* A head: the chain's newest entry must be the one the head names. */
static int verify_head(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	verify_state *v = arg;
	(void)ncol;
	const char *name = c[0].type == DBC_TEXT ? c[0].s : "";
	const char *last_hash = c[1].type == DBC_TEXT ? c[1].s : NULL;
	int64_t last_id = c[2].type == DBC_INT ? c[2].i : 0;
	if (!last_hash)
		return DBC_OK;
	const char *what = name[0] ? dbc_printf(ctx, "the chain of %s", v->e->display(ctx, name))
	                           : dbc_strdup(ctx, "the log's chain");
	if (!what)
		return DBC_ERROR;
	chain_state *ch = find_chain(v, name);
	if (!ch)
		return add_break(ctx, v, last_id,
		                 dbc_printf(ctx,
		                            "no entry of %s is left, though its head names entry %lld: "
		                            "its entries were deleted or the log was emptied",
		                            what, (long long)last_id));
	if (strcmp(ch->prev, last_hash) == 0)
		return DBC_OK;
	if (last_id && ch->last_id > last_id)
		return add_break(ctx, v, ch->last_id,
		                 dbc_printf(ctx,
		                            "it comes after the newest entry of %s (entry %lld): "
		                            "it was added to the log afterwards",
		                            what, (long long)last_id));
	if (last_id && ch->last_id == last_id)
		return add_break(ctx, v, last_id,
		                 dbc_printf(ctx,
		                            "it is the newest entry of %s but not the one its head "
		                            "names: the chain was rewritten",
		                            what));
	return add_break(ctx, v, last_id ? last_id : ch->last_id,
	                 dbc_printf(ctx,
	                            "the newest entries of %s were deleted: the log ends at entry "
	                            "%lld, its head names entry %lld",
	                            what, (long long)ch->last_id, (long long)last_id));
}

/* The one reader of the chains, both engines': every hashed entry in id
 * order (id, then the dialect's audit_link_columns: hash, prev_hash, the
 * fields), from the bookkeeping's log. */
static int read_chain(dbc_ctx *ctx, dbc_row_fn each, void *arg)
{
	char *sql = dbc_printf(ctx, "SELECT id, %s FROM %saudit_log WHERE hash IS NOT NULL ORDER BY id",
	                       ctx->host->dialect->audit_link_columns, ctx->host->book_prefix);
	return sql ? ctx->host->query(ctx, sql, 0, NULL, each, arg) : DBC_ERROR;
}

int dbc_audit_heads(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_row_fn each, void *arg)
{
	int layout = DBC_AUDIT_HEADS_CHAINS;
	if (e->head_layout && e->head_layout(ctx, &layout) != DBC_OK)
		return DBC_ERROR;
	if (layout == DBC_AUDIT_HEADS_NONE)
		return DBC_OK;
	char *sql = dbc_printf(ctx,
	                       layout == DBC_AUDIT_HEADS_LOG
	                           ? "SELECT '', last_hash, NULL FROM %saudit_chain"
	                           : "SELECT chain, last_hash, last_id FROM %saudit_chain",
	                       ctx->host->book_prefix);
	return sql ? ctx->host->query(ctx, sql, 0, NULL, each, arg) : DBC_ERROR;
}

/* Walks every chain and its head into v (v->breaks unsorted). */
static int verify_walk(dbc_ctx *ctx, const dbc_audit_hooks *e, verify_state *v)
{
	bool readable;
	*v = (verify_state){.e = e, .last = -1};
	if (dbc_audit_readable(ctx, e, &readable) != DBC_OK)
		return DBC_ERROR;
	if (readable && read_chain(ctx, verify_entry, v) != DBC_OK)
		return DBC_ERROR;
	if (readable && dbc_audit_heads(ctx, e, verify_head, v) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_audit_verify(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_rows *out)
{
	verify_state v;
	if (verify_walk(ctx, e, &v) != DBC_OK)
		return DBC_ERROR;
	if (v.nbreaks == 0) {
		dbc_value row[DBC_AUDIT_VERIFY_NCOLS] = {dbc_int(v.checked), dbc_null(), dbc_null()};
		return dbc_rows_add(out, row);
	}
	/* every break, in id order of the entries they name */
	for (int i = 1; i < v.nbreaks; i++)
		for (int j = i; j > 0 && v.breaks[j - 1].id > v.breaks[j].id; j--) {
			verify_break t = v.breaks[j];
			v.breaks[j] = v.breaks[j - 1];
			v.breaks[j - 1] = t;
		}
	for (int i = 0; i < v.nbreaks; i++) {
		dbc_value row[DBC_AUDIT_VERIFY_NCOLS] = {
		    dbc_int(v.checked), v.breaks[i].id ? dbc_int(v.breaks[i].id) : dbc_null(),
		    dbc_text(v.breaks[i].problem)};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_audit_health_chain(dbc_ctx *ctx, const dbc_audit_hooks *e, dbc_health_fact *fact)
{
	verify_state v;
	if (verify_walk(ctx, e, &v) != DBC_OK)
		return DBC_ERROR;
	if (v.nbreaks == 0)
		return DBC_OK;
	/* the first in id order, as dbaudit_verify lists them */
	const verify_break *first = &v.breaks[0];
	for (int i = 1; i < v.nbreaks; i++)
		if (v.breaks[i].id < first->id)
			first = &v.breaks[i];
	int breaks = v.nbreaks;
	fact->min_status = DBC_CHECK_CRITICAL;
	char *text = dbc_printf(
	    ctx, "the hash chain is broken: %d break%s, the first %s%s: %s", breaks,
	    breaks == 1 ? "" : "s", first->id ? "at entry " : "",
	    first->id ? dbc_printf(ctx, "%lld", (long long)first->id) : "in the log", first->problem);
	/* the message of its own when every table records, else after theirs */
	if (fact->nobjects == 0) {
		fact->message = text;
		fact->hint = dbc_strdup(ctx, "SELECT * FROM dbaudit_verify() lists every break; the log of "
		                             "a backup shows what the entries held.");
	} else {
		fact->note = text;
	}
	return text ? DBC_OK : DBC_ERROR;
}
