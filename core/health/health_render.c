/*
 * health_render.c — one graded report, three shapes: the JSON of docs/health.md,
 * the rows of dbhealth_checks, and the families of its Prometheus exposition
 * (a dbc_prom model, health_prom.c renders it).
 */
#include "health/health.h"
#include "base/json.h"

#include <string.h>

static json_t *int_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

/* Whole numbers as JSON integers, others rounded to two decimals. */
static json_t *json_number(double v)
{
	return dbc_is_whole(v) ? json_integer((json_int_t)(long long)dbc_round(v))
	                       : json_real(dbc_round(v * 100) / 100);
}

static json_t *check_json(const dbc_health_result *r)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	bool ok = dbc_json_set(o, "name", json_string(r->def->name)) &&
	          dbc_json_set(o, "status", json_string(dbc_check_status_name(r->status))) &&
	          dbc_json_set(o, "penalty", json_integer(r->penalty));
	/* A number stays a number in JSON unless the check chose a word ("ok", "wal"). */
	json_t *value =
	    !r->has_value ? json_null()
	    : r->value_text && strspn(r->value_text, "-0123456789.") != strlen(r->value_text)
	        ? dbc_json_str(r->value_text)
	        : json_number(r->value);
	ok = ok && dbc_json_set(o, "value", value) &&
	     dbc_json_set(o, "threshold", r->has_threshold ? json_number(r->threshold) : json_null()) &&
	     dbc_json_set(o, "message", dbc_json_str(r->message)) &&
	     dbc_json_set(o, "hint", dbc_json_str(r->hint));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int dbc_health_report_tree(dbc_ctx *ctx, const dbc_health_report *r, json_t **out)
{
	json_t *root = json_object(), *checks = json_array(), *metrics = json_object();
	bool ok = root && checks && metrics;
	for (int i = 0; ok && i < r->nresults; i++) {
		json_t *c = check_json(&r->results[i]);
		ok = c && json_array_append_new(checks, c) == 0;
	}
	const dbc_health_metrics *m = &r->metrics;
	ok = ok && dbc_json_set(metrics, "size_bytes", int_or_null(m->size_bytes)) &&
	     dbc_json_set(metrics, "tables", int_or_null(m->tables)) &&
	     dbc_json_set(metrics, "indexes", int_or_null(m->indexes)) &&
	     dbc_json_set(metrics, "schema_fingerprint", dbc_json_str(m->schema_fingerprint)) &&
	     dbc_json_set(metrics, "migration_version", dbc_json_str(m->migration_version)) &&
	     dbc_json_set(metrics, "pending_migrations", int_or_null(m->pending_migrations));
	ok = ok && dbc_json_set(root, "dbcare_version", json_string(dbc_version())) &&
	     dbc_json_set(root, "engine", dbc_json_str(ctx->host->dialect->name)) &&
	     dbc_json_set(root, "engine_version", dbc_json_str(r->eng->engine_version)) &&
	     dbc_json_set(root, "database", dbc_json_str(r->database)) &&
	     (!r->display_name || dbc_json_set(root, "display_name", dbc_json_str(r->display_name))) &&
	     dbc_json_set(root, "mode", json_string(dbc_health_mode_name(r->mode))) &&
	     dbc_json_set(root, "checked_at", dbc_json_str(r->checked_at)) &&
	     dbc_json_set(root, "duration_ms", json_real(dbc_round(r->duration_ms * 10) / 10)) &&
	     dbc_json_set(root, "score", json_integer(r->score)) &&
	     dbc_json_set(root, "status", json_string(r->status)) &&
	     dbc_json_set(root, "worst_check",
	                  json_string(dbc_health_worst_check_of(r->results, r->nresults)));
	if (ok) {
		ok = json_object_set(root, "checks", checks) == 0 &&
		     json_object_set(root, "metrics", metrics) == 0;
	}
	json_decref(checks);
	json_decref(metrics);
	if (!ok) {
		json_decref(root);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY,
		                 "out of memory building the health report");
	}
	*out = root;
	return DBC_OK;
}

int dbc_health_report_json(dbc_ctx *ctx, const dbc_health_report *r, char **out)
{
	json_t *root;
	if (dbc_health_report_tree(ctx, r, &root) != DBC_OK)
		return DBC_ERROR;
	char *text = dbc_json_dump(ctx, root, DBC_JSON_REPORT);
	json_decref(root);
	if (!text)
		return DBC_ERROR;
	*out = text;
	return DBC_OK;
}

/* A number of a row: whole numbers as integers, others as reals (SQLite
 * keeps the storage class, PostgreSQL's double precision column takes both). */
static dbc_value row_number(double v)
{
	return dbc_is_whole(v) ? dbc_int((int64_t)dbc_round(v)) : dbc_float(v);
}

/* A word standing for the value ("ok", "on") stands for a count of 0 and
 * keeps it; a check whose value is only a word (journal_mode's "wal") has no
 * number: NULL. */
static bool word_only(const dbc_health_result *c)
{
	return c->value_text && strspn(c->value_text, "-0123456789.") != strlen(c->value_text) &&
	       c->def->value_kind == DBC_VALUE_SCALAR;
}

int dbc_health_report_rows(dbc_ctx *ctx, const dbc_health_report *r, dbc_rows *out)
{
	dbc_rows_init(out, ctx, 7);
	for (int i = 0; i < r->nresults; i++) {
		const dbc_health_result *c = &r->results[i];
		dbc_value row[7] = {
		    dbc_text(c->def->name),
		    dbc_text(dbc_check_status_name(c->status)),
		    dbc_int(c->penalty),
		    c->has_value && !word_only(c) ? row_number(c->value) : dbc_null(),
		    c->has_threshold ? row_number(c->threshold) : dbc_null(),
		    c->message ? dbc_text(c->message) : dbc_null(),
		    c->hint ? dbc_text(c->hint) : dbc_null(),
		};
		if (ctx->failed || dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* ---------------------------------------------------------------- Prometheus */

/* A label value as the exposition writes it: \\, \" and \n escaped, and
 * a byte that starts no well-formed UTF-8 sequence as '?' (a file name may
 * hold any byte; Prometheus refuses a whole scrape with one invalid label). */
char *dbc_prom_escape_label(dbc_ctx *ctx, const char *s)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	size_t n = s ? strlen(s) : 0;
	for (size_t i = 0; i < n;) {
		int len = dbc_utf8_seq((const unsigned char *)s + i, n - i);
		if (len == 0)
			dbc_buf_appendc(&b, '?');
		else if (s[i] == '\\')
			dbc_buf_append(&b, "\\\\");
		else if (s[i] == '"')
			dbc_buf_append(&b, "\\\"");
		else if (s[i] == '\n')
			dbc_buf_append(&b, "\\n");
		else
			for (int k = 0; k < len; k++)
				dbc_buf_appendc(&b, s[i + k]);
		i += len ? (size_t)len : 1;
	}
	return dbc_buf_finish(&b);
}

/* A gauge of the report: every sample is a database's (GO format). */
static dbc_prom_family *gauge(dbc_prom *p, const char *name, const char *help)
{
	return dbc_prom_family_of(p, name, "gauge", help);
}

static void sample(dbc_prom *p, dbc_prom_family *f, const char *labels, double v)
{
	(void)dbc_prom_add(p, f, labels, v, DBC_PROM_GO);
}

/* The families of each check: its status, penalty, graded value, whether
 * it was skipped or failed. */
static void checks_prometheus(dbc_ctx *ctx, dbc_prom *b, const char *base,
                              const dbc_health_report *r)
{
	dbc_prom_family *f;
	f = gauge(b, "dbcare_health_check_status",
	          "Status of each check that ran: 0 ok, 1 warning, 2 critical.");
	for (int i = 0; i < r->nresults; i++) {
		const dbc_health_result *c = &r->results[i];
		if (c->status > DBC_CHECK_CRITICAL)
			continue;
		sample(b, f,
		       dbc_printf(ctx, "%s,check=\"%s\"", base, dbc_prom_escape_label(ctx, c->def->name)),
		       (double)c->status);
	}
	f = gauge(b, "dbcare_health_check_penalty", "Points each check took off the health score.");
	for (int i = 0; i < r->nresults; i++)
		sample(b, f, dbc_printf(ctx, "%s,check=\"%s\"", base, r->results[i].def->name),
		       r->results[i].penalty);
	/* The graded number of each check that has one (a count, a percentage,
	 * seconds, hours: the unit of its thresholds), as dbhealth_checks' value
	 * column: alert rules compare it with the same thresholds. */
	f = gauge(b, "dbcare_health_check_value",
	          "The number each check graded against its thresholds (checks with a number only).");
	for (int i = 0; i < r->nresults; i++) {
		const dbc_health_result *c = &r->results[i];
		if (c->status > DBC_CHECK_CRITICAL || !c->has_value || word_only(c))
			continue;
		sample(b, f, dbc_printf(ctx, "%s,check=\"%s\"", base, c->def->name), c->value);
	}
	f = gauge(b, "dbcare_health_check_skipped",
	          "1 when a check did not run (disabled, not applicable, not permitted), else 0.");
	for (int i = 0; i < r->nresults; i++)
		sample(b, f, dbc_printf(ctx, "%s,check=\"%s\"", base, r->results[i].def->name),
		       r->results[i].status == DBC_CHECK_SKIPPED);
	f = gauge(b, "dbcare_health_check_errors",
	          "1 when a check itself failed (see dbhealth_checks), else 0.");
	for (int i = 0; i < r->nresults; i++)
		sample(b, f, dbc_printf(ctx, "%s,check=\"%s\"", base, r->results[i].def->name),
		       r->results[i].status == DBC_CHECK_ERROR);
}

/* The database's numbers: size, tables, indexes (when known), pending
 * migrations and the newest restore drill (NaN when unknown, never a
 * made-up 0). */
static void metrics_prometheus(dbc_prom *b, const char *base, const dbc_health_metrics *m)
{
	dbc_prom_family *f;
	double nan = 0.0 / 0.0;
	if (m->size_bytes >= 0) {
		f = gauge(b, "dbcare_database_size_bytes", "Size of the database in bytes.");
		sample(b, f, base, (double)m->size_bytes);
	}
	if (m->tables >= 0) {
		f = gauge(b, "dbcare_database_tables", "Number of user tables.");
		sample(b, f, base, (double)m->tables);
	}
	if (m->indexes >= 0) {
		f = gauge(b, "dbcare_database_indexes", "Number of user indexes.");
		sample(b, f, base, (double)m->indexes);
	}
	/* unknown: no migration bookkeeping in this build */
	f = gauge(b, "dbcare_migrations_pending", "Registered migrations not applied yet.");
	sample(b, f, base, m->pending_migrations >= 0 ? (double)m->pending_migrations : nan);
	/* unknown: no drill recorded yet, or the drills cannot be read */
	f = gauge(b, "dbcare_backup_last_drill_timestamp_seconds",
	          "When the newest restore drill was recorded (seconds since 1970).");
	sample(b, f, base, m->drill_known ? m->drill_epoch : nan);
	f = gauge(b, "dbcare_backup_last_drill_duration_seconds",
	          "How long the newest restore drill took (restore, checks, comparison).");
	sample(b, f, base, m->drill_known ? m->drill_seconds : nan);
	f = gauge(b, "dbcare_backup_last_drill_success",
	          "1 when the newest restore drill passed, 0 when it failed.");
	sample(b, f, base, m->drill_known ? (double)m->drill_ok : nan);
	/* SQLite's point-in-time log: only where backup.log.dir is set */
	if (m->log_known) {
		f = gauge(b, "dbcare_log_lag_seconds",
		          "How far the point-in-time log is behind: 0 while it holds every commit, else "
		          "seconds since its newest record (NaN: none yet).");
		sample(b, f, base, m->log_lag_seconds >= 0 ? m->log_lag_seconds : nan);
		f = gauge(b, "dbcare_log_capturing",
		          "1 when a capture holds the point-in-time log, else 0.");
		sample(b, f, base, m->log_capturing);
		f = gauge(b, "dbcare_log_last_restorable_timestamp_seconds",
		          "The last moment the point-in-time log can restore to (seconds since 1970).");
		sample(b, f, base, m->log_restorable_epoch >= 0 ? m->log_restorable_epoch : nan);
		f = gauge(b, "dbcare_log_end_missing",
		          "1 when the point-in-time log ends before the newest commit its capture "
		          "recorded (segment files lost; restore --to-time latest refuses it), else 0.");
		sample(b, f, base, m->log_end_missing);
		f = gauge(b, "dbcare_log_capture_failed",
		          "1 when the point-in-time log's capture failed (a full disk, an unwritable "
		          "directory) and has copied no commit since, else 0.");
		sample(b, f, base, m->log_capture_failed);
	}
	/* SQLite's staged backups: only where staging is on */
	if (m->waiting_known) {
		f = gauge(b, "dbcare_backups_waiting",
		          "Backups staged in backup.stage_dir waiting for dbcare backup --ship.");
		sample(b, f, base, (double)m->waiting);
		f = gauge(b, "dbcare_backups_waiting_oldest_seconds",
		          "How long the oldest staged backup has waited for its upload (0: none waits).");
		sample(b, f, base, m->waiting_oldest_seconds);
	}
}

char *dbc_prom_database_labels(dbc_ctx *ctx, const char *engine, const char *database)
{
	char *db = dbc_prom_escape_label(ctx, database ? database : "");
	return dbc_printf(ctx, "engine=\"%s\",database=\"%s\"", engine, db ? db : "");
}

int dbc_health_report_prom(dbc_ctx *ctx, const dbc_health_report *r, dbc_prom *b)
{
	char *base = dbc_prom_database_labels(ctx, ctx->host->dialect->name, r->database);
	if (!base)
		return DBC_ERROR;
	/* the status's rank is its sample: 0 healthy ... 3 unknown */
	int st = dbc_health_grade_rank(r->status);
	dbc_prom_family *f;

	f = gauge(b, "dbcare_health_score", "Health score from 0 (worst) to 100 (best).");
	sample(b, f, base, r->score);
	f = gauge(b, "dbcare_health_status",
	          "Overall health status: 0 healthy, 1 warning, 2 critical, 3 unknown "
	          "(checks could not read the database).");
	sample(b, f, base, st);
	checks_prometheus(ctx, b, base, r);
	metrics_prometheus(b, base, &r->metrics);
	f = gauge(b, "dbcare_health_report_duration_seconds",
	          "How long the health report took to compute.");
	sample(b, f, base, r->duration_ms / 1000.0);
	f = gauge(b, "dbcare_info", "dbcare and engine versions (always 1).");
	sample(b, f,
	       dbc_printf(ctx, "%s,version=\"%s\",engine_version=\"%s\"", base,
	                  dbc_prom_escape_label(ctx, dbc_version()),
	                  dbc_prom_escape_label(ctx, r->eng->engine_version)),
	       1);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_health_report_prometheus(dbc_ctx *ctx, const dbc_health_report *r, char **out)
{
	dbc_prom p;
	dbc_prom_init(&p, ctx);
	*out = dbc_health_report_prom(ctx, r, &p) == DBC_OK ? dbc_prom_text(&p) : NULL;
	return *out && !ctx->failed ? DBC_OK : DBC_ERROR;
}
