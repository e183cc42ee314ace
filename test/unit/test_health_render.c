/*
 * test_health_render.c — a whole run over a fake engine: the report JSON has
 * exactly the keys of docs/health.md, dbhealth_checks rows, Prometheus text with HELP/TYPE
 * lines and escaped labels, and a failing check becomes an "error" row.
 */
#include "health/health.h"
#include "base/json.h"
#include "unit.h"

static int fake_gather(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                       dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	const char *n = fact->def->name;
	if (strcmp(n, "integrity") == 0) {
		fact->value_text = "ok";
		return DBC_OK;
	}
	if (strcmp(n, "tables_without_primary_key") == 0)
		return dbc_health_add_object(ctx, fact, NULL, "log\"s", "log\"s", 0, NULL);
	if (strcmp(n, "statistics") == 0)
		return dbc_error(ctx, "42P01", "no such table: sqlite_stat1");
	if (strcmp(n, "slow_queries") == 0) {
		dbc_health_skip(ctx, fact, "dbmonitor is not running", "SELECT dbmonitor_start(100)");
		return DBC_OK;
	}
	if (strcmp(n, "journal_mode") == 0)
		fact->value_text = "wal";
	return DBC_OK;
}

static int fake_metrics(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_metrics *m)
{
	(void)ctx, (void)eng;
	m->size_bytes = 8192;
	m->tables = 3;
	m->indexes = 2;
	return DBC_OK;
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_health_gather_fn gatherers[DBC_HC_COUNT];
	for (int i = 0; i < DBC_HC_COUNT; i++)
		gatherers[i] = fake_gather;
	dbc_health_hooks eng = {
	    .engine_version = "3.40.1",
	    .database = "ma\"in\n",
	    .gatherers = gatherers,
	    .metrics = fake_metrics,
	};
	dbc_health_report r;
	CHECK(dbc_health_run(&ctx, &eng, DBC_HEALTH_QUICK, &r) == DBC_OK, "run over fake engine");
	CHECK(!ctx.failed, "no error left behind");

	/* Only SQLite checks, in catalogue order */
	bool pg_only = false;
	for (int i = 0; i < r.nresults; i++)
		if (!(r.results[i].def->engines & DBC_ENGINE_SQLITE))
			pg_only = true;
	CHECK(!pg_only, "PostgreSQL-only checks left out of a SQLite report");
	CHECK(strcmp(r.results[0].def->name, "integrity") == 0, "integrity first");
	CHECK(r.results[0].status == DBC_CHECK_SKIPPED, "integrity skipped in quick mode");
	CHECK_STR(r.results[0].message, "runs in standard mode and full mode", "reason names the mode");
	/* a warning of 5 points, and statistics, which could not read its table,
	 * costs its 5 as well and keeps the report from healthy */
	CHECK(r.score == 90, "one warning of 5 points and one unread check of 5");
	CHECK_STR(r.status, "unknown", "an unread check makes the status unknown");

	char *json;
	CHECK(dbc_health_report_json(&ctx, &r, &json) == DBC_OK, "report JSON");
	json_t *root = json_loads(json, 0, NULL);
	CHECK(root != NULL, "report parses");
	const char *keys[] = {"dbcare_version", "engine",      "engine_version", "database",
	                      "mode",           "checked_at",  "duration_ms",    "score",
	                      "status",         "worst_check", "checks",         "metrics"};
	CHECK(json_object_size(root) == 12, "exactly 12 top-level keys");
	for (size_t i = 0; i < 12; i++)
		CHECK(json_object_get(root, keys[i]) != NULL, keys[i]);
	/* worst_check grades what was read: the warning check */
	CHECK_STR(json_string_value(json_object_get(root, "worst_check")), "warning",
	          "worst_check: the warning check");
	CHECK_STR(json_string_value(json_object_get(root, "mode")), "quick", "mode quick");
	CHECK(json_integer_value(json_object_get(root, "score")) == 90, "score in JSON");
	const char *checked_at = json_string_value(json_object_get(root, "checked_at"));
	CHECK(checked_at && strlen(checked_at) == 24 && checked_at[23] == 'Z', "ISO-8601 UTC with ms");
	json_t *metrics = json_object_get(root, "metrics");
	const char *mkeys[] = {"size_bytes",        "tables",
	                       "indexes",           "schema_fingerprint",
	                       "migration_version", "pending_migrations"};
	CHECK(json_object_size(metrics) == 6, "exactly 6 metric keys");
	for (size_t i = 0; i < 6; i++)
		CHECK(json_object_get(metrics, mkeys[i]) != NULL, mkeys[i]);
	CHECK(json_integer_value(json_object_get(metrics, "size_bytes")) == 8192, "size_bytes");
	/* with migrations built in, a database without bookkeeping has 0 pending */
	CHECK(json_integer_value(json_object_get(metrics, "pending_migrations")) == 0,
	      "no pending migrations");
	json_t *checks = json_object_get(root, "checks");
	json_t *c0 = json_array_get(checks, 0);
	CHECK(json_object_size(c0) == 7, "check has 7 keys");
	const char *ckeys[] = {"name", "status", "penalty", "value", "threshold", "message", "hint"};
	for (size_t i = 0; i < 7; i++)
		CHECK(json_object_get(c0, ckeys[i]) != NULL, ckeys[i]);
	size_t i;
	json_t *c;
	bool saw_error = false, saw_pk = false;
	json_array_foreach(checks, i, c)
	{
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *st = json_string_value(json_object_get(c, "status"));
		if (strcmp(name, "statistics") == 0) {
			saw_error =
			    strcmp(st, "error") == 0 && strcmp(json_string_value(json_object_get(c, "message")),
			                                       "no such table: sqlite_stat1") == 0;
		}
		if (strcmp(name, "tables_without_primary_key") == 0)
			saw_pk = strcmp(st, "warning") == 0 &&
			         json_integer_value(json_object_get(c, "value")) == 1 &&
			         json_integer_value(json_object_get(c, "threshold")) == 0;
		if (strcmp(name, "journal_mode") == 0)
			CHECK_STR(json_string_value(json_object_get(c, "value")), "wal", "journal_mode value");
	}
	CHECK(saw_error, "failing check is an error row with the engine message");
	CHECK(saw_pk, "warning row with numeric value and threshold");
	json_decref(root);

	dbc_rows rows;
	CHECK(dbc_health_report_rows(&ctx, &r, &rows) == DBC_OK, "rows");
	CHECK(rows.ncol == 7 && rows.nrows == r.nresults, "one row per check, 7 columns");
	CHECK_STR(rows.cells[0].s, "integrity", "first row name");
	CHECK(rows.cells[3].type == DBC_NULL, "skipped check has NULL value");

	char *prom;
	CHECK(dbc_health_report_prometheus(&ctx, &r, &prom) == DBC_OK, "prometheus");
	CHECK(strstr(prom, "# HELP dbcare_health_score ") != NULL, "HELP line");
	CHECK(strstr(prom, "# TYPE dbcare_health_score gauge\n") != NULL, "TYPE line");
	CHECK(strstr(prom, "dbcare_health_score{engine=\"sqlite\",database=\"ma\\\"in\\n\"} 90\n") !=
	          NULL,
	      "score sample with escaped database label");
	CHECK(strstr(prom, "dbcare_health_status{engine=\"sqlite\",database=\"ma\\\"in\\n\"} 3\n") !=
	          NULL,
	      "status 3: unknown");
	CHECK(strstr(prom, "dbcare_health_check_status{engine=\"sqlite\",database=\"ma\\\"in\\n\","
	                   "check=\"tables_without_primary_key\"} 1\n") != NULL,
	      "check status 1 for warning");
	CHECK(strstr(prom, "check=\"statistics\"} 2") == NULL, "error check has no status sample");
	/* the graded number beside the status: what the alert rules compare */
	CHECK(strstr(prom, "dbcare_health_check_value{engine=\"sqlite\",database=\"ma\\\"in\\n\","
	                   "check=\"tables_without_primary_key\"} 1\n") != NULL,
	      "check value 1 for one table without a primary key");
	CHECK(strstr(prom, "dbcare_health_check_value{engine=\"sqlite\",database=\"ma\\\"in\\n\","
	                   "check=\"statistics\"}") == NULL,
	      "an error check has no value sample");
	CHECK(strstr(prom, "check=\"journal_mode\"} wal") == NULL &&
	          strstr(prom, "dbcare_health_check_value{engine=\"sqlite\",database=\"ma\\\"in\\n\","
	                       "check=\"journal_mode\"}") == NULL,
	      "a check whose value is only a word has no value sample");
	CHECK(strstr(prom,
	             "dbcare_database_size_bytes{engine=\"sqlite\",database=\"ma\\\"in\\n\"} 8192\n") !=
	          NULL,
	      "size sample");
	CHECK(
	    strstr(prom, "dbcare_migrations_pending{engine=\"sqlite\",database=\"ma\\\"in\\n\"} 0\n") !=
	        NULL,
	    "pending migrations sample");
	CHECK(strstr(prom, "# TYPE dbcare_health_report_duration_seconds gauge") != NULL, "duration");
	CHECK(prom[strlen(prom) - 1] == '\n', "ends with a newline");

	CHECK_STR(dbc_prom_escape_label(&ctx, "a\\b\"c\nd"), "a\\\\b\\\"c\\nd", "label escaping");
	CHECK_STR(dbc_prom_escape_label(&ctx, ""), "", "empty label");
	/* serve writes the samples it reads anew between reports with the
	 * report's own labels and rendering: the very line the report has */
	dbc_prom one, own;
	dbc_prom_init(&one, &ctx);
	dbc_prom_init(&own, &ctx);
	const char *fresh =
	    dbc_prom_add(&one, dbc_prom_family_of(&one, "dbcare_database_size_bytes", NULL, NULL),
	                 dbc_prom_database_labels(&ctx, "sqlite", "ma\"in\n"), 8192,
	                 DBC_PROM_GO) == DBC_OK
	        ? dbc_prom_text(&one)
	        : NULL;
	CHECK(fresh && strstr(prom, fresh) != NULL, "a database's sample as the report writes it");
	CHECK(dbc_prom_add(&own, dbc_prom_family_of(&own, "dbcare_up", NULL, NULL),
	                   dbc_prom_database_labels(&ctx, "postgresql", "a}b"), 1,
	                   DBC_PROM_GO) == DBC_OK,
	      "a sample of serve's own");
	CHECK_STR(dbc_prom_text(&own), "dbcare_up{engine=\"postgresql\",database=\"a}b\"} 1\n",
	          "a sample of serve's own, rendered");

	/* a disabled check is skipped without running */
	dbc_ctx_finish(&ctx);
	return unit_done();
}
