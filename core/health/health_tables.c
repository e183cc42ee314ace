/*
 * health_tables.c — the per-table growth history: each dbhealth_snapshot
 * records the sizes of the engine's largest tables (health_table_sizes,
 * one row per table and snapshot), dbhealth_growth fits each table's bytes
 * per day through them, and dbhealth_metrics renders the newest sizes and
 * the fits of a few tables.
 *
 * Invariant (bounded): a snapshot records at most health.growth.tables
 * tables, and only the rows of the newest health.growth.points snapshots
 * are kept, so the history holds at most tables x points rows whatever the
 * schedule; the exposition adds at most DBC_TABLE_SERIES series per family
 * and database.
 */
#include "health/health.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

/* Tables per database in each table family of the exposition: the largest
 * at the newest snapshot (a fleet of 1,000 files adds 10,000 series per
 * family at most). */
#define DBC_TABLE_SERIES 10

int dbc_health_table_sizes_add(dbc_ctx *ctx, dbc_health_table_sizes *t, const char *schema,
                               const char *name, int64_t rows, int64_t bytes)
{
	if (dbc_grow(ctx, &t->items, t->n, &t->cap, sizeof(*t->items), 16) != DBC_OK)
		return DBC_ERROR;
	dbc_health_table_size *s = &t->items[t->n];
	s->schema = schema ? dbc_strdup(ctx, schema) : NULL;
	s->name = dbc_strdup(ctx, name ? name : "");
	s->rows = rows;
	s->bytes = bytes;
	if ((schema && !s->schema) || !s->name)
		return DBC_ERROR;
	t->n++;
	return DBC_OK;
}

static dbc_value text_or_null(const char *s)
{
	return s ? dbc_text(s) : dbc_null();
}

int dbc_health_tables_record(dbc_ctx *ctx, const dbc_health_hooks *eng, int64_t snapshot_id)
{
	int64_t limit = 0, points = 0;
	if (!eng->table_sizes)
		return DBC_OK;
	if (dbc_setting_get_int(ctx, "health.growth.tables", &limit) != DBC_OK ||
	    dbc_setting_get_int(ctx, "health.growth.points", &points) != DBC_OK)
		return DBC_ERROR;
	dbc_health_table_sizes t = {0};
	if ((limit > 0 && eng->table_sizes(ctx, eng, (int)limit, &t) != DBC_OK) ||
	    dbc_book_ensure_part(ctx, "growth") != DBC_OK)
		return DBC_ERROR;
	const char *book = ctx->host->book_prefix;
	char *insert = dbc_printf(ctx,
	                          "INSERT INTO %shealth_table_sizes (snapshot_id, table_schema, "
	                          "table_name, rows_estimate, bytes) VALUES (CAST($1 AS bigint), $2, "
	                          "$3, CAST($4 AS bigint), CAST($5 AS bigint))",
	                          book);
	if (!insert)
		return DBC_ERROR;
	for (int i = 0; i < t.n && i < limit; i++) {
		const dbc_health_table_size *s = &t.items[i];
		dbc_value p[5] = {dbc_int(snapshot_id), text_or_null(s->schema), dbc_text(s->name),
		                  s->rows >= 0 ? dbc_int(s->rows) : dbc_null(), dbc_int(s->bytes)};
		if (ctx->host->query(ctx, insert, 5, p, NULL, NULL) != DBC_OK)
			return DBC_ERROR;
	}
	/* the rows of every snapshot older than the newest `points` ones */
	dbc_value keep = dbc_int(points);
	char *prune = dbc_printf(ctx,
	                         "DELETE FROM %shealth_table_sizes WHERE snapshot_id < (SELECT min(id) "
	                         "FROM (SELECT id FROM %shealth_snapshots ORDER BY id DESC "
	                         "LIMIT CAST($1 AS bigint)) k)",
	                         book, book);
	return prune ? ctx->host->query(ctx, prune, 1, &keep, NULL, NULL) : DBC_ERROR;
}

/* One table's history, oldest first. */
typedef struct table_hist {
	char *schema, *name;
	int64_t rows, bytes; /* at its newest sample */
	dbc_health_samples s;
	bool fitted;
	double per_day;
} table_hist;

typedef struct table_hists {
	table_hist *items;
	int n, cap;
} table_hists;

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static double num(const dbc_value *v)
{
	return v->type == DBC_FLOAT ? v->f : v->type == DBC_INT ? (double)v->i : 0;
}

/* Rows (schema, name, epoch, rows, bytes) ordered by table, then time. */
static int take_point(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	table_hists *h = arg;
	if (ncol < 5 || c[1].type != DBC_TEXT || c[2].type == DBC_NULL || c[4].type == DBC_NULL)
		return DBC_OK;
	const char *schema = c[0].type == DBC_TEXT ? c[0].s : NULL;
	table_hist *t = h->n ? &h->items[h->n - 1] : NULL;
	if (!t || !same_text(t->schema, schema) || strcmp(t->name, c[1].s) != 0) {
		if (dbc_grow(ctx, &h->items, h->n, &h->cap, sizeof(*h->items), 16) != DBC_OK)
			return DBC_ERROR;
		t = &h->items[h->n++];
		memset(t, 0, sizeof(*t));
		t->schema = schema ? dbc_strdup(ctx, schema) : NULL;
		t->name = dbc_strdup(ctx, c[1].s);
		if ((schema && !t->schema) || !t->name)
			return DBC_ERROR;
	}
	t->rows = c[3].type == DBC_NULL ? -1 : (int64_t)num(&c[3]);
	t->bytes = (int64_t)num(&c[4]);
	return dbc_health_samples_add(ctx, &t->s, num(&c[2]), num(&c[4]));
}

/* Every recorded table's history within days (none before the first
 * snapshot made the table), each fitted. */
static int load_hists(dbc_ctx *ctx, double days, table_hists *out)
{
	bool exists = false;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists || (ctx->host->book_has_column &&
	                !ctx->host->book_has_column(ctx, "dbcare_health_table_sizes", "bytes")))
		return DBC_OK;
	const dbc_dialect *d = ctx->host->dialect;
	const char *book = ctx->host->book_prefix;
	char *epoch = dbc_printf(ctx, d->time_epoch, "s.taken_at");
	char *since = dbc_printf(ctx, d->time_within_days, "s.taken_at");
	char *sql = epoch && since ? dbc_printf(ctx,
	                                        "SELECT t.table_schema, t.table_name, %s, "
	                                        "t.rows_estimate, t.bytes FROM %shealth_table_sizes t "
	                                        "JOIN %shealth_snapshots s ON s.id = t.snapshot_id "
	                                        "WHERE %s ORDER BY t.table_schema, t.table_name, "
	                                        "s.taken_at, s.id",
	                                        epoch, book, book, since)
	                           : NULL;
	dbc_value p = dbc_float(days);
	if (!sql || ctx->host->query(ctx, sql, 1, &p, take_point, out) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < out->n; i++)
		out->items[i].fitted = dbc_health_fit(&out->items[i].s, &out->items[i].per_day, NULL);
	return DBC_OK;
}

/* Fastest-growing first (a table without a fit last), then the larger. */
static int by_growth(const void *a, const void *b)
{
	const table_hist *x = a, *y = b;
	if (x->fitted != y->fitted)
		return x->fitted ? -1 : 1;
	if (x->fitted && x->per_day != y->per_day)
		return x->per_day > y->per_day ? -1 : 1;
	return x->bytes > y->bytes ? -1 : x->bytes < y->bytes;
}

/* The largest at the newest snapshot first. */
static int by_size(const void *a, const void *b)
{
	const table_hist *x = a, *y = b;
	return x->bytes > y->bytes ? -1 : x->bytes < y->bytes;
}

int dbc_health_tables_growth(dbc_ctx *ctx, double days, json_t **out)
{
	table_hists h = {0};
	*out = NULL;
	if (load_hists(ctx, days, &h) != DBC_OK)
		return DBC_ERROR;
	if (h.n > 1)
		qsort(h.items, (size_t)h.n, sizeof(*h.items), by_growth);
	json_t *a = json_array();
	bool ok = a != NULL;
	for (int i = 0; ok && i < h.n; i++) {
		const table_hist *t = &h.items[i];
		json_t *o = json_object();
		ok = o && dbc_json_set(o, "schema", dbc_json_str(t->schema)) &&
		     dbc_json_set(o, "table", dbc_json_str(t->name)) &&
		     dbc_json_set(o, "samples", json_integer(t->s.n)) &&
		     dbc_json_set(o, "rows", t->rows >= 0 ? json_integer(t->rows) : json_null()) &&
		     dbc_json_set(o, "size_bytes", json_integer(t->bytes)) &&
		     dbc_json_set(o, "bytes_per_day",
		                  t->fitted ? json_real(dbc_round(t->per_day * 10) / 10) : json_null());
		ok = ok && json_array_append_new(a, o) == 0;
	}
	if (!ok) {
		json_decref(a);
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	*out = a;
	return DBC_OK;
}

int dbc_health_tables_prom(dbc_ctx *ctx, const dbc_health_report *r, dbc_prom *p)
{
	table_hists h = {0};
	/* the fit over the last week: a day's burst shows, a month's trend too */
	if (load_hists(ctx, 7, &h) != DBC_OK)
		return DBC_ERROR;
	/* only the tables of the newest snapshot that recorded any */
	double newest = 0;
	for (int i = 0; i < h.n; i++)
		if (h.items[i].s.items[h.items[i].s.n - 1].epoch > newest)
			newest = h.items[i].s.items[h.items[i].s.n - 1].epoch;
	int n = 0;
	for (int i = 0; i < h.n; i++)
		if (h.items[i].s.items[h.items[i].s.n - 1].epoch == newest)
			h.items[n++] = h.items[i];
	if (n == 0)
		return DBC_OK;
	qsort(h.items, (size_t)n, sizeof(*h.items), by_size);
	if (n > DBC_TABLE_SERIES)
		n = DBC_TABLE_SERIES;
	/* the labels of the report's own samples (health_render.c), and the table */
	char *db = dbc_prom_database_labels(ctx, ctx->host->dialect->name, r->database);
	char **labels = dbc_alloc(ctx, sizeof(*labels) * (size_t)n);
	if (!db || !labels)
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		const table_hist *t = &h.items[i];
		char *name = t->schema ? dbc_printf(ctx, "%s.%s", t->schema, t->name) : t->name;
		labels[i] =
		    dbc_printf(ctx, "%s,table=\"%s\"", db, name ? dbc_prom_escape_label(ctx, name) : "");
		if (!labels[i])
			return DBC_ERROR;
	}
	dbc_prom_family *f = dbc_prom_family_of(p, "dbcare_table_size_bytes", "gauge",
	                                        "Size of a table with its indexes at the newest "
	                                        "snapshot (the largest tables).");
	for (int i = 0; i < n; i++)
		(void)dbc_prom_add(p, f, labels[i], (double)h.items[i].bytes, DBC_PROM_GO);
	bool any = false;
	for (int i = 0; i < n; i++)
		any = any || h.items[i].fitted;
	f = !any ? NULL
	         : dbc_prom_family_of(p, "dbcare_table_growth_bytes_per_day", "gauge",
	                              "A table's growth fitted through the last 7 days of snapshots "
	                              "(the largest tables).");
	for (int i = 0; i < n; i++)
		if (h.items[i].fitted)
			(void)dbc_prom_add(p, f, labels[i], h.items[i].per_day, DBC_PROM_FIXED1);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
