/*
 * backup_content_keyed.c — the keyed form of a content record, the one
 * PostgreSQL's catalog rows held up to 0.3.9 and its dialect's
 * content_query answers: {"schema.table": {"rows": N, "hash": H}}, H the
 * decimal sum of a 64-bit hash of each row's text (its text, as the
 * server's numeric prints it). Read into the one record every engine
 * compares (dbc_backup_table, by name, the hash as 32 hex digits), so the
 * rules of backup_content.c judge both engines' copies.
 */
#include "backup/backup_private.h"

#include "base/json.h"

#include <stdlib.h>
#include <string.h>

/* H as the 32 hex digits of its 128-bit two's complement: one text per
 * value, two values never one text while |H| < 2^127 / 10 * 10 (a sum of
 * 2^63 rows of 64-bit hashes stays far below); anything else is refused. */
static bool hash_hex(json_t *h, char out[DBC_BACKUP_CONTENT_HEX + 1])
{
	char digits[24];
	const char *s = json_is_string(h) ? json_string_value(h) : NULL;
	if (json_is_integer(h)) {
		snprintf(digits, sizeof digits, "%lld", (long long)json_integer_value(h));
		s = digits;
	}
	if (!s)
		return false;
	bool negative = *s == '-';
	const unsigned __int128 limit = ((unsigned __int128)1 << 127) / 10;
	unsigned __int128 v = 0;
	const char *d = s + negative;
	for (; *d >= '0' && *d <= '9' && v < limit; d++)
		v = v * 10 + (unsigned)(*d - '0');
	if (*d || d == s + negative)
		return false;
	if (negative)
		v = ~v + 1;
	snprintf(out, DBC_BACKUP_CONTENT_HEX + 1, "%016llx%016llx", (unsigned long long)(v >> 64),
	         (unsigned long long)v);
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const dbc_backup_table *)a)->name, ((const dbc_backup_table *)b)->name);
}

bool dbc_backup_content_read_keyed(dbc_ctx *ctx, json_t *doc, dbc_backup_table **table,
                                   int64_t *tables)
{
	size_t n = json_object_size(doc), i = 0;
	dbc_backup_table *out = n ? dbc_zalloc(ctx, n * sizeof *out) : NULL;
	bool ok = json_is_object(doc) && (n == 0 || out != NULL);
	const char *name;
	json_t *t;
	json_object_foreach(ok ? doc : NULL, name, t)
	{
		json_t *rows = json_object_get(t, "rows");
		ok = ok && json_is_integer(rows) && hash_hex(json_object_get(t, "hash"), out[i].hash) &&
		     (out[i].name = dbc_strdup(ctx, name)) != NULL;
		if (ok)
			out[i++].rows = json_integer_value(rows);
	}
	/* the server's object is in its key order (length first): the rules
	 * walk both lists by name */
	if (ok && n > 1)
		qsort(out, n, sizeof *out, by_name);
	*table = ok ? out : NULL;
	*tables = ok ? (int64_t)n : 0;
	return ok;
}
