/*
 * test_health_grades.c — the grades' words and their order (health_grades.c):
 * the report's worst_check, --fail-on's rule and the health+json words,
 * the one judge every reader of a report asks.
 */
#include "health/health.h"

#include <string.h>
#include "unit.h"

static dbc_health_result res(dbc_check_status st)
{
	dbc_health_result r;
	memset(&r, 0, sizeof(r));
	r.status = st;
	return r;
}

int main(void)
{
	/* the order: ok/healthy < warning < critical; no other word is a grade */
	CHECK(dbc_health_grade_rank("ok") == 0 && dbc_health_grade_rank("healthy") == 0, "ok 0");
	CHECK(dbc_health_grade_rank("warning") == 1, "warning 1");
	CHECK(dbc_health_grade_rank("critical") == 2, "critical 2");
	CHECK(dbc_health_grade_rank("skipped") < 0 && dbc_health_grade_rank("error") < 0 &&
	          dbc_health_grade_rank(NULL) < 0 && dbc_health_grade_rank("Warning") < 0,
	      "skipped, error, NULL and other spellings are no grade");

	/* worst_check: warning and critical count; skipped and error do not */
	dbc_health_result none[] = {res(DBC_CHECK_OK), res(DBC_CHECK_SKIPPED), res(DBC_CHECK_ERROR)};
	CHECK_STR(dbc_health_worst_check_of(none, 3), "ok", "skipped and error grade nothing");
	CHECK_STR(dbc_health_worst_check_of(none, 0), "ok", "no check: ok");
	dbc_health_result warn[] = {res(DBC_CHECK_ERROR), res(DBC_CHECK_WARNING), res(DBC_CHECK_OK)};
	CHECK_STR(dbc_health_worst_check_of(warn, 3), "warning", "one warning");
	dbc_health_result crit[] = {res(DBC_CHECK_CRITICAL), res(DBC_CHECK_WARNING),
	                            res(DBC_CHECK_SKIPPED)};
	CHECK_STR(dbc_health_worst_check_of(crit, 3), "critical", "critical before a warning");

	/* --fail-on: the status or the worst check reaching the level */
	CHECK(dbc_health_reaches("healthy", "warning", "warning"),
	      "a warning check on a healthy report reaches warning");
	CHECK(!dbc_health_reaches("healthy", "warning", "critical"), "but not critical");
	CHECK(dbc_health_reaches("warning", "ok", "warning"), "a warning status by the score");
	CHECK(dbc_health_reaches("critical", "ok", "warning"), "critical reaches warning");
	CHECK(dbc_health_reaches("critical", "warning", "critical"), "critical by the score");
	CHECK(!dbc_health_reaches("healthy", "ok", "warning"), "healthy and ok pass");
	CHECK(!dbc_health_reaches("healthy", NULL, "warning"), "an older report: its status");
	CHECK(!dbc_health_reaches("critical", "critical", "ok") &&
	          !dbc_health_reaches("critical", "critical", NULL),
	      "a level that is no threshold reaches nothing");

	/* health+json: the report's and each check's word */
	CHECK_STR(dbc_health_api_status("healthy"), "pass", "healthy pass");
	CHECK_STR(dbc_health_api_status("ok"), "pass", "ok pass");
	CHECK_STR(dbc_health_api_status("warning"), "warn", "warning warn");
	CHECK_STR(dbc_health_api_status("error"), "warn", "a check in error warns");
	CHECK_STR(dbc_health_api_status("critical"), "fail", "critical fail");
	CHECK_STR(dbc_health_api_status(NULL), "fail", "no status: fail");
	CHECK_STR(dbc_health_api_status("bogus"), "fail", "an unknown word: fail");
	CHECK(dbc_health_api_status("skipped") == NULL, "a skipped check is no entry");
	CHECK_STR(dbc_health_api_worse("pass", "warn"), "warn", "pass < warn");
	CHECK_STR(dbc_health_api_worse("fail", "warn"), "fail", "warn < fail");
	CHECK_STR(dbc_health_api_worse("pass", "pass"), "pass", "pass");
	CHECK_STR(dbc_health_api_worse("pass", "bogus"), "fail", "unknown is fail");
	CHECK_STR(dbc_health_api_worse(NULL, "warn"), "warn", "nothing graded yet: the other");
	CHECK_STR(dbc_health_api_worse(NULL, NULL), "pass", "nothing graded at all passes");
	CHECK(dbc_health_api_passes("pass") && dbc_health_api_passes(NULL) &&
	          !dbc_health_api_passes("warn") && !dbc_health_api_passes("bogus"),
	      "passes: pass or nothing graded");
	CHECK(dbc_health_api_fails("fail") && dbc_health_api_fails("bogus") &&
	          !dbc_health_api_fails("warn") && !dbc_health_api_fails(NULL),
	      "fails: fail or an unknown word");

	/* health+json: a database reached or not, a report's age */
	CHECK_STR(dbc_health_api_reached(true, true), "pass", "read now: pass");
	CHECK_STR(dbc_health_api_reached(false, true), "warn", "only an earlier report: warn");
	CHECK_STR(dbc_health_api_reached(false, false), "fail", "no report: fail");
	CHECK_STR(dbc_health_api_aged(true), "warn", "stale: warn");
	CHECK_STR(dbc_health_api_aged(false), "pass", "fresh: pass");
	CHECK(!dbc_health_stale(100, 0), "stale_seconds 0: never stale");
	CHECK(!dbc_health_stale(60, 60) && dbc_health_stale(60.5, 60), "stale above, not at");

	/* readiness: pending migrations, drift, a critical report */
	CHECK(dbc_health_drifted("warning") && dbc_health_drifted("critical") &&
	          !dbc_health_drifted("ok") && !dbc_health_drifted("skipped") &&
	          !dbc_health_drifted(NULL),
	      "drifted: the check graded above ok");
	CHECK(dbc_health_not_ready(0, false, "healthy") == 0, "ready");
	CHECK(dbc_health_not_ready(0, false, "warning") == 0, "a warning is still ready");
	CHECK(dbc_health_not_ready(2, false, "healthy") == DBC_NOT_READY_PENDING, "pending");
	CHECK(dbc_health_not_ready(0, true, "healthy") == DBC_NOT_READY_DRIFT, "drift");
	CHECK(dbc_health_not_ready(0, false, "critical") == DBC_NOT_READY_CRITICAL, "critical");
	CHECK(dbc_health_not_ready(1, true, "critical") ==
	          (DBC_NOT_READY_PENDING | DBC_NOT_READY_DRIFT | DBC_NOT_READY_CRITICAL),
	      "all three reasons");
	/* unknown: checks could not read the database (issue 62) */
	CHECK(dbc_health_grade_rank("unknown") > dbc_health_grade_rank("critical"),
	      "unknown ranks above critical");
	CHECK(dbc_health_reaches("unknown", "ok", "warning") &&
	          dbc_health_reaches("unknown", "ok", "critical"),
	      "unknown reaches --fail-on warning and critical");
	CHECK(dbc_health_not_ready(0, false, "unknown") == DBC_NOT_READY_UNKNOWN,
	      "an unknown report is not ready");
	CHECK(strcmp(dbc_health_api_status("unknown"), "fail") == 0, "unknown is health+json fail");
	CHECK(dbc_health_unread("unknown") && !dbc_health_unread("critical"), "unread status");
	CHECK(dbc_health_row_unread("error", 0) && dbc_health_row_unread("skipped", 10),
	      "an error row and a skip that cost points are unread");
	CHECK(!dbc_health_row_unread("skipped", 0) && !dbc_health_row_unread("ok", 0),
	      "a plain skip and an ok row are read");
	return unit_done();
}
