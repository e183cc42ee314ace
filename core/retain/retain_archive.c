/*
 * retain_archive.c — the archive database's half of an archive policy whose
 * archive is another database (retain_export.c has the source's half). The
 * archive keeps each batch as one row of retain_archive, keyed by the
 * batch's key: storing a batch again is a no-op when it is the same (the
 * same count and hash), and replaces the copy when the source picked the
 * batch again (its rows changed before they were deleted). What a store
 * returns is read back from what it stored, decoded and hashed again: the
 * count and hash the source compares before it deletes anything.
 */
#include "base/json.h"
#include "retain/archive_codec.h"
#include "retain/retain.h"

#include <stdlib.h>
#include <string.h>

#define ARCHIVE "retain_archive"

typedef struct stored {
	bool found;
	int64_t rows;
	char *hash, *codec, *payload;
} stored;

static int take_stored(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	stored *s = arg;
	(void)ncol;
	s->found = true;
	s->rows = c[0].type == DBC_INT ? c[0].i : strtoll(c[0].s ? c[0].s : "0", NULL, 10);
	s->hash = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	s->codec = c[2].type == DBC_TEXT ? dbc_strdup(ctx, c[2].s) : NULL;
	s->payload = c[3].type == DBC_TEXT ? dbc_strdup(ctx, c[3].s) : NULL;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* prefix: the book's ("dbcare_"), or an ATTACHed database's */
static int load(dbc_ctx *ctx, const char *prefix, const char *key, bool payload, stored *s)
{
	memset(s, 0, sizeof(*s));
	char *sql =
	    dbc_printf(ctx, "SELECT row_count, hash, codec, %s FROM %s" ARCHIVE " WHERE batch_key = $1",
	               payload ? "payload" : "NULL", prefix);
	dbc_value v = dbc_text(key);
	return sql ? ctx->host->query(ctx, sql, 1, &v, take_stored, s) : DBC_ERROR;
}

static bool valid_key(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", key[i]))
			return false;
	return true;
}

/* The stored copy of key decoded and hashed again. */
static int read_back(dbc_ctx *ctx, const char *prefix, const char *key, bool *found, int64_t *rows,
                     char **hash)
{
	stored s;
	dbc_rows_hash back = {0, 0};
	*rows = 0;
	*hash = NULL;
	if (load(ctx, prefix, key, true, &s) != DBC_OK)
		return DBC_ERROR;
	*found = s.found;
	if (!s.found)
		return DBC_OK;
	char *lines = dbc_archive_decode(ctx, s.codec, s.payload);
	if (!lines || dbc_rows_hash_lines(ctx, &back, lines) != DBC_OK ||
	    !(*hash = dbc_rows_hash_text(ctx, &back)))
		return DBC_ERROR;
	*rows = back.rows;
	return DBC_OK;
}

int dbc_retain_archive_held(dbc_ctx *ctx, const char *prefix, const char *key, bool *found,
                            int64_t *rows, char **hash)
{
	return read_back(ctx, prefix, key, found, rows, hash);
}

int dbc_retain_archive_store(dbc_ctx *ctx, const dbc_retain_archive_batch *in, dbc_rows *out)
{
	int64_t rows = 0;
	char *hash = NULL;
	dbc_rows_init(out, ctx, DBC_RETAIN_ARCHIVE_STORE_NCOLS);
	/* the book's tables for a batch store_in does not refuse first */
	if ((valid_key(in->key) && dbc_book_ensure_part(ctx, "retain") != DBC_OK) ||
	    dbc_retain_archive_store_in(ctx, ctx->host->book_prefix, in, &rows, &hash) != DBC_OK)
		return DBC_ERROR;
	dbc_value row[DBC_RETAIN_ARCHIVE_STORE_NCOLS] = {dbc_int(rows), dbc_text(hash)};
	return dbc_rows_add(out, row);
}

int dbc_retain_archive_store_in(dbc_ctx *ctx, const char *prefix,
                                const dbc_retain_archive_batch *in, int64_t *rows, char **hash_out)
{
	if (!valid_key(in->key))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"batch_key\" must be up to 64 lowercase hex digits");
	/* what arrived must be what the source counted: a damaged transfer is
	 * refused before anything is stored */
	dbc_rows_hash h = {0, 0};
	char *hash =
	    dbc_rows_hash_lines(ctx, &h, in->lines) == DBC_OK ? dbc_rows_hash_text(ctx, &h) : NULL;
	if (!hash)
		return DBC_ERROR;
	if (h.rows != in->rows || strcmp(hash, in->hash) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "archive batch %s: its rows count %lld (hash %s), not the %lld (hash %s) "
		                 "it was sent with; nothing is stored",
		                 in->key, (long long)h.rows, hash, (long long)in->rows, in->hash);
	json_t *src = dbc_json_parse(ctx, in->source, "argument \"source\"");
	if (!src)
		return DBC_ERROR;
	const char *policy = json_string_value(json_object_get(src, "policy"));
	const char *table = json_string_value(json_object_get(src, "table"));
	const char *fp = json_string_value(json_object_get(src, "fingerprint"));
	policy = policy ? dbc_strdup(ctx, policy) : NULL;
	table = table ? dbc_strdup(ctx, table) : NULL;
	fp = fp ? dbc_strdup(ctx, fp) : NULL;
	json_decref(src);
	if (!policy || !table)
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                               "argument \"source\" must name the policy and the table");
	char *payload = dbc_archive_encode(ctx, in->codec, in->lines);
	if (!payload)
		return DBC_ERROR;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	stored s;
	const dbc_dialect *d = ctx->host->dialect;
	int rc = load(ctx, prefix, in->key, false, &s);
	if (rc == DBC_OK && (!s.found || s.rows != in->rows || !s.hash || strcmp(s.hash, in->hash))) {
		/* new, or picked again: the copy is this one */
		char *sql =
		    s.found ? dbc_printf(ctx,
		                         "UPDATE %s" ARCHIVE " SET archive = $2, policy = $3, "
		                         "source_table = $4, fingerprint = $5, row_count = $6, hash = $7, "
		                         "codec = $8, payload = $9, archived_at = %s WHERE batch_key = $1",
		                         prefix, d->now)
		            : dbc_printf(ctx,
		                         "INSERT INTO %s" ARCHIVE " (batch_key, archive, policy, "
		                         "source_table, fingerprint, row_count, hash, codec, payload, "
		                         "archived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, %s)",
		                         prefix, d->now);
		dbc_value v[9] = {dbc_text(in->key),
		                  dbc_text(in->archive),
		                  dbc_text(policy),
		                  dbc_text(table),
		                  fp ? dbc_text(fp) : dbc_null(),
		                  dbc_int(in->rows),
		                  dbc_text(in->hash),
		                  dbc_text(in->codec),
		                  dbc_text(payload)};
		rc = sql ? ctx->host->query(ctx, sql, 9, v, NULL, NULL) : DBC_ERROR;
	}
	/* read back what is stored, decoded and hashed again */
	bool found = false;
	if (rc == DBC_OK)
		rc = read_back(ctx, prefix, in->key, &found, rows, hash_out);
	if (rc == DBC_OK && found)
		return ctx->host->release(ctx, level);
	ctx->host->rollback(ctx, level);
	return ctx->failed
	           ? DBC_ERROR
	           : dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "archive batch %s: not stored", in->key);
}

typedef struct read_acc {
	dbc_rows *out;
} read_acc;

/* One stored batch: a row out per archived row. */
static int take_batch(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	read_acc *a = arg;
	(void)ncol;
	const char *codec = c[6].type == DBC_TEXT ? c[6].s : NULL;
	char *lines = dbc_archive_decode(ctx, codec, c[7].type == DBC_TEXT ? c[7].s : NULL);
	if (!lines) {
		dbc_error_detail(ctx, "batch %s of archive %s", c[4].type == DBC_TEXT ? c[4].s : "",
		                 c[0].type == DBC_TEXT ? c[0].s : "");
		return DBC_ERROR;
	}
	for (char *p = lines; *p;) {
		char *end = strchr(p, '\n');
		if (end)
			*end = '\0';
		dbc_value row[DBC_RETAIN_ARCHIVE_READ_NCOLS] = {c[0], c[1], c[2],       c[3],
		                                                c[4], c[5], dbc_text(p)};
		if (dbc_rows_add(a->out, row) != DBC_OK)
			return DBC_ERROR;
		if (!end)
			break;
		p = end + 1;
	}
	return DBC_OK;
}

int dbc_retain_archive_read(dbc_ctx *ctx, const char *archive, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_RETAIN_ARCHIVE_READ_NCOLS);
	bool readable;
	/* an ATTACHed archive's file (dbretain_archive_attached) holds this
	 * table alone, without the rest of the bookkeeping */
	if (dbc_retain_book_readable(ctx, "dbcare_" ARCHIVE, "payload", &readable) != DBC_OK ||
	    (!readable &&
	     dbc_retain_table_alone(ctx, "dbcare_" ARCHIVE, "payload", &readable) != DBC_OK))
		return DBC_ERROR;
	if (!readable)
		return DBC_OK;
	char *sql =
	    dbc_printf(ctx,
	               "SELECT archive, policy, source_table, fingerprint, batch_key, "
	               "%s, codec, payload FROM %s" ARCHIVE "%s ORDER BY archived_at, batch_key",
	               dbc_printf(ctx, ctx->host->dialect->time_iso, "archived_at"),
	               ctx->host->book_prefix, archive ? " WHERE archive = $1" : "");
	dbc_value v = dbc_text(archive);
	read_acc a = {out};
	return sql ? ctx->host->query(ctx, sql, archive ? 1 : 0, &v, take_batch, &a) : DBC_ERROR;
}
