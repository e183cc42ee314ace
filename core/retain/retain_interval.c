/*
 * retain_interval.c — the lengths of time retention is written in ("30 days",
 * "1 year 6 months"): parsed once, in the core, so both engines accept the
 * same texts and a bad one is refused when a policy is added, not when it
 * runs.
 */
#include "retain/retain.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { U_SECOND, U_MINUTE, U_HOUR, U_DAY, U_WEEK, U_MONTH, U_YEAR } unit;

static const struct {
	const char *name;
	unit u;
} units[] = {
    {"second", U_SECOND}, {"seconds", U_SECOND}, {"sec", U_SECOND},  {"secs", U_SECOND},
    {"minute", U_MINUTE}, {"minutes", U_MINUTE}, {"min", U_MINUTE},  {"mins", U_MINUTE},
    {"hour", U_HOUR},     {"hours", U_HOUR},     {"day", U_DAY},     {"days", U_DAY},
    {"week", U_WEEK},     {"weeks", U_WEEK},     {"month", U_MONTH}, {"months", U_MONTH},
    {"year", U_YEAR},     {"years", U_YEAR},
};

/* Counts above this are refused: far beyond any retention, and every sum
 * of them stays far from int64 overflow in both engines' date arithmetic. */
#define MAX_COUNT 1000000

static int bad(dbc_ctx *ctx, const char *text, const char *argname)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" is not an interval: \"%s\"", argname,
	          dbc_excerpt(ctx, text, DBC_EXCERPT));
	dbc_error_hint(ctx, "Write a positive length of time such as '30 days', '12 hours' or "
	                    "'1 year 6 months' (units: seconds, minutes, hours, days, weeks, "
	                    "months, years).");
	return DBC_ERROR;
}

int dbc_interval_parse(dbc_ctx *ctx, const char *text, const char *argname, dbc_interval *out)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return bad(ctx, "", argname);
	const char *p = text;
	int terms = 0;
	bool positive = false;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p))
			return bad(ctx, text, argname);
		int64_t n = 0;
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (*p++ - '0');
			if (n > MAX_COUNT)
				return bad(ctx, text, argname);
		}
		while (isspace((unsigned char)*p))
			p++;
		const char *w = p;
		while (isalpha((unsigned char)*p))
			p++;
		size_t len = (size_t)(p - w);
		int found = -1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && found < 0; i++)
			if (strlen(units[i].name) == len && strncasecmp(units[i].name, w, len) == 0)
				found = (int)units[i].u;
		if (found < 0)
			return bad(ctx, text, argname);
		switch ((unit)found) {
		case U_SECOND:
			out->seconds += n;
			break;
		case U_MINUTE:
			out->minutes += n;
			break;
		case U_HOUR:
			out->hours += n;
			break;
		case U_DAY:
			out->days += n;
			break;
		case U_WEEK:
			out->days += 7 * n;
			break;
		case U_MONTH:
			out->months += n;
			break;
		case U_YEAR:
			out->years += n;
			break;
		}
		positive = positive || n > 0;
		terms++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ',')
			p++;
	}
	if (terms == 0 || !positive)
		return bad(ctx, text, argname);
	return DBC_OK;
}

char *dbc_interval_text(dbc_ctx *ctx, const dbc_interval *iv)
{
	static const char *const names[6] = {"year", "month", "day", "hour", "minute", "second"};
	const int64_t v[6] = {iv->years, iv->months, iv->days, iv->hours, iv->minutes, iv->seconds};
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < 6; i++)
		if (v[i])
			dbc_buf_appendf(&b, "%s%lld %s%s", b.len ? " " : "", (long long)v[i], names[i],
			                v[i] == 1 ? "" : "s");
	return dbc_buf_finish(&b);
}
