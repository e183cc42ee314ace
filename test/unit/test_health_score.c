/*
 * test_health_score.c — grading of facts against thresholds, health.ignore,
 * per-object penalties, the score and the report status rule of docs/health.md.
 */
#include "health/health.h"
#include "unit.h"

static dbc_health_fact fact_of(const char *check)
{
	dbc_health_fact f;
	memset(&f, 0, sizeof(f));
	f.def = dbc_health_find_check(check);
	return f;
}

static dbc_health_result res(dbc_check_status st, int penalty)
{
	dbc_health_result r;
	memset(&r, 0, sizeof(r));
	r.status = st;
	r.penalty = penalty;
	return r;
}

int main(void)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_health_result r;

	/* catalogue */
	CHECK(dbc_health_find_check("integrity") != NULL, "integrity is in the catalogue");
	CHECK(dbc_health_find_check("no_such_check") == NULL, "unknown check not found");
	for (int i = 0; i < dbc_health_checks_count; i++)
		for (int j = i + 1; j < dbc_health_checks_count; j++)
			if (strcmp(dbc_health_checks_catalog[i].name, dbc_health_checks_catalog[j].name) == 0)
				CHECK(false, "check names are unique");
	CHECK(dbc_health_find_check("integrity")->penalty == 50, "integrity penalty 50 by default");
	CHECK(dbc_health_find_check("foreign_keys_enforced")->penalty == 10, "fk enforced penalty 10");
	CHECK(dbc_health_find_check("orphans")->penalty == 5, "orphans 5 per relation");
	CHECK(dbc_health_find_check("slow_queries")->warn == 10, "more than 10 slow queries warn");

	/* count check: any object warns */
	dbc_health_fact f = fact_of("tables_without_primary_key");
	CHECK(dbc_health_grade(&ctx, &f, 5, 0, -1, NULL, &r) == DBC_OK, "grade empty fact");
	CHECK(r.status == DBC_CHECK_OK && r.penalty == 0, "no object: ok, no penalty");
	CHECK_STR(r.message, "every table has a primary key", "ok message");
	CHECK(r.hint == NULL, "no hint when ok");
	dbc_health_add_object(&ctx, &f, "public", "logs", "logs", 0, NULL);
	dbc_health_add_object(&ctx, &f, "public", "events", "events", 0, NULL);
	dbc_health_grade(&ctx, &f, 5, 0, -1, NULL, &r);
	CHECK(r.status == DBC_CHECK_WARNING && r.penalty == 5, "two objects: warning, penalty 5");
	CHECK_STR(r.value_text, "2", "value is the count");
	CHECK_STR(r.message, "2 tables without a primary key: public.logs, public.events",
	          "message names the objects");
	CHECK(r.hint != NULL, "hint when not ok");

	/* health.ignore: bare and qualified names, and ignoring the table */
	dbc_strlist ig = {0};
	dbc_strlist_split(&ctx, &ig, "logs,public.events");
	dbc_health_grade(&ctx, &f, 5, 0, -1, &ig, &r);
	CHECK(r.status == DBC_CHECK_OK && r.value == 0, "ignored objects clear the check");
	CHECK(dbc_health_ignored(&ig, "public", "logs_idx", "logs"),
	      "ignoring a table ignores its index");
	CHECK(!dbc_health_ignored(&ig, "other", "events", "events"),
	      "qualified ignore is schema-exact");
	CHECK(!dbc_health_ignored(&ig, NULL, "log", NULL), "no prefix match");

	/* critical-only check */
	f = fact_of("integrity");
	f.value_text = "ok";
	dbc_health_grade(&ctx, &f, 50, -1, 0, NULL, &r);
	CHECK(r.status == DBC_CHECK_OK, "integrity ok");
	CHECK_STR(r.value_text, "ok", "value text kept");
	dbc_health_add_object(&ctx, &f, NULL, "idx_t_a", "t", 0, "wrong # of entries");
	f.value_text = NULL;
	dbc_health_grade(&ctx, &f, 50, -1, 0, NULL, &r);
	CHECK(r.status == DBC_CHECK_CRITICAL && r.penalty == 50, "integrity problem: critical 50");
	CHECK(r.has_threshold && r.threshold == 0, "critical threshold shown");

	/* max-valued check with percent unit */
	f = fact_of("sequence_exhaustion");
	dbc_health_add_object(&ctx, &f, "public", "s1", NULL, 12, NULL);
	dbc_health_add_object(&ctx, &f, "public", "s2", NULL, 97.5, NULL);
	dbc_health_grade(&ctx, &f, 10, 75, 90, NULL, &r);
	CHECK(r.status == DBC_CHECK_CRITICAL, "97.5% sequence is critical");
	CHECK(r.value == 97.5, "value is the worst");
	CHECK(strstr(r.message, "public.s2 (97.50%)") != NULL, "worst sequence named first");
	dbc_strlist ig2 = {0};
	dbc_strlist_split(&ctx, &ig2, "s2");
	dbc_health_grade(&ctx, &f, 10, 75, 90, &ig2, &r);
	CHECK(r.status == DBC_CHECK_OK && r.value == 12, "ignoring the worst one");

	/* not ok: only the objects past the warn line are named and counted --
	 * one sequence at 95% does not make the one at 0.0015% "near its limit" */
	f = fact_of("sequence_exhaustion");
	dbc_health_add_object(&ctx, &f, "public", "far", NULL, 0.0015, NULL);
	dbc_health_add_object(&ctx, &f, "public", "near", NULL, 95, NULL);
	dbc_health_add_object(&ctx, &f, "public", "mid", NULL, 80, NULL);
	dbc_health_grade(&ctx, &f, 10, 75, 90, NULL, &r);
	CHECK(r.status == DBC_CHECK_CRITICAL && r.value == 95, "95% sequence is critical");
	CHECK_STR(r.message,
	          "2 sequences near their limit, worst 95%: public.near (95%), public.mid (80%)",
	          "only the sequences past the warn line are listed");
	dbc_health_grade(&ctx, &f, 10, -1, 90, NULL, &r);
	CHECK_STR(r.message, "1 sequence near its limit, worst 95%: public.near (95%)",
	          "warn disabled: the critical line decides what is listed");

	/* ok: the objects measured are not problems, so the message is the ok
	 * text, naming the highest one only (never "2 sequences near their limit") */
	f = fact_of("sequence_exhaustion");
	dbc_health_add_object(&ctx, &f, "public", "s1", NULL, 3, NULL);
	dbc_health_add_object(&ctx, &f, "public", "s2", NULL, 12, NULL);
	dbc_health_grade(&ctx, &f, 10, 75, 90, NULL, &r);
	CHECK(r.status == DBC_CHECK_OK, "12% sequence is ok");
	CHECK_STR(r.message, "sequences are far from their limits; highest 12%: public.s2 (12%)",
	          "ok message names the highest only");

	/* a capped count says "at least" */
	f = fact_of("integrity");
	f.cap = 3;
	for (int i = 0; i < 3; i++)
		dbc_health_add_object(&ctx, &f, NULL, dbc_printf(&ctx, "page %d", i), NULL, 1, NULL);
	dbc_health_grade(&ctx, &f, 50, -1, 0, NULL, &r);
	CHECK(strncmp(r.message, "at least 3 storage problems: ", 29) == 0, "capped count: at least");
	f.nobjects = 2;
	dbc_health_grade(&ctx, &f, 50, -1, 0, NULL, &r);
	CHECK(strncmp(r.message, "2 storage problems: ", 20) == 0, "below the cap: exact");

	/* lower is worse */
	f = fact_of("cache_hit_ratio");
	f.value = 90;
	dbc_health_grade(&ctx, &f, 5, 95, 80, NULL, &r);
	CHECK(r.status == DBC_CHECK_WARNING, "90% hit ratio warns below 95");
	f.value = 70;
	dbc_health_grade(&ctx, &f, 5, 95, 80, NULL, &r);
	CHECK(r.status == DBC_CHECK_CRITICAL, "70% is critical below 80");
	f.value = 99;
	dbc_health_grade(&ctx, &f, 5, 95, 80, NULL, &r);
	CHECK(r.status == DBC_CHECK_OK, "99% ok");

	/* per-object penalty with a cap */
	f = fact_of("orphans");
	for (int i = 0; i < 3; i++)
		dbc_health_add_object(&ctx, &f, NULL, dbc_printf(&ctx, "rel%d", i), NULL, 1, NULL);
	dbc_health_grade(&ctx, &f, 5, 0, -1, NULL, &r);
	CHECK(r.penalty == 15, "orphans: 5 per relation");
	for (int i = 3; i < 10; i++)
		dbc_health_add_object(&ctx, &f, NULL, dbc_printf(&ctx, "rel%d", i), NULL, 1, NULL);
	dbc_health_grade(&ctx, &f, 5, 0, -1, NULL, &r);
	CHECK(r.penalty == 25, "orphans penalty capped at 25");
	CHECK(strstr(r.message, "and 5 more") != NULL, "long lists are cut");

	/* min_status, skipped, disabled thresholds */
	f = fact_of("migrations");
	f.value = 0;
	f.min_status = DBC_CHECK_CRITICAL;
	dbc_health_grade(&ctx, &f, 10, 0, -1, NULL, &r);
	CHECK(r.status == DBC_CHECK_CRITICAL, "min_status raises the status");
	f = fact_of("migrations");
	dbc_health_skip(&ctx, &f, "not here", "do this");
	dbc_health_grade(&ctx, &f, 10, 0, -1, NULL, &r);
	CHECK(r.status == DBC_CHECK_SKIPPED && r.penalty == 0, "skipped costs nothing");
	CHECK_STR(r.message, "not here", "skip reason is the message");
	CHECK_STR(r.hint, "do this", "skip hint");
	f = fact_of("tables_without_primary_key");
	dbc_health_add_object(&ctx, &f, NULL, "t", "t", 0, NULL);
	dbc_health_grade(&ctx, &f, 5, -1, -1, NULL, &r);
	CHECK(r.status == DBC_CHECK_OK, "negative thresholds never fire");

	/* score and status rule */
	dbc_health_result rs[4] = {res(DBC_CHECK_OK, 0), res(DBC_CHECK_WARNING, 10),
	                           res(DBC_CHECK_SKIPPED, 0), res(DBC_CHECK_OK, 0)};
	CHECK(dbc_health_score_of(rs, 4) == 90, "score 100 - 10");
	CHECK_STR(dbc_health_status_of(rs, 4), "healthy", "90 with a warning is healthy");
	rs[1].penalty = 25;
	CHECK(dbc_health_score_of(rs, 4) == 75, "score 75");
	CHECK_STR(dbc_health_status_of(rs, 4), "warning", "below 80 is warning");
	rs[1].penalty = 45;
	CHECK_STR(dbc_health_status_of(rs, 4), "critical", "below 60 is critical");
	rs[1] = res(DBC_CHECK_CRITICAL, 1);
	CHECK_STR(dbc_health_status_of(rs, 4), "critical", "any critical check makes it critical");
	dbc_health_result many[5];
	for (int i = 0; i < 5; i++)
		many[i] = res(DBC_CHECK_WARNING, 50);
	CHECK(dbc_health_score_of(many, 5) == 0, "score clamps at 0");
	/* a check that could not read its part: never healthy, and it costs */
	dbc_health_result unread[3] = {res(DBC_CHECK_OK, 0), res(DBC_CHECK_ERROR, 10),
	                               res(DBC_CHECK_SKIPPED, 0)};
	unread[1].unread = true;
	CHECK(dbc_health_score_of(unread, 3) == 90, "an unread check costs its penalty");
	CHECK_STR(dbc_health_status_of(unread, 3), "unknown", "an unread check: unknown, not healthy");
	for (int i = 0; i < 5; i++) {
		many[i] = res(DBC_CHECK_ERROR, 50);
		many[i].unread = true;
	}
	CHECK(dbc_health_score_of(many, 5) == 0, "nothing read scores 0");
	CHECK_STR(dbc_health_status_of(many, 5), "unknown", "nothing read is unknown, not critical");
	unread[0] = res(DBC_CHECK_CRITICAL, 20);
	CHECK_STR(dbc_health_status_of(unread, 3), "critical", "a critical finding outranks unread");
	f = fact_of("migrations");
	dbc_health_skip_denied(&ctx, &f, "permission denied", "GRANT it");
	dbc_health_grade(&ctx, &f, 10, 0, -1, NULL, &r);
	CHECK(r.status == DBC_CHECK_SKIPPED && r.unread && r.penalty == 10,
	      "a denied skip is unread and costs its penalty");

	/* modes */
	dbc_health_mode m;
	CHECK(dbc_health_parse_mode(&ctx, NULL, &m) == DBC_OK && m == DBC_HEALTH_STANDARD,
	      "default standard");
	CHECK(dbc_health_parse_mode(&ctx, "FULL", &m) == DBC_OK && m == DBC_HEALTH_FULL, "FULL parses");
	CHECK(dbc_health_parse_mode(&ctx, "fast", &m) == DBC_ERROR &&
	          strcmp(ctx.sqlstate, "22023") == 0,
	      "bad mode is 22023");
	dbc_error_clear(&ctx);

	/* settings keys exist for every check */
	dbc_setting_list cat;
	CHECK(dbc_settings_catalog(&ctx, &cat) == DBC_OK, "catalogue builds");
	const dbc_setting_def *d = dbc_settings_find(&cat, "health.integrity.penalty");
	CHECK(d && strcmp(d->default_value, "50") == 0, "health.integrity.penalty = 50");
	d = dbc_settings_find(&cat, "health.cache_hit_ratio.warn");
	CHECK(d && strcmp(d->default_value, "95") == 0, "health.cache_hit_ratio.warn = 95");
	CHECK(dbc_settings_find(&cat, "health.journal_mode.enabled") != NULL, "enabled key");
	CHECK(dbc_settings_find(&cat, "health.ignore") != NULL, "health.ignore still there");
	char *norm;
	CHECK(dbc_setting_normalise(&ctx, dbc_settings_find(&cat, "health.fragmentation.warn"), "-1",
	                            &norm) == DBC_OK,
	      "negative threshold accepted");

	dbc_ctx_finish(&ctx);
	return unit_done();
}
