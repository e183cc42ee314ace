/*
 * health_grades.c — the words of a report's grades and their order, one
 * home for every reader of a report: the report's worst_check, the
 * command's --fail-on and its table's header, and dbcare serve's
 * application/health+json form. A reader of a report compares what these
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

const char *dbc_health_api_worse(const char *a, const char *b)
{
	static const char *const order[] = {"pass", "warn", "fail"};
	int ra = 2, rb = 2;
	for (int i = 0; i < 3; i++) {
		if (a && strcmp(a, order[i]) == 0)
			ra = i;
		if (b && strcmp(b, order[i]) == 0)
			rb = i;
	}
	return order[ra > rb ? ra : rb];
}
