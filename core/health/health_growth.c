/*
 * health_growth.c — dbhealth_snapshot stores a quick report's numbers with a
 * timestamp; dbhealth_growth fits bytes per day over a window by least squares
 * and projects the size 30 and 90 days past the newest sample.
 */
#include "health/health.h"
#include "base/json.h"

#include <string.h>

static dbc_value opt_int(int64_t v)
{
	return v >= 0 ? dbc_int(v) : dbc_null();
}

/* What the snapshot's INSERT returns. */
typedef struct stored {
	char *taken_at;
	int64_t id;
} stored;

static int take_stored(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	stored *st = arg;
	if (ncol >= 2 && c[0].type == DBC_TEXT && c[1].type == DBC_INT) {
		st->taken_at = dbc_strdup(ctx, c[0].s);
		st->id = c[1].i;
	}
	return DBC_OK;
}

static int store_snapshot(dbc_ctx *ctx, const dbc_health_report *r, char **taken_at, int64_t *id)
{
	const dbc_dialect *d = ctx->host->dialect;
	const dbc_health_metrics *m = &r->metrics;
	char *iso = dbc_printf(ctx, d->time_iso, "taken_at");
	dbc_value p[8] = {dbc_text("quick"),
	                  dbc_int(r->score),
	                  dbc_text(r->status),
	                  opt_int(m->size_bytes),
	                  opt_int(m->tables),
	                  opt_int(m->indexes),
	                  dbc_text(m->schema_fingerprint),
	                  dbc_text(m->migration_version)};
	/* CASTs, not ::, so the text serves both engines; they also type NULLs */
	char *sql =
	    dbc_printf(ctx,
	               "INSERT INTO %shealth_snapshots (taken_at, mode, score, status, size_bytes, "
	               "tables, indexes, schema_fingerprint, migration_version) VALUES (%s, $1, "
	               "CAST($2 AS integer), $3, CAST($4 AS bigint), CAST($5 AS bigint), "
	               "CAST($6 AS bigint), $7, $8) RETURNING %s, id",
	               ctx->host->book_prefix, d->now, iso);
	stored st = {NULL, -1};
	if (!sql || !iso || ctx->host->query(ctx, sql, 8, p, take_stored, &st) != DBC_OK)
		return DBC_ERROR;
	if (!st.taken_at || st.id < 0)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "the snapshot's row was not returned");
	*taken_at = st.taken_at;
	*id = st.id;
	return DBC_OK;
}

static int take_sample(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol < 2 || c[0].type == DBC_NULL || c[1].type == DBC_NULL)
		return DBC_OK;
	return dbc_health_samples_add(ctx, arg, c[0].type == DBC_FLOAT ? c[0].f : (double)c[0].i,
	                              c[1].type == DBC_FLOAT ? c[1].f : (double)c[1].i);
}

static int load_samples(dbc_ctx *ctx, double days, dbc_health_samples *out)
{
	const dbc_dialect *d = ctx->host->dialect;
	dbc_value p = dbc_float(days);
	char *epoch = dbc_printf(ctx, d->time_epoch, "taken_at");
	char *since = dbc_printf(ctx, d->time_within_days, "taken_at");
	if (!epoch || !since)
		return DBC_ERROR;
	char *sql =
	    dbc_printf(ctx,
	               "SELECT %s, CAST(size_bytes AS double precision) FROM %shealth_snapshots "
	               "WHERE %s ORDER BY taken_at, id",
	               epoch, ctx->host->book_prefix, since);
	return sql ? ctx->host->query(ctx, sql, 1, &p, take_sample, out) : DBC_ERROR;
}

static int record_tables(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	return dbc_health_tables_record(ctx, eng, *(int64_t *)arg);
}

static int record_queries(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	return dbc_health_queries_record(ctx, eng, *(int64_t *)arg);
}

int dbc_health_snapshot(dbc_ctx *ctx, const dbc_health_hooks *eng, char **json_out)
{
	dbc_health_report r;
	char *taken_at = NULL;
	int64_t id = -1;
	if (dbc_health_run(ctx, eng, DBC_HEALTH_QUICK, &r) != DBC_OK ||
	    ctx->host->book_ensure(ctx) != DBC_OK)
		return DBC_ERROR;
	/* The snapshot and its table sizes are recorded together or not at
	 * all: a call that fails (interrupted while it reads the sizes) leaves
	 * no snapshot behind. The sizes are best effort: a role granted what
	 * recording a snapshot needed before them (INSERT on health_snapshots)
	 * still records it, and is told why the sizes are missing. */
	bool recorded, queries_recorded;
	char *why = NULL, *queries_why = NULL;
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (store_snapshot(ctx, &r, &taken_at, &id) != DBC_OK ||
	    dbc_health_tolerant(ctx, eng, record_tables, &id, &recorded, &why) != DBC_OK ||
	    dbc_health_tolerant(ctx, eng, record_queries, &id, &queries_recorded, &queries_why) !=
	        DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	if (ctx->host->release(ctx, level) != DBC_OK)
		return DBC_ERROR;
	if (!recorded)
		dbc_warning(ctx,
		            "Grant INSERT and DELETE on the bookkeeping table health_table_sizes to "
		            "the role that records snapshots.",
		            "the snapshot was recorded without the table sizes: %s",
		            why ? why : "an error");
	if (!queries_recorded)
		dbc_warning(ctx,
		            "Grant INSERT and DELETE on the bookkeeping table health_query_stats to "
		            "the role that records snapshots.",
		            "the snapshot was recorded without the query statistics: %s",
		            queries_why ? queries_why : "an error");
	const dbc_health_metrics *m = &r.metrics;
	json_t *o = json_object();
	bool ok =
	    o && dbc_json_set(o, "taken_at", dbc_json_str(taken_at)) &&
	    dbc_json_set(o, "mode", json_string("quick")) &&
	    dbc_json_set(o, "score", json_integer(r.score)) &&
	    dbc_json_set(o, "status", json_string(r.status)) &&
	    dbc_json_set(o, "size_bytes",
	                 m->size_bytes >= 0 ? json_integer(m->size_bytes) : json_null()) &&
	    dbc_json_set(o, "tables", m->tables >= 0 ? json_integer(m->tables) : json_null()) &&
	    dbc_json_set(o, "indexes", m->indexes >= 0 ? json_integer(m->indexes) : json_null()) &&
	    dbc_json_set(o, "schema_fingerprint", dbc_json_str(m->schema_fingerprint)) &&
	    dbc_json_set(o, "migration_version", dbc_json_str(m->migration_version));
	*json_out = ok ? dbc_json_dump(ctx, o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!*json_out)
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
}

/* The database's growth object (the caller's reference), NULL when out of
 * memory. */
static json_t *growth_tree(double days, const dbc_health_samples *s)
{
	double slope = 0, icpt = 0;
	bool fitted = dbc_health_fit(s, &slope, &icpt);
	json_t *o = json_object();
	bool ok =
	    o &&
	    dbc_json_set(o, "days",
	                 dbc_is_whole(days) ? json_integer((json_int_t)days) : json_real(days)) &&
	    dbc_json_set(o, "samples", json_integer(s->n)) &&
	    dbc_json_set(o, "current_size_bytes",
	                 s->n ? json_integer((json_int_t)s->items[s->n - 1].size_bytes) : json_null());
	if (ok && fitted) {
		double last = (s->items[s->n - 1].epoch - s->items[0].epoch) / 86400.0;
		double p30 = icpt + slope * (last + 30), p90 = icpt + slope * (last + 90);
		ok = dbc_json_set(o, "bytes_per_day", json_real(dbc_round(slope * 10) / 10)) &&
		     dbc_json_set(o, "projected_size_bytes_30d",
		                  json_integer((json_int_t)(long long)dbc_round(p30 < 0 ? 0 : p30))) &&
		     dbc_json_set(o, "projected_size_bytes_90d",
		                  json_integer((json_int_t)(long long)dbc_round(p90 < 0 ? 0 : p90)));
	} else if (ok) {
		ok = dbc_json_set(o, "bytes_per_day", json_null()) &&
		     dbc_json_set(o, "projected_size_bytes_30d", json_null()) &&
		     dbc_json_set(o, "projected_size_bytes_90d", json_null());
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* o as the call's text, o released */
static int dump(dbc_ctx *ctx, json_t *o, char **json_out)
{
	*json_out = o ? dbc_json_dump(ctx, o, DBC_JSON_REPORT) : NULL;
	json_decref(o);
	if (!*json_out)
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
}

int dbc_health_growth_json(dbc_ctx *ctx, double days, const dbc_health_samples *s, char **json_out)
{
	return dump(ctx, growth_tree(days, s), json_out);
}

int dbc_health_growth(dbc_ctx *ctx, const dbc_health_hooks *eng, double days, char **json_out)
{
	(void)eng; /* the snapshots' times come through the dialect */
	dbc_health_samples s = {0};
	if (!(days > 0) || days > 36500) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "invalid value for argument \"days\": %g", days);
		dbc_error_hint(ctx, "Use a number of days between 1 and 36500.");
		return DBC_ERROR;
	}
	bool exists = false;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (exists && load_samples(ctx, days, &s) != DBC_OK)
		return DBC_ERROR;
	json_t *tables = NULL;
	if (dbc_health_tables_growth(ctx, days, &tables) != DBC_OK)
		return DBC_ERROR;
	json_t *o = growth_tree(days, &s);
	if (o && !dbc_json_set(o, "tables", tables)) {
		json_decref(o);
		o = NULL;
	}
	return dump(ctx, o, json_out);
}
