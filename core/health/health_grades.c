/*
 * health_grades.c — the words of a report's grades and their order, one
 * home for every reader of a report: the report's worst_check, the
 * command's --fail-on and its table's header, and dbcare serve's
 * application/health+json form and /readyz (a database reached or not, a
 * report's age, readiness). A reader of a report compares what these
 * functions say, never words of its own.
 */
#include "health/health.h"

#include <string.h>

int dbc_health_grade_rank(const char *word)
{
	if (!word)
		return -1;
	if (strcmp(word, "ok") == 0 || strcmp(word, "healthy") == 0)
		return DBC_CHECK_OK;
	if (strcmp(word, "warning") == 0)
		return DBC_CHECK_WARNING;
	if (strcmp(word, "critical") == 0)
		return DBC_CHECK_CRITICAL;
	if (strcmp(word, "unknown") == 0)
		return DBC_HEALTH_UNKNOWN_RANK;
	return -1;
}

const char *dbc_health_worst_check_of(const dbc_health_result *results, int n)
{
	dbc_check_status worst = DBC_CHECK_OK;
	for (int i = 0; i < n; i++)
		if ((results[i].status == DBC_CHECK_WARNING || results[i].status == DBC_CHECK_CRITICAL) &&
		    results[i].status > worst)
			worst = results[i].status;
	return dbc_check_status_name(worst);
}

bool dbc_health_reaches(const char *status, const char *worst_check, const char *level)
{
	int line = dbc_health_grade_rank(level);
	if (line <= DBC_CHECK_OK)
		return false;
	return dbc_health_grade_rank(status) >= line || dbc_health_grade_rank(worst_check) >= line;
}

const char *dbc_health_api_status(const char *word)
{
	if (word && strcmp(word, "skipped") == 0)
		return NULL;
	if (word && strcmp(word, "error") == 0)
		return "warn";
	switch (dbc_health_grade_rank(word)) {
	case DBC_CHECK_OK:
		return "pass";
	case DBC_CHECK_WARNING:
		return "warn";
	default:
		return "fail";
	}
}

static const char *const api_order[] = {"pass", "warn", "fail"};

/* a word's place in api_order; NULL (nothing graded) -1, unknown 2 */
static int api_rank(const char *word)
{
	if (!word)
		return -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(word, api_order[i]) == 0)
			return i;
	return 2;
}

const char *dbc_health_api_worse(const char *a, const char *b)
{
	int ra = api_rank(a), rb = api_rank(b);
	int worst = ra > rb ? ra : rb;
	return api_order[worst < 0 ? 0 : worst];
}

bool dbc_health_api_passes(const char *word)
{
	return api_rank(word) <= 0;
}

bool dbc_health_api_fails(const char *word)
{
	return api_rank(word) == 2;
}

const char *dbc_health_api_reached(bool read_now, bool have_report)
{
	return api_order[read_now ? 0 : have_report ? 1 : 2];
}

const char *dbc_health_api_aged(bool stale)
{
	return api_order[stale ? 1 : 0];
}

bool dbc_health_row_unread(const char *check_status, long long penalty)
{
	if (!check_status)
		return false;
	return strcmp(check_status, dbc_check_status_name(DBC_CHECK_ERROR)) == 0 ||
	       (strcmp(check_status, dbc_check_status_name(DBC_CHECK_SKIPPED)) == 0 && penalty > 0);
}

bool dbc_health_unread(const char *status)
{
	return dbc_health_grade_rank(status) == DBC_HEALTH_UNKNOWN_RANK;
}

bool dbc_health_drifted(const char *schema_drift_status)
{
	return dbc_health_grade_rank(schema_drift_status) > DBC_CHECK_OK;
}

bool dbc_health_stale(double age_s, double stale_s)
{
	return stale_s > 0 && age_s > stale_s;
}

unsigned dbc_health_not_ready(int pending, bool drift, const char *status)
{
	unsigned why = 0;
	if (pending > 0)
		why |= DBC_NOT_READY_PENDING;
	if (drift)
		why |= DBC_NOT_READY_DRIFT;
	if (dbc_health_grade_rank(status) == DBC_CHECK_CRITICAL)
		why |= DBC_NOT_READY_CRITICAL;
	if (dbc_health_unread(status))
		why |= DBC_NOT_READY_UNKNOWN;
	return why;
}
