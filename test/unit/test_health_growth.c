/*
 * test_health_growth.c — the least-squares growth fit and its JSON: exact
 * lines, noisy samples, fewer than two samples and samples at one instant.
 */
#include "health/health.h"
#include "base/json.h"
#include "unit.h"

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_health_samples s = {0};
	double slope, icpt;
	char *out;

	CHECK(!dbc_health_fit(&s, &slope, &icpt), "no samples: no fit");
	CHECK(dbc_health_growth_json(&ctx, 30, &s, &out) == DBC_OK, "growth JSON without samples");
	json_t *o = json_loads(out, 0, NULL);
	CHECK(json_integer_value(json_object_get(o, "samples")) == 0, "0 samples");
	CHECK(json_is_null(json_object_get(o, "bytes_per_day")), "bytes_per_day null");
	CHECK(json_is_null(json_object_get(o, "projected_size_bytes_30d")), "30d null");
	CHECK(json_is_null(json_object_get(o, "projected_size_bytes_90d")), "90d null");
	CHECK(json_is_null(json_object_get(o, "current_size_bytes")), "current null");
	CHECK(json_integer_value(json_object_get(o, "days")) == 30, "days echoed");
	json_decref(o);

	double t0 = 1790000000; /* some day in 2026 */
	dbc_health_samples_add(&ctx, &s, t0, 1000000);
	CHECK(!dbc_health_fit(&s, &slope, &icpt), "one sample: no fit");
	dbc_health_growth_json(&ctx, 30, &s, &out);
	o = json_loads(out, 0, NULL);
	CHECK(json_is_null(json_object_get(o, "bytes_per_day")), "one sample: nulls");
	CHECK(num(o, "current_size_bytes") == 1000000, "current size from the only sample");
	json_decref(o);

	/* exact line: +1000 bytes per day over 10 days */
	for (int d = 1; d <= 10; d++)
		dbc_health_samples_add(&ctx, &s, t0 + d * 86400.0, 1000000 + d * 1000.0);
	CHECK(dbc_health_fit(&s, &slope, &icpt), "fit");
	CHECK(slope > 999.999 && slope < 1000.001, "slope 1000 bytes/day");
	dbc_health_growth_json(&ctx, 30, &s, &out);
	o = json_loads(out, 0, NULL);
	CHECK(num(o, "samples") == 11, "11 samples");
	CHECK(num(o, "bytes_per_day") == 1000, "bytes_per_day 1000");
	CHECK(num(o, "current_size_bytes") == 1010000, "current is the newest sample");
	CHECK(num(o, "projected_size_bytes_30d") == 1040000, "30 days past the newest");
	CHECK(num(o, "projected_size_bytes_90d") == 1100000, "90 days past the newest");
	json_decref(o);

	/* noise around a trend still fits the trend */
	dbc_health_samples n = {0};
	for (int d = 0; d < 20; d++)
		dbc_health_samples_add(&ctx, &n, t0 + d * 86400.0, 5000 + d * 200.0 + (d % 2 ? 50 : -50));
	dbc_health_fit(&n, &slope, &icpt);
	CHECK(slope > 190 && slope < 210, "noisy slope near 200");

	/* shrinking database never projects below zero */
	dbc_health_samples shrink = {0};
	dbc_health_samples_add(&ctx, &shrink, t0, 10000);
	dbc_health_samples_add(&ctx, &shrink, t0 + 86400, 5000);
	dbc_health_growth_json(&ctx, 7, &shrink, &out);
	o = json_loads(out, 0, NULL);
	CHECK(num(o, "bytes_per_day") == -5000, "negative growth");
	CHECK(num(o, "projected_size_bytes_30d") == 0, "projection clamps at 0");
	json_decref(o);

	/* all samples at one instant */
	dbc_health_samples same = {0};
	dbc_health_samples_add(&ctx, &same, t0, 1);
	dbc_health_samples_add(&ctx, &same, t0, 2);
	CHECK(!dbc_health_fit(&same, &slope, &icpt), "one instant: no slope");

	dbc_ctx_finish(&ctx);
	return unit_done();
}
