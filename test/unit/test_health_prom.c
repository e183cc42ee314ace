/*
 * test_health_prom.c — the exposition's typed model (core/health/health_prom.c):
 * families in the order first added, each written once with its HELP and
 * TYPE before its samples, a merge by family, and each number in its
 * sample's format (Go's NaN and +Inf, the audit lag's three decimals, the
 * growth's one, serve's ages to the millisecond), and the JSON form of
 * dbhealth_samples read back to the same text.
 */
#include "health/health.h"
#include "unit.h"

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);

	dbc_prom a, b;
	dbc_prom_init(&a, &ctx);
	dbc_prom_init(&b, &ctx);
	CHECK_STR(dbc_prom_text(&a), "", "an empty model renders nothing");

	const char *x = "engine=\"sqlite\",database=\"x\"", *y = "engine=\"sqlite\",database=\"y\"";
	CHECK(dbc_prom_gauge(&a, "dbcare_up", "Up.", x, 1) == DBC_OK, "a gauge");
	CHECK(dbc_prom_family_of(&a, "dbcare_empty", "gauge", "No samples.") != NULL, "empty family");
	CHECK(dbc_prom_gauge(&a, "dbcare_size", "Size.", x, 0.25) == DBC_OK, "a fraction");
	CHECK(dbc_prom_gauge(&b, "dbcare_size", "Other help.", y, 0.0 / 0.0) == DBC_OK, "unknown");
	CHECK(dbc_prom_gauge(&b, "dbcare_up", "Up.", y, 0) == DBC_OK, "second database");
	dbc_prom_family *age = dbc_prom_family_of(&b, "dbcare_age", "gauge", "Age.");
	CHECK(dbc_prom_add(&b, age, y, 1.0 / 0.0, DBC_PROM_MILLIS) == DBC_OK &&
	          dbc_prom_add(&b, age, x, 12.3456, DBC_PROM_MILLIS) == DBC_OK &&
	          dbc_prom_add(&b, age, x, 7, DBC_PROM_MILLIS) == DBC_OK,
	      "ages");
	dbc_prom_family *lag = dbc_prom_family_of(&b, "dbcare_lag", "gauge", "Lag.");
	CHECK(dbc_prom_add(&b, lag, x, 0, DBC_PROM_FIXED3) == DBC_OK &&
	          dbc_prom_add(&b, lag, y, 2.5, DBC_PROM_FIXED1) == DBC_OK,
	      "fixed decimals");
	CHECK(dbc_prom_add(&b, NULL, x, 1, DBC_PROM_GO) == DBC_ERROR, "no family: an error");
	CHECK(dbc_prom_merge(&a, &b) == DBC_OK, "merge");
	CHECK_STR(dbc_prom_text(&a),
	          "# HELP dbcare_up Up.\n# TYPE dbcare_up gauge\n"
	          "dbcare_up{engine=\"sqlite\",database=\"x\"} 1\n"
	          "dbcare_up{engine=\"sqlite\",database=\"y\"} 0\n"
	          "# HELP dbcare_empty No samples.\n# TYPE dbcare_empty gauge\n"
	          "# HELP dbcare_size Size.\n# TYPE dbcare_size gauge\n"
	          "dbcare_size{engine=\"sqlite\",database=\"x\"} 0.25\n"
	          "dbcare_size{engine=\"sqlite\",database=\"y\"} NaN\n"
	          "# HELP dbcare_age Age.\n# TYPE dbcare_age gauge\n"
	          "dbcare_age{engine=\"sqlite\",database=\"y\"} +Inf\n"
	          "dbcare_age{engine=\"sqlite\",database=\"x\"} 12.346\n"
	          "dbcare_age{engine=\"sqlite\",database=\"x\"} 7\n"
	          "# HELP dbcare_lag Lag.\n# TYPE dbcare_lag gauge\n"
	          "dbcare_lag{engine=\"sqlite\",database=\"x\"} 0.000\n"
	          "dbcare_lag{engine=\"sqlite\",database=\"y\"} 2.5\n",
	          "merged by family, first help wins, each number in its format");

	/* the JSON of dbhealth_samples read back renders the very same text */
	char *json = dbc_prom_json(&a);
	dbc_prom c;
	dbc_prom_init(&c, &ctx);
	CHECK(json && dbc_prom_from_json(&c, json) == DBC_OK, "the JSON form reads back");
	CHECK_STR(dbc_prom_text(&c), dbc_prom_text(&a), "the JSON form renders the same text");
	dbc_prom d;
	dbc_prom_init(&d, &ctx);
	CHECK(dbc_prom_from_json(&d, "{\"families\":[{\"name\":\"x\",\"samples\":[{\"labels\":"
	                             "\"a\",\"value\":\"many\",\"format\":\"go\"}]}]}") == DBC_ERROR &&
	          strstr(ctx.message, "not the JSON of dbhealth_samples") != NULL,
	      "a value that is no number is refused, saying what was expected");

	/* a number wider than a line's buffer is written in full, never cut */
	dbc_prom e;
	dbc_prom_init(&e, &ctx);
	dbc_prom_family *big = dbc_prom_family_of(&e, "dbcare_big", NULL, NULL);
	CHECK(dbc_prom_add(&e, big, x, 1e300, DBC_PROM_FIXED3) == DBC_OK &&
	          dbc_prom_add(&e, big, x, 1e20, DBC_PROM_GO) == DBC_OK &&
	          dbc_prom_add(&e, big, x, -123456789012345.0, DBC_PROM_GO) == DBC_OK,
	      "wide numbers");
	CHECK_STR(dbc_prom_text(&e),
	          "dbcare_big{engine=\"sqlite\",database=\"x\"} 1.0000000000000001e+300\n"
	          "dbcare_big{engine=\"sqlite\",database=\"x\"} 1e+20\n"
	          "dbcare_big{engine=\"sqlite\",database=\"x\"} -123456789012345\n",
	          "wide numbers in full, a family without HELP and TYPE writes its samples only");

	dbc_ctx_finish(&ctx);
	return unit_done();
}
