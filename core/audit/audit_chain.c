/*
 * audit_chain.c — the hash chain of the audit log (docs/audit.md, "Hash
 * chain"). An entry of a table audited with hash_chain stores prev_hash, the
 * hash of the chained entry before it (in id order), and hash =
 * SHA-256(prev_hash, its content) in hex: a changed entry fails its own hash,
 * a deleted or inserted one the next entry's link. Only the first entry kept
 * cannot be linked back (retention may have deleted what it links to). The engines write it (the
 * PostgreSQL trigger, SQLite's dbaudit_hash()) with dbc_audit_link;
 * dbaudit_verify recomputes it from the stored columns.
 */
#include "audit/audit.h"

#include "base/sha256.h"

#include <string.h>

int dbc_audit_link(dbc_ctx *ctx, const char *prev, const char *const fields[DBC_AUDIT_LINK_FIELDS],
                   char hex[DBC_AUDIT_HASH_LEN + 1])
{
	/* length-prefixed, so no field's text can pass for another split */
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "dbcare-audit-v1 %s\n", prev ? prev : "");
	for (int i = 0; i < DBC_AUDIT_LINK_FIELDS; i++) {
		if (fields[i])
			dbc_buf_appendf(&b, "%zu:%s|", strlen(fields[i]), fields[i]);
		else
			dbc_buf_append(&b, "-:|");
	}
	char *content = dbc_buf_finish(&b);
	if (!content)
		return DBC_ERROR;
	return dbc_sha256_hex(ctx, content, strlen(content), hex);
}

typedef struct verify_state {
	char prev[DBC_AUDIT_HASH_LEN + 1];
	bool have_prev;
	int64_t checked;
	int64_t broken_id;
	const char *problem;
} verify_state;

static int verify_entry(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	verify_state *v = arg;
	if (v->broken_id)
		return DBC_OK;
	const char *fields[DBC_AUDIT_LINK_FIELDS];
	for (int i = 0; i < DBC_AUDIT_LINK_FIELDS; i++)
		fields[i] = c[3 + i].type == DBC_NULL ? NULL
		            : c[3 + i].type == DBC_TEXT
		                ? c[3 + i].s
		                : dbc_printf(ctx, "%lld", (long long)c[3 + i].i);
	char hex[DBC_AUDIT_HASH_LEN + 1];
	const char *stored = c[1].s;
	const char *prev = c[2].type == DBC_TEXT ? c[2].s : NULL;
	if (dbc_audit_link(ctx, prev, fields, hex) != DBC_OK)
		return DBC_ERROR;
	/* a text field the chain's hash cannot cover whole: the hash of what
	 * comes before a NUL byte would hide any bytes appended after it */
	bool cut = false;
	for (int i = 0; i < ncol; i++)
		cut = cut || c[i].nul_len;
	v->checked++;
	if (cut) {
		v->broken_id = c[0].i;
		v->problem = "it holds a NUL byte, which no logged entry does: the entry was changed";
	} else if (strcmp(hex, stored) != 0) {
		v->broken_id = c[0].i;
		v->problem = "its hash does not match its content: the entry was changed";
	} else if (v->have_prev && (!prev || strcmp(prev, v->prev) != 0)) {
		/* the first entry kept links to one that retention may have
		 * deleted; every later one must link to the one before it */
		v->broken_id = c[0].i;
		v->problem = "it does not link to the chained entry before it: an entry between them "
		             "was deleted or inserted, or its link was changed";
	}
	if (v->broken_id)
		return DBC_OK; /* stored may then be shorter than a hash */
	memcpy(v->prev, stored, sizeof(v->prev) - 1);
	v->prev[DBC_AUDIT_HASH_LEN] = '\0';
	v->have_prev = true;
	return DBC_OK;
}

int dbc_audit_verify(dbc_ctx *ctx, const dbc_audit_engine *e, dbc_rows *out)
{
	verify_state v = {0};
	bool readable;
	if (dbc_audit_readable(ctx, e, &readable) != DBC_OK)
		return DBC_ERROR;
	if (readable && ctx->host->query(ctx, e->chain_sql, 0, NULL, verify_entry, &v) != DBC_OK)
		return DBC_ERROR;
	dbc_value row[DBC_AUDIT_VERIFY_NCOLS] = {
	    dbc_int(v.checked), v.broken_id ? dbc_int(v.broken_id) : dbc_null(),
	    v.problem ? dbc_text(v.problem) : dbc_null()};
	return dbc_rows_add(out, row);
}
