/*
 * health_calls.c — the dbhealth_* functions as the API table calls them
 * (core/api/functions.h, forms CORE_SCALAR and CORE_TABLE): the engine's
 * facts come through its health hooks (dbc_api_engine_of), the mode
 * argument is 'standard' when left out or NULL (DBC_RULE_NULL_IS_DEFAULT).
 */
#include "api/api.h"
#include "base/json.h"
#include "health/health.h"

/* Runs the report for the mode in args[0] and, when scoped, the scope and
 * the caller's label in args[1] and args[2] (dbhealth_report,
 * dbhealth_metrics). The report points to eng: eng lives as long as r. */
static int run_scoped(dbc_ctx *ctx, const dbc_value *args, bool scoped, dbc_health_hooks *eng,
                      dbc_health_report *r)
{
	dbc_health_mode mode;
	dbc_api_engine_of(ctx)->health(ctx, eng);
	if (dbc_health_parse_mode(ctx, args[0].s, &mode) != DBC_OK ||
	    (scoped && dbc_health_parse_scope(ctx, args[1].s, &eng->scope) != DBC_OK))
		return DBC_ERROR;
	eng->label = scoped && args[2].type == DBC_TEXT ? args[2].s : NULL;
	return dbc_health_run(ctx, eng, mode, r);
}

static int run(dbc_ctx *ctx, const dbc_value *args, dbc_health_hooks *eng, dbc_health_report *r)
{
	return run_scoped(ctx, args, false, eng, r);
}

static dbc_value text_or_null(char *s)
{
	return s ? dbc_text(s) : dbc_null();
}

int dbc_call_dbhealth_report(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_health_hooks eng;
	dbc_health_report r;
	char *json = NULL;
	int rc = run_scoped(ctx, args, true, &eng, &r);
	if (rc == DBC_OK)
		rc = dbc_health_report_json(ctx, &r, &json);
	*result = text_or_null(json);
	return rc;
}

int dbc_call_dbhealth_checks(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_hooks eng;
	dbc_health_report r;
	(void)argc;
	if (run(ctx, args, &eng, &r) != DBC_OK)
		return DBC_ERROR;
	return dbc_health_report_rows(ctx, &r, out);
}

int dbc_call_dbhealth_score(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_health_hooks eng;
	dbc_health_report r;
	int rc = run(ctx, args, &eng, &r);
	*result = dbc_int(rc == DBC_OK ? r.score : 0);
	return rc;
}

typedef int (*family_fn)(dbc_ctx *ctx, const dbc_health_report *r, dbc_prom *p);

/* Families of the exposition read from the bookkeeping beside the report
 * (the table growth history, the audit volume), for dbc_health_tolerant:
 * filled into a model of their own, merged only when read whole. */
typedef struct extra_family {
	family_fn fn;
	const dbc_health_report *r;
	dbc_prom p;
} extra_family;

static int read_family(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	extra_family *f = arg;
	(void)eng;
	return f->fn(ctx, f->r, &f->p);
}

/* The families of dbhealth_metrics, in p. */
static int metrics_model(dbc_ctx *ctx, const dbc_value *args, dbc_prom *p)
{
	dbc_health_hooks eng;
	dbc_health_report r;
	dbc_prom_init(p, ctx);
	int rc = run_scoped(ctx, args, true, &eng, &r);
	if (rc == DBC_OK)
		rc = dbc_health_report_prom(ctx, &r, p);
	const family_fn extra[] = {dbc_health_tables_prom, dbc_health_audit_prom};
	/* one that cannot be read (a role without SELECT on it) is left out, as
	 * an unreadable part of the report is unknown */
	for (size_t i = 0; rc == DBC_OK && i < sizeof extra / sizeof extra[0]; i++) {
		extra_family f = {extra[i], &r, {0}};
		dbc_prom_init(&f.p, ctx);
		bool ok;
		if ((rc = dbc_health_tolerant(ctx, &eng, read_family, &f, &ok, NULL)) == DBC_OK && ok)
			rc = dbc_prom_merge(p, &f.p);
	}
	return rc;
}

int dbc_call_dbhealth_metrics(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_prom p;
	int rc = metrics_model(ctx, args, &p);
	char *text = rc == DBC_OK ? dbc_prom_text(&p) : NULL;
	*result = text_or_null(text);
	return rc == DBC_OK && !text ? DBC_ERROR : rc;
}

/* The same families as JSON (dbc_prom_json): what dbcare serve merges. */
int dbc_call_dbhealth_samples(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_prom p;
	int rc = metrics_model(ctx, args, &p);
	char *json = rc == DBC_OK ? dbc_prom_json(&p) : NULL;
	*result = text_or_null(json);
	return rc == DBC_OK && !json ? DBC_ERROR : rc;
}

static json_t *count_or_null(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static int read_metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	return eng->metrics(ctx, eng, arg);
}

static int read_migrations(dbc_ctx *ctx, const dbc_health_hooks *eng, void *arg)
{
	return dbc_health_migration_metrics(ctx, eng, arg);
}

/* The report's cheap numbers alone (its "metrics" object less the schema
 * fingerprint): the engine's size and counts and the migration summary, no
 * check run; what dbcare serve reads on every scrape between reports. As
 * in the report, a part that cannot be read (a bookkeeping table dropped
 * by hand, a privilege missing) is unknown (null), never the call an
 * error. */
int dbc_call_dbhealth_gauges(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_health_hooks eng;
	dbc_health_metrics m = {
	    .size_bytes = -1, .tables = -1, .indexes = -1, .pending_migrations = -1};
	char *text = NULL;
	bool ok = true;
	(void)args;
	*result = dbc_null();
	dbc_api_engine_of(ctx)->health(ctx, &eng);
	if (eng.metrics && dbc_health_tolerant(ctx, &eng, read_metrics, &m, &ok, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!ok)
		m.size_bytes = m.tables = m.indexes = -1;
	if (dbc_health_tolerant(ctx, &eng, read_migrations, &m, &ok, NULL) != DBC_OK)
		return DBC_ERROR;
	if (!ok) {
		m.migration_version = NULL;
		m.pending_migrations = -1;
	}
	json_t *o = json_object();
	ok = o && dbc_json_set(o, "size_bytes", count_or_null(m.size_bytes)) &&
	     dbc_json_set(o, "tables", count_or_null(m.tables)) &&
	     dbc_json_set(o, "indexes", count_or_null(m.indexes)) &&
	     dbc_json_set(o, "migration_version", dbc_json_str(m.migration_version)) &&
	     dbc_json_set(o, "pending_migrations", count_or_null(m.pending_migrations));
	if (ok)
		text = dbc_json_dump(ctx, o, DBC_JSON_REPORT);
	json_decref(o);
	if (!text)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "out of memory");
	*result = dbc_text(text);
	return DBC_OK;
}

int dbc_call_dbhealth_snapshot(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_health_hooks eng;
	char *json = NULL;
	int rc;
	(void)args;
	dbc_api_engine_of(ctx)->health(ctx, &eng);
	rc = dbc_health_snapshot(ctx, &eng, &json);
	*result = text_or_null(json);
	return rc;
}

int dbc_call_dbhealth_growth(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_health_hooks eng;
	char *json = NULL;
	int rc;
	dbc_api_engine_of(ctx)->health(ctx, &eng);
	rc = dbc_health_growth(ctx, &eng, (double)args[0].i, &json);
	*result = text_or_null(json);
	return rc;
}

int dbc_call_dbhealth_queries(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_health_hooks eng;
	char *json = NULL;
	int rc;
	dbc_api_engine_of(ctx)->health(ctx, &eng);
	rc = dbc_health_queries(ctx, &eng, args[0].i, &json);
	*result = text_or_null(json);
	return rc;
}

int dbc_call_dbhealth_history(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_health_history(ctx, args[0].i, out);
}

int dbc_call_dbhealth_table_history(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_health_table_history(ctx, args[0].i, out);
}

int dbc_call_dbhealth_largest_tables(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_hooks eng;
	(void)argc;
	dbc_api_engine_of(ctx)->health(ctx, &eng);
	return dbc_health_largest_tables(ctx, &eng, args[0].i, out);
}
