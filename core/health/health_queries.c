/*
 * health_queries.c — the query statistics history: each dbhealth_snapshot
 * records the counters of the engine's statements of most total time
 * (health_query_stats, one row per statement and snapshot), and
 * dbhealth_queries shows the top statements with what each did since the
 * snapshot before: calls, time and rows as deltas of those counters.
 *
 * Invariants: a snapshot records at most health.queries.top statements
 * and only the rows of the newest health.queries.points snapshots are
 * kept, so the history holds at most top x points rows whatever the
 * schedule; the history lives in the bookkeeping, so deltas survive the
 * caller (a cron job, a restarted dbcare serve). A counter lower than the
 * one recorded was reset since: its delta is the count since the reset
 * (the counter itself), as Prometheus reads a counter reset. A statement
 * the compared snapshot did not record has no delta (null), never a guess.
 * An absent source (pg_stat_statements not installed or not loaded,
 * dbmonitor not recording on this SQLite connection) is said, with how to
 * enable it, and never an error.
 */
#include "health/health.h"
#include "base/clock.h"
#include "base/json.h"

#include <string.h>

int dbc_health_query_stats_add(dbc_ctx *ctx, dbc_health_query_stats *q, const char *query_id,
                               const char *query, int64_t calls, double total_ms, int64_t rows)
{
	if (dbc_grow(ctx, &q->items, q->n, &q->cap, sizeof(*q->items), 16) != DBC_OK)
		return DBC_ERROR;
	dbc_health_query_stat *s = &q->items[q->n];
	size_t len = query ? strlen(query) : 0;
	if (len > DBC_HEALTH_QUERY_TEXT_MAX) {
		len = DBC_HEALTH_QUERY_TEXT_MAX;
		while (len > 0 && ((unsigned char)query[len] & 0xC0) == 0x80)
			len--; /* never inside a UTF-8 sequence */
	}
	s->query_id = dbc_strdup(ctx, query_id ? query_id : "");
	s->query = query ? dbc_strndup(ctx, query, len) : NULL;
	s->calls = calls;
	s->total_ms = total_ms;
	s->rows = rows;
	if (!s->query_id || (query && !s->query))
		return DBC_ERROR;
	q->n++;
	return DBC_OK;
}

static double num(const dbc_value *v)
{
	return v->type == DBC_FLOAT ? v->f : v->type == DBC_INT ? (double)v->i : 0;
}

int dbc_health_queries_record(dbc_ctx *ctx, const dbc_health_hooks *eng, int64_t snapshot_id)
{
	int64_t top = 0, points = 0;
	if (!eng->query_stats)
		return DBC_OK;
	if (dbc_setting_get_int(ctx, "health.queries.top", &top) != DBC_OK ||
	    dbc_setting_get_int(ctx, "health.queries.points", &points) != DBC_OK)
		return DBC_ERROR;
	dbc_health_query_stats q = {0};
	if (top <= 0)
		return DBC_OK;
	if (eng->query_stats(ctx, eng, (int)top, &q) != DBC_OK)
		return DBC_ERROR;
	if (q.absent || q.n == 0)
		return DBC_OK; /* nothing to compare with later: no rows, no table made */
	if (dbc_book_ensure_part(ctx, "queries") != DBC_OK)
		return DBC_ERROR;
	const char *book = ctx->host->book_prefix;
	char *insert = dbc_printf(ctx,
	                          "INSERT INTO %shealth_query_stats (snapshot_id, query_id, query, "
	                          "calls, total_ms, rows) VALUES (CAST($1 AS bigint), $2, $3, "
	                          "CAST($4 AS bigint), CAST($5 AS double precision), "
	                          "CAST($6 AS bigint))",
	                          book);
	if (!insert)
		return DBC_ERROR;
	for (int i = 0; i < q.n && i < top; i++) {
		const dbc_health_query_stat *s = &q.items[i];
		dbc_value p[6] = {dbc_int(snapshot_id),
		                  dbc_text(s->query_id),
		                  s->query ? dbc_text(s->query) : dbc_null(),
		                  dbc_int(s->calls),
		                  dbc_float(s->total_ms),
		                  s->rows >= 0 ? dbc_int(s->rows) : dbc_null()};
		if (ctx->host->query(ctx, insert, 6, p, NULL, NULL) != DBC_OK)
			return DBC_ERROR;
	}
	/* the rows of every snapshot older than the newest `points` ones */
	dbc_value keep = dbc_int(points);
	char *prune = dbc_printf(ctx,
	                         "DELETE FROM %shealth_query_stats WHERE snapshot_id < (SELECT min(id) "
	                         "FROM (SELECT id FROM %shealth_snapshots ORDER BY id DESC "
	                         "LIMIT CAST($1 AS bigint)) k)",
	                         book, book);
	return prune ? ctx->host->query(ctx, prune, 1, &keep, NULL, NULL) : DBC_ERROR;
}

/* A snapshot of the history: its id and time. */
typedef struct ring_point {
	int64_t id;
	char *at;
	double epoch;
} ring_point;

typedef struct ring {
	ring_point newest[2]; /* [0] the newest snapshot with statements, [1] the one before */
	int n;
	int64_t snapshots; /* snapshots the history holds */
} ring;

static int take_point(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	ring *r = arg;
	if (ncol < 4 || c[0].type != DBC_INT || r->n >= 2)
		return DBC_OK;
	ring_point *p = &r->newest[r->n++];
	p->id = c[0].i;
	p->at = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	p->epoch = num(&c[2]);
	r->snapshots = (int64_t)num(&c[3]);
	return DBC_OK;
}

/* The newest two snapshots that recorded statements (none before the
 * first snapshot made the table). */
static int load_ring(dbc_ctx *ctx, ring *r)
{
	bool exists = false;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists || (ctx->host->book_has_column &&
	                !ctx->host->book_has_column(ctx, "dbcare_health_query_stats", "query_id")))
		return DBC_OK;
	const dbc_dialect *d = ctx->host->dialect;
	const char *book = ctx->host->book_prefix;
	char *iso = dbc_printf(ctx, d->time_iso, "s.taken_at");
	char *epoch = dbc_printf(ctx, d->time_epoch, "s.taken_at");
	char *sql = iso && epoch ? dbc_printf(ctx,
	                                      "WITH k AS (SELECT DISTINCT snapshot_id FROM "
	                                      "%shealth_query_stats) SELECT s.id, %s, %s, "
	                                      "(SELECT count(*) FROM k) FROM %shealth_snapshots s "
	                                      "WHERE s.id IN (SELECT snapshot_id FROM k) "
	                                      "ORDER BY s.id DESC LIMIT 2",
	                                      book, iso, epoch, book)
	                         : NULL;
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_point, r) : DBC_ERROR;
}

static int take_stat(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol < 5 || c[0].type != DBC_TEXT)
		return DBC_OK;
	return dbc_health_query_stats_add(ctx, arg, c[0].s, c[1].type == DBC_TEXT ? c[1].s : NULL,
	                                  (int64_t)num(&c[2]), num(&c[3]),
	                                  c[4].type == DBC_NULL ? -1 : (int64_t)num(&c[4]));
}

/* The statements one snapshot recorded, most total time first. */
static int load_snapshot(dbc_ctx *ctx, int64_t id, int64_t limit, dbc_health_query_stats *out)
{
	dbc_value p[2] = {dbc_int(id), dbc_int(limit)};
	char *sql = dbc_printf(ctx,
	                       "SELECT query_id, query, calls, total_ms, rows FROM "
	                       "%shealth_query_stats WHERE snapshot_id = CAST($1 AS bigint) "
	                       "ORDER BY total_ms DESC, query_id LIMIT CAST($2 AS bigint)",
	                       ctx->host->book_prefix);
	return sql ? ctx->host->query(ctx, sql, 2, p, take_stat, out) : DBC_ERROR;
}

static const dbc_health_query_stat *find(const dbc_health_query_stats *q, const char *id)
{
	for (int i = 0; i < q->n; i++)
		if (strcmp(q->items[i].query_id, id) == 0)
			return &q->items[i];
	return NULL;
}

static json_t *ms(double v)
{
	return json_real(dbc_round(v * 1000) / 1000);
}

/* One statement with its deltas against was (NULL: not recorded then). */
static json_t *statement(const dbc_health_query_stat *s, const dbc_health_query_stat *was)
{
	json_t *o = json_object();
	bool ok =
	    o && dbc_json_set(o, "query_id", dbc_json_str(s->query_id)) &&
	    dbc_json_set(o, "query", dbc_json_str(s->query)) &&
	    dbc_json_set(o, "calls", json_integer(s->calls)) &&
	    dbc_json_set(o, "total_ms", ms(s->total_ms)) &&
	    dbc_json_set(o, "mean_ms", s->calls ? ms(s->total_ms / (double)s->calls) : json_null()) &&
	    dbc_json_set(o, "rows", s->rows >= 0 ? json_integer(s->rows) : json_null());
	/* a counter below the recorded one was reset: the delta is since then */
	bool reset = was && (s->calls < was->calls || s->total_ms < was->total_ms);
	int64_t calls = !was ? 0 : reset ? s->calls : s->calls - was->calls;
	double total = !was ? 0 : reset ? s->total_ms : s->total_ms - was->total_ms;
	bool rows_known = was && s->rows >= 0 && (reset || was->rows >= 0);
	int64_t rows = !rows_known ? 0 : reset ? s->rows : s->rows - was->rows;
	ok = ok && dbc_json_set(o, "calls_delta", was ? json_integer(calls) : json_null()) &&
	     dbc_json_set(o, "total_ms_delta", was ? ms(total) : json_null()) &&
	     dbc_json_set(o, "mean_ms_delta",
	                  was && calls > 0 ? ms(total / (double)calls) : json_null()) &&
	     dbc_json_set(o, "rows_delta", rows_known ? json_integer(rows) : json_null()) &&
	     dbc_json_set(o, "reset", json_boolean(reset));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* What the history gives one read: the snapshots compared, and the
 * figures of the older one (and of the newer one, into now, when the
 * source cannot be read here). */
typedef struct history {
	int64_t top;
	dbc_health_query_stats *now, was;
	ring r;
	const ring_point *at, *since;
} history;

/* Live figures compare with the newest snapshot; without them, the newest
 * snapshot with the one before. */
static int read_history(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	history *h = arg;
	(void)eng;
	if (load_ring(ctx, &h->r) != DBC_OK)
		return DBC_ERROR;
	h->since = h->r.n > 0 ? &h->r.newest[0] : NULL;
	if (h->now->absent && h->r.n > 0) {
		h->at = &h->r.newest[0];
		h->since = h->r.n > 1 ? &h->r.newest[1] : NULL;
		h->now->n = 0;
		if (load_snapshot(ctx, h->at->id, h->top, h->now) != DBC_OK)
			return DBC_ERROR;
	}
	return h->since ? load_snapshot(ctx, h->since->id, 100, &h->was) : DBC_OK;
}

int dbc_health_queries(dbc_ctx *ctx, const dbc_health_hooks *eng, int64_t top, char **json_out)
{
	*json_out = NULL;
	if (top < 1 || top > 100) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid value for argument \"top\": %lld",
		          (long long)top);
		dbc_error_hint(ctx, "Use a number of statements between 1 and 100.");
		return DBC_ERROR;
	}
	dbc_health_query_stats now = {0};
	if (eng->query_stats) {
		if (eng->query_stats(ctx, eng, (int)top, &now) != DBC_OK)
			return DBC_ERROR;
	} else
		now.absent = dbc_strdup(ctx, "this engine keeps no statement statistics");
	history h = {.top = top, .now = &now};
	bool readable;
	char *why = NULL;
	if (dbc_health_tolerant(ctx, eng, read_history, &h, &readable, &why) != DBC_OK)
		return DBC_ERROR;
	if (!readable) { /* the figures without deltas, and why */
		memset(&h.r, 0, sizeof h.r);
		h.at = h.since = NULL;
		h.was.n = 0;
		if (now.absent)
			now.n = 0;
	}
	const ring_point *at = h.at, *since = h.since;
	const dbc_health_query_stats was = h.was;
	const ring r = h.r;
	double at_epoch = at ? at->epoch : dbc_now_epoch();
	json_t *list = json_array();
	bool ok = list != NULL;
	for (int i = 0; ok && i < now.n && i < top; i++) {
		json_t *s = statement(&now.items[i], since ? find(&was, now.items[i].query_id) : NULL);
		ok = s && json_array_append_new(list, s) == 0;
	}
	json_t *o = ok ? json_object() : NULL;
	ok = o && dbc_json_set(o, "source", dbc_json_str(now.source)) &&
	     dbc_json_set(o, "available", json_boolean(!now.absent)) &&
	     dbc_json_set(o, "reason", dbc_json_str(now.absent)) &&
	     dbc_json_set(o, "hint", dbc_json_str(now.absent ? now.hint : NULL)) &&
	     dbc_json_set(o, "read",
	                  json_string(at           ? "snapshot"
	                              : now.absent ? "none"
	                                           : "live")) &&
	     dbc_json_set(o, "at", dbc_json_str(at ? at->at : dbc_now_iso(ctx))) &&
	     dbc_json_set(o, "since", dbc_json_str(since ? since->at : NULL)) &&
	     dbc_json_set(o, "seconds",
	                  since ? json_real(dbc_round((at_epoch - since->epoch) * 1000) / 1000)
	                        : json_null()) &&
	     dbc_json_set(o, "snapshots", json_integer(r.snapshots)) &&
	     dbc_json_set(o, "history_error", dbc_json_str(readable ? NULL : why));
	if (ok)
		ok = dbc_json_set(o, "statements", list); /* o owns list from here */
	else
		json_decref(list);
	*json_out = ok ? dbc_json_dump(ctx, o, DBC_JSON_REPORT) : NULL;
	json_decref(o);
	if (!*json_out)
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
}
