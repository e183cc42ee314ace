/*
 * backup_content.c — the logical verification's record: every table's row
 * count and content hash at a backup's moment (the engine reads them,
 * dbc_backup_image.table), kept in the catalog as JSON and compared table
 * by table, so a failure names the table.
 */
#include "backup/backup_private.h"

#include "base/json.h"

#include <string.h>

char *dbc_backup_content_text(dbc_ctx *ctx, const dbc_backup_image *img)
{
	if (!img || !img->table)
		return NULL;
	json_t *a = json_array();
	for (int64_t i = 0; a && i < img->tables; i++) {
		const dbc_backup_table *t = &img->table[i];
		/* the windows, where kept, as a fourth member (readers of 0.3.7 and
		 * before unpack the first three and pass over it) */
		json_t *e = t->windows
		                ? json_pack("[s,I,s,s]", t->name, (json_int_t)t->rows, t->hash, t->windows)
		                : json_pack("[s,I,s]", t->name, (json_int_t)t->rows, t->hash);
		if (!e || json_array_append_new(a, e) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	/* version 1 is the bare array (the records of 0.3.5): later ones say
	 * which they are */
	if (a && img->content_version >= 2)
		a = json_pack("{s:i,s:o}", "version", img->content_version, "tables", a);
	if (!a) {
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	char *text = dbc_json_dump(ctx, a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/* The array of the positional forms ([[name, rows, hash(, windows)], ...]). */
static bool read_array(dbc_ctx *ctx, json_t *a, dbc_backup_table **table, int64_t *tables)
{
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	dbc_backup_table *out = n ? dbc_zalloc(ctx, n * sizeof *out) : NULL;
	bool ok = json_is_array(a) && (n == 0 || out != NULL);
	for (size_t i = 0; ok && i < n; i++) {
		const char *name, *hash;
		json_int_t rows;
		json_t *e = json_array_get(a, i), *windows = json_array_get(e, 3);
		ok = json_unpack(e, "[s,I,s]", &name, &rows, &hash) == 0 &&
		     strlen(hash) == DBC_BACKUP_CONTENT_HEX && (out[i].name = dbc_strdup(ctx, name)) &&
		     (!json_is_string(windows) ||
		      (out[i].windows = dbc_strdup(ctx, json_string_value(windows))));
		if (ok) {
			out[i].rows = rows;
			memcpy(out[i].hash, hash, DBC_BACKUP_CONTENT_HEX + 1);
		}
	}
	*table = ok ? out : NULL;
	*tables = ok ? (int64_t)n : 0;
	return ok;
}

bool dbc_backup_content_read(dbc_ctx *ctx, const char *text, dbc_backup_table **table,
                             int64_t *tables, int *version)
{
	*table = NULL;
	*tables = 0;
	*version = 0;
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL, *a = doc;
	int v = 1;
	bool ok;
	if (json_is_object(doc) && !json_object_get(doc, "version")) {
		ok = dbc_backup_content_read_keyed(ctx, doc, table, tables);
		v = DBC_BACKUP_CONTENT_PG_TEXT;
	} else
		ok = (!json_is_object(doc) ||
		      json_unpack(doc, "{s:i,s:o}", "version", &v, "tables", &a) == 0) &&
		     v >= 1 && read_array(ctx, a, table, tables);
	json_decref(doc);
	if (!ok) {
		dbc_error_clear(ctx); /* out of memory or a row edited: compared as none */
		*table = NULL;
		*tables = 0;
		return false;
	}
	*version = v;
	return true;
}

dbc_backup_table *dbc_backup_content_parse(dbc_ctx *ctx, const char *text, int64_t *tables,
                                           int *version)
{
	dbc_backup_table *table;
	/* an empty list is none: nothing to compare */
	if (!dbc_backup_content_read(ctx, text, &table, tables, version) || !table) {
		*tables = 0;
		*version = 0;
		return NULL;
	}
	return table;
}

char *dbc_backup_content_mismatch(dbc_ctx *ctx, const dbc_backup_table *source, int64_t nsource,
                                  const dbc_backup_table *copy, int64_t ncopy)
{
	/* both lists are by name (the engine reads them so, in the same
	 * collation): one merge walk */
	int64_t i = 0, k = 0;
	while (i < nsource || k < ncopy) {
		int cmp = i >= nsource ? 1 : k >= ncopy ? -1 : strcmp(source[i].name, copy[k].name);
		if (cmp < 0)
			return dbc_printf(ctx, "table %s is missing", source[i].name);
		if (cmp > 0)
			return dbc_printf(ctx, "table %s was not in the source", copy[k].name);
		if (source[i].rows != copy[k].rows)
			return dbc_printf(ctx, "table %s has %lld rows, the source had %lld", copy[k].name,
			                  (long long)copy[k].rows, (long long)source[i].rows);
		if (strcmp(source[i].hash, copy[k].hash) != 0)
			return dbc_printf(ctx,
			                  "table %s holds other rows than the source (its content hash "
			                  "differs, with as many rows)",
			                  copy[k].name);
		i++, k++;
	}
	return NULL;
}

const char *dbc_backup_content_why(dbc_ctx *ctx, const dbc_backup_table *source, int64_t nsource,
                                   int source_version, const dbc_backup_table *copy, int64_t ncopy,
                                   int copy_version)
{
	if (source_version != copy_version)
		return "its content was hashed with another row digest than its record's";
	char *why = dbc_backup_content_mismatch(ctx, source, nsource, copy, ncopy);
	return why || !ctx->failed ? why : "out of memory";
}

int64_t dbc_backup_content_count(const dbc_backup_table *source, int64_t nsource,
                                 const dbc_backup_table *copy, int64_t ncopy, int64_t *rows)
{
	int64_t i = 0, k = 0, bad = 0;
	*rows = 0;
	while (i < nsource || k < ncopy) {
		int cmp = i == nsource ? 1 : k == ncopy ? -1 : strcmp(source[i].name, copy[k].name);
		if (cmp == 0) {
			*rows += source[i].rows;
			bad += source[i].rows != copy[k].rows || strcmp(source[i].hash, copy[k].hash) != 0;
			i++, k++;
		} else {
			bad++;
			cmp < 0 ? i++ : k++;
		}
	}
	return bad;
}

int dbc_backup_content_judge(dbc_ctx *ctx, const char *recorded, const char *copy,
                             dbc_backup_content_verdict *v)
{
	dbc_backup_table *was, *is;
	int64_t nwas, nis;
	int vwas, vis;
	memset(v, 0, sizeof *v);
	if (!dbc_backup_content_read(ctx, recorded, &was, &nwas, &vwas) ||
	    !dbc_backup_content_read(ctx, copy, &is, &nis, &vis))
		return DBC_ERROR;
	v->tables = nis;
	v->mismatches = dbc_backup_content_count(was, nwas, is, nis, &v->rows);
	v->why = dbc_backup_content_why(ctx, was, nwas, vwas, is, nis, vis);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

char *dbc_backup_own_record(dbc_ctx *ctx, const dbc_backup_image *img)
{
	if (!img->fingerprint || !img->rows_digest)
		return NULL;
	char *content = dbc_backup_content_text(ctx, img);
	return dbc_printf(ctx, "%s\n%s\n%s", img->fingerprint, img->rows_digest,
	                  content ? content : "");
}

bool dbc_backup_own_record_parse(dbc_ctx *ctx, char *text, dbc_backup_image *out)
{
	memset(out, 0, sizeof *out);
	char *a = strchr(text, '\n'), *b = a ? strchr(a + 1, '\n') : NULL;
	if (!b || a - text != DBC_SHA256_HEX_LEN || b - a - 1 != DBC_SHA256_HEX_LEN)
		return false;
	*a = *b = '\0';
	out->fingerprint = text;
	out->rows_digest = a + 1;
	if (b[1])
		out->table = dbc_backup_content_parse(ctx, b + 1, &out->tables, &out->content_version);
	return !ctx->failed;
}

int64_t dbc_backup_content_tables(dbc_ctx *ctx, const char *text)
{
	dbc_backup_table *t;
	int64_t n;
	int version;
	return dbc_backup_content_read(ctx, text, &t, &n, &version) ? n : -1;
}
